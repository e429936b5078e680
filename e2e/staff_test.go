package e2e

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-audio/wav"

	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus/overlay"
	"github.com/numerovert/hotline/simulator"
)

// staffServer starts the demo with one staff member on voice.staff, listed
// by the key `hotline prompts staff-key` prints for phone (made from the
// server's own keys directory, created first).
func staffServer(t *testing.T, phone string) *server {
	t.Helper()
	keysDir := filepath.Join(t.TempDir(), "keys")
	kd, _, err := keystore.Open(keysDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := kd.Ensure(callerid.Purpose); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "prompts", "staff-key", "--keys", keysDir)
	cmd.Stdin = strings.NewReader(phone + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("prompts staff-key: %v", err)
	}
	key := strings.TrimSpace(string(out))
	if !strings.HasPrefix(key, "s1:") || strings.Contains(key, strings.TrimPrefix(phone, "+223")) {
		t.Fatalf("staff key %q", key)
	}
	flags := demoAt(t)
	cfg := flags[len(flags)-1]
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, []byte("\nvoice:\n  staff:\n    - name: Awa Traoré\n      keys: ["+key+"]\n")...)
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return startServer(t, "", keysDir, append(flags, "--locales", voiceLocales(t))...)
}

// promptNumber is the number `hotline prompts numbers` gives key.
func promptNumber(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command(binary, "prompts", "numbers").Output()
	if err != nil {
		t.Fatalf("prompts numbers: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[1] == key {
			return f[0]
		}
	}
	t.Fatalf("prompts numbers lists no %s:\n%s", key, out)
	return ""
}

// takeURL is the last URL played that is not a prompt: the take.
func takeURL(heard []string) string {
	for _, h := range slices.Backward(heard) {
		if u, ok := strings.CutPrefix(h, "plays: "); ok && strings.Contains(u, "/audio/call/") {
			return u
		}
	}
	return ""
}

// A translator on the staff list records a Bambara prompt by phone on each
// provider: 0 before the language menu, 1 Bambara, the prompt's number,
// the French text heard, a take, the take played back from a URL of that
// call only (8 kHz WAV, gone after the call), 2 again (AT), 1 keep. The
// recording is live at once: a caller's next Bambara call plays it, the
// studio's history names the staff member. A caller not on the list never
// hears the offer, and 0 is a wrong key for them.
func TestStaffRecordsPromptByPhone(t *testing.T) {
	const staffPhone = "+22376000071"
	srv := staffServer(t, staffPhone)
	num := promptNumber(t, "voice.short.own_words")
	for _, provider := range []string{simulator.ProviderAT, simulator.ProviderTwilio} {
		keys := []string{"0", "1", num, "rec", "listen", "1", "hangup"}
		if provider == simulator.ProviderAT {
			keys = []string{"0", "1", num, "rec", "listen", "2", "rec", "listen", "1", "hangup"}
		}
		res, takes := recordByPhone(t, srv, provider, staffPhone, keys)
		heard := strings.Join(res.Heard, "\n")
		for _, want := range []string{"Personnel: pour enregistrer", "Choisissez la langue à enregistrer", "Tapez le numéro du message",
			"Le texte français est:", "Dites-le dans la langue choisie", "Vous avez enregistré:", "Enregistré. Les appelants"} {
			if !strings.Contains(heard, want) {
				t.Errorf("%s: the staff call never said %q:\n%s", provider, want, heard)
			}
		}
		if !slices.Contains(res.Plays, "fr/voice.short.own_words") {
			t.Errorf("%s: the French source was not played:\n%s", provider, heard)
		}
		if want := strings.Count(strings.Join(keys, ","), "listen"); len(takes) != want || slices.Contains(takes, "") || (len(takes) == 2 && takes[0] == takes[1]) {
			t.Errorf("%s: takes played back at %v; want %d distinct call URLs", provider, takes, want)
		}
		for _, u := range takes {
			checkTake(t, u, http.StatusNotFound) // the call is over: its URLs open nothing
		}
		if _, err := os.Stat(filepath.Join(srv.DataDir, "audio", "bm", "voice.short.own_words.wav")); err != nil {
			t.Fatalf("%s: no recording kept: %v", provider, err)
		}

		// A caller (not on the list) calls in Bambara: the prompt recorded a
		// moment ago plays; no offer, and 0 on the language menu is a wrong key.
		c := &simulator.Voice{Provider: provider, URL: voiceURL(srv, provider), Phone: "+22376000072", AuthToken: "demo-twilio-auth-token-NOT-A-SECRET"}
		res, err := c.Call(context.Background(), simulator.ScriptedKeypad([]string{"0", "1", "hangup"}), nil)
		if err != nil && err != simulator.ErrHungUp {
			t.Fatalf("%s: caller: %v", provider, err)
		}
		heard = strings.Join(res.Heard, "\n")
		if strings.Contains(heard, "Personnel") || strings.Contains(heard, "enregistrer les messages") {
			t.Errorf("%s: a caller heard the staff offer:\n%s", provider, heard)
		}
		if !slices.Contains(res.Plays, "fr/notice.invalid") {
			t.Errorf("%s: 0 was not a wrong key for a caller:\n%s", provider, heard)
		}
		if !slices.Contains(res.Plays, "bm/voice.short.own_words") {
			t.Errorf("%s: the Bambara caller did not hear the recording made by phone:\n%s", provider, heard)
		}
	}
	srv.stop(t)

	st, err := overlay.Open(overlay.Options{DataDir: srv.DataDir, Base: locales.FS})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hist, err := st.History("bm", "voice.short.own_words")
	if err != nil || len(hist) != 2 || !strings.Contains(hist[0].By, "Awa Traoré") || !strings.Contains(hist[1].By, "Awa Traoré") {
		t.Errorf("history = %+v, %v; want two recordings by the staff member", hist, err)
	}
	for path, b := range filesUnder(t, srv.DataDir) {
		if f := containsAny(b, "76000071", "76000072"); len(f) > 0 {
			t.Errorf("%s holds %v", path, f)
		}
	}
	if f := containsAny([]byte(srv.logs.String()), "76000071", "76000072"); len(f) > 0 {
		t.Errorf("log holds %v", f)
	}
}

// recordByPhone is a staff call pressing keys ("listen": the take just
// played back is fetched and checked, no key pressed); it returns the call
// and the take URLs played back.
func recordByPhone(t *testing.T, srv *server, provider, phone string, keys []string) (simulator.CallResult, []string) {
	t.Helper()
	v := &simulator.Voice{Provider: provider, URL: voiceURL(srv, provider), Phone: phone, AuthToken: "demo-twilio-auth-token-NOT-A-SECRET"}
	stop, err := v.ServeRecording()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var takes []string
	i := 0
	press := func(heard []string) string {
		for i < len(keys) && keys[i] == "listen" {
			i++
			u := takeURL(heard)
			takes = append(takes, u)
			checkTake(t, u, http.StatusOK)
		}
		if i >= len(keys) {
			return "hangup"
		}
		i++
		return keys[i-1]
	}
	res, err := v.Call(context.Background(), press, nil)
	if err != nil && err != simulator.ErrHungUp {
		t.Fatalf("%s: staff call: %v\n%s", provider, err, strings.Join(res.Heard, "\n"))
	}
	return res, takes
}

// checkTake fetches a take's URL and checks the answer: with 200, the
// take converted as a prompt (8 kHz mono 16-bit WAV).
func checkTake(t *testing.T, u string, want int) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("take: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("take answered %d, want %d", resp.StatusCode, want)
	}
	if want != http.StatusOK {
		return
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	d := wav.NewDecoder(bytes.NewReader(buf.Bytes()))
	if d.ReadInfo(); !d.IsValidFile() || d.SampleRate != 8000 || d.NumChans != 1 || d.BitDepth != 16 {
		t.Errorf("take: %d Hz, %d channels, %d bits", d.SampleRate, d.NumChans, d.BitDepth)
	}
}

// An officer records a spoken answer on the case page (an upload, like
// the studio's), then answers in writing; the caller follows up by voice
// with the reference and PIN and hears the team's voice, played from a
// URL of that call only (gone once the call ends), not the text read by
// the machine. A USSD follow-up still shows the written answer.
func TestSpokenAnswerOnVoiceFollowUp(t *testing.T) {
	srv := startServer(t, "", "", append(demoAt(t), "--locales", voiceLocales(t))...)
	v := &simulator.Voice{Provider: simulator.ProviderTwilio, URL: voiceURL(srv, simulator.ProviderTwilio), Phone: "+22376000073", AuthToken: "demo-twilio-auth-token-NOT-A-SECRET"}
	stop, err := v.ServeRecording()
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "1", "rec", "1"}), nil)
	stop()
	refs, pins := digitsAfter(res.Plays, "voice.reference"), digitsAfter(res.Plays, "voice.pin")
	if err != nil || len(refs) == 0 || len(pins) == 0 {
		t.Fatalf("complaint: %v %v %v", err, refs, pins)
	}

	hotline(t, "a long passphrase for moussa\n", "users", "add", "--data", srv.DataDir, "--name", "moussa", "--role", "officer", "--team", "meal-national")
	web := signIn(t, srv.base, "moussa", "a long passphrase for moussa")
	m := caseLink.FindStringSubmatch(web.do(http.MethodGet, "/meal/queue", nil))
	if m == nil {
		t.Fatal("the case is not in the queue")
	}
	id := m[1]
	web.do(http.MethodPost, "/meal/cases/"+id+"/assign", url.Values{"officer": {"moussa"}})
	web.do(http.MethodPost, "/meal/cases/"+id+"/status", url.Values{"to": {"in_progress"}})
	if page := upload(t, web, "/meal/cases/"+id+"/spoken", "audio", "answer.wav", simulator.FakeWAV()); !strings.Contains(page, `id="spoken-state"`) {
		t.Fatalf("the case page does not show the spoken answer:\n%s", page)
	}
	web.do(http.MethodPost, "/meal/cases/"+id+"/respond", url.Values{"response": {"Votre nom est remis sur la liste."}})

	f := &simulator.Voice{Provider: simulator.ProviderTwilio, URL: voiceURL(srv, simulator.ProviderTwilio), Phone: "+22376000074", AuthToken: "demo-twilio-auth-token-NOT-A-SECRET"}
	var spoken string
	keys := simulator.ScriptedKeypad([]string{"2", "2", "2", refs[0] + "#", pins[0] + "#"})
	follow, err := f.Call(context.Background(), func(heard []string) string {
		if u := takeURL(heard); u != "" && spoken == "" {
			spoken = u
			checkTake(t, u, http.StatusOK) // served while the call lasts
		}
		return keys(heard)
	}, nil)
	if err != nil && err != simulator.ErrHungUp {
		t.Fatalf("follow-up: %v", err)
	}
	heard := strings.Join(follow.Heard, "\n")
	if spoken == "" {
		spoken = takeURL(follow.Heard)
	}
	if spoken == "" || !slices.Contains(follow.Plays, "fr/status.answered") || strings.Contains(heard, "remis sur la liste") {
		t.Fatalf("the voice follow-up does not play the spoken answer (or still reads the text):\n%s", heard)
	}
	checkTake(t, spoken, http.StatusNotFound) // the call is over
	if f := containsAny([]byte(srv.logs.String()), "76000073", "76000074", spoken); len(f) > 0 {
		t.Errorf("log holds %v", f)
	}
}

// upload posts one file as the web view's multipart forms do, with the
// page's CSRF token, and returns the page it leads to.
func upload(t *testing.T, s *staff, path, field, name string, data []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", s.csrf)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, s.base+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), `class="error"`) {
		t.Fatalf("POST %s: %d\n%s", path, resp.StatusCode, b)
	}
	return string(b)
}
