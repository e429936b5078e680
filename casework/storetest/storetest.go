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
		{"ValidationWritesNothing", testValidationWritesNothing},
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
	if got != want {
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	return ""
}

func submit(t *testing.T, s casework.Store, in casework.Intake) casework.Case {
	t.Helper()
	c, err := s.Submit(context.Background(), in)
	if err != nil {
		t.Fatalf("Submit: %v", err)
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
	c := submit(t, s, in)
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
		Cercle: in.Cercle, Assistance: in.Assistance, Detail: in.Detail,
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
	second := submit(t, s, again)
	if d := SameCase(second, first); d != "" {
		t.Errorf("resubmission: %s", d)
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
	if _, err := s.Submit(ctx, other); !errors.Is(err, casework.ErrReferenceTaken) {
		t.Errorf("Submit with a taken reference: err = %v, want ErrReferenceTaken", err)
	}
	for _, bad := range []string{"01234567", "1234 5678", "1234567", "abcdefgh"} {
		other.Reference = bad
		if _, err := s.Submit(ctx, other); !errors.Is(err, casework.ErrInvalidIntake) {
			t.Errorf("Submit with reference %q: err = %v, want ErrInvalidIntake", bad, err)
		}
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
			c, err := s.Submit(context.Background(), in)
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
			cases[i], errs[i] = s.Submit(context.Background(), Intake(fmt.Sprintf("key-%d", i%7), i))
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

func testValidationWritesNothing(t *testing.T, s casework.Store) {
	valid := Intake("key-a", 1)
	tests := []struct {
		name   string
		mutate func(*casework.Intake)
	}{
		{"no idempotency key", func(in *casework.Intake) { in.IdempotencyKey = "" }},
		{"no caller key", func(in *casework.Intake) { in.CallerKey = "" }},
		{"blank caller key", func(in *casework.Intake) { in.CallerKey = "   " }},
		{"no channel", func(in *casework.Intake) { in.Channel = "" }},
		{"no medium", func(in *casework.Intake) { in.Medium = "" }},
		{"no language", func(in *casework.Intake) { in.Language = "" }},
		{"no category", func(in *casework.Intake) { in.Category = "" }},
		{"NUL in caller key", func(in *casework.Intake) { in.CallerKey = "a\x00b" }},
		{"invalid UTF-8", func(in *casework.Intake) { in.Detail = "\xff" }},
		{"detail too long", func(in *casework.Intake) { in.Detail = string(make([]byte, casework.MaxDetailBytes+1)) }},
	}
	for _, tc := range tests {
		in := valid
		tc.mutate(&in)
		_, err := s.Submit(context.Background(), in)
		if !errors.Is(err, casework.ErrInvalidIntake) {
			t.Errorf("%s: err = %v, want ErrInvalidIntake", tc.name, err)
		}
	}
	if n := len(all(t, s)); n != 0 {
		t.Errorf("Each after invalid submits: %d cases, want 0", n)
	}
	// The rejected idempotency keys must not have been reserved either.
	c := submit(t, s, valid)
	if c.Detail != valid.Detail {
		t.Errorf("valid submit after rejects: Detail %q, want %q", c.Detail, valid.Detail)
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
		_, err := s.Submit(context.Background(), Intake("key-c", 1000+visited))
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
	if _, err := s.Submit(ctx, Intake("key-a", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Submit with canceled context: err = %v, want context.Canceled", err)
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
	if _, err := s.Submit(ctx, Intake("key-a", 2)); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("Submit after Close: err = %v, want ErrClosed", err)
	}
	if _, err := s.ByID(ctx, c.ID); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("ByID after Close: err = %v, want ErrClosed", err)
	}
}
