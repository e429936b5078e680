package memstore_test

import (
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/casework/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) casework.Store {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestPreferencesContract(t *testing.T) {
	storetest.RunPreferences(t, func(t *testing.T) storetest.PreferencesStore {
		return memstore.New()
	})
}

func TestInfoContract(t *testing.T) {
	storetest.RunInfo(t, func(t *testing.T) storetest.InfoStore {
		return memstore.New()
	})
}
