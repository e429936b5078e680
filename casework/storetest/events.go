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

// The events and updates part of the Store contract (Run lists them).

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
