// Package memstore is an in-memory casework.Store for the unit tests of other
// packages. It keeps nothing across restarts, so it must never back a real
// hotline: a caller would be given a reference for a complaint that is then
// lost.
package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

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
	audit    map[string][]casework.Event
	langs    map[string]string                // caller key → language
	info     map[string]casework.InfoPage     // information pages by id (info.go)
	views    map[casework.InfoViewKey]int     // information views (info.go)
	bcast    map[string]casework.Broadcast    // information line broadcasts (info.go)
	sums     map[string]casework.MonthSummary // "you said, we did" (info.go)
}

var (
	_ casework.Store       = (*Store)(nil)
	_ casework.Preferences = (*Store)(nil)
)

// SetLanguage implements casework.Preferences.
func (s *Store) SetLanguage(ctx context.Context, callerKey, lang string) error {
	if err := casework.ValidatePreference(callerKey, lang); err != nil {
		return fmt.Errorf("memstore: set language: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx, "set language"); err != nil {
		return err
	}
	s.langs[callerKey] = lang
	return nil
}

// Language implements casework.Preferences.
func (s *Store) Language(ctx context.Context, callerKey string) (string, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "language"); err != nil {
		return "", false, err
	}
	lang, ok := s.langs[callerKey]
	return lang, ok, nil
}

// New returns an empty store.
func New() *Store {
	return &Store{
		byID:     make(map[string]casework.Case),
		byRef:    make(map[string]string),
		byIdem:   make(map[string]string),
		byCaller: make(map[string][]string),
		audit:    make(map[string][]casework.Event),
		langs:    make(map[string]string),
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

// clone copies the parts of a case that share memory, so callers can never
// change what the store holds.
func clone(c casework.Case) casework.Case {
	c.Programmes = slices.Clone(c.Programmes)
	c.Notes = slices.Clone(c.Notes)
	c.ReferredTo = slices.Clone(c.ReferredTo)
	c.Response = maps.Clone(c.Response)
	return c
}

// Create implements casework.Store.
func (s *Store) Create(ctx context.Context, idem string, c casework.Case, events []casework.Event) (casework.Case, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx, "create"); err != nil {
		return casework.Case{}, false, err
	}
	if id, ok := s.byIdem[idem]; ok {
		return clone(s.byID[id]), false, nil
	}
	if c.ID == "" {
		return casework.Case{}, false, fmt.Errorf("memstore: create: case has no ID")
	}
	if _, ok := s.byID[c.ID]; ok {
		return casework.Case{}, false, fmt.Errorf("memstore: create: case ID already used")
	}
	if c.Reference != "" && s.byRef[c.Reference] != "" {
		return casework.Case{}, false, fmt.Errorf("memstore: create: %w", casework.ErrReferenceTaken)
	}
	ref := c.Reference
	if ref == "" {
		ref = casework.NewReference()
	}
	for s.byRef[ref] != "" {
		ref = casework.NewReference()
	}
	c = clone(c)
	c.Reference = ref
	s.byID[c.ID] = c
	s.byRef[c.Reference] = c.ID
	s.byIdem[idem] = c.ID
	if c.CallerKey != "" {
		s.byCaller[c.CallerKey] = append(s.byCaller[c.CallerKey], c.ID)
	}
	s.order = append(s.order, c.ID)
	s.audit[c.ID] = append(s.audit[c.ID], events...)
	return clone(c), true, nil
}

// Update implements casework.Store.
func (s *Store) Update(ctx context.Context, id string, fn func(*casework.Case) ([]casework.Event, error)) (casework.Case, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx, "update"); err != nil {
		return casework.Case{}, err
	}
	old, ok := s.byID[id]
	if !ok {
		return casework.Case{}, fmt.Errorf("memstore: update: %w", casework.ErrNotFound)
	}
	c := clone(old)
	events, err := fn(&c)
	if err != nil {
		return casework.Case{}, fmt.Errorf("memstore: update: %w", err)
	}
	if c.ID != old.ID || c.Reference != old.Reference {
		return casework.Case{}, fmt.Errorf("memstore: update: ID and reference cannot change")
	}
	if c.CallerKey != old.CallerKey {
		ids := slices.DeleteFunc(slices.Clone(s.byCaller[old.CallerKey]), func(v string) bool { return v == id })
		if len(ids) == 0 {
			delete(s.byCaller, old.CallerKey)
		} else {
			s.byCaller[old.CallerKey] = ids
		}
		if c.CallerKey != "" {
			// Keep creation order within the new key's list.
			ids := append(s.byCaller[c.CallerKey], id)
			slices.SortFunc(ids, func(a, b string) int { return slices.Index(s.order, a) - slices.Index(s.order, b) })
			s.byCaller[c.CallerKey] = ids
		}
	}
	s.byID[id] = clone(c)
	s.audit[id] = append(s.audit[id], events...)
	return c, nil
}

// Record implements casework.Store.
func (s *Store) Record(ctx context.Context, events ...casework.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx, "record"); err != nil {
		return err
	}
	for _, e := range events {
		s.audit[e.CaseID] = append(s.audit[e.CaseID], e)
	}
	return nil
}

// Audit implements casework.Store.
func (s *Store) Audit(ctx context.Context, caseID string) ([]casework.Event, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "audit"); err != nil {
		return nil, err
	}
	return append([]casework.Event{}, s.audit[caseID]...), nil
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
	return clone(c), nil
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
	return clone(s.byID[id]), nil
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
		out = append(out, clone(s.byID[id]))
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
		if err := fn(clone(c)); err != nil {
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
