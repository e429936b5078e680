package web_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework/web"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestPanicBecomesErrorPageLoggingNothingOfTheRequest: a handler that
// panics with request data gives the 500 page; the log names the route and
// the request id, never the panic value.
func TestPanicBecomesErrorPageLoggingNothingOfTheRequest(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, func(o *web.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	e.app.Get(web.Prefix+"/boom", func(c fiber.Ctx) error {
		panic("caller said: " + c.Query("q"))
	})
	req := httptest.NewRequest(http.MethodGet, "/meal/boom?q=secret-words", nil)
	req.Header.Set("X-Request-ID", "chosen-by-client")
	resp, body := e.client(t).do(req)
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "<html") {
		t.Fatalf("status %d, body %.200q: want the 500 page", resp.StatusCode, body)
	}
	rid := resp.Header.Get("X-Request-ID")
	if rid == "" || rid == "chosen-by-client" {
		t.Fatalf("X-Request-ID %q: want a fresh one", rid)
	}
	out := logs.String()
	if strings.Contains(out, "secret-words") || strings.Contains(out, "caller said") {
		t.Fatalf("the panic value reached the log: %s", out)
	}
	if !strings.Contains(out, "handler panicked") || !strings.Contains(out, rid) {
		t.Fatalf("log %q: want the panic noted with its request id", out)
	}
}

// TestSecurityHeaders: helmet's headers on every page; HSTS only when the
// browser came over TLS, here through a trusted proxy saying https.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")} })
	get := func(proto string) http.Header {
		req := httptest.NewRequest(http.MethodGet, "/meal/login", nil)
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
		}
		resp, _ := e.client(t).do(req)
		return resp.Header
	}
	h := get("")
	for name, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin", "Cache-Control": "no-store",
	} {
		if !strings.Contains(h.Get(name), want) {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
	if v := h.Get("Strict-Transport-Security"); v != "" {
		t.Errorf("HSTS over plain HTTP: %q", v)
	}
	if v := get("https").Get("Strict-Transport-Security"); !strings.HasPrefix(v, "max-age=31536000") {
		t.Errorf("HSTS behind a TLS proxy = %q, want max-age=31536000…", v)
	}
}
