package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework/web"
)

// behindProxy trusts every peer's X-Forwarded-For, so a test can sign in
// from many addresses.
func behindProxy(o *web.Options) {
	o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
}

// loginForm gets a login form's token and cookie.
func loginForm(t testing.TB, e *env) (token, cookie string) {
	c := e.client(t)
	c.get("/meal/login")
	return c.csrf, c.cookies["nv_login"]
}

// tryLogin posts one sign-in from addr and returns the status.
func tryLogin(t testing.TB, e *env, token, cookie, addr, name, pw string) int {
	form := url.Values{"name": {name}, "password": {pw}, "_csrf": {token}}
	req := httptest.NewRequest(http.MethodPost, "/meal/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "nv_login", Value: cookie})
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := e.app.Test(req, fiber.TestConfig{Timeout: 60 * time.Second})
	if err != nil {
		t.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// 40 wrong passwords at once for one name from one address: the limit is
// charged before the password is checked, so only 5 are checked.
func TestLoginChargesBeforeVerifying(t *testing.T) {
	e := newEnv(t)
	token, cookie := loginForm(t, e)
	before := e.web.Verifications()
	var wg sync.WaitGroup
	var refused, failed atomic.Int32
	for range 40 {
		wg.Go(func() {
			switch tryLogin(t, e, token, cookie, "", "awa", "wrong password") {
			case http.StatusTooManyRequests:
				refused.Add(1)
			case http.StatusUnauthorized:
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := e.web.Verifications() - before; n > 5 || failed.Load() != 5 || refused.Load() != 35 {
		t.Errorf("%d password checks, %d 401, %d 429; want at most 5 checks, 5 × 401, 35 × 429", n, failed.Load(), refused.Load())
	}
}

// Guessing a name's password from one address locks that name on that
// address only: its owner signs in from elsewhere.
func TestLockedNameOpensFromAnotherAddress(t *testing.T) {
	e := newEnv(t, behindProxy)
	token, cookie := loginForm(t, e)
	for range 5 {
		if got := tryLogin(t, e, token, cookie, "192.0.2.1", "awa", "wrong password"); got != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", got)
		}
	}
	if got := tryLogin(t, e, token, cookie, "192.0.2.1", "awa", password); got != http.StatusTooManyRequests {
		t.Errorf("right password from the guessing address: %d, want 429", got)
	}
	if got := tryLogin(t, e, token, cookie, "198.51.100.7", "awa", password); got != http.StatusSeeOther {
		t.Errorf("right password from the owner's address: %d, want 303", got)
	}
}

// A flood of sign-ins from many addresses queues for the password check
// instead of running every 19 MiB argon2id check at once.
func TestLoginFloodMemoryIsBounded(t *testing.T) {
	e := newEnv(t, behindProxy, func(o *web.Options) { o.LoginSlowDown = -1 })
	token, cookie := loginForm(t, e)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	before := e.web.Verifications()
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			tryLogin(t, e, token, cookie, fmt.Sprintf("10.9.%d.%d", i/200, i%200+1), fmt.Sprintf("user%d", i), "wrong password")
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("30 parallel sign-ins, %d password checks: heap in use grew %.1f MiB at peak; Sys %+.1f MiB",
		e.web.Verifications()-before, float64(grew)/(1<<20), (float64(after.Sys)-float64(base.Sys))/(1<<20))
	if grew > 100<<20 {
		t.Errorf("heap grew %.0f MiB under a sign-in flood, want at most 100", float64(grew)/(1<<20))
	}
}

// The CSRF token is read from the form body or a header, never the URL.
func TestCSRFNotFromQueryString(t *testing.T) {
	e := newEnv(t)
	r := e.submit(t, "k1:a", "exclusion", "ML05", "ML0501", "")
	c := e.login(t, "awa")
	send := func(query string, header bool) int {
		req := httptest.NewRequest(http.MethodPost, "/meal/cases/"+r.Case.ID+"/note"+query, strings.NewReader("note=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if header {
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
		resp, _ := c.do(req)
		return resp.StatusCode
	}
	if got := send("?_csrf="+url.QueryEscape(c.csrf), false); got != http.StatusForbidden {
		t.Errorf("token in the query string: %d, want 403", got)
	}
	if got := send("", true); got != http.StatusSeeOther {
		t.Errorf("token in the X-CSRF-Token header: %d, want 303", got)
	}
	anon := e.client(t)
	anon.get("/meal/login")
	form := url.Values{"name": {"awa"}, "password": {password}}
	req := httptest.NewRequest(http.MethodPost, "/meal/login?_csrf="+url.QueryEscape(anon.csrf), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := anon.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login token in the query string: %d, want 403", resp.StatusCode)
	}
}
