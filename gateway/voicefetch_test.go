package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/gateway/twilio"
)

// keyedAdapter sends credentials the way both providers do: a custom
// header (AT's apiKey) and HTTP basic auth (Twilio).
type keyedAdapter struct{ VoiceAdapter }

func (keyedAdapter) Authorize(req *http.Request) {
	req.Header.Set("apiKey", "5ecre7-key")
	req.SetBasicAuth("AC1", "5ecre7-token")
}

func (keyedAdapter) Render(turn.VoiceReply) (string, []byte) { return "", nil }

type headerLog struct {
	mu   sync.Mutex
	seen map[string]http.Header // by server name
}

func (l *headerLog) server(t *testing.T, name string, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.seen[name] = r.Header.Clone()
		l.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func hostOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// Credentials go only to the provider's API host and port; a redirect to
// another port of the same address (or any other host) carries none, and
// neither does a recording host that is not the provider's API.
func TestRecordingCredentialsOnlyToTheProviderHost(t *testing.T) {
	log := &headerLog{seen: map[string]http.Header{}}
	wav := func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("RIFF....WAVE")) }
	other := log.server(t, "other", wav)
	api := log.server(t, "api", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/moved.wav", http.StatusFound)
	})
	s := &Server{voice: VoiceOptions{Client: &http.Client{}, MaxRecording: 1 << 20}}
	vc := VoiceChannel{Adapter: keyedAdapter{}, RecordingHosts: []string{"127.0.0.1"}, CredentialHosts: []string{hostOf(t, api.URL)}}

	if _, err := s.fetchRecording(context.Background(), vc, api.URL+"/rec.wav"); err != nil {
		t.Fatal(err)
	}
	if log.seen["api"].Get("apiKey") == "" || log.seen["api"].Get("Authorization") == "" {
		t.Fatalf("the provider's own host got no credentials: %v", log.seen["api"])
	}
	for _, h := range []string{"apiKey", "Authorization", "Referer"} {
		if v := log.seen["other"].Get(h); v != "" {
			t.Errorf("redirect to another port carried %s: %q", h, v)
		}
	}
	log.seen = map[string]http.Header{}
	if _, err := s.fetchRecording(context.Background(), vc, other.URL+"/direct.wav"); err != nil {
		t.Fatal(err)
	}
	if v := log.seen["other"].Get("apiKey") + log.seen["other"].Get("Authorization"); v != "" {
		t.Errorf("a recording host that is not the API got credentials: %q", v)
	}
}

func TestRecordingURLRules(t *testing.T) {
	hosts := []string{"api.twilio.com", "rec.example.org:8443", ".africastalking.com", "127.0.0.1"}
	for raw, want := range map[string]bool{
		"https://api.twilio.com/2010-04-01/R.wav":   true,
		"https://api.twilio.com:8443/R.wav":         false, // not the configured port
		"http://api.twilio.com/R.wav":               false, // plain http to a name
		"https://rec.example.org:8443/R.wav":        true,
		"https://rec.example.org/R.wav":             false,
		"https://voice.africastalking.com/R.wav":    true,
		"https://africastalking.com.evil.example/R": false,
		"http://127.0.0.1:39211/R.wav":              true,  // the demo's simulator
		"http://localhost:39211/R.wav":              false, // a name, not a loopback literal
		"http://10.0.0.1/R.wav":                     false,
		"https://user:pw@api.twilio.com/R.wav":      false,
		"ftp://api.twilio.com/R.wav":                false,
		"https://API.Twilio.com/2010-04-01/R.wav":   true,
		"https://api.twilio.com.evil.example/R.wav": false,
		"https://[::1]/R.wav":                       false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := allowedRecordingURL(u, hosts); got != want {
			t.Errorf("allowedRecordingURL(%s) = %v, want %v", raw, got, want)
		}
	}
}

type memRecordings struct {
	mu   sync.Mutex
	data map[string][]byte
}

func (m *memRecordings) Has(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.data[id]
	return ok, nil
}

func (m *memRecordings) Put(_ context.Context, id string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[id] = data
	return nil
}

// Once a voice message is stored here, Twilio is asked to delete its copy
// (DELETE …/Recordings/{Sid}.json with the account's credentials), after
// the callback; a recording that is not on the provider's API host, or of
// another account, is not sent credentials and is counted as not deleted.
func TestProviderCopyOfRecordingDeleted(t *testing.T) {
	const account, token = "AC0123456789abcdef0123456789abcdef", "5ecre7-token"
	const rec = "/2010-04-01/Accounts/" + account + "/Recordings/RE0123456789abcdef0123456789abcdef"
	var mu sync.Mutex
	var deletes []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			mu.Lock()
			gone := slices.ContainsFunc(deletes, func(d string) bool { return strings.HasPrefix(d, r.URL.Path+".json ") })
			mu.Unlock()
			if gone {
				http.NotFound(w, r)
				return
			}
			w.Write([]byte("RIFF....WAVE"))
		case http.MethodDelete:
			user, pass, _ := r.BasicAuth()
			mu.Lock()
			deletes = append(deletes, r.URL.Path+" "+user+":"+pass)
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(api.Close)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			t.Errorf("a host that is not the provider's API got %s %s", r.Method, r.URL)
		}
		w.Write([]byte("RIFF....WAVE"))
	}))
	t.Cleanup(other.Close)

	store := &memRecordings{data: map[string][]byte{}}
	s := &Server{voice: VoiceOptions{Client: &http.Client{}, MaxRecording: 1 << 20, Recordings: store}, metrics: newMetrics(nil), log: slog.New(slog.DiscardHandler)}
	ch := config.Channel{ID: "ch-tw", Provider: "twilio"}
	vc := VoiceChannel{Adapter: twilio.Voice{AccountSID: account, AuthToken: token}, RecordingHosts: []string{"127.0.0.1"}, CredentialHosts: []string{hostOf(t, api.URL)}}

	keep := func(callID, url string) {
		t.Helper()
		if _, err := s.keepRecording(context.Background(), ch, vc, turn.Call{CallID: callID, RecordingURL: url}); err != nil {
			t.Fatal(err)
		}
		s.background.Wait()
	}
	keep("CA1", api.URL+rec)
	if len(store.data) != 1 {
		t.Fatalf("recording not stored: %d", len(store.data))
	}
	want := rec + ".json " + account + ":" + token
	if len(deletes) != 1 || deletes[0] != want {
		t.Fatalf("deletes %q, want [%q]", deletes, want)
	}
	// The provider retries that step: its copy is gone (404), ours is kept.
	first := recordingID(ch.ID, "CA1")
	if id, err := s.keepRecording(context.Background(), ch, vc, turn.Call{CallID: "CA1", RecordingURL: api.URL + rec}); err != nil || id != first {
		t.Errorf("retried step after the deletion: %q %v, want %q", id, err, first)
	}
	s.background.Wait()
	if _, err := s.keepRecording(context.Background(), ch, vc, turn.Call{CallID: "CA9", RecordingURL: api.URL + rec}); err == nil {
		t.Error("a recording neither fetched nor kept was taken as kept")
	}
	keep("CA2", other.URL+rec)                                                                                                   // not the API host: no credentials, no DELETE
	keep("CA3", api.URL+"/2010-04-01/Accounts/AC99999999999999999999999999999999/Recordings/RE0123456789abcdef0123456789abcdef") // another account
	if len(deletes) != 1 {
		t.Errorf("deletes %q: only the first recording's copy may be deleted", deletes)
	}
	deleted := testutil.ToFloat64(s.metrics.providerCopies.WithLabelValues("ch-tw", "twilio", "deleted"))
	failed := testutil.ToFloat64(s.metrics.providerCopies.WithLabelValues("ch-tw", "twilio", "failed"))
	if deleted != 1 || failed != 2 {
		t.Errorf("provider copies: deleted %v failed %v, want 1 and 2", deleted, failed)
	}
}
