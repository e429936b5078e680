package kannel_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/numerovert/hotline/gateway/kannel"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/internal/fixture"
	"github.com/numerovert/hotline/internal/sendtest"
)

func parseWith[T any](parse func(contentType string, body []byte) (T, error)) func(fixture.Callback) (T, error) {
	return func(c fixture.Callback) (T, error) { return parse(c.Input()) }
}

func TestParseSMSFixtures(t *testing.T) {
	fixture.Check(t, "testdata/sms/*.http", parseWith(kannel.SMS{}.ParseSMS), nil)
}

func TestParseReportFixtures(t *testing.T) {
	fixture.Check(t, "testdata/report/*.http", parseWith(kannel.SMS{}.ParseReport), nil)
}

// A POST body is not where Kannel puts the fields: refused, not misread.
func TestParseSMSRefusesABody(t *testing.T) {
	_, err := kannel.SMS{}.ParseSMS("text/plain", []byte("id=1&from=%2B22376000001"))
	if err == nil {
		t.Fatal("accepted a text/plain body")
	}
}

func TestSend(t *testing.T) {
	const reportURL = "http://10.0.0.5:8080/c/demo-kannel/sms/status"
	for _, tt := range []struct {
		name, body, coding string
	}{
		{"gsm-7 with accents", "Référence 1234 5678 : envoyez SUIVI", "0"},
		{"ucs-2 for Bambara letters", "I ka kuma sɛbɛnna. Nimɔrɔ 1234 5678", "2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := turn.Outbound{ID: "9f86d081884c7d659a2feaa0c55ad015", To: "+22376000001", From: "80001234", Body: tt.body}
			sendtest.Run(t, m, []sendtest.Reply{
				{Name: "accepted", Status: 202, Body: "0: Accepted for delivery", WantID: m.ID},
				{Name: "queued", Status: 202, Body: "3: Queued for later delivery", WantID: m.ID},
				{Name: "bad password", Status: 403, Body: "Authorization failed for sendsms", WantCode: "http 403"},
				{Name: "no smsc", Status: 503, Body: "Sending failed.", WantCode: "http 503"},
				{Name: "refused", Status: 400, Body: "Missing receiver number, rejected", WantCode: "http 400", Permanent: true},
				{Name: "not kannel", Status: 202, Body: "<html>captive portal</html>", WantCode: "unreadable reply"},
			}, func(base string) provider.Sender {
				return kannel.Sender{BaseURL: base + "/", Username: "hotline", Password: "demo-pw", SMSC: "smpp-orange", ReportURL: reportURL}
			}, func(t *testing.T, r *http.Request, _ url.Values) {
				body, _ := io.ReadAll(r.Body)
				if r.Method != http.MethodPost || r.URL.Path != "/cgi-bin/sendsms" || r.URL.RawQuery != "" {
					t.Errorf("request %s %s (the number and password must not be in the URL)", r.Method, r.URL)
				}
				if string(body) != m.Body || r.Header.Get("Content-Type") != "text/plain; charset=UTF-8" {
					t.Errorf("body %q as %q", body, r.Header.Get("Content-Type"))
				}
				want := map[string]string{
					"X-Kannel-Username": "hotline", "X-Kannel-Password": "demo-pw", "X-Kannel-To": m.To,
					"X-Kannel-From": m.From, "X-Kannel-SMSC": "smpp-orange", "X-Kannel-Coding": tt.coding,
					"X-Kannel-DLR-Mask": "31", "X-Kannel-DLR-Url": reportURL + "?id=" + m.ID + "&status=%d&reason=%A",
				}
				for h, v := range want {
					if got := r.Header.Get(h); got != v {
						t.Errorf("%s = %q, want %q", h, got, v)
					}
				}
			})
		})
	}
}

// An outbox id that is not plain hex is digested, so that nothing in it
// can be read by Kannel as one of its % escapes.
func TestSendReportIDNeedsNoEscaping(t *testing.T) {
	var got string
	sendtest.Run(t, turn.Outbound{ID: "answer:CASE-1/%d", To: "+22376000001", Body: "x"},
		[]sendtest.Reply{{Name: "accepted", Status: 202, Body: "0: Accepted for delivery", WantID: "82d488af2e0d84f33c790733ee215f37"}},
		func(base string) provider.Sender { return kannel.Sender{BaseURL: base, ReportURL: "http://h/s"} },
		func(t *testing.T, r *http.Request, _ url.Values) { got = r.Header.Get("X-Kannel-DLR-Url") })
	if id, _, _ := strings.Cut(strings.TrimPrefix(got, "http://h/s?id="), "&"); strings.ContainsAny(id, "%:/") || len(id) != 32 {
		t.Errorf("dlr-url id %q", id)
	}
}

func TestSendTimeout(t *testing.T) {
	sendtest.Timeout(t, turn.Outbound{ID: "x", To: "+22376000001", Body: "b"}, func(base string, c *http.Client) provider.Sender {
		return kannel.Sender{BaseURL: base, Client: c}
	})
}
