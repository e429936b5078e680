package gateway

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/config"
)

// loopbackOnly is the demo as shipped: its AT channel accepts callbacks
// from loopback only, and the in-process client comes from 0.0.0.0.
func loopbackOnly(t *testing.T, proxies ...string) *testServer {
	t.Helper()
	return newTestServerWith(t, nil, memstore.New(), func(o *Options) {
		cfg, err := config.Demo()
		if err != nil {
			t.Fatal(err)
		}
		o.Config = cfg
		for _, p := range proxies {
			o.TrustedProxies = append(o.TrustedProxies, netip.MustParsePrefix(p))
		}
	})
}

func (ts *testServer) hopVia(t *testing.T, sessionID, text string, xff ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "/c/"+testChannel+"/ussd",
		strings.NewReader("sessionId="+sessionID+"&phoneNumber=%2B22376000042&serviceCode=%2A384%23&text="+text))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	return ts.do(t, req)
}

// A callback from outside the channel's allow_from is refused before
// anything is read: 403, no session, no case, counted as source_refused.
func TestCallbackFromOutsideAllowFromRefused(t *testing.T) {
	ts := loopbackOnly(t)
	// Not a trusted proxy: its X-Forwarded-For claiming loopback is ignored.
	for i, text := range []string{"", "1"} {
		if code, body := ts.hopVia(t, "ATUid_src", text, "127.0.0.1"); code != http.StatusForbidden || body != "forbidden" {
			t.Fatalf("hop %d from a foreign address: %d %q, want 403", i, code, body)
		}
	}
	if ts.sessions.Len() != 0 || caseCount(t, ts.cases) != 0 {
		t.Fatalf("a refused source changed state: sessions %d, cases %d", ts.sessions.Len(), caseCount(t, ts.cases))
	}
	req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	_, body := ts.do(t, req)
	want := `hotline_errors_total{channel="demo_ussd_and_sms_africa_s_talking",kind="source_refused",provider="africastalking"} 2`
	if !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

// Behind a trusted proxy the source is the last hop the proxy did not add:
// a client that writes "127.0.0.1" first in X-Forwarded-For gains nothing
// (Fiber's c.IP() would have believed it).
func TestForwardedForReadFromTheLastUntrustedHop(t *testing.T) {
	ts := loopbackOnly(t, "0.0.0.0/32")
	if code, _ := ts.hopVia(t, "ATUid_fwd1", "", "127.0.0.1, 198.51.100.7"); code != http.StatusForbidden {
		t.Fatalf("forged first hop: %d, want 403", code)
	}
	if code, _ := ts.hopVia(t, "ATUid_fwd2", "", "127.0.0.1", "198.51.100.7"); code != http.StatusForbidden {
		t.Fatalf("forged first header: %d, want 403", code)
	}
	if code, body := ts.hopVia(t, "ATUid_fwd3", "", "198.51.100.7, 127.0.0.1"); code != http.StatusOK {
		t.Fatalf("the proxy saw loopback: %d %s, want 200", code, body)
	}
	if ts.sessions.Len() != 1 {
		t.Fatalf("sessions = %d, want only the allowed one", ts.sessions.Len())
	}
}
