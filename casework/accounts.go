package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/numerovert/hotline/config"
)

// Accounts changes staff accounts and API tokens. The web view's admin
// page and `hotline users` both go through it, so a change is checked and
// audited the same way wherever it is made. It must never log, store or
// return a password other than the one just set, nor a token other than
// the one just created.
type Accounts struct {
	Store  UserStore
	Config *config.Config
	Now    func() time.Time // time.Now when nil
}

// Errors of Accounts, wrapped.
var (
	ErrUserExists = errors.New("casework: user exists")
	ErrSelf       = errors.New("casework: an admin cannot disable their own account")
	// ErrInvalidAccount marks a name, role, team or password refused.
	ErrInvalidAccount = errors.New("casework: invalid account")
)

func (a Accounts) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a Accounts) audit(ctx context.Context, actor, action, target string) error {
	return a.Store.AddAdminEvent(ctx, AdminEvent{At: a.now(), Actor: actor, Action: action, Target: target})
}

// Create makes the account u with password, or a generated one when
// password is empty; it returns the password set. An existing account is
// refused with ErrUserExists.
func (a Accounts) Create(ctx context.Context, actor string, u User, password string) (string, error) {
	u.Name = strings.ToLower(strings.TrimSpace(u.Name))
	u.CreatedAt, u.Disabled = a.now(), false
	if err := CheckUser(a.Config, u); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidAccount, err)
	}
	if _, err := a.Store.User(ctx, u.Name); err == nil {
		return "", fmt.Errorf("user %s: %w", u.Name, ErrUserExists)
	} else if !errors.Is(err, ErrNoUser) {
		return "", err
	}
	password, err := a.setPassword(&u, password)
	if err != nil {
		return "", err
	}
	if err := a.Store.PutUser(ctx, u); err != nil {
		return "", err
	}
	return password, a.audit(ctx, actor, "user_created", u.Name)
}

// ResetPassword sets a new password (generated when empty) and returns it.
func (a Accounts) ResetPassword(ctx context.Context, actor, name, password string) (string, error) {
	u, err := a.Store.User(ctx, name)
	if err != nil {
		return "", err
	}
	if password, err = a.setPassword(&u, password); err != nil {
		return "", err
	}
	if err := a.Store.PutUser(ctx, u); err != nil {
		return "", err
	}
	return password, a.audit(ctx, actor, "password_reset", u.Name)
}

// SetDisabled disables or re-enables an account. An admin cannot disable
// their own (ErrSelf): someone must be left to undo it.
func (a Accounts) SetDisabled(ctx context.Context, actor, name string, disabled bool) error {
	if disabled && actor == name {
		return ErrSelf
	}
	u, err := a.Store.User(ctx, name)
	if err != nil {
		return err
	}
	u.Disabled = disabled
	if err := a.Store.PutUser(ctx, u); err != nil {
		return err
	}
	action := "user_enabled"
	if disabled {
		action = "user_disabled"
	}
	return a.audit(ctx, actor, action, u.Name)
}

// CreateToken makes a read-only API token for name and returns it; only
// its hash is kept.
func (a Accounts) CreateToken(ctx context.Context, actor, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errors.New("casework: a token needs a name")
	}
	token := "nv_" + NewSecret(32)
	if err := a.Store.PutToken(ctx, APIToken{Name: name, Hash: HashToken(token), CreatedAt: a.now()}); err != nil {
		return "", err
	}
	return token, a.audit(ctx, actor, "token_created", name)
}

// RevokeToken revokes the token with this hash (ErrNoUser if none) and
// returns its name.
func (a Accounts) RevokeToken(ctx context.Context, actor, hash string) (string, error) {
	t, err := a.Store.Token(ctx, hash)
	if err != nil {
		return "", err
	}
	if err := a.Store.DeleteToken(ctx, t.Hash); err != nil {
		return "", err
	}
	return t.Name, a.audit(ctx, actor, "token_revoked", t.Name)
}

// RevokeTokensNamed revokes every token named name and returns how many.
func (a Accounts) RevokeTokensNamed(ctx context.Context, actor, name string) (int, error) {
	list, err := a.Store.Tokens(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range list {
		if t.Name != name {
			continue
		}
		if _, err := a.RevokeToken(ctx, actor, t.Hash); err != nil {
			return n, err
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("token %q: %w", name, ErrNoUser)
	}
	return n, nil
}

func (a Accounts) setPassword(u *User, password string) (string, error) {
	if password == "" {
		password = NewSecret(15)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidAccount, err)
	}
	u.PasswordHash = hash
	return password, nil
}
