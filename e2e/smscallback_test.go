package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/simulator"
)

// An SMS complaint's reply ends with the call-back question (issue #16,
// "at the end of a complaint on every channel"); the caller agrees by
// answering RAPPEL. Default no: a caller who does not answer is not
// called. The officer's Call back then rings the officer and bridges to
// the caller as for USSD and voice; no number appears in a page, log,
// data file or export.
func TestMaskedCallBackBySMS(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	api := httptest.NewServer(fake)
	defer api.Close()
	srv := startServer(t, "", "", callBackDemo(t, api.URL)...)
	fake.SetVoiceURL(simulator.ProviderAT, srv.url("/c/demo-at/voice"))
	const caller, silent, officerPhone = "+22376000071", "+22376000072", "+22376000073"
	ctx := context.Background()

	replyTo := func(phone string, n int) string {
		t.Helper()
		var got []string
		eventually(t, "reply to "+phone, func() bool {
			got = nil
			for _, d := range fake.Delivered() {
				if d.To == phone {
					got = append(got, d.Body)
				}
			}
			return len(got) >= n
		})
		return got[n-1]
	}
	send := func(phone, text string) {
		t.Helper()
		s := simulator.SMS{Provider: simulator.ProviderAT, URL: srv.url("/c/demo-at/sms"), Phone: phone}
		if _, r, err := s.Send(ctx, text); err != nil || r.Status != http.StatusOK {
			t.Fatalf("send %q: %v %v", text, r, err)
		}
	}

	send(silent, "Le chef a gardé notre riz à Ténenkou")
	send(caller, "Je n'ai pas reçu ma ration à Ténenkou")
	ack := replyTo(caller, 1)
	if !strings.Contains(ack, "Référence") || !strings.Contains(ack, "rappeler") || !strings.Contains(ack, "RAPPEL") {
		t.Fatalf("the reply does not ask about a call-back: %q", ack)
	}
	replyTo(silent, 1)
	send(caller, "rappel")
	if agreed := replyTo(caller, 2); !strings.Contains(agreed, "pourra vous rappeler") {
		t.Fatalf("the keyword's answer: %q", agreed)
	}

	hotline(t, "a long passphrase for awa\n", "users", "add", "--data", srv.DataDir, "--name", "awa", "--role", "officer", "--team", "meal-national")
	hotline(t, officerPhone+"\n", "users", "phone", "--data", srv.DataDir, "--name", "awa")
	web := signIn(t, srv.base, "awa", "a long passphrase for awa")
	var withCallBack []string
	for _, m := range caseLink.FindAllStringSubmatch(web.do(http.MethodGet, "/meal/queue", nil), -1) {
		if page := web.do(http.MethodGet, "/meal/cases/"+m[1], nil); strings.Contains(page, `id="callback"`) {
			withCallBack = append(withCallBack, m[1])
		}
	}
	if len(withCallBack) != 1 {
		t.Fatalf("%d cases offer a call-back, want 1 (the caller who answered RAPPEL; silence is no)", len(withCallBack))
	}
	id := withCallBack[0]
	if page := web.do(http.MethodPost, "/meal/cases/"+id+"/callback", url.Values{}); !strings.Contains(page, "Appel en cours") {
		t.Fatalf("call-back not placed:\n%s", page)
	}
	calls := fake.Calls()
	if len(calls) != 1 || calls[0].To != officerPhone || calls[0].Dialled != caller || calls[0].DialCallerID != "+22376000800" || calls[0].Outcome != "completed" {
		t.Fatalf("calls %+v; want the officer first, then the SMS caller, from the hotline's number", calls)
	}
	var audit string
	for range 50 {
		if audit = web.do(http.MethodGet, "/meal/cases/"+id, nil); strings.Contains(audit, "connected, 42 s") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(audit, "attempt 1: connected, 42 s") {
		t.Errorf("audit lacks the connected attempt")
	}
	web.do(http.MethodGet, "/meal/export/aggregate.csv", nil)
	srv.stop(t)
	exported := hotline(t, "", "cases", "list", "--data", srv.DataDir)
	numbers := []string{"22376000071", "76000071", "22376000072", "76000072", "22376000073", "76000073"}
	if found := containsAny([]byte(srv.logs.String()+strings.Join(web.pages, "\n")+exported), numbers...); len(found) > 0 {
		t.Errorf("logs, pages or export hold %v", found)
	}
	for path, b := range filesUnder(t, srv.DataDir) {
		if found := containsAny(b, numbers...); len(found) > 0 {
			t.Errorf("%s holds %v", filepath.Base(path), found)
		}
	}
}
