package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/simulator"
)

// liveCall calls provider's voice URL as phone: French (2), the menu (2),
// then keys; it returns what the call did.
func liveCall(t *testing.T, srv *server, provider, phone, outcome string, keys ...string) simulator.CallResult {
	t.Helper()
	v := &simulator.Voice{Provider: provider, URL: voiceURL(srv, provider), Phone: phone, AuthToken: demoTwilioToken, DialOutcome: outcome}
	stop, err := v.ServeRecording()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, err := v.Call(context.Background(), simulator.ScriptedKeypad(append([]string{"2", "2"}, keys...)), nil)
	if err != nil && err != simulator.ErrHungUp {
		t.Fatalf("%s call: %v\n%s", provider, err, strings.Join(res.Heard, "\n"))
	}
	return res
}

// played reports whether the call played the French recording of key.
func played(res simulator.CallResult, key string) bool {
	for _, p := range res.Plays {
		if p == "fr/"+key {
			return true
		}
	}
	return false
}

var liveCaseLink = regexp.MustCompile(`href="/meal/cases/([0-9a-f]{32})"`)

// "Talk to a person": an officer with her own phone goes on duty in
// French from her profile; a French caller hears the option (4) and is
// bridged to her phone presenting the hotline's number (Africa's Talking
// Dial; Twilio <Dial callerId>), a case opening for her notes with the
// outcome audited; an officer who does not answer leaves the caller a
// voice message and the call-back question. Off duty, and out of office
// hours, the option is not offered and 4 repeats the menu. Neither the
// callers' numbers nor the officer's appear in any page, log, data file,
// audit entry or export.
func TestLiveOperator(t *testing.T) {
	srv := startServer(t, "", "", append(demoAt(t), "--locales", voiceLocales(t))...)
	const officerPhone = "+22376000082"
	callers := map[string]string{simulator.ProviderAT: "+22376000081", simulator.ProviderTwilio: "+22376000083"}
	hotline(t, "a long passphrase for awa\n", "users", "add", "--data", srv.DataDir, "--name", "awa", "--role", "officer", "--team", "meal-mopti")
	hotline(t, officerPhone+"\n", "users", "phone", "--data", srv.DataDir, "--name", "awa")
	web := signIn(t, srv.base, "awa", "a long passphrase for awa")

	if res := liveCall(t, srv, simulator.ProviderAT, callers[simulator.ProviderAT], "", "4", "-", "-"); played(res, "home.live") || len(res.Dials) > 0 {
		t.Fatalf("nobody on duty, yet talk to a person offered or dialled:\n%s", strings.Join(res.Heard, "\n"))
	}
	web.do(http.MethodGet, "/meal/profile", nil)
	if page := web.do(http.MethodPost, "/meal/roster/duty", url.Values{"on": {"1"}, "lang": {"fr"}, "back": {"profile"}}); !strings.Contains(page, "Permanence enregistrée") {
		t.Fatalf("awa not on duty:\n%s", page)
	}

	// Africa's Talking: the officer answers and they talk 42 s.
	res := liveCall(t, srv, simulator.ProviderAT, callers[simulator.ProviderAT], "completed", "4", "1")
	if !played(res, "home.live") || !played(res, "live.connecting") {
		t.Errorf("AT: option or the hidden-number promise not heard:\n%s", strings.Join(res.Heard, "\n"))
	}
	if len(res.Dials) != 1 || res.Dials[0].Number != officerPhone || res.Dials[0].CallerID != "+22376000800" {
		t.Fatalf("AT dialled %+v; want the officer's phone, presenting the hotline's number", res.Dials)
	}
	// Twilio: the officer does not answer; the caller leaves a voice
	// message and asks to be called back.
	res = liveCall(t, srv, simulator.ProviderTwilio, callers[simulator.ProviderTwilio], "no-answer", "4", "1", "rec", "2")
	if len(res.Dials) != 1 || res.Dials[0].Number != officerPhone || res.Dials[0].CallerID != "+22376000801" {
		t.Fatalf("Twilio dialled %+v; want the officer's phone with callerId the hotline's number", res.Dials)
	}
	if !played(res, "live.closed") || !played(res, "voice.record") || !played(res, "callback.prompt") || !played(res, "voice.reference") {
		t.Errorf("Twilio no-answer: no voice message offered:\n%s", strings.Join(res.Heard, "\n"))
	}

	// The officer's queue has both live cases; their audit tells the outcome.
	var audits []string
	for range 50 {
		audits = audits[:0]
		for _, m := range liveCaseLink.FindAllStringSubmatch(web.do(http.MethodGet, "/meal/queue", nil), -1) {
			audits = append(audits, web.do(http.MethodGet, "/meal/cases/"+m[1], nil))
		}
		if all := strings.Join(audits, ""); strings.Contains(all, "connected, 42 s") && strings.Contains(all, "officer missed") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	all := strings.Join(audits, "\n")
	for _, want := range []string{"appel en direct", "bridged to awa, in fr", "issue de l&#39;appel en direct", "connected, 42 s", "officer missed; the caller was offered a voice message"} {
		if !strings.Contains(all, want) {
			t.Errorf("live cases' audit lacks %q", want)
		}
	}

	// Off duty: not offered; 4 is a wrong key.
	web.do(http.MethodPost, "/meal/roster/duty", url.Values{"back": {"profile"}})
	if res := liveCall(t, srv, simulator.ProviderAT, callers[simulator.ProviderAT], "", "4", "-", "-"); played(res, "home.live") || len(res.Dials) > 0 {
		t.Errorf("off duty, yet offered or dialled")
	}
	web.do(http.MethodGet, "/meal/roster", nil)
	web.do(http.MethodGet, "/meal/dashboard", nil)
	web.do(http.MethodGet, "/meal/export/aggregate.csv", nil)
	srv.stop(t)

	list := cases(t, srv.DataDir)
	var live, messages int
	for _, c := range list {
		switch {
		case c.Officer == "awa" && c.Team == "meal-mopti" && c.Medium == "voice" && c.Category == gateway.CategoryUncoded:
			live++
		case c.Recording != "" && c.CallBack != "":
			messages++
		}
	}
	if live != 2 || messages != 1 {
		t.Errorf("%d live cases (want 2, assigned to awa) and %d voice messages with a call-back (want 1) in %d cases", live, messages, len(list))
	}
	exported := hotline(t, "", "cases", "list", "--data", srv.DataDir)
	numbers := []string{"22376000081", "76000081", "22376000082", "76000082", "22376000083", "76000083"}
	if found := containsAny([]byte(srv.logs.String()), numbers...); len(found) > 0 {
		t.Errorf("logs hold %v", found)
	}
	if found := containsAny([]byte(strings.Join(web.pages, "\n")+exported), numbers...); len(found) > 0 {
		t.Errorf("pages or export hold %v", found)
	}
	for path, b := range filesUnder(t, srv.DataDir) {
		if found := containsAny(b, numbers...); len(found) > 0 {
			t.Errorf("%s holds %v", filepath.Base(path), found)
		}
	}
}

// Out of office hours (here: the teams have none), an officer on duty
// takes no call: the option is not offered.
func TestLiveOperatorOutOfHours(t *testing.T) {
	flags := demoAt(t)
	path := flags[len(flags)-1]
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(b), "office_hours: {always: true}", "")), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "", append(flags, "--locales", voiceLocales(t))...)
	hotline(t, "a long passphrase for awa\n", "users", "add", "--data", srv.DataDir, "--name", "awa", "--role", "officer", "--team", "meal-mopti")
	hotline(t, "+22376000082\n", "users", "phone", "--data", srv.DataDir, "--name", "awa")
	web := signIn(t, srv.base, "awa", "a long passphrase for awa")
	web.do(http.MethodGet, "/meal/profile", nil)
	web.do(http.MethodPost, "/meal/roster/duty", url.Values{"on": {"1"}, "lang": {"fr"}, "back": {"profile"}})
	if page := web.do(http.MethodGet, "/meal/roster", nil); !strings.Contains(page, "pas d&#39;heures d&#39;ouverture") {
		t.Errorf("roster does not say the team takes no live call")
	}
	res := liveCall(t, srv, simulator.ProviderTwilio, "+22376000083", "", "4", "-", "-")
	if played(res, "home.live") || len(res.Dials) > 0 {
		t.Errorf("out of hours, yet offered or dialled:\n%s", strings.Join(res.Heard, "\n"))
	}
	if !played(res, "home.complaint") {
		t.Errorf("the menu was not heard:\n%s", strings.Join(res.Heard, "\n"))
	}
}
