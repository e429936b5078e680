package twilio_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/gateway/twilio"
	"github.com/numerovert/hotline/internal/fixture"
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
	tests := []struct {
		name      string
		status    int
		reply     string
		wantSID   string
		wantCode  string
		permanent bool
	}{
		{"created", 201, `{"sid":"SMabc","status":"queued","to":"+22376000001"}`, "SMabc", "", false},
		{"invalid number", 400, `{"code":21211,"message":"The 'To' number +22376000001 is not a valid phone number.","status":400}`, "", "http 400 code 21211", true},
		{"rate limited", 429, `{"code":20429,"message":"Too Many Requests","status":429}`, "", "http 429 code 20429", false},
		{"server error", 500, `oops`, "", "http 500", false},
		{"no sid", 201, `{}`, "", "reply without sid", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var form url.Values
			var user, pass string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/2010-04-01/Accounts/ACdemo/Messages.json" {
					t.Errorf("path %s", r.URL.Path)
				}
				user, pass, _ = r.BasicAuth()
				b, _ := io.ReadAll(r.Body)
				form, _ = url.ParseQuery(string(b))
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.reply)
			}))
			defer srv.Close()
			s := twilio.Sender{BaseURL: srv.URL, AccountSID: "ACdemo", AuthToken: "tok", StatusCallback: "https://hotline.example.org/c/demo-twilio/sms/status"}
			sid, err := s.Send(context.Background(), turn.Outbound{ID: "ob1", To: "+22376000001", From: "+22376000900", Body: "Réf 1234 5678"})
			if user != "ACdemo" || pass != "tok" || form.Get("To") != "+22376000001" || form.Get("From") != "+22376000900" ||
				form.Get("Body") != "Réf 1234 5678" || form.Get("StatusCallback") == "" {
				t.Errorf("request: user %q form %v", user, form)
			}
			if sid != tt.wantSID {
				t.Errorf("sid = %q, want %q", sid, tt.wantSID)
			}
			if tt.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *turn.SendError
			if !errors.As(err, &se) || se.Code != tt.wantCode || se.Permanent != tt.permanent {
				t.Fatalf("err = %#v, want %q permanent %v", err, tt.wantCode, tt.permanent)
			}
			if strings.Contains(err.Error(), "76000") {
				t.Errorf("error quotes the number: %v", err)
			}
		})
	}
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
