package casework_test

import (
	"context"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
)

// The SMS opt-in (AgreeCallBack): the caller's latest case of the window
// keeps the number sealed for its own ID, audited; a case outside the
// window, a closed case or a caller with no case keeps nothing; a second
// keyword changes nothing.
func TestAgreeCallBackBindsTheLatestOpenCase(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.open(t))
			ctx := context.Background()
			var boundTo []string
			seal := func(id string) string { boundTo = append(boundTo, id); return "k1:sealed-for-" + id }
			const window = 24 * time.Hour

			if _, agreed, err := f.svc.AgreeCallBack(ctx, "k1:nobody", window, seal); agreed || err != nil {
				t.Fatalf("a caller with no case: agreed=%v %v", agreed, err)
			}
			old := f.submit(t, f.intake("k1:sms", "exclusion", "ML05", "ML0501", "food"))
			f.clock.Advance(25 * time.Hour)
			if _, agreed, err := f.svc.AgreeCallBack(ctx, "k1:sms", window, seal); agreed || err != nil {
				t.Fatalf("a case older than the window: agreed=%v %v", agreed, err)
			}
			r := f.submit(t, f.intake("k1:sms", "exclusion", "ML05", "ML0501", "food"))
			c, agreed, err := f.svc.AgreeCallBack(ctx, "k1:sms", window, seal)
			if err != nil || !agreed || c.ID != r.Case.ID || c.CallBack != "k1:sealed-for-"+r.Case.ID {
				t.Fatalf("agreed=%v %v: case %s keeps %q", agreed, err, c.ID, c.CallBack)
			}
			if !c.CallBackUntil.Equal(f.clock.Now().Add(casework.CallBackKeep)) {
				t.Errorf("kept until %v", c.CallBackUntil)
			}
			if _, agreed, err := f.svc.AgreeCallBack(ctx, "k1:sms", window, seal); !agreed || err != nil || len(boundTo) != 1 {
				t.Errorf("a repeated keyword: agreed=%v %v, sealed %d times", agreed, err, len(boundTo))
			}
			if o, _ := f.store.ByID(ctx, old.Case.ID); o.CallBack != "" {
				t.Error("the older case got the number too")
			}
			if n := countActions(t, f, r.Case.ID, casework.ActionCallBackOffered); n != 1 {
				t.Errorf("%d callback_agreed events, want 1", n)
			}
			officer := casework.Actor{ID: "awa", Team: r.Case.Team}
			if tk, err := f.svc.RequestCallBack(ctx, officer, r.Case.ID); err != nil || tk.Sealed != c.CallBack {
				t.Errorf("call-back of the SMS case: %+v %v", tk, err)
			}
			// Closed: the number is deleted and a new keyword binds nothing.
			closeCase(t, f.svc, officer, r.Case.ID)
			if _, agreed, err := f.svc.AgreeCallBack(ctx, "k1:sms", window, seal); agreed || err != nil {
				t.Errorf("a closed case: agreed=%v %v", agreed, err)
			}
			if c, _ := f.store.ByID(ctx, r.Case.ID); c.CallBack != "" {
				t.Error("the closed case still holds the number")
			}
		})
	}
}

func countActions(t *testing.T, f *fixture, id, action string) int {
	t.Helper()
	ev, err := f.store.Audit(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ev {
		if e.Action == action {
			n++
		}
	}
	return n
}
