package gateway_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/simulator"
)

// A sensitive call-back through Africa's Talking, whose Dial plays nothing
// to the dialled party: the caller is called first and asked whether it is
// safe to talk (GetDigits); anything but 1 ends politely and the officer's
// phone never rings; 1 dials the officer from the hotline's number; an
// officer who does not answer leaves the caller a polite goodbye and uses
// none of their attempts.
func TestCallBackSensitiveATAsksCallerFirst(t *testing.T) {
	store := memstore.New()
	svc := caseworktest.Service(t, store, nil)
	srv, sealer, fake := callBackRig(t, svc)
	fake.SetVoiceURL(simulator.ProviderAT, cbPublic+"/c/demo-at/voice")
	ctx := context.Background()
	const caller, phone = "+22376000076", "+22376000077"
	id := casework.NewID()
	r, err := svc.Submit(ctx, casework.Intake{IdempotencyKey: "cb/at-sea", CallerKey: "k1:y", Channel: "demo-at", Medium: "voice",
		Language: "fr", Category: "sea", Region: "ML05", Cercle: "ML0501", Assistance: "food", ID: id, CallBack: sealer.SealCaller(id, caller)})
	if err != nil {
		t.Fatal(err)
	}
	officer, _ := sealer.SealOfficer("fatou", phone)
	who := casework.Actor{ID: "fatou", Team: r.Case.Team}
	for i, far := range []struct {
		number, behaviour, digits, dialled, outcome string
	}{
		{caller, simulator.FarAnswer, "9", "", "declined"},
		{phone, simulator.FarNoAnswer, "", phone, "no-answer"},
		{caller, simulator.FarNoAnswer, "", "", ""},
		{caller, simulator.FarAnswer, "1", phone, "completed"},
	} {
		fake.SetFarEnd(caller, simulator.FarAnswer, "1")
		fake.SetFarEnd(phone, simulator.FarAnswer, "")
		fake.SetFarEnd(far.number, far.behaviour, far.digits)
		tk, err := svc.RequestCallBack(ctx, who, r.Case.ID)
		if err != nil || !tk.AskSafe {
			t.Fatalf("call %d: %+v %v", i+1, tk, err)
		}
		if err := srv.CallBack(ctx, tk, officer); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		calls := fake.Calls()
		c := calls[len(calls)-1]
		if c.Provider != simulator.ProviderAT || c.To != caller || c.From != "+22376000800" || c.Dialled != far.dialled || c.Outcome != far.outcome {
			t.Errorf("call %d: %+v; want the caller first, from the hotline's number, then %q (%s)", i+1, c, far.dialled, far.outcome)
		}
		if far.dialled != "" && c.DialCallerID != "+22376000800" {
			t.Errorf("call %d: the officer was shown %q", i+1, c.DialCallerID)
		}
		heard := strings.Join(c.Heard, " ")
		if far.behaviour == simulator.FarAnswer || far.number == phone {
			if !(strings.Contains(heard, "sans danger") || strings.Contains(heard, "callback.safe")) {
				t.Errorf("call %d: the caller heard %q; want the safety question first", i+1, heard)
			}
		}
		if far.outcome == "declined" || far.outcome == "no-answer" {
			if !(strings.Contains(heard, "rappellerons") || strings.Contains(heard, "callback.later")) {
				t.Errorf("call %d: heard %q; want a polite goodbye", i+1, heard)
			}
		}
	}
	got := auditedOutcomes(ctx, store, r.Case.ID, 4)
	want := []string{"attempt 1: caller not safe", "attempt 2: officer missed", "attempt 2: caller no answer", "attempt 3: connected, 42 s"}
	if !slices.Equal(got, want) {
		t.Errorf("outcomes audited %q\nwant %q", got, want)
	}
}
