// Package memstore is an in-memory casework.Store for the unit tests of other
// packages. It keeps nothing across restarts, so it must never back a real
// hotline: a caller would be given a reference for a complaint that is then
// lost.
package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/numerovert/hotline/casework"
)

// Store is an in-memory casework.Store. The zero value is not usable; call New.
type Store struct {
	mu       sync.RWMutex
	closed   bool
	byID     map[string]casework.Case
	byRef    map[string]string
	byIdem   map[string]string
	byCaller map[string][]string
	order    []string

	// Now is the clock used for CreatedAt; tests may replace it before use.
	Now func() time.Time
}

var _ casework.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		byID:     make(map[string]casework.Case),
		byRef:    make(map[string]string),
		byIdem:   make(map[string]string),
		byCaller: make(map[string][]string),
		Now:      time.Now,
	}
}

func (s *Store) usable(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	if s.closed {
		return fmt.Errorf("memstore: %s: %w", op, casework.ErrClosed)
	}
	return nil
}

// Submit implements casework.Store.
func (s *Store) Submit(ctx context.Context, in casework.Intake) (casework.Case, error) {
	if err := in.Validate(); err != nil {
		return casework.Case{}, fmt.Errorf("memstore: submit: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx, "submit"); err != nil {
		return casework.Case{}, err
	}
	if id, ok := s.byIdem[in.IdempotencyKey]; ok {
		return s.byID[id], nil
	}
	if in.Reference != "" && s.byRef[in.Reference] != "" {
		return casework.Case{}, fmt.Errorf("memstore: submit: %w", casework.ErrReferenceTaken)
	}
	ref := in.Reference
	if ref == "" {
		ref = casework.NewReference()
	}
	for s.byRef[ref] != "" {
		ref = casework.NewReference()
	}
	c := casework.NewCase(in, casework.NewID(), ref, s.Now())
	s.byID[c.ID] = c
	s.byRef[c.Reference] = c.ID
	s.byIdem[in.IdempotencyKey] = c.ID
	s.byCaller[c.CallerKey] = append(s.byCaller[c.CallerKey], c.ID)
	s.order = append(s.order, c.ID)
	return c, nil
}

// ByID implements casework.Store.
func (s *Store) ByID(ctx context.Context, id string) (casework.Case, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "by id"); err != nil {
		return casework.Case{}, err
	}
	c, ok := s.byID[id]
	if !ok {
		return casework.Case{}, fmt.Errorf("memstore: by id: %w", casework.ErrNotFound)
	}
	return c, nil
}

// ByReference implements casework.Store.
func (s *Store) ByReference(ctx context.Context, ref string) (casework.Case, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "by reference"); err != nil {
		return casework.Case{}, err
	}
	norm, ok := casework.ParseReference(ref)
	if !ok {
		return casework.Case{}, fmt.Errorf("memstore: by reference: %w", casework.ErrNotFound)
	}
	id, ok := s.byRef[norm]
	if !ok {
		return casework.Case{}, fmt.Errorf("memstore: by reference: %w", casework.ErrNotFound)
	}
	return s.byID[id], nil
}

// ByCallerKey implements casework.Store.
func (s *Store) ByCallerKey(ctx context.Context, callerKey string) ([]casework.Case, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "by caller key"); err != nil {
		return nil, err
	}
	ids := s.byCaller[callerKey]
	out := make([]casework.Case, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.byID[id])
	}
	return out, nil
}

// Each implements casework.Store. fn runs without the lock held, so it may
// use the store.
func (s *Store) Each(ctx context.Context, fn func(casework.Case) error) error {
	s.mu.RLock()
	if err := s.usable(ctx, "each"); err != nil {
		s.mu.RUnlock()
		return err
	}
	order := slices.Clone(s.order)
	s.mu.RUnlock()
	for _, id := range order {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memstore: each: %w", err)
		}
		s.mu.RLock()
		c, ok := s.byID[id]
		closed := s.closed
		s.mu.RUnlock()
		if closed {
			return fmt.Errorf("memstore: each: %w", casework.ErrClosed)
		}
		if !ok {
			continue
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// Check implements casework.Store.
func (s *Store) Check(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usable(ctx, "check")
}

// Close implements casework.Store. Closing twice is not an error.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
