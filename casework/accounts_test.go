package casework_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/config"
)

// Every change to an account goes through Accounts: checked, and recorded
// in the audit trail with who made it; passwords are hashed, never kept.
func TestAccountsCheckAndAudit(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.NewUsers()
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	acc := casework.Accounts{Store: store, Config: cfg, Now: func() time.Time { return now }}

	pw, err := acc.Create(ctx, "root", casework.User{Name: " Awa ", Role: casework.RoleOfficer, Team: "meal-mopti"}, "a long passphrase")
	if err != nil || pw != "a long passphrase" {
		t.Fatalf("Create: %q %v", pw, err)
	}
	u, err := store.User(ctx, "awa")
	if err != nil || !casework.CheckPassword(u.PasswordHash, pw) || strings.Contains(u.PasswordHash, pw) || !u.CreatedAt.Equal(now) {
		t.Fatalf("stored user: %+v %v", u, err)
	}
	if _, err := acc.Create(ctx, "root", casework.User{Name: "awa", Role: casework.RoleViewer}, ""); !errors.Is(err, casework.ErrUserExists) {
		t.Errorf("Create over an existing user: %v", err)
	}
	for _, bad := range []casework.User{
		{Name: "bob", Role: casework.RoleOfficer, Team: "no-such-team"},
		{Name: "bob", Role: "chief"},
		{Name: "b o b", Role: casework.RoleViewer},
	} {
		if _, err := acc.Create(ctx, "root", bad, ""); !errors.Is(err, casework.ErrInvalidAccount) {
			t.Errorf("Create(%+v): %v, want ErrInvalidAccount", bad, err)
		}
	}
	if _, err := acc.Create(ctx, "root", casework.User{Name: "bob", Role: casework.RoleViewer}, "short"); !errors.Is(err, casework.ErrInvalidAccount) {
		t.Errorf("Create with a short password: %v", err)
	}
	generated, err := acc.Create(ctx, "root", casework.User{Name: "vera", Role: casework.RoleViewer}, "")
	if err != nil || len(generated) < 15 {
		t.Errorf("Create with a generated password: %q %v", generated, err)
	}

	reset, err := acc.ResetPassword(ctx, "root", "awa", "")
	if u, _ := store.User(ctx, "awa"); err != nil || reset == pw || !casework.CheckPassword(u.PasswordHash, reset) || casework.CheckPassword(u.PasswordHash, pw) {
		t.Errorf("ResetPassword: %q %v", reset, err)
	}
	if _, err := acc.ResetPassword(ctx, "root", "nobody", ""); !errors.Is(err, casework.ErrNoUser) {
		t.Errorf("ResetPassword(nobody): %v", err)
	}
	if err := acc.SetDisabled(ctx, "awa", "awa", true); !errors.Is(err, casework.ErrSelf) {
		t.Errorf("disabling oneself: %v", err)
	}
	if err := acc.SetDisabled(ctx, "root", "awa", true); err != nil {
		t.Fatal(err)
	}
	if u, _ := store.User(ctx, "awa"); !u.Disabled {
		t.Error("awa not disabled")
	}

	token, err := acc.CreateToken(ctx, "root", "dash")
	if err != nil || !strings.HasPrefix(token, "nv_") {
		t.Fatalf("CreateToken: %q %v", token, err)
	}
	if _, err := store.Token(ctx, casework.HashToken(token)); err != nil {
		t.Errorf("token not stored by its hash: %v", err)
	}
	if _, err := acc.CreateToken(ctx, "root", "  "); err == nil {
		t.Error("a token without a name was made")
	}
	if n, err := acc.RevokeTokensNamed(ctx, "root", "dash"); n != 1 || err != nil {
		t.Errorf("RevokeTokensNamed: %d %v", n, err)
	}
	if _, err := store.Token(ctx, casework.HashToken(token)); !errors.Is(err, casework.ErrNoUser) {
		t.Errorf("revoked token still there: %v", err)
	}
	if _, err := acc.RevokeTokensNamed(ctx, "root", "dash"); !errors.Is(err, casework.ErrNoUser) {
		t.Errorf("revoking again: %v", err)
	}

	events, err := store.AdminEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if e.Actor != "root" || !e.At.Equal(now) {
			t.Errorf("event %+v: want actor root at %v", e, now)
		}
		got = append(got, e.Action+" "+e.Target)
	}
	want := "user_created awa,user_created vera,password_reset awa,user_disabled awa,token_created dash,token_revoked dash"
	if strings.Join(got, ",") != want {
		t.Errorf("audit trail:\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
}
