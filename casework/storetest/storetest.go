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
	"strings"
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

func ev(c casework.Case, action string) casework.Event {
	return casework.Event{CaseID: c.ID, At: time.Now().UTC(), Actor: "officer-1", Action: action}
}

func actions(t *testing.T, s casework.Store, id string) []string {
	t.Helper()
	list, err := s.Audit(context.Background(), id)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	var out []string
	for _, e := range list {
		if e.CaseID != id {
			t.Errorf("Audit(%s) returned an event of case %s", id, e.CaseID)
		}
		out = append(out, e.Action)
	}
	return out
}

func testCreateRecordsEvents(t *testing.T, s casework.Store) {
	c := submit(t, s, Intake("key-a", 1))
	other := submit(t, s, Intake("key-a", 2))
	if got := actions(t, s, c.ID); !reflect.DeepEqual(got, []string{casework.ActionCreated}) {
		t.Errorf("Audit after Create = %v, want [created]", got)
	}
	if got := actions(t, s, other.ID); len(got) != 1 {
		t.Errorf("Audit of a second case = %v, want its own 1 event", got)
	}
	if got := actions(t, s, casework.NewID()); len(got) != 0 {
		t.Errorf("Audit of an unknown case = %v, want none", got)
	}
}

func testUpdate(t *testing.T, s casework.Store) {
	ctx := context.Background()
	c := submit(t, s, Intake("key-a", 1))
	got, err := s.Update(ctx, c.ID, func(c *casework.Case) ([]casework.Event, error) {
		c.Status = casework.StatusAssigned
		c.Officer = "officer-1"
		c.Response = map[string]string{"fr": "réponse"}
		c.Notes = append(c.Notes, casework.Note{At: time.Now().UTC(), Author: "officer-1", Text: "note"})
		return []casework.Event{ev(*c, casework.ActionAssigned), ev(*c, casework.ActionNoted)}, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got.Status != casework.StatusAssigned || got.Officer != "officer-1" || got.Reference != c.Reference {
		t.Errorf("Update returned %+v", got)
	}
	back, err := s.ByID(ctx, c.ID)
	if err != nil {
		t.Fatalf("ByID: %v", err)
	}
	if d := SameCase(back, got); d != "" {
		t.Errorf("ByID after Update: %s", d)
	}
	want := []string{casework.ActionCreated, casework.ActionAssigned, casework.ActionNoted}
	if a := actions(t, s, c.ID); !reflect.DeepEqual(a, want) {
		t.Errorf("Audit = %v, want %v", a, want)
	}
	if _, err := s.Update(ctx, casework.NewID(), func(*casework.Case) ([]casework.Event, error) { return nil, nil }); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("Update(unknown): err = %v, want ErrNotFound", err)
	}
}

func testUpdateErrorWritesNothing(t *testing.T, s casework.Store) {
	ctx := context.Background()
	c := submit(t, s, Intake("key-a", 1))
	boom := errors.New("boom")
	_, err := s.Update(ctx, c.ID, func(c *casework.Case) ([]casework.Event, error) {
		c.Status = casework.StatusClosed
		c.CallerKey = ""
		return []casework.Event{ev(*c, casework.ActionClosed)}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: err = %v, want fn's error wrapped", err)
	}
	back, err := s.ByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := SameCase(back, c); d != "" {
		t.Errorf("case changed by a failed Update: %s", d)
	}
	if a := actions(t, s, c.ID); len(a) != 1 {
		t.Errorf("Audit after a failed Update = %v, want only [created]", a)
	}
	if list, _ := s.ByCallerKey(ctx, "key-a"); len(list) != 1 {
		t.Errorf("caller index changed by a failed Update")
	}
}

func testUpdateConcurrent(t *testing.T, s casework.Store) {
	ctx := context.Background()
	c := submit(t, s, Intake("key-a", 1))
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := s.Update(ctx, c.ID, func(c *casework.Case) ([]casework.Event, error) {
				c.Notes = append(c.Notes, casework.Note{Author: fmt.Sprint(i)})
				return []casework.Event{ev(*c, casework.ActionNoted)}, nil
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		})
	}
	wg.Wait()
	back, err := s.ByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Notes) != n {
		t.Errorf("%d notes after %d concurrent Updates: updates were lost", len(back.Notes), n)
	}
	if a := actions(t, s, c.ID); len(a) != n+1 {
		t.Errorf("%d events, want %d", len(a), n+1)
	}
}

func testUpdateCallerKeyReindexes(t *testing.T, s casework.Store) {
	ctx := context.Background()
	first := submit(t, s, Intake("key-a", 1))
	second := submit(t, s, Intake("key-a", 2))
	if _, err := s.Update(ctx, first.ID, func(c *casework.Case) ([]casework.Event, error) {
		c.CallerKey = ""
		return nil, nil
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	list, err := s.ByCallerKey(ctx, "key-a")
	if err != nil || len(list) != 1 || list[0].ID != second.ID {
		t.Errorf("ByCallerKey after emptying one key: %d cases, err %v; want only the second", len(list), err)
	}
	if _, err := s.Update(ctx, second.ID, func(c *casework.Case) ([]casework.Event, error) {
		c.CallerKey = "key-b"
		return nil, nil
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if list, _ := s.ByCallerKey(ctx, "key-a"); len(list) != 0 {
		t.Errorf("ByCallerKey(old key): %d cases, want 0", len(list))
	}
	if list, _ := s.ByCallerKey(ctx, "key-b"); len(list) != 1 || list[0].ID != second.ID {
		t.Errorf("ByCallerKey(new key): %d cases, want the moved one", len(list))
	}
	if n := len(all(t, s)); n != 2 {
		t.Errorf("Each: %d cases, want 2", n)
	}
}

func testUpdateCannotChangeIdentity(t *testing.T, s casework.Store) {
	ctx := context.Background()
	c := submit(t, s, Intake("key-a", 1))
	for name, mutate := range map[string]func(*casework.Case){
		"id":        func(c *casework.Case) { c.ID = casework.NewID() },
		"reference": func(c *casework.Case) { c.Reference = "12345678" },
	} {
		if _, err := s.Update(ctx, c.ID, func(c *casework.Case) ([]casework.Event, error) { mutate(c); return nil, nil }); err == nil {
			t.Errorf("Update changing the %s succeeded", name)
		}
	}
	if _, err := s.ByReference(ctx, c.Reference); err != nil {
		t.Errorf("ByReference after refused Updates: %v", err)
	}
}

func testRecordAppends(t *testing.T, s casework.Store) {
	ctx := context.Background()
	a := submit(t, s, Intake("key-a", 1))
	b := submit(t, s, Intake("key-a", 2))
	if err := s.Record(ctx, ev(a, casework.ActionViewed), ev(b, casework.ActionViewed), ev(a, casework.ActionContactRead)); err != nil {
		t.Fatalf("Record: %v", err)
	}
	want := []string{casework.ActionCreated, casework.ActionViewed, casework.ActionContactRead}
	if got := actions(t, s, a.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("Audit(a) = %v, want %v", got, want)
	}
	if got := actions(t, s, b.ID); len(got) != 2 {
		t.Errorf("Audit(b) = %v, want created, viewed", got)
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

// RunPreferences runs the casework.Preferences contract against fresh
// stores made by open (each also closed by RunPreferences).
func RunPreferences(t *testing.T, open func(t *testing.T) PreferencesStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s PreferencesStore)
	}{
		{"LanguageRoundTrip", testLanguageRoundTrip},
		{"LanguageInvalid", testLanguageInvalid},
		{"LanguageConcurrent", testLanguageConcurrent},
		{"LanguageAfterClose", testLanguageAfterClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

// PreferencesStore is a store that keeps caller preferences and can be closed.
type PreferencesStore interface {
	casework.Preferences
	Close() error
}

func testLanguageRoundTrip(t *testing.T, s PreferencesStore) {
	ctx := context.Background()
	if lang, ok, err := s.Language(ctx, "k1:unknown"); err != nil || ok || lang != "" {
		t.Fatalf("Language(unknown) = %q, %v, %v; want \"\", false, nil", lang, ok, err)
	}
	steps := []struct{ key, lang string }{
		{"k1:aaaa", "bm"},
		{"k1:bbbb", "ff"},
		{"k1:aaaa", "fr"}, // a later choice replaces the earlier one
	}
	for _, st := range steps {
		if err := s.SetLanguage(ctx, st.key, st.lang); err != nil {
			t.Fatalf("SetLanguage(%s, %s): %v", st.key, st.lang, err)
		}
	}
	for key, want := range map[string]string{"k1:aaaa": "fr", "k1:bbbb": "ff"} {
		if lang, ok, err := s.Language(ctx, key); err != nil || !ok || lang != want {
			t.Errorf("Language(%s) = %q, %v, %v; want %q", key, lang, ok, err, want)
		}
	}
}

func testLanguageInvalid(t *testing.T, s PreferencesStore) {
	ctx := context.Background()
	tests := []struct{ name, key, lang string }{
		{"empty key", "", "bm"},
		{"empty language", "k1:cccc", ""},
		{"control character", "k1:cc\x00cc", "bm"},
		{"key too long", "k1:" + string(make([]byte, casework.MaxFieldBytes)), "bm"},
		{"not UTF-8", "k1:cccc", "b\xffm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SetLanguage(ctx, tt.key, tt.lang)
			if !errors.Is(err, casework.ErrInvalidPreference) {
				t.Fatalf("SetLanguage = %v; want ErrInvalidPreference", err)
			}
			if _, ok, _ := s.Language(ctx, tt.key); ok {
				t.Errorf("an invalid preference was stored")
			}
		})
	}
	if err := s.SetLanguage(ctx, "k1:secret-key", " "); err == nil || strings.Contains(err.Error(), "secret-key") {
		t.Errorf("error %v quotes the caller key", err)
	}
}

func testLanguageConcurrent(t *testing.T, s PreferencesStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if err := s.SetLanguage(ctx, fmt.Sprintf("k1:%04d", i), []string{"bm", "ff", "fr", "ses"}[i%4]); err != nil {
				t.Errorf("SetLanguage: %v", err)
			}
		})
	}
	wg.Wait()
	for i := range 16 {
		want := []string{"bm", "ff", "fr", "ses"}[i%4]
		if lang, ok, err := s.Language(ctx, fmt.Sprintf("k1:%04d", i)); err != nil || !ok || lang != want {
			t.Errorf("caller %d: %q, %v, %v; want %q", i, lang, ok, err, want)
		}
	}
}

func testLanguageAfterClose(t *testing.T, s PreferencesStore) {
	ctx := context.Background()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLanguage(ctx, "k1:dddd", "bm"); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("SetLanguage after Close = %v; want ErrClosed", err)
	}
	if _, _, err := s.Language(ctx, "k1:dddd"); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("Language after Close = %v; want ErrClosed", err)
	}
}
