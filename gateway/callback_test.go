package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/twilio"
	"github.com/numerovert/hotline/simulator"
)

const cbToken = "demo-twilio-auth-token-NOT-A-SECRET"

// cbPublic is the rig's public URL: a real listener, since the fake
// provider calls the gateway back over HTTP.
var cbPublic string

// callBackRig is a gateway with a Twilio voice channel that places calls
// through the simulator's fake Calls API, and an AT one.
func callBackRig(t *testing.T, outcomes ...gateway.CallBackRecorder) (*gateway.Server, *gateway.CallBackSealer, *simulator.FakeProvider) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cbPublic = "http://" + ln.Addr().String()
	fake := &simulator.FakeProvider{TwilioToken: cbToken}
	api := httptest.NewServer(fake)
	t.Cleanup(api.Close)
	sealer, err := gateway.NewCallBackSealer(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	chans := map[string]gateway.VoiceChannel{
		"demo-twilio": {
			Adapter: twilio.Voice{AccountSID: "ACdemo0000000000000000000000000000", AuthToken: cbToken, PublicURL: cbPublic}, PublicURL: cbPublic,
			Caller:   twilio.Caller{BaseURL: api.URL, AccountSID: "ACdemo0000000000000000000000000000", AuthToken: cbToken},
			CallBack: &config.CallBack{From: "+22376000801"}, Screens: true,
		},
		"demo-at": {
			Adapter:  africastalking.Voice{},
			Caller:   africastalking.Caller{BaseURL: api.URL, Username: "sandbox", APIKey: "k"},
			CallBack: &config.CallBack{From: "+22376000800"},
		},
	}
	srv, _, _ := newVoiceServerWith(t, chans, func(o *gateway.Options) {
		o.CallBack = gateway.CallBackOptions{Sealer: sealer}
		if len(outcomes) > 0 {
			o.CallBack.Outcomes = outcomes[0]
		}
	})
	go func() { _ = srv.App().Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() { _ = srv.App().Shutdown() })
	return srv, sealer, fake
}

func postSigned(t *testing.T, srv *gateway.Server, path string, form url.Values, signature string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, cbPublic+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", signature)
	resp, err := srv.App().Test(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The numbers are sealed for one case or one account only; a call-back is
// refused without the officer's phone, on a channel that places no calls,
// and through a provider that cannot ask "safe to talk?" for a sensitive
// case; the provider's requests about a call are checked like any
// webhook (forged: 403; unknown call: 404) and change nothing.
func TestCallBackRefusals(t *testing.T) {
	srv, sealer, fake := callBackRig(t)
	ctx := context.Background()
	caseA, caseB := casework.NewID(), casework.NewID()
	sealedA := sealer.SealCaller(caseA, "+22376000071")
	officer, ok := sealer.SealOfficer("awa", "+22376000072")
	if !ok {
		t.Fatal("officer phone refused")
	}
	if _, ok := sealer.SealOfficer("awa", "not a number"); ok {
		t.Error("a non-number was sealed as a phone")
	}
	ticket := casework.CallBackTicket{CaseID: caseA, Channel: "demo-twilio", Language: "fr", Sealed: sealedA, Officer: "awa", Attempt: 1, MaxAttempts: 3}

	moved := ticket
	moved.CaseID = caseB // a sealed number copied onto another case
	if err := srv.CallBack(ctx, moved, officer); err == nil {
		t.Error("a caller number sealed for another case was opened")
	}
	other := ticket
	other.Officer = "bob" // another officer's sealed phone
	if err := srv.CallBack(ctx, other, officer); !errors.Is(err, gateway.ErrNoOfficerPhone) {
		t.Errorf("another account's phone: %v", err)
	}
	if err := srv.CallBack(ctx, ticket, ""); !errors.Is(err, gateway.ErrNoOfficerPhone) {
		t.Errorf("no phone: %v", err)
	}
	noCalls := ticket
	noCalls.Channel = "demo-kannel"
	if err := srv.CallBack(ctx, noCalls, officer); !errors.Is(err, gateway.ErrNoCaller) {
		t.Errorf("channel without calls: %v", err)
	}
	if n := len(fake.Calls()); n != 0 {
		t.Fatalf("%d calls placed by refused call-backs", n)
	}

	form := url.Values{"CallSid": {"CAx"}, "From": {"+22376000801"}, "To": {"+22376000072"}, "CallStatus": {"in-progress"}}
	path := "/c/demo-twilio/callback/00000000000000000000000000000000/officer"
	if code, _ := postSigned(t, srv, path, form, "forged"); code != http.StatusForbidden {
		t.Errorf("forged signature: %d", code)
	}
	if code, _ := postSigned(t, srv, path, form, simulator.TwilioSignature(cbToken, cbPublic+path, form)); code != http.StatusNotFound {
		t.Errorf("unknown call-back: %d", code)
	}

	// A real attempt: the fake answers both legs; the bridge presents the
	// hotline's number and the caller hears who calls before connecting.
	if err := srv.CallBack(ctx, ticket, officer); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if len(calls) != 1 || calls[0].To != "+22376000072" || calls[0].Dialled != "+22376000071" || calls[0].DialCallerID != "+22376000801" || calls[0].Outcome != "completed" {
		t.Fatalf("calls = %+v", calls)
	}
	if heard := strings.Join(calls[0].Heard, " "); !strings.Contains(heard, "ne voit pas votre numéro") || strings.Contains(heard, "sans danger") {
		t.Errorf("an ordinary case's caller heard %q; want the introduction without the safety question", heard)
	}
}

// The far ends the fake provider plays end up in the case's audit: an
// officer who does not answer (the caller's attempts untouched), a busy
// caller, a caller who does not answer, and a call that connects, with
// its duration.
func TestCallBackOutcomesAudited(t *testing.T) {
	store := memstore.New()
	svc := caseworktest.Service(t, store, nil)
	srv, sealer, fake := callBackRig(t, svc)
	ctx := context.Background()
	const caller, phone = "+22376000074", "+22376000075"
	id := casework.NewID()
	r, err := svc.Submit(ctx, casework.Intake{IdempotencyKey: "cb/outcomes", CallerKey: "k1:x", Channel: "demo-twilio", Medium: "voice",
		Language: "fr", Category: "exclusion", Region: "ML05", Cercle: "ML0501", Assistance: "food", ID: id, CallBack: sealer.SealCaller(id, caller)})
	if err != nil {
		t.Fatal(err)
	}
	officer, _ := sealer.SealOfficer("awa", phone)
	who := casework.Actor{ID: "awa", Team: r.Case.Team}
	for _, far := range []struct{ number, behaviour string }{
		{phone, simulator.FarNoAnswer}, {caller, simulator.FarBusy}, {caller, simulator.FarNoAnswer}, {caller, simulator.FarAnswer},
	} {
		fake.SetFarEnd(phone, simulator.FarAnswer, "")
		fake.SetFarEnd(far.number, far.behaviour, "")
		tk, err := svc.RequestCallBack(ctx, who, r.Case.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.CallBack(ctx, tk, officer); err != nil {
			t.Fatal(err)
		}
		fake.Calls() // played out
		fake.SetFarEnd(caller, simulator.FarAnswer, "")
	}
	got := auditedOutcomes(ctx, store, r.Case.ID, 4)
	want := []string{"attempt 1: officer missed", "attempt 1: caller busy", "attempt 2: caller no answer", "attempt 3: connected, 42 s"}
	if !slices.Equal(got, want) {
		t.Errorf("outcomes audited %q\nwant %q", got, want)
	}
}

// auditedOutcomes waits (about a second at most) for want call-back
// outcomes in the case's audit trail and returns their details in order.
func auditedOutcomes(ctx context.Context, store casework.Store, caseID string, want int) []string {
	var got []string
	for range 50 {
		ev, _ := store.Audit(ctx, caseID)
		got = got[:0]
		for _, e := range ev {
			if e.Action == casework.ActionCallBackOutcome {
				got = append(got, e.Detail)
			}
		}
		if len(got) == want {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return got
}
