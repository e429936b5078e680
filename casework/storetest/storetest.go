// Package storetest is the contract every casework.Store must meet, written
// once and run against each back end from its own tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) casework.Store { ... })
//	}
//
// It drives stores only through the casework.Store interface. Its test data
// uses made-up caller keys, never phone numbers.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
)

// Run runs the contract against fresh stores made by open. open is called
// once per subtest and should register its own cleanup (t.Cleanup); Run
// also closes each store itself, so Close must tolerate a second call.
func Run(t *testing.T, open func(t *testing.T) casework.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s casework.Store)
	}{
		{"SubmitThenFetch", testSubmitThenFetch},
		{"Defaults", testDefaults},
		{"Idempotent", testIdempotent},
		{"GivenReference", testGivenReference},
		{"IdempotentConcurrent", testIdempotentConcurrent},
		{"ConcurrentSubmits", testConcurrentSubmits},
		{"CreateRecordsEvents", testCreateRecordsEvents},
		{"Update", testUpdate},
		{"UpdateErrorWritesNothing", testUpdateErrorWritesNothing},
		{"UpdateConcurrent", testUpdateConcurrent},
		{"UpdateCallerKeyReindexes", testUpdateCallerKeyReindexes},
		{"UpdateCannotChangeIdentity", testUpdateCannotChangeIdentity},
		{"RecordAppends", testRecordAppends},
		{"Isolation", testIsolation},
		{"NotFound", testNotFound},
		{"ByCallerKeyOldestFirst", testByCallerKeyOldestFirst},
		{"EachOrderAndStop", testEachOrderAndStop},
		{"CanceledContext", testCanceledContext},
		{"CheckAndClose", testCheckAndClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

// Intake returns a valid intake; n makes its idempotency key unique.
func Intake(callerKey string, n int) casework.Intake {
	return casework.Intake{
		IdempotencyKey: fmt.Sprintf("test/ATUid_%032x", n),
		CallerKey:      callerKey,
		Channel:        "test-at",
		Medium:         "ussd",
		Language:       "fr",
		Category:       "exclusion",
		Region:         "ML01",
		Cercle:         "ML0101",
		Assistance:     "cash",
		Detail:         fmt.Sprintf("detail %d", n),
	}
}

// SameCase reports the first difference between two cases, comparing times
// by instant, or "" if they are the same.
func SameCase(got, want casework.Case) string {
	if !got.CreatedAt.Equal(want.CreatedAt) {
		return fmt.Sprintf("CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	return ""
}

// Create stores the case NewCase makes of in, as the Service would (minus
// routing), and returns it.
func Create(ctx context.Context, s casework.Store, in casework.Intake) (casework.Case, bool, error) {
	c := casework.NewCase(in, casework.NewID(), in.Reference, time.Now())
	return s.Create(ctx, in.IdempotencyKey, c, []casework.Event{{CaseID: c.ID, At: c.CreatedAt, Actor: casework.System, Action: casework.ActionCreated}})
}

func submit(t *testing.T, s casework.Store, in casework.Intake) casework.Case {
	t.Helper()
	c, _, err := Create(context.Background(), s, in)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return c
}

func all(t *testing.T, s casework.Store) []casework.Case {
	t.Helper()
	var out []casework.Case
	if err := s.Each(context.Background(), func(c casework.Case) error {
		out = append(out, c)
		return nil
	}); err != nil {
		t.Fatalf("Each: %v", err)
	}
	return out
}

func testSubmitThenFetch(t *testing.T, s casework.Store) {
	ctx := context.Background()
	in := Intake("key-a", 1)
	before := time.Now()
	c, created, err := Create(ctx, s, in)
	if err != nil || !created {
		t.Fatalf("Create: created %v, err %v", created, err)
	}
	after := time.Now()

	if len(c.ID) < 16 {
		t.Errorf("ID %q is too short to be unguessable", c.ID)
	}
	if ref, ok := casework.ParseReference(c.Reference); !ok || ref != c.Reference {
		t.Errorf("Reference %q is not 8 digits with a non-zero first digit", c.Reference)
	}
	want := casework.Case{
		ID: c.ID, Reference: c.Reference, CallerKey: in.CallerKey, Channel: in.Channel,
		Medium: in.Medium, Language: in.Language, Category: in.Category, Region: in.Region,
		Cercle: in.Cercle, Assistance: in.Assistance, Detail: in.Detail, CallerCategory: in.Category,
		Status: casework.StatusNew, CreatedAt: c.CreatedAt,
	}
	if d := SameCase(c, want); d != "" {
		t.Errorf("Submit: %s", d)
	}
	if c.CreatedAt.Before(before.Add(-time.Second)) || c.CreatedAt.After(after.Add(time.Second)) {
		t.Errorf("CreatedAt %v not around now", c.CreatedAt)
	}
	if c.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt location %v, want UTC", c.CreatedAt.Location())
	}

	got, err := s.ByID(ctx, c.ID)
	if err != nil {
		t.Fatalf("ByID: %v", err)
	}
	if d := SameCase(got, c); d != "" {
		t.Errorf("ByID: %s", d)
	}
	for _, ref := range []string{c.Reference, casework.FormatReference(c.Reference)} {
		got, err = s.ByReference(ctx, ref)
		if err != nil {
			t.Fatalf("ByReference(%q): %v", ref, err)
		}
		if d := SameCase(got, c); d != "" {
			t.Errorf("ByReference(%q): %s", ref, d)
		}
	}
	list, err := s.ByCallerKey(ctx, in.CallerKey)
	if err != nil {
		t.Fatalf("ByCallerKey: %v", err)
	}
	if len(list) != 1 {
		t.Fatalf("ByCallerKey: %d cases, want 1", len(list))
	}
	if d := SameCase(list[0], c); d != "" {
		t.Errorf("ByCallerKey: %s", d)
	}
}

func testDefaults(t *testing.T, s casework.Store) {
	in := Intake("key-a", 1)
	in.Region, in.Cercle, in.Detail = "", "", ""
	c := submit(t, s, in)
	if c.Region != casework.Unknown || c.Cercle != casework.Unknown {
		t.Errorf("Region, Cercle = %q, %q; want %q", c.Region, c.Cercle, casework.Unknown)
	}
	got, err := s.ByID(context.Background(), c.ID)
	if err != nil {
		t.Fatalf("ByID: %v", err)
	}
	if d := SameCase(got, c); d != "" {
		t.Errorf("ByID: %s", d)
	}
}

func testIdempotent(t *testing.T, s casework.Store) {
	in := Intake("key-a", 1)
	first := submit(t, s, in)

	again := in
	again.Detail = "a retried callback must not change the case"
	again.Category = "other"
	second, created, err := Create(context.Background(), s, again)
	if err != nil || created {
		t.Fatalf("resubmission: created %v, err %v; want the first case back", created, err)
	}
	if d := SameCase(second, first); d != "" {
		t.Errorf("resubmission: %s", d)
	}
	if ev, err := s.Audit(context.Background(), first.ID); err != nil || len(ev) != 1 {
		t.Errorf("Audit after resubmission: %d events, err %v; want the 1 from the first Create", len(ev), err)
	}
	if n := len(all(t, s)); n != 1 {
		t.Errorf("Each: %d cases, want 1", n)
	}
	list, err := s.ByCallerKey(context.Background(), in.CallerKey)
	if err != nil || len(list) != 1 {
		t.Errorf("ByCallerKey: %d cases, err %v; want 1", len(list), err)
	}

	// Another key is another case.
	third := submit(t, s, Intake("key-a", 2))
	if third.ID == first.ID || third.Reference == first.Reference {
		t.Errorf("new idempotency key reused case %s", first.ID)
	}
}

// An intake may carry the reference a gateway already showed the caller:
// the case gets exactly that reference, a repeat is still idempotent, and a
// reference held by another case is refused without writing anything.
func testGivenReference(t *testing.T, s casework.Store) {
	ctx := context.Background()
	in := Intake("key-a", 1)
	in.Reference = "12345678"
	c := submit(t, s, in)
	if c.Reference != in.Reference {
		t.Fatalf("Reference = %q, want the given %q", c.Reference, in.Reference)
	}
	if got, err := s.ByReference(ctx, "1234 5678"); err != nil || got.ID != c.ID {
		t.Errorf("ByReference(given) = %+v, %v; want case %s", got, err, c.ID)
	}
	if again := submit(t, s, in); again.ID != c.ID {
		t.Errorf("repeat with the same key made case %s, want %s", again.ID, c.ID)
	}

	other := Intake("key-b", 2)
	other.Reference = in.Reference
	if _, _, err := Create(ctx, s, other); !errors.Is(err, casework.ErrReferenceTaken) {
		t.Errorf("Create with a taken reference: err = %v, want ErrReferenceTaken", err)
	}
	if n := len(all(t, s)); n != 1 {
		t.Errorf("Each: %d cases, want 1 (refused intakes write nothing)", n)
	}
	// The refused idempotency key was not reserved: it may still make a case.
	other.Reference = ""
	if c2 := submit(t, s, other); c2.ID == c.ID || c2.Reference == c.Reference {
		t.Errorf("fresh submit reused case %s", c.ID)
	}
}

func testIdempotentConcurrent(t *testing.T, s casework.Store) {
	const n = 20
	in := Intake("key-a", 1)
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, _, err := Create(context.Background(), s, in)
			ids[i], errs[i] = c.ID, err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Submit %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("Submit %d: ID %s, want %s", i, ids[i], ids[0])
		}
	}
	if got := len(all(t, s)); got != 1 {
		t.Errorf("Each: %d cases, want 1", got)
	}
}

func testConcurrentSubmits(t *testing.T, s casework.Store) {
	const n = 200
	cases := make([]casework.Case, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cases[i], _, errs[i] = Create(context.Background(), s, Intake(fmt.Sprintf("key-%d", i%7), i))
		})
	}
	wg.Wait()

	refs := make(map[string]bool, n)
	ids := make(map[string]bool, n)
	for i, c := range cases {
		if errs[i] != nil {
			t.Fatalf("Submit %d: %v", i, errs[i])
		}
		if refs[c.Reference] {
			t.Errorf("reference %s issued twice", c.Reference)
		}
		if ids[c.ID] {
			t.Errorf("ID %s issued twice", c.ID)
		}
		refs[c.Reference], ids[c.ID] = true, true
	}

	seen := make(map[string]bool, n)
	for _, c := range all(t, s) {
		if !ids[c.ID] {
			t.Errorf("Each returned unknown case %s", c.ID)
		}
		seen[c.ID] = true
	}
	if len(seen) != n {
		t.Errorf("Each: %d distinct cases, want %d", len(seen), n)
	}

	total := 0
	for k := range 7 {
		list, err := s.ByCallerKey(context.Background(), fmt.Sprintf("key-%d", k))
		if err != nil {
			t.Fatalf("ByCallerKey: %v", err)
		}
		total += len(list)
	}
	if total != n {
		t.Errorf("ByCallerKey over all keys: %d cases, want %d", total, n)
	}
}

func testNotFound(t *testing.T, s casework.Store) {
	ctx := context.Background()
	c := submit(t, s, Intake("key-a", 1))
	other := "12345678"
	if other == c.Reference {
		other = "87654321"
	}
	for _, ref := range []string{other, "", "abc", "0123 4567"} {
		if _, err := s.ByReference(ctx, ref); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("ByReference(%q): err = %v, want ErrNotFound", ref, err)
		}
	}
	if _, err := s.ByID(ctx, casework.NewID()); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("ByID(unknown): err = %v, want ErrNotFound", err)
	}
	if _, err := s.ByID(ctx, ""); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("ByID(\"\"): err = %v, want ErrNotFound", err)
	}
	list, err := s.ByCallerKey(ctx, "nobody")
	if err != nil || len(list) != 0 {
		t.Errorf("ByCallerKey(unknown) = %d cases, %v; want 0, nil", len(list), err)
	}
	// A caller key that is a prefix of another must not match it.
	list, err = s.ByCallerKey(ctx, "key-")
	if err != nil || len(list) != 0 {
		t.Errorf("ByCallerKey(prefix) = %d cases, %v; want 0, nil", len(list), err)
	}
}

func testByCallerKeyOldestFirst(t *testing.T, s casework.Store) {
	var want []string
	for i := range 5 {
		want = append(want, submit(t, s, Intake("key-a", i)).ID)
		submit(t, s, Intake("key-b", 100+i))
	}
	list, err := s.ByCallerKey(context.Background(), "key-a")
	if err != nil {
		t.Fatalf("ByCallerKey: %v", err)
	}
	if len(list) != len(want) {
		t.Fatalf("ByCallerKey: %d cases, want %d", len(list), len(want))
	}
	for i, c := range list {
		if c.ID != want[i] {
			t.Errorf("ByCallerKey[%d] = %s, want %s", i, c.ID, want[i])
		}
		if c.CallerKey != "key-a" {
			t.Errorf("ByCallerKey[%d] caller key %q", i, c.CallerKey)
		}
	}
}

func testEachOrderAndStop(t *testing.T, s casework.Store) {
	var want []string
	for i := range 10 {
		want = append(want, submit(t, s, Intake("key-a", i)).ID)
	}
	got := all(t, s)
	if len(got) != len(want) {
		t.Fatalf("Each: %d cases, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i] {
			t.Errorf("Each[%d] = %s, want %s (creation order)", i, got[i].ID, want[i])
		}
	}

	stop := errors.New("stop")
	calls := 0
	err := s.Each(context.Background(), func(casework.Case) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("Each with stopping fn: err %v after %d calls; want stop after 3", err, calls)
	}

	// fn may use the store, including writing to it; Each visits the cases
	// that existed when it was called.
	visited := 0
	err = s.Each(context.Background(), func(c casework.Case) error {
		visited++
		if _, err := s.ByID(context.Background(), c.ID); err != nil {
			return err
		}
		_, _, err := Create(context.Background(), s, Intake("key-c", 1000+visited))
		return err
	})
	if err != nil {
		t.Errorf("Each with a fn that uses the store: %v", err)
	}
	if visited != len(want) {
		t.Errorf("Each with a fn that submits: visited %d cases, want the %d that existed", visited, len(want))
	}
	if n := len(all(t, s)); n != 2*len(want) {
		t.Errorf("Each after submitting from fn: %d cases, want %d", n, 2*len(want))
	}
}

func testCanceledContext(t *testing.T, s casework.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Create(ctx, s, Intake("key-a", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with canceled context: err = %v, want context.Canceled", err)
	}
	if n := len(all(t, s)); n != 0 {
		t.Errorf("Each: %d cases after canceled submit, want 0", n)
	}
}

func testCheckAndClose(t *testing.T, s casework.Store) {
	ctx := context.Background()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check on open store: %v", err)
	}
	c := submit(t, s, Intake("key-a", 1))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Check(ctx); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("Check after Close: err = %v, want ErrClosed", err)
	}
	if _, _, err := Create(ctx, s, Intake("key-a", 2)); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("Create after Close: err = %v, want ErrClosed", err)
	}
	if _, err := s.Update(ctx, c.ID, func(*casework.Case) ([]casework.Event, error) { return nil, nil }); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("Update after Close: err = %v, want ErrClosed", err)
	}
	if _, err := s.ByID(ctx, c.ID); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("ByID after Close: err = %v, want ErrClosed", err)
	}
}

// testIsolation: what a caller holds is a copy; changing it, or changing
// the case inside a failed Update, never changes the stored case.
func testIsolation(t *testing.T, s casework.Store) {
	ctx := context.Background()
	c := submit(t, s, Intake("key-a", 1))
	c, err := s.Update(ctx, c.ID, func(c *casework.Case) ([]casework.Event, error) {
		c.Response = map[string]string{"fr": "oui"}
		c.Programmes = []string{"p1"}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Response["fr"] = "changed"
	c.Programmes[0] = "changed"
	back, err := s.ByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.Response["fr"] != "oui" || back.Programmes[0] != "p1" {
		t.Errorf("stored case shares memory with a returned one: %+v", back)
	}
}
