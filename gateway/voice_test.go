package gateway_test

import (
	"bytes"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/gateway/twilio"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/recordings"
)

type voiceRig struct {
	t     *testing.T
	srv   *gateway.Server
	cases *boltstore.Store
	logs  *bytes.Buffer
}

func newVoiceRig(t *testing.T, hosts []string) *voiceRig {
	t.Helper()
	srv, cases, logs := newVoiceServer(t, map[string]gateway.VoiceChannel{"demo-at": {Adapter: africastalking.Voice{}, RecordingHosts: hosts}}, nil)
	return &voiceRig{t: t, srv: srv, cases: cases, logs: logs}
}

// newVoiceServer is a gateway with the voice channels chans and the
// prompt recordings audio (nil: none), over a fresh bbolt store and
// recordings file, logging to the returned buffer.
func newVoiceServer(t *testing.T, chans map[string]gateway.VoiceChannel, audio fs.FS) (*gateway.Server, *boltstore.Store, *bytes.Buffer) {
	t.Helper()
	return newVoiceServerWith(t, chans, func(o *gateway.Options) { o.Voice.Audio = audio })
}

// newVoiceServerWith is newVoiceServer with options changed by change.
func newVoiceServerWith(t *testing.T, chans map[string]gateway.VoiceChannel, change func(*gateway.Options)) (*gateway.Server, *boltstore.Store, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	cases, err := boltstore.Open(filepath.Join(dir, "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cases.Close() })
	recs, err := recordings.OpenWithKeys(filepath.Join(dir, "recordings.db"), []keystore.Key{{Version: "k1", Secret: bytes.Repeat([]byte{5}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recs.Close() })
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	o := gateway.Options{
		Providers: provider.List{africastalking.Provider, twilio.Provider},
		Config:    gateway.TestConfig(t), Catalog: cat, Cases: caseworktest.Service(t, cases, logs), Preferences: cases, Sessions: sessions.NewMemory(),
		Keyring: callerid.New(bytes.Repeat([]byte{7}, 32)),
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
		Voice:   gateway.VoiceOptions{Recordings: recs, Channels: chans},
	}
	change(&o)
	return gateway.New(o), cases, logs
}

func (r *voiceRig) step(query string, form url.Values) string {
	r.t.Helper()
	base := url.Values{"sessionId": {"ATVId_T1"}, "isActive": {"1"}, "callerNumber": {"+22376000061"}}
	for k, v := range form {
		base[k] = v
	}
	req := httptest.NewRequest("POST", "http://hotline.example.org/c/demo-at/voice"+query, strings.NewReader(base.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.srv.App().Test(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("%s: %d %s", query, resp.StatusCode, b)
	}
	return string(b)
}

func digits(d string) url.Values { return url.Values{"dtmfDigits": {d}} }

// A provider retrying a step gets the same reply, and a retried
// confirmation makes one case.
func TestVoiceRetriedStepsAreIdempotent(t *testing.T) {
	r := newVoiceRig(t, nil)
	first := r.step("", nil)
	if r.step("", nil) != first {
		t.Fatal("retried first request got another reply")
	}
	r.step("?s=1", digits("2"))                             // French
	r.step("?s=2", digits("2"))                             // the menu (not the short voice path)
	r.step("?s=3", digits("1"))                             // make a complaint
	cat := r.step("?s=4", digits("6"))                      // question
	if again := r.step("?s=4", digits("6")); again != cat { // retry
		t.Fatal("retried step moved the call on")
	}
	r.step("?s=5", digits("8"))                                         // other/unknown region (page 2 item)
	_ = r.step("?s=5", nil)                                             // stale: ignored
	if n := strings.Count(r.step("?s=99", nil), "<GetDigits"); n != 1 { // unknown step: current reply
		t.Fatalf("stale step answered without a question")
	}
}

// A recording URL on a host the channel does not allow is never fetched,
// and neither it nor the number reaches the log.
func TestVoiceRecordingHostRefused(t *testing.T) {
	fetched := false
	evil := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { fetched = true }))
	defer evil.Close()
	r := newVoiceRig(t, []string{".africastalking.com"})
	body := r.step("", nil)
	// French, the menu, make a complaint, question, then the first item
	// until the voice message step.
	keys := []string{"2", "2", "1", "6", "1", "1", "1"}
	step := 1
	for _, k := range keys {
		body = r.step("?s="+strconv.Itoa(step), digits(k))
		step++
		if strings.Contains(body, "<Record") {
			break
		}
	}
	if !strings.Contains(body, "<Record") {
		t.Fatalf("did not reach the voice message step:\n%s", body)
	}
	body = r.step("?s="+strconv.Itoa(step), url.Values{"recordingUrl": {evil.URL + "/secret-recording.wav"}})
	if fetched {
		t.Fatal("fetched a recording from a host not allowed")
	}
	if !strings.Contains(body, "<Record") {
		t.Errorf("after a refused recording the caller should be asked again:\n%s", body)
	}
	if strings.Contains(r.logs.String(), "secret-recording") || strings.Contains(r.logs.String(), "76000061") {
		t.Errorf("log holds the recording URL or the number:\n%s", r.logs)
	}
}
