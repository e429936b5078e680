package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
)

// InfoStore is a store of information pages, broadcasts and summaries that can be closed.
type InfoStore interface {
	casework.InfoStore
	casework.BroadcastStore
	casework.SummaryStore
	Close() error
}

// RunInfo runs the casework.InfoStore contract against fresh stores made
// by open (each also closed by RunInfo).
func RunInfo(t *testing.T, open func(t *testing.T) InfoStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s InfoStore)
	}{
		{"PageRoundTrip", testInfoPageRoundTrip},
		{"ViewsCountedConcurrently", testInfoViews},
		{"BroadcastRoundTrip", testBroadcastRoundTrip},
		{"SummaryRoundTrip", testSummaryRoundTrip},
		{"AfterClose", testInfoAfterClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

func testInfoPageRoundTrip(t *testing.T, s InfoStore) {
	ctx := context.Background()
	if _, err := s.InfoPage(ctx, "nope"); !errors.Is(err, casework.ErrNotFound) {
		t.Fatalf("InfoPage(unknown) error = %v; want ErrNotFound", err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	p := casework.InfoPage{
		ID: casework.InfoPageID("", "ML05", "ML0507", "", "dates", "fr"), Region: "ML05", Cercle: "ML0507", Topic: "dates", Lang: "fr",
		Draft: "Distribution le 12 mars.", DraftVersion: 1, DraftBy: "prog", DraftAt: at,
		Events: []casework.InfoEvent{{At: at, Actor: "prog", Action: "saved", Version: 1}},
	}
	if err := s.PutInfoPage(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Published, p.PublishedVersion, p.ApprovedBy, p.ApprovedAt = p.Draft, 1, "fanta", at.Add(time.Hour)
	p.Events = append(p.Events, casework.InfoEvent{At: at.Add(time.Hour), Actor: "fanta", Action: "approved", Version: 1})
	if err := s.PutInfoPage(ctx, p); err != nil { // a replace, not a second page
		t.Fatal(err)
	}
	got, err := s.InfoPage(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Published != p.Published || got.ApprovedBy != "fanta" || len(got.Events) != 2 || !got.ApprovedAt.Equal(p.ApprovedAt) {
		t.Errorf("InfoPage = %+v; want %+v", got, p)
	}
	got.Events[0].Actor = "changed by the caller"
	if again, _ := s.InfoPage(ctx, p.ID); again.Events[0].Actor != "prog" {
		t.Error("the store shares the events' memory with its caller")
	}
	all, err := s.InfoPages(ctx)
	if err != nil || len(all) != 1 {
		t.Errorf("InfoPages = %d pages, %v; want 1", len(all), err)
	}
}

func testInfoViews(t *testing.T, s InfoStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			errs <- s.CountInfoView(ctx, "2026-03", "ML0507", []string{"dates", "eligibility"}[i%2], 1)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CountInfoView(ctx, "2026-04", "national", "dates", 1); err != nil {
		t.Fatal(err)
	}
	// A gateway's minute of views arrives as one count.
	if err := s.CountInfoView(ctx, "2026-04", "ML0507", "dates", 7); err != nil {
		t.Fatal(err)
	}
	v, err := s.InfoViews(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[casework.InfoViewKey]int{
		{Month: "2026-03", Place: "ML0507", Topic: "dates"}:       20,
		{Month: "2026-03", Place: "ML0507", Topic: "eligibility"}: 20,
		{Month: "2026-04", Place: "national", Topic: "dates"}:     1,
		{Month: "2026-04", Place: "ML0507", Topic: "dates"}:       7,
	}
	if fmt.Sprint(v) != fmt.Sprint(want) {
		t.Errorf("InfoViews = %v; want %v", v, want)
	}
}

func testInfoAfterClose(t *testing.T, s InfoStore) {
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.PutInfoPage(ctx, casework.InfoPage{ID: "x"}); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("PutInfoPage after Close = %v; want ErrClosed", err)
	}
	if err := s.CountInfoView(ctx, "2026-03", "x", "dates", 1); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("CountInfoView after Close = %v; want ErrClosed", err)
	}
}

func testBroadcastRoundTrip(t *testing.T, s InfoStore) {
	ctx := context.Background()
	if _, err := s.Broadcast(ctx, "nope"); !errors.Is(err, casework.ErrNotFound) {
		t.Fatalf("Broadcast(unknown) error = %v; want ErrNotFound", err)
	}
	b := casework.Broadcast{ID: "b1", Region: "ML05", Cercle: "ML0507", Texts: map[string]string{"fr": "Distribution le 19 mars."},
		Version: 1, State: casework.BroadcastDraft, Author: "prog",
		Events: []casework.InfoEvent{{At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Actor: "prog", Action: "saved", Version: 1}}}
	if err := s.PutBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.State, b.ApprovedBy = casework.BroadcastApproved, "fanta"
	if err := s.PutBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	got, err := s.Broadcast(ctx, "b1")
	if err != nil || got.State != casework.BroadcastApproved || got.Texts["fr"] != b.Texts["fr"] || len(got.Events) != 1 {
		t.Errorf("Broadcast = %+v, %v; want %+v", got, err, b)
	}
	got.Texts["fr"] = "changed by the caller"
	if again, _ := s.Broadcast(ctx, "b1"); again.Texts["fr"] != b.Texts["fr"] {
		t.Error("the store shares a broadcast's texts with its caller")
	}
	if all, err := s.Broadcasts(ctx); err != nil || len(all) != 1 {
		t.Errorf("Broadcasts = %d, %v; want 1", len(all), err)
	}
}

func testSummaryRoundTrip(t *testing.T, s InfoStore) {
	ctx := context.Background()
	if _, err := s.Summary(ctx, "2026-02|ML0507"); !errors.Is(err, casework.ErrNotFound) {
		t.Fatalf("Summary(unknown) error = %v; want ErrNotFound", err)
	}
	sum := casework.MonthSummary{ID: "2026-02|ML0507", Month: "2026-02", Region: "ML05", Cercle: "ML0507",
		Raised: []casework.SummaryRaised{{Category: "exclusion", N: 6}}, Found: map[string]string{"fr": "trouvé"},
		Changed: map[string]string{"fr": "changé"}, Version: 1, State: casework.BroadcastDraft, Author: "awa"}
	if err := s.PutSummary(ctx, sum); err != nil {
		t.Fatal(err)
	}
	got, err := s.Summary(ctx, sum.ID)
	if err != nil || got.Raised[0].N != 6 || got.Found["fr"] != "trouvé" || got.Author != "awa" {
		t.Errorf("Summary = %+v, %v", got, err)
	}
	got.Found["fr"] = "changed by the caller"
	if again, _ := s.Summary(ctx, sum.ID); again.Found["fr"] != "trouvé" {
		t.Error("the store shares a summary's texts with its caller")
	}
	if all, err := s.Summaries(ctx); err != nil || len(all) != 1 {
		t.Errorf("Summaries = %d, %v; want 1", len(all), err)
	}
}
