package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/simulator"
)

// callBackDemo is demoAt with the call APIs and SMS sends pointed at fake
// (instead of the README's 127.0.0.1:8090).
func callBackDemo(t *testing.T, fake string) []string {
	t.Helper()
	flags := demoAt(t)
	path := flags[len(flags)-1]
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(b, []byte("http://127.0.0.1:8090"), []byte(fake)), 0o600); err != nil {
		t.Fatal(err)
	}
	return flags
}

// staff is a signed-in browser of the MEAL web view: cookies and the
// page's CSRF token, no script.
type staff struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
	pages  []string // every page body read, for the privacy check
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (s *staff) do(method, path string, form url.Values) string {
	s.t.Helper()
	if form == nil {
		return s.send(method, path, nil, "")
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", s.csrf)
	}
	return s.send(method, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// send makes one request as this staff member, keeps the page's CSRF token
// and the page (for the privacy check), and fails the test unless it is 200.
func (s *staff) send(method, path string, body io.Reader, contentType string) string {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("%s %s: %d\n%s", method, path, resp.StatusCode, b)
	}
	s.pages = append(s.pages, string(b))
	return string(b)
}

func signIn(t *testing.T, base, name, password string) *staff {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &staff{t: t, base: base, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	s.do(http.MethodGet, "/meal/login", nil)
	if page := s.do(http.MethodPost, "/meal/login", url.Values{"name": {name}, "password": {password}}); strings.Contains(page, `name="password"`) {
		t.Fatalf("sign-in failed:\n%s", page)
	}
	return s
}

func hotline(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hotline %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var caseLink = regexp.MustCompile(`href="/meal/cases/([0-9a-f]{32})"`)

// A caller asks to be called back beside the detail screen (no extra key:
// ten presses as in the README tour); the officer clicks "Call back"; the
// fake Africa's Talking is asked to call the officer's own phone, then the
// hotline bridges to the caller, presenting the hotline's number to both.
// The attempt, its outcome and its duration are audited; neither number
// appears in any page, log, data file, audit entry or export.
func TestMaskedCallBack(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	api := httptest.NewServer(fake)
	defer api.Close()
	srv := startServer(t, "", "", callBackDemo(t, api.URL)...)
	fake.SetVoiceURL(simulator.ProviderAT, srv.url("/c/demo-at/voice"))
	const caller, officerPhone = "+22376000061", "+22376000062"
	ctx := context.Background()

	// French, complaint, left out, Mopti, Ténenkou, its commune, food,
	// no detail but call me back (2), no contact, send.
	u := simulator.USSD{URL: srv.url("/c/demo-at/ussd"), Phone: caller}
	screens, err := u.Play(ctx, []string{"2", "1", "1", "5", "7", "1", "2", "2", "1", "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if last := screens[len(screens)-1]; !last.End || !strings.Contains(last.Text, "Référence") {
		t.Fatalf("no reference after ten keys: %q", last.Text)
	}

	hotline(t, "a long passphrase for awa\n", "users", "add", "--data", srv.DataDir, "--name", "awa", "--role", "officer", "--team", "meal-mopti")
	if out := hotline(t, officerPhone+"\n", "users", "phone", "--data", srv.DataDir, "--name", "awa"); strings.Contains(out, "76000062") {
		t.Fatalf("users phone printed the number: %s", out)
	}
	web := signIn(t, srv.base, "awa", "a long passphrase for awa")
	m := caseLink.FindStringSubmatch(web.do(http.MethodGet, "/meal/queue", nil))
	if m == nil {
		t.Fatal("no case in the queue")
	}
	id := m[1]
	page := web.do(http.MethodGet, "/meal/cases/"+id, nil)
	if !strings.Contains(page, `id="callback"`) {
		t.Fatalf("no Call back button on the case page")
	}
	page = web.do(http.MethodPost, "/meal/cases/"+id+"/callback", url.Values{})
	if !strings.Contains(page, "Appel en cours") {
		t.Fatalf("call-back not placed:\n%s", page)
	}

	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls placed, want 1: %+v", len(calls), calls)
	}
	c := calls[0]
	if c.Provider != simulator.ProviderAT || c.To != officerPhone || c.From != "+22376000800" {
		t.Errorf("first leg %s → %s from %s; want the officer's phone, from the hotline's number", c.Provider, c.To, c.From)
	}
	if c.Dialled != caller || c.DialCallerID != "+22376000800" || c.Outcome != "completed" {
		t.Errorf("bridge to %q presenting %q: %s; want the caller, presenting the hotline's number", c.Dialled, c.DialCallerID, c.Outcome)
	}
	var audit string
	for range 50 { // the final notification is audited as it arrives
		if audit = web.do(http.MethodGet, "/meal/cases/"+id, nil); strings.Contains(audit, "connected, 42 s") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{"rappel demandé", "attempt 1 of 3", "issue du rappel", "attempt 1: connected, 42 s", "rappel accepté"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %q", want)
		}
	}
	web.do(http.MethodGet, "/meal/dashboard", nil)
	web.do(http.MethodGet, "/meal/export/aggregate.csv", nil)
	srv.stop(t)
	exported := hotline(t, "", "cases", "list", "--data", srv.DataDir)

	numbers := []string{"22376000061", "76000061", "22376000062", "76000062"}
	if found := containsAny([]byte(srv.logs.String()), numbers...); len(found) > 0 {
		t.Errorf("logs hold %v:\n%s", found, srv.logs)
	}
	if found := containsAny([]byte(strings.Join(web.pages, "\n")+exported), numbers...); len(found) > 0 {
		t.Errorf("pages or export hold %v", found)
	}
	for path, b := range filesUnder(t, srv.DataDir) {
		if found := containsAny(b, numbers...); len(found) > 0 {
			t.Errorf("%s holds %v", filepath.Base(path), found)
		}
	}
	for path, b := range filesUnder(t, srv.KeysDir) {
		if found := containsAny(b, numbers...); len(found) > 0 {
			t.Errorf("%s holds %v", filepath.Base(path), found)
		}
	}
}

// A sexual abuse report by phone through Twilio, with a call-back asked
// for after the voice message: only a PSEA focal point may call, and the
// caller first hears who calls and "is it safe to talk now? press 1" (the
// Dial's <Number url>, before they are connected). Anything else ends the
// call politely and is audited as not safe; 1 connects them.
func TestMaskedCallBackSensitiveTwilio(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	api := httptest.NewServer(fake)
	defer api.Close()
	const caller, officerPhone = "+22376000063", "+22376000064"
	v := &simulator.Voice{Provider: simulator.ProviderTwilio, Phone: caller, AuthToken: demoTwilioToken}
	stop, err := v.ServeRecording()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	srv := startServer(t, "", "", callBackDemo(t, api.URL)...)
	v.URL = voiceURL(srv, simulator.ProviderTwilio)
	// French, the menu, complaint, sexual abuse, Ténenkou, its first
	// commune, cash, a voice message, yes call me back, send.
	res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "1", "4", "3", "1", "1", "rec", "2", "1"}), nil)
	if err != nil || !res.Ended {
		t.Fatalf("call: %v\n%s", err, strings.Join(res.Heard, "\n"))
	}
	// Spoken by text-to-speech, or played from its recording where `make
	// prompts` made one (as CI does).
	if !heardSaid(strings.Join(res.Heard, "\n"), "rappeler", "callback.prompt") {
		t.Errorf("the call-back question was not asked:\n%s", strings.Join(res.Heard, "\n"))
	}
	hotline(t, "a long passphrase for fatou\n", "users", "add", "--data", srv.DataDir, "--name", "fatou", "--role", "psea", "--team", "psea-focal")
	hotline(t, officerPhone+"\n", "users", "phone", "--data", srv.DataDir, "--name", "fatou")
	web := signIn(t, srv.base, "fatou", "a long passphrase for fatou")
	m := caseLink.FindStringSubmatch(web.do(http.MethodGet, "/meal/queue", nil))
	if m == nil {
		t.Fatal("no case in the PSEA queue")
	}
	id := m[1]

	fake.SetFarEnd(caller, simulator.FarAnswer, "9") // not safe now
	web.do(http.MethodPost, "/meal/cases/"+id+"/callback", url.Values{})
	fake.Calls() // the first call played out
	fake.SetFarEnd(caller, simulator.FarAnswer, "1")
	web.do(http.MethodPost, "/meal/cases/"+id+"/callback", url.Values{})
	calls := fake.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2: %+v", len(calls), calls)
	}
	for i, want := range []string{"declined", "completed"} {
		c := calls[i]
		if c.Provider != simulator.ProviderTwilio || c.To != officerPhone || c.From != "+22376000801" || c.Dialled != caller || c.DialCallerID != "+22376000801" || c.Outcome != want {
			t.Errorf("call %d: %+v; want officer first, then the caller, from the hotline's number, %s", i+1, c, want)
		}
		heard := strings.Join(c.Heard, " ")
		if !heardSaid(heard, "ne voit pas votre numéro", "callback.intro") || !heardSaid(heard, "sans danger", "callback.safe") {
			t.Errorf("call %d: the caller heard %q; want who calls and the safety question", i+1, heard)
		}
	}
	var audit string
	for range 50 {
		if audit = web.do(http.MethodGet, "/meal/cases/"+id, nil); strings.Contains(audit, "attempt 2: connected") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{"attempt 1: caller not safe", "attempt 2: connected, 42 s"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %q", want)
		}
	}
	srv.stop(t)
	numbers := []string{"22376000063", "76000063", "22376000064", "76000064"}
	if found := containsAny([]byte(srv.logs.String()+strings.Join(web.pages, "\n")), numbers...); len(found) > 0 {
		t.Errorf("logs or pages hold %v", found)
	}
	for path, b := range filesUnder(t, srv.DataDir) {
		if found := containsAny(b, numbers...); len(found) > 0 {
			t.Errorf("%s holds %v", filepath.Base(path), found)
		}
	}
}

// A caller without airtime gives a missed call to a channel configured
// callback_on_missed_call: the call is rejected before it is answered
// (Twilio <Reject>, no charge) and the hotline calls back at once with the
// normal voice menu, from its own number. The provider's retry of the same
// call queues nothing more, and a caller gets at most two call-backs a
// day. The number waits sealed in the outbox and is gone once answered.
func TestMissedCallCallBack(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	api := httptest.NewServer(fake)
	defer api.Close()
	flags := callBackDemo(t, api.URL)
	path := flags[len(flags)-1]
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "      callback:\n        from: \"+22376000801\"\n"
	if !bytes.Contains(b, []byte(anchor)) {
		t.Fatal("the demo config's Twilio call-back block changed")
	}
	b = bytes.Replace(b, []byte(anchor), []byte("      callback_on_missed_call: true\n"+anchor), 1)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "", flags...)
	const caller = "+22376000065"
	missed := func(sid string) string {
		t.Helper()
		target := srv.url("/c/demo-twilio/voice")
		form := url.Values{"CallSid": {sid}, "AccountSid": {"ACdemo0000000000000000000000000000"}, "From": {caller}, "To": {"+22376000801"},
			"CallStatus": {"ringing"}, "Direction": {"inbound"}}
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", simulator.TwilioSignature(demoTwilioToken, target, form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("missed call: %d %s", resp.StatusCode, body)
		}
		return string(body)
	}
	if reply := missed("CA00000000000000000000000000000001"); !strings.Contains(reply, "<Reject") || strings.Contains(reply, "<Gather") {
		t.Fatalf("a missed call is answered: %s", reply)
	}
	waitCalls := func(n int) []simulator.PlacedCall {
		t.Helper()
		for range 100 {
			if calls := fake.Calls(); len(calls) >= n {
				return calls
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("fewer than %d call-backs: %+v", n, fake.Calls())
		return nil
	}
	calls := waitCalls(1)
	if c := calls[0]; c.Provider != simulator.ProviderTwilio || c.To != caller || c.From != "+22376000801" {
		t.Errorf("call-back %+v; want the caller, from the hotline's number", c)
	}
	missed("CA00000000000000000000000000000001") // Twilio's retry of the same call
	missed("CA00000000000000000000000000000002")
	waitCalls(2)
	missed("CA00000000000000000000000000000003") // over the day's two
	time.Sleep(500 * time.Millisecond)
	if calls := fake.Calls(); len(calls) != 2 {
		t.Errorf("%d call-backs, want 2 (one per missed call, two a day)", len(calls))
	}
	srv.stop(t)
	out := hotline(t, "", "outbox", "list", "--data", srv.DataDir, "--keys", srv.KeysDir)
	if strings.Contains(out, "#call") {
		t.Errorf("answered call-backs still queued:\n%s", out)
	}
	numbers := []string{"22376000065", "76000065"}
	if found := containsAny([]byte(srv.logs.String()+out), numbers...); len(found) > 0 {
		t.Errorf("logs or outbox list hold %v", found)
	}
	for p, b := range filesUnder(t, srv.DataDir) {
		if found := containsAny(b, numbers...); len(found) > 0 {
			t.Errorf("%s holds %v", filepath.Base(p), found)
		}
	}
}

// heardSaid reports whether what a caller heard holds the words, or the
// recording of key (a prompt with a recording is played, not spoken).
func heardSaid(heard, words, key string) bool {
	return strings.Contains(heard, words) || strings.Contains(heard, "/"+key+".wav")
}
