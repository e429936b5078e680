package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/numerovert/hotline/casework"
)

// Users is an in-memory casework.UserStore for tests.
type Users struct {
	mu     sync.RWMutex
	users  map[string]casework.User
	tokens map[string]casework.APIToken
	events []casework.AdminEvent
}

var _ casework.UserStore = (*Users)(nil)

// NewUsers returns an empty user store.
func NewUsers() *Users {
	return &Users{users: map[string]casework.User{}, tokens: map[string]casework.APIToken{}}
}

// PutUser implements casework.UserStore.
func (s *Users) PutUser(ctx context.Context, u casework.User) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: put user: %w", err)
	}
	if u.Name == "" {
		return errors.New("memstore: put user: no name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Name] = u
	return nil
}

// User implements casework.UserStore.
func (s *Users) User(ctx context.Context, name string) (casework.User, error) {
	if err := ctx.Err(); err != nil {
		return casework.User{}, fmt.Errorf("memstore: user: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[name]
	if !ok {
		return casework.User{}, fmt.Errorf("memstore: user: %w", casework.ErrNoUser)
	}
	return u, nil
}

// Users implements casework.UserStore.
func (s *Users) Users(ctx context.Context) ([]casework.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: users: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]casework.User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b casework.User) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// PutToken implements casework.UserStore.
func (s *Users) PutToken(ctx context.Context, t casework.APIToken) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: put token: %w", err)
	}
	if t.Hash == "" {
		return errors.New("memstore: put token: no hash")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.Hash] = t
	return nil
}

// Token implements casework.UserStore.
func (s *Users) Token(ctx context.Context, hash string) (casework.APIToken, error) {
	if err := ctx.Err(); err != nil {
		return casework.APIToken{}, fmt.Errorf("memstore: token: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[hash]
	if !ok {
		return casework.APIToken{}, fmt.Errorf("memstore: token: %w", casework.ErrNoUser)
	}
	return t, nil
}

// Tokens implements casework.UserStore.
func (s *Users) Tokens(ctx context.Context) ([]casework.APIToken, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: tokens: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]casework.APIToken, 0, len(s.tokens))
	for _, t := range s.tokens {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b casework.APIToken) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// DeleteToken implements casework.UserStore.
func (s *Users) DeleteToken(ctx context.Context, hash string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: delete token: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tokens[hash]; !ok {
		return fmt.Errorf("memstore: delete token: %w", casework.ErrNoUser)
	}
	delete(s.tokens, hash)
	return nil
}

// AddAdminEvent implements casework.UserStore.
func (s *Users) AddAdminEvent(ctx context.Context, e casework.AdminEvent) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: admin event: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	return nil
}

// AdminEvents implements casework.UserStore.
func (s *Users) AdminEvents(ctx context.Context) ([]casework.AdminEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: admin events: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.events), nil
}
