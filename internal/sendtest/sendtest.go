// Package sendtest is the one harness for a provider's send API: it plays
// each of the provider's replies from a real HTTP server and checks what
// the sender makes of it (the provider's message id, or a turn.SendError
// with its code and permanence) and that no error quotes the number. Each
// provider's test gives its replies and checks its own request.
package sendtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/turn"
)

// Reply is one answer of the provider's API and what the sender must
// make of it: WantID when accepted, else a SendError with WantCode.
type Reply struct {
	Name      string
	Status    int
	Body      string
	WantID    string
	WantCode  string
	Permanent bool
}

// Run sends m once per reply through newSender(the server's URL); check
// sees each request (its form already parsed, its body readable again).
func Run(t *testing.T, m turn.Outbound, replies []Reply, newSender func(baseURL string) provider.Sender, check func(t *testing.T, r *http.Request, form url.Values)) {
	t.Helper()
	for _, tt := range replies {
		t.Run(tt.Name, func(t *testing.T) {
			var mu sync.Mutex
			var req *http.Request
			var form url.Values
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				req = r.Clone(context.Background())
				req.Body = io.NopCloser(bytes.NewReader(b))
				form, _ = url.ParseQuery(string(b))
				mu.Unlock()
				w.WriteHeader(tt.Status)
				io.WriteString(w, tt.Body)
			}))
			defer srv.Close()
			id, err := newSender(srv.URL).Send(context.Background(), m)
			mu.Lock()
			defer mu.Unlock()
			if req == nil {
				t.Fatalf("no request reached the provider: %v", err)
			}
			check(t, req, form)
			if id != tt.WantID {
				t.Errorf("id = %q, want %q", id, tt.WantID)
			}
			if tt.WantCode == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var se *turn.SendError
			if !errors.As(err, &se) || se.Code != tt.WantCode || se.Permanent != tt.Permanent {
				t.Fatalf("err = %#v, want code %q permanent %v", err, tt.WantCode, tt.Permanent)
			}
			if strings.Contains(err.Error(), strings.TrimPrefix(m.To, "+")[3:]) {
				t.Errorf("error quotes the number: %v", err)
			}
		})
	}
}

// Timeout checks that a provider that never answers fails the send within
// the client's timeout, without quoting the number.
func Timeout(t *testing.T, m turn.Outbound, newSender func(baseURL string, client *http.Client) provider.Sender) {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	_, err := newSender(srv.URL, &http.Client{Timeout: 50 * time.Millisecond}).Send(context.Background(), m)
	if err == nil || strings.Contains(err.Error(), strings.TrimPrefix(m.To, "+")[3:]) {
		t.Fatalf("err = %v, want a timeout that does not quote the number", err)
	}
}
