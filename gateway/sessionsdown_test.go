package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/gateway/sessions"
)

// downSessions is a session store whose Redis went away: loads and/or
// saves fail while set.
type downSessions struct {
	*sessions.Memory
	loadDown, saveDown atomic.Bool
	saves              atomic.Int32
}

var errUnreachable = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (d *downSessions) Load(ctx context.Context, key string) ([]byte, bool, error) {
	if d.loadDown.Load() {
		return nil, false, errUnreachable
	}
	return d.Memory.Load(ctx, key)
}

func (d *downSessions) Save(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	if d.saveDown.Load() {
		return errUnreachable
	}
	d.saves.Add(1)
	return d.Memory.Save(ctx, key, v, ttl)
}

func (d *downSessions) LoadAll(ctx context.Context, keys ...string) ([][]byte, error) {
	if d.loadDown.Load() {
		return nil, errUnreachable
	}
	return d.Memory.LoadAll(ctx, keys...)
}

func (d *downSessions) SaveAll(ctx context.Context, ws ...sessions.Write) error {
	if d.saveDown.Load() {
		return errUnreachable
	}
	d.saves.Add(int32(len(ws)))
	return d.Memory.SaveAll(ctx, ws...)
}

// submitter is the casework service whose readiness a test sets.
type submitter struct {
	*casework.Service
	notReady atomic.Bool
}

func (s *submitter) Check(ctx context.Context) error {
	if s.notReady.Load() {
		return errUnreachable
	}
	return s.Service.Check(ctx)
}

// newDownServer is the gateway with a session store and a submitter that
// tests can take down.
func newDownServer(t *testing.T) (*testServer, *downSessions, *submitter) {
	t.Helper()
	sess := &downSessions{Memory: sessions.NewMemory()}
	store := memstore.New()
	sub := &submitter{Service: caseworktest.Service(t, store, nil)}
	ts := newTestServerWith(t, &Limits{}, store, func(o *Options) {
		o.Sessions, o.Submitter = sess, sub
	})
	return ts, sess, sub
}

// When the session store (Redis) cannot be reached, every hop ends with
// the apology in the caller's language, not an error page; nothing is
// written; and the session carries on by itself when the store returns.
func TestSessionStoreDownApologises(t *testing.T) {
	ts, sess, _ := newDownServer(t)

	for _, text := range []string{"", "2", "2*1", "2*1*2", "2*1*2*5"} {
		if code, body := ts.hop(t, testChannel, "s1", testPhone, text); code != 200 || !strings.HasPrefix(body, "CON ") {
			t.Fatalf("hop %q: %d %q", text, code, body)
		}
	}
	saved := sess.saves.Load()
	sess.loadDown.Store(true)
	sess.saveDown.Store(true)
	tests := []struct{ session, text, want string }{
		{"s1", "2*1*2*5*7", "Rappelez plus tard"},          // French chosen
		{"s2", "6*1*1*5", "call again later"},              // English chosen
		{"s3", "", "Rappelez plus tard"},                   // no language yet: the default
		{"s4", "2*1*2*5*7*2*1*1", "Rien n'est enregistré"}, // even a confirmation
	}
	for _, tc := range tests {
		code, body := ts.hop(t, testChannel, tc.session, testPhone, tc.text)
		if code != 200 || !strings.HasPrefix(body, "END ") || !strings.Contains(body, tc.want) {
			t.Errorf("hop %q with the store down: %d %q; want END with %q", tc.text, code, body, tc.want)
		}
	}
	if n := sess.saves.Load(); n != saved {
		t.Errorf("%d sessions saved while the store was down", n-saved)
	}
	if n := caseCount(t, ts.cases); n != 0 {
		t.Errorf("%d cases stored while sessions were down", n)
	}
	if strings.Contains(ts.logs.String(), "76000042") || !strings.Contains(ts.logs.String(), "connection refused") {
		t.Errorf("log should name the cause and never the number:\n%s", ts.logs.String())
	}

	// Redis is back: AT's next hop of the same session just works.
	sess.loadDown.Store(false)
	sess.saveDown.Store(false)
	for _, text := range []string{"2*1*2*5*7", "2*1*2*5*7*2", "2*1*2*5*7*2*1"} {
		if code, body := ts.hop(t, testChannel, "s1", testPhone, text); code != 200 || !strings.HasPrefix(body, "CON ") {
			t.Fatalf("hop %q after recovery: %d %q", text, code, body)
		}
	}
	if _, body := ts.hop(t, testChannel, "s1", testPhone, "2*1*2*5*7*2*1*1"); !strings.Contains(body, "Référence") {
		t.Fatalf("confirmation after recovery: %q", body)
	}
	if n := caseCount(t, ts.cases); n != 1 {
		t.Errorf("%d cases after recovery, want 1", n)
	}
}

// A complaint stored but whose session could not be saved afterwards
// still shows its reference, and a retry shows the same one.
func TestSaveFailsAfterSubmitShowsReference(t *testing.T) {
	ts, sess, _ := newDownServer(t)
	for _, text := range []string{"", "2", "2*1", "2*1*2", "2*1*2*5", "2*1*2*5*7", "2*1*2*5*7*2", "2*1*2*5*7*2*1"} {
		ts.hop(t, testChannel, "s1", testPhone, text)
	}
	sess.saveDown.Store(true)
	_, first := ts.hop(t, testChannel, "s1", testPhone, "2*1*2*5*7*2*1*1")
	_, again := ts.hop(t, testChannel, "s1", testPhone, "2*1*2*5*7*2*1*1")
	// The retry shows the same reference; it cannot show the PIN again
	// (only its keyed hash is stored), and shows no other one.
	ref := regexp.MustCompile(`Référence: (\d{4} \d{4})`)
	if m1, m2 := ref.FindStringSubmatch(first), ref.FindStringSubmatch(again); m1 == nil || m2 == nil || m1[1] != m2[1] ||
		!strings.Contains(first, "Code secret") || strings.Contains(again, "Code secret") {
		t.Fatalf("confirmation = %q, retry = %q; want the same reference twice, the PIN once", first, again)
	}
	if n := caseCount(t, ts.cases); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
}

func TestReadyzFollowsSubmitter(t *testing.T) {
	ts, _, sub := newDownServer(t)
	get := func() int {
		resp, err := ts.App().Test(httptestGet("/readyz"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != 200 {
		t.Errorf("readyz = %d, want 200", code)
	}
	sub.notReady.Store(true)
	if code := get(); code != 503 {
		t.Errorf("readyz with Redis down = %d, want 503", code)
	}
	sub.notReady.Store(false)
	if code := get(); code != 200 {
		t.Errorf("readyz after recovery = %d, want 200", code)
	}
}

func httptestGet(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }
