package casework_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
)

// sealedFixture stands for what the gateway seals; casework cannot open it
// and must only carry it.
const sealedFixture = "k1:c2VhbGVkLWJ5LXRoZS1nYXRld2F5"

func callBackIntake(f *fixture, category, region, cercle string) casework.Intake {
	in := f.intake("k1:caller", category, region, cercle, "food")
	in.ID, in.CallBack = casework.NewID(), sealedFixture
	return in
}

func TestCallBackRequestsAttemptsAndDeletion(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.open(t))
			ctx := context.Background()
			r := f.submit(t, callBackIntake(f, "exclusion", "ML05", "ML0501"))
			if r.Case.CallBack != sealedFixture || !r.Case.CallBackUntil.Equal(f.clock.Now().Add(casework.CallBackKeep)) {
				t.Fatalf("case keeps %q until %v", r.Case.CallBack, r.Case.CallBackUntil)
			}
			officer := casework.Actor{ID: "awa", Team: r.Case.Team}
			v, err := f.svc.View(ctx, officer, r.Case.ID)
			if err != nil || !v.HasCallBack || v.CallBack != "" {
				t.Fatalf("view: has=%v sealed=%q err=%v; want a flag, never the sealed number", v.HasCallBack, v.CallBack, err)
			}
			if _, err := f.svc.RequestCallBack(ctx, casework.Actor{ID: "bob", Team: "meal-north"}, r.Case.ID); !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("another team's officer: %v", err)
			}
			// Three calls the caller does not answer; an officer who did
			// not answer uses none of the caller's.
			for i := 1; i <= 3; i++ {
				tk, err := f.svc.RequestCallBack(ctx, officer, r.Case.ID)
				if err != nil {
					t.Fatalf("attempt %d: %v", i, err)
				}
				if tk.Sealed != sealedFixture || tk.Attempt != i || tk.MaxAttempts != 3 || tk.AskSafe || tk.Channel != "demo-at" {
					t.Fatalf("ticket %+v", tk)
				}
				if i == 2 {
					if err := f.svc.CallBackOutcome(ctx, r.Case.ID, tk.Attempt, casework.CallBackOfficerMissed, 0); err != nil {
						t.Fatal(err)
					}
					if tk, err = f.svc.RequestCallBack(ctx, officer, r.Case.ID); err != nil || tk.Attempt != 2 {
						t.Fatalf("after the officer missed: %+v %v", tk, err)
					}
				}
				if err := f.svc.CallBackOutcome(ctx, r.Case.ID, tk.Attempt, casework.CallBackCallerMissed, 0); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := f.svc.RequestCallBack(ctx, officer, r.Case.ID); !errors.Is(err, casework.ErrCallBackExhausted) {
				t.Errorf("fourth unanswered attempt: %v", err)
			}
			if err := f.svc.CallBackOutcome(ctx, r.Case.ID, 1, "whatever", 0); err == nil {
				t.Error("unknown outcome accepted")
			}
			ev, _ := f.store.Audit(ctx, r.Case.ID)
			var details []string
			for _, e := range ev {
				if strings.HasPrefix(e.Action, "callback_") {
					details = append(details, e.Action+" "+e.Detail)
				}
			}
			want := "callback_outcome attempt 3: caller no answer"
			if !slices.Contains(details, want) || !slices.Contains(details, "callback_requested attempt 3 of 3") {
				t.Errorf("audit %q lacks %q", details, want)
			}

			// Closing deletes the sealed number.
			closeCase(t, f.svc, officer, r.Case.ID)
			c, _ := f.store.ByID(ctx, r.Case.ID)
			if c.CallBack != "" || !slices.Contains(actions(t, f.store, c.ID), casework.ActionCallBackDeleted) {
				t.Errorf("closed case still holds %q", c.CallBack)
			}
		})
	}
}

func TestCallBackExpiresAfterThirtyDays(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	r := f.submit(t, callBackIntake(f, "exclusion", "ML05", "ML0501"))
	f.clock.Advance(casework.CallBackKeep - time.Minute)
	if n, _ := f.svc.ExpireCallBacks(ctx); n != 0 {
		t.Fatalf("expired %d early", n)
	}
	f.clock.Advance(time.Minute)
	if n, err := f.svc.ExpireCallBacks(ctx); n != 1 || err != nil {
		t.Fatalf("expired %d, %v", n, err)
	}
	c, _ := f.store.ByID(ctx, r.Case.ID)
	if c.CallBack != "" {
		t.Error("sealed number kept past 30 days")
	}
	if _, err := f.svc.RequestCallBack(ctx, casework.Actor{ID: "awa", Team: c.Team}, c.ID); !errors.Is(err, casework.ErrNoCallBack) {
		t.Errorf("call-back after expiry: %v", err)
	}
}

func TestCallBackSensitiveHoursAndIntake(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	// SEA goes to the PSEA focal points: they may call, asking first
	// whether it is safe to talk.
	sea := f.submit(t, callBackIntake(f, "sea", "ML05", "ML0501"))
	tk, err := f.svc.RequestCallBack(ctx, casework.Actor{ID: "fatou", Team: sea.Case.Team}, sea.Case.ID)
	if err != nil || !tk.AskSafe {
		t.Fatalf("PSEA call-back: %+v %v", tk, err)
	}
	// Fraud is sensitive but a MEAL team's: they may call, asking first.
	fraud := f.submit(t, callBackIntake(f, "fraud", "ML07", "ML0701"))
	if tk, err := f.svc.RequestCallBack(ctx, casework.Actor{ID: "awa", Team: fraud.Case.Team}, fraud.Case.ID); err != nil || !tk.AskSafe {
		t.Fatalf("fraud call-back: %+v %v", tk, err)
	}
	// Outside the configured hours nobody is called.
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Channels {
		if cb := cfg.Channels[i].Voice; cb != nil && cb.CallBack != nil {
			cb.CallBack.Hours = "10-18" // the fixture's clock is at 09:00 UTC
		}
	}
	f.svc.SetConfig(cfg)
	if _, err := f.svc.RequestCallBack(ctx, casework.Actor{ID: "fatou", Team: sea.Case.Team}, sea.Case.ID); !errors.Is(err, casework.ErrCallBackUnavailable) {
		t.Errorf("at 09:00 with hours 10-18: %v", err)
	}
	// A sealed number must come bound to its case's ID.
	in := f.intake("k1:caller", "exclusion", "ML05", "ML0501", "food")
	in.CallBack = sealedFixture
	if _, err := f.svc.Submit(ctx, in); !errors.Is(err, casework.ErrInvalidIntake) {
		t.Errorf("call-back without the case ID: %v", err)
	}
}

// closeCase takes a case through assign, start, resolve and close by officer.
func closeCase(t *testing.T, svc *casework.Service, officer casework.Actor, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.Assign(ctx, officer, id, officer.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Start(ctx, officer, id); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Resolve(ctx, officer, id, map[string]string{"fr": "Réglé."}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Close(ctx, officer, id); err != nil {
		t.Fatal(err)
	}
}
