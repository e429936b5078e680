package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
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

// submitter counts submissions and reports readiness as told.
type submitter struct {
	casework.Store
	notReady atomic.Bool
}

func (s *submitter) Check(ctx context.Context) error {
	if s.notReady.Load() {
		return errUnreachable
	}
	return s.Store.Check(ctx)
}

func newServerWith(t *testing.T, sub gateway.Submitter, sess gateway.SessionStore, logs io.Writer) *gateway.Server {
	t.Helper()
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return gateway.New(gateway.Options{
		Config:    cfg,
		Catalog:   cat,
		Submitter: sub,
		Sessions:  sess,
		Keyring:   callerid.New(bytes.Repeat([]byte{7}, 32)),
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
	})
}

// When the session store (Redis) cannot be reached, every hop ends with
// the apology in the caller's language, not an error page; nothing is
// written; and the session carries on by itself when the store returns.
func TestSessionStoreDownApologises(t *testing.T) {
	sess := &downSessions{Memory: sessions.NewMemory()}
	sub := &submitter{Store: memstore.New()}
	var logs bytes.Buffer
	srv := newServerWith(t, sub, sess, &logs)

	for _, text := range []string{"", "1", "1*1", "1*1*5"} {
		if code, body := hop(t, srv, "s1", text); code != 200 || !strings.HasPrefix(body, "CON ") {
			t.Fatalf("hop %q: %d %q", text, code, body)
		}
	}
	saved := sess.saves.Load()
	sess.loadDown.Store(true)
	sess.saveDown.Store(true)
	tests := []struct{ session, text, want string }{
		{"s1", "1*1*5*7", "Rappelez plus tard"},          // French chosen
		{"s2", "2*1*5", "call again later"},              // English chosen
		{"s3", "", "Rappelez plus tard"},                 // no language yet: the default
		{"s4", "1*1*5*7*2*1*1", "Rien n'est enregistré"}, // even a confirmation
	}
	for _, tc := range tests {
		code, body := hop(t, srv, tc.session, tc.text)
		if code != 200 || !strings.HasPrefix(body, "END ") || !strings.Contains(body, tc.want) {
			t.Errorf("hop %q with the store down: %d %q; want END with %q", tc.text, code, body, tc.want)
		}
	}
	if n := sess.saves.Load(); n != saved {
		t.Errorf("%d sessions saved while the store was down", n-saved)
	}
	if n := countCases(t, sub); n != 0 {
		t.Errorf("%d cases stored while sessions were down", n)
	}
	if strings.Contains(logs.String(), "22376000009") || !strings.Contains(logs.String(), "connection refused") {
		t.Errorf("log should name the cause and never the number:\n%s", logs.String())
	}

	// Redis is back: AT's next hop of the same session just works.
	sess.loadDown.Store(false)
	sess.saveDown.Store(false)
	for _, text := range []string{"1*1*5*7", "1*1*5*7*2", "1*1*5*7*2*1"} {
		if code, body := hop(t, srv, "s1", text); code != 200 || !strings.HasPrefix(body, "CON ") {
			t.Fatalf("hop %q after recovery: %d %q", text, code, body)
		}
	}
	if _, body := hop(t, srv, "s1", "1*1*5*7*2*1*1"); !strings.Contains(body, "Référence") {
		t.Fatalf("confirmation after recovery: %q", body)
	}
	if n := countCases(t, sub); n != 1 {
		t.Errorf("%d cases after recovery, want 1", n)
	}
}

// A complaint stored but whose session could not be saved afterwards
// still shows its reference, and a retry shows the same one.
func TestSaveFailsAfterSubmitShowsReference(t *testing.T) {
	sess := &downSessions{Memory: sessions.NewMemory()}
	sub := &submitter{Store: memstore.New()}
	srv := newServerWith(t, sub, sess, io.Discard)
	for _, text := range []string{"", "1", "1*1", "1*1*5", "1*1*5*7", "1*1*5*7*2", "1*1*5*7*2*1"} {
		hop(t, srv, "s1", text)
	}
	sess.saveDown.Store(true)
	_, first := hop(t, srv, "s1", "1*1*5*7*2*1*1")
	_, again := hop(t, srv, "s1", "1*1*5*7*2*1*1")
	if !strings.Contains(first, "Référence") || first != again {
		t.Fatalf("confirmation = %q, retry = %q; want the same reference twice", first, again)
	}
	if n := countCases(t, sub); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
}

func TestReadyzFollowsSubmitter(t *testing.T) {
	sub := &submitter{Store: memstore.New()}
	srv := newServerWith(t, sub, sessions.NewMemory(), io.Discard)
	get := func() int {
		resp, err := srv.App().Test(httptestGet("/readyz"))
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

func countCases(t *testing.T, s casework.Store) int {
	t.Helper()
	n := 0
	if err := s.Each(context.Background(), func(casework.Case) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func httptestGet(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }
