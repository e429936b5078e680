package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/gateway/twilio"
	"github.com/numerovert/hotline/internal/fixture"
	"github.com/numerovert/hotline/internal/sendtest"
)

// The published test vector (protocols.md §4.4).
func TestSignatureTestVector(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	const want = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
	if got := twilio.Signature("12345", u, params); got != want {
		t.Fatalf("Signature = %q, want %q", got, want)
	}
	tests := []struct {
		name      string
		token, u  string
		params    url.Values
		signature string
		ok        bool
	}{
		{"valid", "12345", u, params, want, true},
		{"with default port", "12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", params, want, true},
		{"other token", "54321", u, params, want, false},
		{"query dropped", "12345", "https://mycompany.com/myapp.php", params, want, false},
		{"param changed", "12345", u, url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1235"}, "From": {"+12349013030"}, "To": {"+18005551212"}}, want, false},
		{"empty signature", "12345", u, params, "", false},
		{"empty token", "", u, params, want, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := twilio.Verify(tt.token, tt.u, tt.params, tt.signature)
			if (err == nil) != tt.ok {
				t.Fatalf("Verify = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, twilio.ErrBadSignature) {
				t.Errorf("err = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestSignatureRepeatedNames(t *testing.T) {
	a := twilio.Signature("t", "https://x.example/", url.Values{"M": {"b", "a", "a"}})
	b := twilio.Signature("t", "https://x.example/", url.Values{"M": {"a", "b"}})
	if a != b {
		t.Errorf("repeated values: %q != %q (distinct values are sorted)", a, b)
	}
}

const fixtureToken = "demo-twilio-auth-token-not-secret"

// Each testdata/DIR/NAME.http is a webhook as Twilio sends it, signed with
// fixtureToken for https://hotline.example.org; NAME.want is the parsed
// turn as JSON, "forbidden" (signature refused) or "error: <reason>".
func runFixtures[T comparable](t *testing.T, dir string, parse func(s twilio.SMS, ct string, body []byte) (T, error)) {
	s := twilio.SMS{AuthToken: fixtureToken, PublicURL: "https://hotline.example.org"}
	fixture.Check(t, filepath.Join("testdata", dir, "*.http"), func(c fixture.Callback) (T, error) {
		if err := s.Authenticate(c.URL, c.Header.Get, c.ContentType(), c.Body); err != nil {
			var zero T
			return zero, err
		}
		return parse(s, c.ContentType(), c.Body)
	}, map[string]error{"forbidden": twilio.ErrBadSignature})
}

func TestSMSFixtures(t *testing.T) {
	runFixtures(t, "sms", twilio.SMS.ParseSMS)
}

func TestStatusFixtures(t *testing.T) {
	runFixtures(t, "status", twilio.SMS.ParseReport)
}

// Behind a TLS-terminating proxy the request arrives as http on another
// host; PublicURL restores what Twilio signed. The Host header never
// decides: a request signed for the forger's own host is refused, and an
// adapter without a PublicURL accepts nothing.
func TestPublicURL(t *testing.T) {
	fx := fixture.Load(t, "testdata/sms/inbound-with-geo-fields.http")[0]
	local := "http://127.0.0.1:8080/c/demo-twilio/sms"
	if err := (twilio.SMS{AuthToken: fixtureToken}).Authenticate(fx.URL, fx.Header.Get, fx.ContentType(), fx.Body); err == nil {
		t.Fatal("without a PublicURL, accepted the URL the request names (its Host header)")
	}
	// Signed by someone holding the token for their own host, sent with
	// that Host header: the gateway must check against its public URL.
	form, _ := url.ParseQuery(string(fx.Body))
	forged := "https://evil.example/c/demo-twilio/sms"
	h := http.Header{twilio.SignatureHeader: {twilio.Signature(fixtureToken, forged, form)}}
	pub := twilio.SMS{AuthToken: fixtureToken, PublicURL: "https://hotline.example.org"}
	if err := pub.Authenticate(forged, h.Get, fx.ContentType(), fx.Body); err == nil {
		t.Fatal("accepted a signature over the request's Host instead of the public URL")
	}
	s := twilio.SMS{AuthToken: fixtureToken, PublicURL: "https://hotline.example.org/"}
	if err := s.Authenticate(local, fx.Header.Get, fx.ContentType(), fx.Body); err != nil {
		t.Fatalf("with PublicURL: %v", err)
	}
}

func TestReply(t *testing.T) {
	ct, body := twilio.Reply("")
	if !strings.HasPrefix(ct, "text/xml") || !strings.HasSuffix(string(body), "<Response/>") {
		t.Errorf("empty reply = %q %q", ct, body)
	}
	_, body = twilio.Reply("Réf <1234 5678> & merci")
	if !strings.HasSuffix(string(body), "<Response><Message>Réf &lt;1234 5678&gt; &amp; merci</Message></Response>") {
		t.Errorf("reply = %q", body)
	}
}

func TestSend(t *testing.T) {
	m := turn.Outbound{ID: "ob1", To: "+22376000001", From: "+22376000900", Body: "Réf 1234 5678"}
	newSender := func(base string, c *http.Client) provider.Sender {
		return twilio.Sender{BaseURL: base, AccountSID: "ACdemo", AuthToken: "tok", Client: c, StatusCallback: "https://hotline.example.org/c/demo-twilio/sms/status"}
	}
	sendtest.Run(t, m, []sendtest.Reply{
		{Name: "created", Status: 201, Body: `{"sid":"SMabc","status":"queued","to":"+22376000001"}`, WantID: "SMabc"},
		{Name: "invalid number", Status: 400, Body: `{"code":21211,"message":"The 'To' number +22376000001 is not a valid phone number.","status":400}`, WantCode: "http 400 code 21211", Permanent: true},
		{Name: "rate limited", Status: 429, Body: `{"code":20429,"message":"Too Many Requests","status":429}`, WantCode: "http 429 code 20429"},
		{Name: "server error", Status: 500, Body: `oops`, WantCode: "http 500"},
		{Name: "no sid", Status: 201, Body: `{}`, WantCode: "reply without sid"},
	}, func(base string) provider.Sender { return newSender(base, nil) }, func(t *testing.T, r *http.Request, form url.Values) {
		user, pass, _ := r.BasicAuth()
		if r.URL.Path != "/2010-04-01/Accounts/ACdemo/Messages.json" || user != "ACdemo" || pass != "tok" {
			t.Errorf("request %s as %q", r.URL.Path, user)
		}
		if form.Get("To") != m.To || form.Get("From") != m.From || form.Get("Body") != m.Body || form.Get("StatusCallback") == "" {
			t.Errorf("form %v", form)
		}
	})
	sendtest.Timeout(t, m, newSender)
}

func TestVoiceFixtures(t *testing.T) {
	v := twilio.Voice{AuthToken: fixtureToken, PublicURL: "https://hotline.example.org"}
	fixture.Check(t, "testdata/voice/*.http", func(c fixture.Callback) (turn.Call, error) {
		if err := v.Authenticate(c.URL, c.Header.Get, c.ContentType(), c.Body); err != nil {
			return turn.Call{}, err
		}
		return v.ParseCall(c.ContentType(), c.Body)
	}, map[string]error{"forbidden": twilio.ErrBadSignature})
}

func TestVoiceRender(t *testing.T) {
	_, body := twilio.Voice{}.Render(turn.VoiceReply{
		Audio:  []turn.Audio{{URL: "https://h.example/audio/fr/category.prompt.wav"}, {Text: "Mopti & <Gao>", Lang: "fr-FR"}},
		Gather: true, Timeout: 8, Action: "https://h.example/c/x/voice?s=2&t=1", Fallback: "https://h.example/c/x/voice?s=2&noinput=1",
	})
	want := `<Response><Gather numDigits="1" timeout="8" action="https://h.example/c/x/voice?s=2&amp;t=1" method="POST">` +
		`<Play>https://h.example/audio/fr/category.prompt.wav</Play><Say language="fr-FR">Mopti &amp; &lt;Gao&gt;</Say></Gather>` +
		`<Redirect method="POST">https://h.example/c/x/voice?s=2&amp;noinput=1</Redirect></Response>`
	if !strings.HasSuffix(string(body), want) {
		t.Errorf("TwiML =\n%s\nwant suffix\n%s", body, want)
	}
	_, body = twilio.Voice{}.Render(turn.VoiceReply{Record: true, MaxLength: 120, Timeout: 5, Action: "A", Fallback: "F"})
	if !strings.Contains(string(body), `<Record action="A" method="POST" maxLength="120" timeout="5" playBeep="true" finishOnKey="#"/><Redirect method="POST">F</Redirect>`) {
		t.Errorf("record TwiML = %s", body)
	}
	_, body = twilio.Voice{}.Render(turn.VoiceReply{Audio: []turn.Audio{{Text: "Au revoir"}}, Hangup: true, Fallback: "F"})
	if !strings.HasSuffix(string(body), `<Say language="fr-FR">Au revoir</Say><Hangup/></Response>`) {
		t.Errorf("hangup TwiML = %s", body)
	}
}

// DeleteRecording targets this account's recording by Twilio's REST path,
// whatever media extension the webhook's RecordingUrl had, and nothing else.
func TestDeleteRecordingRequest(t *testing.T) {
	const account = "AC0123456789abcdef0123456789abcdef"
	v := twilio.Voice{AccountSID: account, AuthToken: "tok"}
	base := "https://api.twilio.com/2010-04-01/Accounts/" + account + "/Recordings/RE0123456789abcdef0123456789abcdef"
	for raw, ok := range map[string]bool{
		base:            true,
		base + ".wav":   true,
		base + ".mp3":   true,
		base + ".json":  true,
		base + "?x=1":   false,
		base + ".txt":   false,
		base + "/extra": false,
		"https://api.twilio.com/2010-04-01/Accounts/AC99999999999999999999999999999999/Recordings/RE0123456789abcdef0123456789abcdef": false,
		"https://api.twilio.com/2010-04-01/Accounts/" + account + "/Calls/CA0123456789abcdef0123456789abcdef":                         false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		req, got := v.DeleteRecording(context.Background(), u)
		if got != ok {
			t.Errorf("DeleteRecording(%s) ok = %v, want %v", raw, got, ok)
			continue
		}
		if !ok {
			continue
		}
		user, pass, _ := req.BasicAuth()
		if req.Method != http.MethodDelete || req.URL.String() != base+".json" || user != account || pass != "tok" {
			t.Errorf("DeleteRecording(%s) = %s %s (%s:%s)", raw, req.Method, req.URL, user, pass)
		}
	}
}
