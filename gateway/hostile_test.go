package gateway

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/gateway/twilio"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

// Example-range numbers only (+223 7600xxxx).
const (
	testPhone   = "+22376000042"
	testChannel = "demo-at"
)

type testServer struct {
	*Server
	cases    casework.Store
	sessions *sessions.Memory
	logs     *bytes.Buffer
}

// newTestServer is the gateway over an in-memory store, in process.
func newTestServer(t testing.TB, limits *Limits) *testServer {
	return newTestServerWith(t, limits, memstore.New())
}

// newTestServerWith is the gateway over store, in process; each change
// may adjust the options (another submitter, session store) before New.
func newTestServerWith(t testing.TB, limits *Limits, store casework.Store, changes ...func(*Options)) *testServer {
	t.Helper()
	cfg := testConfig(t)
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{cases: store, sessions: sessions.NewMemory(), logs: &bytes.Buffer{}}
	o := Options{
		Config:    cfg,
		Providers: provider.List{africastalking.Provider, twilio.Provider},
		Catalog:   cat,
		Cases:     caseworktest.Service(t, store, ts.logs),
		Sessions:  ts.sessions,
		Keyring:   callerid.New(bytes.Repeat([]byte{7}, 32)),
		Logger:    slog.New(slog.NewTextHandler(ts.logs, nil)),
		Limits:    limits,
	}
	for _, change := range changes {
		change(&o)
	}
	ts.Server = New(o)
	return ts
}

// hop posts one AT callback and returns the status and body.
func (ts *testServer) hop(t testing.TB, channel, sessionID, phone, text string) (int, string) {
	t.Helper()
	form := url.Values{"sessionId": {sessionID}, "phoneNumber": {phone}, "networkCode": {"99999"},
		"serviceCode": {"*384*1234#"}, "text": {text}}
	req, err := http.NewRequest(http.MethodPost, "/c/"+channel+"/ussd", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return ts.do(t, req)
}

func (ts *testServer) do(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := ts.App().Test(req, fiber.TestConfig{Timeout: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func caseCount(t testing.TB, s casework.Store) int {
	t.Helper()
	n := 0
	if err := s.Each(context.Background(), func(casework.Case) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// fakeClock is a clock tests move by hand: no test here waits on real time.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestLimiterBucket(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(RateLimit{PerSecond: 2, Burst: 3}, 10, clk.now)
	for i := range 3 {
		if !l.allow("a") {
			t.Fatalf("hop %d within the burst refused", i)
		}
	}
	if l.allow("a") {
		t.Fatal("hop past the burst allowed")
	}
	if !l.allow("b") {
		t.Fatal("another key shares a's bucket")
	}
	clk.t = clk.t.Add(500 * time.Millisecond) // one token at 2/s
	if !l.allow("a") || l.allow("a") {
		t.Fatal("refill is not PerSecond")
	}
	clk.t = clk.t.Add(time.Hour)
	for i := range 3 {
		if !l.allow("a") {
			t.Fatalf("after a long pause, hop %d refused: refill must cap at the burst, not stop", i)
		}
	}
	if l.allow("a") {
		t.Fatal("refill exceeded the burst")
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(RateLimit{PerSecond: 1, Burst: 1}, 100, clk.now)
	l.allow("busy")
	for i := range 10_000 {
		l.allow(string(rune('a'+i%26)) + strings.Repeat("x", i%50) + string(rune(i)))
		if i%40 == 0 {
			l.allow("busy") // a key in use is kept across generations
		}
	}
	if n := l.size(); n > 100 {
		t.Fatalf("limiter holds %d buckets, bound is 100", n)
	}
	if l.allow("busy") {
		t.Fatal("the busy key's empty bucket was forgotten although it stayed in use")
	}
}

func TestLimiterDisabled(t *testing.T) {
	l := newLimiter(RateLimit{}, 10, nil)
	for range 1000 {
		if !l.allow("a") {
			t.Fatal("a zero limit must allow everything")
		}
	}
	if l.size() != 0 {
		t.Fatal("a disabled limiter keeps buckets")
	}
}

// A caller over their limit gets a 429 with a short reason, and the hop
// changes nothing: the session is not moved on and no case is stored.
func TestCallerRateLimitRefusesWithoutStateChange(t *testing.T) {
	ts := newTestServer(t, &Limits{Caller: RateLimit{PerSecond: 1e-9, Burst: 2}, MaxCallers: 100})
	if code, body := ts.hop(t, testChannel, "ATUid_a", testPhone, ""); code != 200 || !strings.HasPrefix(body, "CON ") {
		t.Fatalf("first hop: %d %q", code, body)
	}
	if code, _ := ts.hop(t, testChannel, "ATUid_a", testPhone, "1"); code != 200 {
		t.Fatalf("second hop: %d", code)
	}
	before, _, _ := ts.sessions.Load(context.Background(), "ussd/"+testChannel+"/ATUid_a")

	// Same caller, number written another way, new session: same caller key.
	code, body := ts.hop(t, testChannel, "ATUid_b", "0022376000042", "")
	if code != http.StatusTooManyRequests || body != "rate limit: caller" {
		t.Fatalf("over the limit: %d %q, want 429 \"rate limit: caller\"", code, body)
	}
	if code, _ := ts.hop(t, testChannel, "ATUid_a", testPhone, "1*1*2"); code != http.StatusTooManyRequests {
		t.Fatalf("over the limit on a live session: %d", code)
	}
	after, _, _ := ts.sessions.Load(context.Background(), "ussd/"+testChannel+"/ATUid_a")
	if !bytes.Equal(before, after) {
		t.Error("a refused hop changed the session")
	}
	if _, found, _ := ts.sessions.Load(context.Background(), "ussd/"+testChannel+"/ATUid_b"); found {
		t.Error("a refused first hop created a session")
	}
	if ts.sessions.Len() != 1 || caseCount(t, ts.cases) != 0 {
		t.Errorf("sessions = %d, cases = %d after refused hops", ts.sessions.Len(), caseCount(t, ts.cases))
	}

	// Another caller is not affected.
	if code, _ := ts.hop(t, testChannel, "ATUid_c", "+22376000043", ""); code != 200 {
		t.Fatalf("another caller refused: %d", code)
	}
	for _, leak := range []string{"22376000042", "76000042", "k1:"} {
		if strings.Contains(ts.logs.String(), leak) {
			t.Errorf("logs contain %q", leak)
		}
	}
}

func TestChannelRateLimit(t *testing.T) {
	ts := newTestServer(t, &Limits{Channel: RateLimit{PerSecond: 1e-9, Burst: 3}, MaxCallers: 100})
	for i := range 3 {
		if code, _ := ts.hop(t, testChannel, "ATUid_"+string(rune('a'+i)), "+2237600010"+string(rune('0'+i)), ""); code != 200 {
			t.Fatalf("hop %d within the channel burst: %d", i, code)
		}
	}
	code, body := ts.hop(t, testChannel, "ATUid_z", "+22376000199", "")
	if code != http.StatusTooManyRequests || body != "rate limit: channel" {
		t.Fatalf("over the channel limit: %d %q", code, body)
	}
	if ts.sessions.Len() != 3 {
		t.Errorf("sessions = %d, want 3", ts.sessions.Len())
	}
}

// TestMetricsCarryNoSecrets drives every kind of hop, then reads /metrics
// and checks that no label value carries a number, a caller key, a session
// id, the channel token or text a caller typed.
func TestMetricsCarryNoSecrets(t *testing.T) {
	ts := newTestServer(t, &Limits{Caller: RateLimit{PerSecond: 1e-9, Burst: 11}, MaxCallers: 100})
	const sid = "ATUid_5ecre7se55ion"
	detail := "Mon voisin Moussa 76000099 a vendu ma ration"
	for _, text := range []string{"", "1", "1*1", "1*1*2", "1*1*2*1", "1*1*2*1*1", "1*1*2*1*1*1", "1*1*2*1*1*1*" + detail, "1*1*2*1*1*1*" + detail + "*1", "1*1*2*1*1*1*" + detail + "*1*1"} {
		if code, body := ts.hop(t, testChannel, sid, testPhone, text); code != 200 {
			t.Fatalf("hop %q: %d %s", text, code, body)
		}
	}
	ts.hop(t, testChannel, "ATUid_other", testPhone, "")  // 11th: within the burst
	ts.hop(t, testChannel, "ATUid_other2", testPhone, "") // 429, caller limit
	ts.hop(t, "no-such-token", "ATUid_x", testPhone, "")  // 404
	req, _ := http.NewRequest(http.MethodPost, "/c/"+testChannel+"/ussd", strings.NewReader("sessionId=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ts.do(t, req) // 400
	if caseCount(t, ts.cases) != 1 {
		t.Fatalf("cases = %d, want 1", caseCount(t, ts.cases))
	}

	req, _ = http.NewRequest(http.MethodGet, "/metrics", nil)
	code, body := ts.do(t, req)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`hotline_hops_total{channel="demo_ussd_and_sms_africa_s_talking",outcome="ok",provider="africastalking"} 11`,
		`hotline_sessions_started_total{channel="demo_ussd_and_sms_africa_s_talking",provider="africastalking"} 2`,
		`hotline_submissions_total{channel="demo_ussd_and_sms_africa_s_talking",provider="africastalking"} 1`,
		`hotline_errors_total{channel="demo_ussd_and_sms_africa_s_talking",kind="rate_limited_caller",provider="africastalking"} 1`,
		`hotline_errors_total{channel="demo_ussd_and_sms_africa_s_talking",kind="bad_request",provider="africastalking"} 1`,
		`hotline_errors_total{channel="unknown",kind="unknown_channel",provider="unknown"} 1`,
		`hotline_hop_duration_seconds_bucket{channel="demo_ussd_and_sms_africa_s_talking",provider="africastalking",le="+Inf"} 13`,
		`hotline_open_sessions 2`,
		`hotline_cases_overdue -1`, // no deadline check has run yet
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, secret := range []string{"22376000042", "76000042", "76000099", sid, "5ecre7", testChannel, "no-such-token", "k1:", "Moussa", "vendu ma"} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics contains %q", secret)
		}
	}
	label := regexp.MustCompile(`(\w+)="([^"]*)"`)
	allowed := map[string]bool{labelChannel: true, labelProvider: true, labelKind: true, labelOutcome: true,
		"le": true, "quantile": true, "version": true}
	for _, m := range label.FindAllStringSubmatch(body, -1) {
		if !allowed[m[1]] {
			t.Errorf("unexpected label %s=%q", m[1], m[2])
		}
		if regexp.MustCompile(`\d{4}`).MatchString(m[2]) && m[1] != "le" {
			t.Errorf("label %s=%q carries a number", m[1], m[2])
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Demo USSD (Africa's Talking)": "demo_ussd_africa_s_talking",
		"Orange 76000001":              "orange",
		"Canal 2 — Mopti":              "canal_2_mopti",
		"":                             "",
		strings.Repeat("a", 60):        strings.Repeat("a", 40),
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	if name, _ := channelLabels(config.Channel{ID: "secret-token", Name: "Secret token"}); name != "unnamed" {
		t.Errorf("a name that spells the token gave label %q", name)
	}
}
