package memstore_test

import (
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/casework/storetest"
)

func TestUsersContract(t *testing.T) {
	storetest.RunUsers(t, func(t *testing.T) casework.UserStore { return memstore.NewUsers() })
}
