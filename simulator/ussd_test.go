package simulator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/numerovert/hotline/simulator"
)

const phone = "+22376000001"

// fakeAT is a tiny Africa's Talking USSD application: a two-level menu that
// ends after two answers. It records every request it receives.
type fakeAT struct {
	mu       sync.Mutex
	requests []request
	// reply, if set, overrides the menu for every request.
	reply func(w http.ResponseWriter)
}

type request struct {
	method, contentType string
	form                url.Values
	rawBody             string
}

func (f *fakeAT) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	body := string(raw)
	form, err := url.ParseQuery(body)
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, request{r.Method, r.Header.Get("Content-Type"), form, body})
	f.mu.Unlock()

	if f.reply != nil {
		f.reply(w)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	switch text := form.Get("text"); {
	case text == "":
		fmt.Fprint(w, "CON Numero Vert\n1. Plainte\n2. Suivi")
	case text == "1":
		fmt.Fprint(w, "CON Region?\n1. Kayes\n3. Sikasso")
	case strings.Count(text, "*") == 1:
		fmt.Fprint(w, "END Merci. Reference 1234 5678")
	default:
		fmt.Fprint(w, "END Choix invalide")
	}
}

func (f *fakeAT) texts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		out = append(out, r.form.Get("text"))
	}
	return out
}

func (f *fakeAT) last() request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

func newFake(t *testing.T) (*fakeAT, simulator.USSD) {
	t.Helper()
	f := &fakeAT{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, simulator.USSD{URL: srv.URL + "/c/demo-at/ussd", Phone: phone, Client: srv.Client()}
}

func TestSessionID(t *testing.T) {
	_, u := newFake(t)
	a, b := u.NewSession().ID(), u.NewSession().ID()
	if !regexp.MustCompile(`^ATUid_[0-9a-f]{32}$`).MatchString(a) {
		t.Errorf("session ID %q not shaped like ATUid_ + 32 hex", a)
	}
	if a == b {
		t.Errorf("two sessions share ID %q", a)
	}
}

func TestSendFormFields(t *testing.T) {
	f, u := newFake(t)
	s := u.NewSession()
	if _, err := s.Send(context.Background(), ""); err != nil {
		t.Fatalf("dial: %v", err)
	}
	r := f.last()
	if r.method != http.MethodPost {
		t.Errorf("method %s, want POST", r.method)
	}
	if r.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", r.contentType)
	}
	want := url.Values{
		"sessionId":   {s.ID()},
		"phoneNumber": {phone},
		"networkCode": {"99999"},
		"serviceCode": {"*384*1234#"},
		"text":        {""},
	}
	if fmt.Sprint(r.form) != fmt.Sprint(want) {
		t.Errorf("form = %v, want %v", r.form, want)
	}
	// As on the wire from AT: "*" and "#" and "+" percent-encoded.
	for _, enc := range []string{"serviceCode=%2A384%2A1234%23", "phoneNumber=%2B22376000001"} {
		if !strings.Contains(r.rawBody, enc) {
			t.Errorf("body %q lacks %q", r.rawBody, enc)
		}
	}

	u.ServiceCode, u.NetworkCode = "*384*99#", "61002"
	if _, err := u.NewSession().Send(context.Background(), ""); err != nil {
		t.Fatalf("dial: %v", err)
	}
	if r := f.last(); r.form.Get("serviceCode") != "*384*99#" || r.form.Get("networkCode") != "61002" {
		t.Errorf("overrides not sent: %v", r.form)
	}
}

func TestCumulativeText(t *testing.T) {
	f, u := newFake(t)
	f.reply = func(w http.ResponseWriter) { fmt.Fprint(w, "CON ?") }
	s := u.NewSession()
	ctx := context.Background()
	for _, in := range []string{"", "1", "3", "", "12"} {
		if _, err := s.Send(ctx, in); err != nil {
			t.Fatalf("Send(%q): %v", in, err)
		}
	}
	want := []string{"", "1", "1*3", "1*3*", "1*3**12"}
	if got := f.texts(); !slices.Equal(got, want) {
		t.Errorf("texts = %q, want %q", got, want)
	}
	if s.Text() != "1*3**12" {
		t.Errorf("Text() = %q", s.Text())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.requests {
		if r.form.Get("sessionId") != s.ID() {
			t.Errorf("sessionId changed within a session: %q", r.form.Get("sessionId"))
		}
	}
}

func TestFirstSendMustDial(t *testing.T) {
	f, u := newFake(t)
	if _, err := u.NewSession().Send(context.Background(), "1"); err == nil {
		t.Error("first Send with input succeeded, want an error")
	}
	if len(f.texts()) != 0 {
		t.Error("a request was sent")
	}
}

func TestResendIdentical(t *testing.T) {
	f, u := newFake(t)
	s := u.NewSession()
	ctx := context.Background()
	if _, err := s.Resend(ctx); err == nil {
		t.Error("Resend before any Send succeeded, want an error")
	}
	for _, in := range []string{"", "1", "3"} {
		if _, err := s.Send(ctx, in); err != nil {
			t.Fatalf("Send(%q): %v", in, err)
		}
	}
	orig := f.last()
	sc, err := s.Resend(ctx)
	if err != nil {
		t.Fatalf("Resend after END: %v", err)
	}
	if !sc.End || sc.Text != "Merci. Reference 1234 5678" {
		t.Errorf("Resend screen = %+v", sc)
	}
	again := f.last()
	if again.rawBody != orig.rawBody || again.contentType != orig.contentType {
		t.Errorf("Resend body %q, want %q", again.rawBody, orig.rawBody)
	}
	if _, err := s.Send(ctx, "1"); !errors.Is(err, simulator.ErrSessionEnded) {
		t.Errorf("Send after END: err = %v, want ErrSessionEnded", err)
	}
}

func TestPlayStopsAtEnd(t *testing.T) {
	f, u := newFake(t)
	var seen []simulator.Screen
	screens, err := u.Play(context.Background(), []string{"1", "3", "9", "9"}, func(s simulator.Screen) {
		seen = append(seen, s)
	})
	if err != nil {
		t.Fatalf("Play: %v", err)
	}
	want := []simulator.Screen{
		{Text: "Numero Vert\n1. Plainte\n2. Suivi", Status: 200},
		{Text: "Region?\n1. Kayes\n3. Sikasso", Status: 200},
		{Text: "Merci. Reference 1234 5678", End: true, Status: 200},
	}
	if !slices.Equal(screens, want) {
		t.Errorf("screens = %+v, want %+v", screens, want)
	}
	if !slices.Equal(seen, want) {
		t.Errorf("onScreen saw %+v, want %+v", seen, want)
	}
	if got := f.texts(); !slices.Equal(got, []string{"", "1", "1*3"}) {
		t.Errorf("texts = %q: inputs after END were sent", got)
	}
}

func TestBadReplies(t *testing.T) {
	tests := []struct {
		name   string
		reply  func(w http.ResponseWriter)
		status int
		says   string
	}{
		{"no prefix", func(w http.ResponseWriter) { fmt.Fprint(w, "Bienvenue") }, 200, `start with "CON " or "END "`},
		{"leading space", func(w http.ResponseWriter) { fmt.Fprint(w, " CON Menu") }, 200, `start with "CON " or "END "`},
		{"empty", func(w http.ResponseWriter) {}, 200, `start with "CON " or "END "`},
		{"lower case", func(w http.ResponseWriter) { fmt.Fprint(w, "con Menu") }, 200, `start with "CON " or "END "`},
		{"server error", func(w http.ResponseWriter) { http.Error(w, "CON boom", 500) }, 500, "HTTP 500"},
		{"forbidden echoing the number", func(w http.ResponseWriter) {
			http.Error(w, "unknown caller "+phone+" / 22376000001", http.StatusForbidden)
		}, 403, "HTTP 403"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, u := newFake(t)
			f.reply = tc.reply
			screens, err := u.Play(context.Background(), []string{"1"}, nil)
			if err == nil {
				t.Fatalf("Play succeeded with screens %+v, want an error", screens)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(tc.status)) {
				t.Errorf("error %q lacks status %d", err, tc.status)
			}
			if testing.Verbose() {
				t.Log(err)
			}
			if strings.Contains(err.Error(), "76000001") {
				t.Errorf("error %q includes the phone number", err)
			}
			sc, _ := u.NewSession().Send(context.Background(), "")
			if sc.Status != tc.status {
				t.Errorf("Screen.Status = %d, want %d", sc.Status, tc.status)
			}
		})
	}
}

func TestTransportErrorHasNoPhone(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens any more
	u := simulator.USSD{URL: srv.URL, Phone: phone}
	_, err := u.NewSession().Send(context.Background(), "")
	if err == nil {
		t.Fatal("Send to a closed server succeeded")
	}
	if strings.Contains(err.Error(), "76000001") {
		t.Errorf("error %q includes the phone number", err)
	}
}

func TestInteractive(t *testing.T) {
	f, u := newFake(t)
	var out strings.Builder
	err := simulator.Interactive(context.Background(), u, strings.NewReader("1\r\n 3 \nignored\n"), &out)
	if err != nil {
		t.Fatalf("Interactive: %v", err)
	}
	want := "Numero Vert\n1. Plainte\n2. Suivi\n> " +
		"Region?\n1. Kayes\n3. Sikasso\n> " +
		"Merci. Reference 1234 5678\n[session ended]\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if got := f.texts(); !slices.Equal(got, []string{"", "1", "1*3"}) {
		t.Errorf("texts = %q", got)
	}
}

func TestInteractiveEOF(t *testing.T) {
	f, u := newFake(t)
	var out strings.Builder
	if err := simulator.Interactive(context.Background(), u, strings.NewReader("1"), &out); err != nil {
		t.Fatalf("Interactive: %v", err)
	}
	if got := f.texts(); !slices.Equal(got, []string{"", "1"}) {
		t.Errorf("texts = %q", got)
	}
	if !strings.HasSuffix(out.String(), "Sikasso\n> \n") {
		t.Errorf("output %q does not end at the prompt after EOF", out.String())
	}
}

func TestHangup(t *testing.T) {
	var got url.Values
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got, path = r.PostForm, r.URL.Path
		if r.URL.Path == "/ussd/events" {
			io.WriteString(w, "OK")
			return
		}
		io.WriteString(w, "CON Menu\n1 Un")
	}))
	defer srv.Close()
	s := simulator.USSD{URL: srv.URL + "/ussd", Phone: "+22376000001"}.NewSession()
	for _, in := range []string{"", "1"} {
		if _, err := s.Send(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	code, err := s.Hangup(context.Background(), simulator.StatusIncomplete)
	if err != nil || code != http.StatusOK {
		t.Fatalf("Hangup = %d, %v", code, err)
	}
	if path != "/ussd/events" || got.Get("sessionId") != s.ID() || got.Get("status") != "Incomplete" ||
		got.Get("input") != "1" || got.Get("phoneNumber") != "+22376000001" || got.Get("hopsCount") != "2" {
		t.Errorf("notification %s %v", path, got)
	}
	if !s.Ended() {
		t.Errorf("session not ended after Hangup")
	}
	if _, err := s.Send(context.Background(), "2"); !errors.Is(err, simulator.ErrSessionEnded) {
		t.Errorf("Send after Hangup = %v", err)
	}
}
