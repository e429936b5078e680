package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fiberredis "github.com/gofiber/storage/redis/v3"

	"github.com/numerovert/hotline/casework/web"
	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/internal/webstore"
)

// signedIn reports whether c's cookies open the queue on e.
func signedIn(t *testing.T, e *env, c *client) bool {
	t.Helper()
	o := e.client(t)
	o.cookies = c.cookies
	resp, _ := o.get("/meal/queue")
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	t.Fatalf("queue: status %d", resp.StatusCode)
	return false
}

// TestSessionSurvivesRestart signs in, stops the web view, opens the same
// sessions file in a new one: the browser is still signed in, and the file
// holds no session id a browser could present.
func TestSessionSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	b1, err := webstore.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	e1 := newEnv(t, func(o *web.Options) { o.Sessions = b1 })
	c := e1.login(t, "awa")
	if err := b1.Close(); err != nil {
		t.Fatal(err)
	}
	id := c.cookies["nv_session"]
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if id == "" || bytes.Contains(raw, []byte(id)) {
		t.Fatalf("session id %q is in the sessions file as is", id)
	}

	b2, err := webstore.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b2.Close() })
	e2 := newEnv(t, func(o *web.Options) { o.Sessions = b2 })
	c2 := e2.client(t)
	c2.cookies, c2.csrf = c.cookies, c.csrf
	if !signedIn(t, e2, c2) {
		t.Fatal("signed out by the restart")
	}
	// The CSRF token is the session's too: a form still posts.
	if resp, _ := c2.post("/meal/logout", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout after restart: %d", resp.StatusCode)
	}
	if signedIn(t, e2, c) {
		t.Fatal("old cookie still signed in after logout")
	}
}

// TestSessionSharedByReplicasInRedis signs in on one replica and is signed
// in on another sharing Redis; signing out on the second ends it on both.
func TestSessionSharedByReplicasInRedis(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	storage := fiberredis.NewFromConnection(rdb)
	share := func(o *web.Options) { o.Sessions, o.SessionPrefix = storage, prefix+"web:session:" }
	a, b := newEnv(t, share), newEnv(t, share)
	c := a.login(t, "awa")
	if !signedIn(t, b, c) {
		t.Fatal("replica b does not know the session made on a")
	}
	keys, err := redistest.Keys(context.Background(), rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], prefix+"web:session:") || strings.Contains(keys[0], c.cookies["nv_session"]) {
		t.Fatalf("Redis keys %v: want one hashed session key", keys)
	}
	cb := b.client(t)
	cb.cookies, cb.csrf = map[string]string{"nv_session": c.cookies["nv_session"]}, c.csrf
	if resp, _ := cb.post("/meal/logout", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout on b: %d", resp.StatusCode)
	}
	if signedIn(t, a, c) {
		t.Fatal("still signed in on a after signing out on b")
	}
}
