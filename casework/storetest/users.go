package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
)

// RunUsers is the contract of a casework.UserStore. open is called once per
// subtest.
func RunUsers(t *testing.T, open func(t *testing.T) casework.UserStore) {
	t.Helper()
	t.Run("PutGetReplaceList", func(t *testing.T) { usersPutGetReplaceList(t, open(t)) })
	t.Run("Tokens", func(t *testing.T) { usersTokens(t, open(t)) })
	t.Run("AdminEvents", func(t *testing.T) { usersAdminEvents(t, open(t)) })
	t.Run("CanceledContext", func(t *testing.T) { usersCanceledContext(t, open(t)) })
}

func usersPutGetReplaceList(t *testing.T, s casework.UserStore) {
	ctx := context.Background()
	if _, err := s.User(ctx, "awa"); !errors.Is(err, casework.ErrNoUser) {
		t.Fatalf("missing user: err = %v, want ErrNoUser", err)
	}
	if list, err := s.Users(ctx); err != nil || len(list) != 0 {
		t.Fatalf("empty store lists %v, %v", list, err)
	}
	u := casework.User{Name: "awa", Role: casework.RoleOfficer, Team: "meal-mopti", PasswordHash: "$argon2id$x", CreatedAt: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}
	for _, name := range []string{"awa", "moussa"} {
		u.Name = name
		if err := s.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	u.Name, u.Role = "awa", casework.RoleSupervisor
	if err := s.PutUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.User(ctx, "awa")
	if err != nil || got.Role != casework.RoleSupervisor || got.Team != "meal-mopti" || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("User = %+v, %v; want the replaced supervisor", got, err)
	}
	list, err := s.Users(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "awa" || list[1].Name != "moussa" {
		t.Fatalf("Users = %+v, %v; want awa, moussa", list, err)
	}
}

func usersTokens(t *testing.T, s casework.UserStore) {
	ctx := context.Background()
	if _, err := s.Token(ctx, casework.HashToken("nope")); !errors.Is(err, casework.ErrNoUser) {
		t.Fatalf("missing token: err = %v, want ErrNoUser", err)
	}
	tok := casework.APIToken{Name: "cluster", Hash: casework.HashToken("secret"), CreatedAt: time.Now().UTC()}
	if err := s.PutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.Token(ctx, casework.HashToken("secret"))
	if err != nil || got.Name != "cluster" {
		t.Fatalf("Token = %+v, %v", got, err)
	}
	if list, err := s.Tokens(ctx); err != nil || len(list) != 1 || list[0].Hash != tok.Hash {
		t.Fatalf("Tokens = %+v, %v", list, err)
	}
	if err := s.DeleteToken(ctx, tok.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, tok.Hash); !errors.Is(err, casework.ErrNoUser) {
		t.Fatalf("revoked token: err = %v, want ErrNoUser", err)
	}
	if err := s.DeleteToken(ctx, tok.Hash); !errors.Is(err, casework.ErrNoUser) {
		t.Fatalf("revoking twice: err = %v, want ErrNoUser", err)
	}
}

func usersAdminEvents(t *testing.T, s casework.UserStore) {
	ctx := context.Background()
	for _, a := range []string{"user_created", "token_revoked"} {
		if err := s.AddAdminEvent(ctx, casework.AdminEvent{At: time.Now().UTC(), Actor: "root", Action: a, Target: "awa"}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.AdminEvents(ctx)
	if err != nil || len(list) != 2 || list[0].Action != "user_created" || list[1].Action != "token_revoked" {
		t.Fatalf("AdminEvents = %+v, %v; want both, oldest first", list, err)
	}
}

func usersCanceledContext(t *testing.T, s casework.UserStore) {
	ctx := context.Background()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.PutUser(cctx, casework.User{Name: "x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("PutUser on a canceled context: %v", err)
	}
}
