package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/numerovert/hotline/casework"
)

var _ casework.InfoStore = (*Store)(nil)

// PutInfoPage implements casework.InfoStore.
func (s *Store) PutInfoPage(ctx context.Context, p casework.InfoPage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx, "put information page"); err != nil {
		return err
	}
	if p.ID == "" {
		return fmt.Errorf("memstore: put information page: no id")
	}
	if s.info == nil {
		s.info = map[string]casework.InfoPage{}
	}
	p.Events = slices.Clone(p.Events)
	s.info[p.ID] = p
	return nil
}

// InfoPage implements casework.InfoStore.
func (s *Store) InfoPage(ctx context.Context, id string) (casework.InfoPage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "information page"); err != nil {
		return casework.InfoPage{}, err
	}
	p, ok := s.info[id]
	if !ok {
		return casework.InfoPage{}, fmt.Errorf("memstore: information page: %w", casework.ErrNotFound)
	}
	p.Events = slices.Clone(p.Events)
	return p, nil
}

// InfoPages implements casework.InfoStore.
func (s *Store) InfoPages(ctx context.Context) ([]casework.InfoPage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "information pages"); err != nil {
		return nil, err
	}
	var out []casework.InfoPage
	for _, p := range s.info {
		p.Events = slices.Clone(p.Events)
		out = append(out, p)
	}
	return out, nil
}

// CountInfoView implements casework.InfoStore.
func (s *Store) CountInfoView(ctx context.Context, month, place, topic string, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx, "count information view"); err != nil {
		return err
	}
	if s.views == nil {
		s.views = map[casework.InfoViewKey]int{}
	}
	s.views[casework.InfoViewKey{Month: month, Place: place, Topic: topic}] += max(n, 0)
	return nil
}

// InfoViews implements casework.InfoStore.
func (s *Store) InfoViews(ctx context.Context) (map[casework.InfoViewKey]int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "information views"); err != nil {
		return nil, err
	}
	out := make(map[casework.InfoViewKey]int, len(s.views))
	for k, v := range s.views {
		out[k] = v
	}
	return out, nil
}

var _ casework.BroadcastStore = (*Store)(nil)

func cloneBroadcast(b casework.Broadcast) casework.Broadcast {
	b.Texts = maps.Clone(b.Texts)
	b.Events = slices.Clone(b.Events)
	return b
}

// PutBroadcast implements casework.BroadcastStore.
func (s *Store) PutBroadcast(ctx context.Context, b casework.Broadcast) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx, "put broadcast"); err != nil {
		return err
	}
	if s.bcast == nil {
		s.bcast = map[string]casework.Broadcast{}
	}
	s.bcast[b.ID] = cloneBroadcast(b)
	return nil
}

// Broadcast implements casework.BroadcastStore.
func (s *Store) Broadcast(ctx context.Context, id string) (casework.Broadcast, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "broadcast"); err != nil {
		return casework.Broadcast{}, err
	}
	b, ok := s.bcast[id]
	if !ok {
		return casework.Broadcast{}, fmt.Errorf("memstore: broadcast: %w", casework.ErrNotFound)
	}
	return cloneBroadcast(b), nil
}

// Broadcasts implements casework.BroadcastStore.
func (s *Store) Broadcasts(ctx context.Context) ([]casework.Broadcast, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "broadcasts"); err != nil {
		return nil, err
	}
	var out []casework.Broadcast
	for _, b := range s.bcast {
		out = append(out, cloneBroadcast(b))
	}
	return out, nil
}

var _ casework.SummaryStore = (*Store)(nil)

func cloneSummary(s casework.MonthSummary) casework.MonthSummary {
	s.Raised, s.Events = slices.Clone(s.Raised), slices.Clone(s.Events)
	s.Found, s.Changed = maps.Clone(s.Found), maps.Clone(s.Changed)
	return s
}

// PutSummary implements casework.SummaryStore.
func (s *Store) PutSummary(ctx context.Context, sum casework.MonthSummary) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx, "put summary"); err != nil {
		return err
	}
	if s.sums == nil {
		s.sums = map[string]casework.MonthSummary{}
	}
	s.sums[sum.ID] = cloneSummary(sum)
	return nil
}

// Summary implements casework.SummaryStore.
func (s *Store) Summary(ctx context.Context, id string) (casework.MonthSummary, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "summary"); err != nil {
		return casework.MonthSummary{}, err
	}
	sum, ok := s.sums[id]
	if !ok {
		return casework.MonthSummary{}, fmt.Errorf("memstore: summary: %w", casework.ErrNotFound)
	}
	return cloneSummary(sum), nil
}

// Summaries implements casework.SummaryStore.
func (s *Store) Summaries(ctx context.Context) ([]casework.MonthSummary, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx, "summaries"); err != nil {
		return nil, err
	}
	var out []casework.MonthSummary
	for _, sum := range s.sums {
		out = append(out, cloneSummary(sum))
	}
	return out, nil
}
