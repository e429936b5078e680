package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/storetest"
)

func TestUsersContract(t *testing.T) {
	storetest.RunUsers(t, func(t *testing.T) casework.UserStore {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "hotline.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
