package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/recordings"
	"github.com/numerovert/hotline/simulator"
)

// voiceLocales copies the shipped locales to a temporary directory and
// gives every French prompt of the script a small recording, so that the
// call plays clips (Play) the way it does after `make prompts`, without
// needing espeak-ng here.
func voiceLocales(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "locales")
	if err := os.CopyFS(dir, os.DirFS("../locales")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "audio")); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "prompts", "script", "--lang", "fr", dir).Output()
	if err != nil {
		t.Fatalf("prompts script: %v", err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "fr" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f[1]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("RIFF-prompt-"+f[1]), 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n < 40 {
		t.Fatalf("prompt script lists %d French recordings, want the whole menu:\n%s", n, out)
	}
	return dir
}

func voiceURL(s *server, provider string) string {
	if provider == simulator.ProviderTwilio {
		return s.url("/c/demo-twilio/voice")
	}
	return s.url("/c/demo-at/voice")
}

// digitsAfter returns the digits played after each play of key.
func digitsAfter(plays []string, key string) []string {
	var out []string
	for i, p := range plays {
		if p != "fr/"+key {
			continue
		}
		var d strings.Builder
		for _, q := range plays[i+1:] {
			n, ok := strings.CutPrefix(q, "fr/digit-")
			if !ok {
				break
			}
			d.WriteString(n)
		}
		out = append(out, d.String())
	}
	return out
}

// A caller who cannot read files a complaint by keypad and voice message,
// for each provider: stored with the recording encrypted at rest, reference
// and PIN read back twice from recorded digits, nothing of the number or the
// recording's URL left in data or logs.
func TestVoiceComplaint(t *testing.T) {
	for _, provider := range []string{simulator.ProviderAT, simulator.ProviderTwilio} {
		t.Run(provider, func(t *testing.T) {
			loc := voiceLocales(t)
			srv := startServer(t, "", "", append(demoAt(t), "--locales", loc)...)
			const phone = "+22376000041"
			v := &simulator.Voice{Provider: provider, URL: voiceURL(srv, provider), Phone: phone, AuthToken: "demo-twilio-auth-token-NOT-A-SECRET"}
			stop, err := v.ServeRecording()
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			// French, the menu (2, not the short voice path), left out,
			// Ténenkou (3: the demo's cercles come first), its first
			// commune, food, a voice message, no call-back (1), send and
			// remember my language (3).
			res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "1", "1", "3", "1", "2", "rec", "1", "3"}), nil)
			if err != nil {
				t.Fatalf("call: %v\n%s", err, strings.Join(res.Heard, "\n"))
			}
			if !res.Ended {
				t.Fatalf("the hotline did not end the call:\n%s", strings.Join(res.Heard, "\n"))
			}
			if !slices.Contains(res.Plays, "fr/voice.record") || !slices.Contains(res.Plays, "fr/voice.recorded") {
				t.Errorf("no voice message step or summary:\n%s", strings.Join(res.Plays, "\n"))
			}
			refs, pins := digitsAfter(res.Plays, "voice.reference"), digitsAfter(res.Plays, "voice.pin")
			if len(refs) != 2 || refs[0] != refs[1] || len(refs[0]) != 8 {
				t.Fatalf("reference read back %q, want the same 8 digits twice", refs)
			}
			if len(pins) != 2 || pins[0] != pins[1] || len(pins[0]) != 4 {
				t.Fatalf("PIN read back %q, want the same 4 digits twice", pins)
			}
			if v.Fetches != 1 {
				t.Errorf("recording fetched %d times, want 1", v.Fetches)
			}
			// The caller calls back (language remembered): follow my
			// complaint, the reference then the PIN, each ended by #. They
			// hear it read back with its status.
			follow, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", refs[0] + "#", pins[0] + "#"}), nil)
			if err != nil || !follow.Ended {
				t.Fatalf("follow-up call: %v\n%s", err, strings.Join(follow.Heard, "\n"))
			}
			if got := digitsAfter(follow.Plays, "voice.reference"); len(got) != 1 || got[0] != refs[0] || !slices.Contains(follow.Plays, "fr/status.received") {
				t.Errorf("follow-up by voice heard:\n%s", strings.Join(follow.Plays, "\n"))
			}
			// The prompts are served to the provider.
			resp, err := http.Get(srv.url("/audio/fr/digit-7.wav"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/wav" {
				t.Errorf("GET /audio/fr/digit-7.wav = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			srv.stop(t)

			list := cases(t, srv.DataDir)
			if len(list) != 1 {
				t.Fatalf("%d cases, want 1", len(list))
			}
			c := list[0]
			if c.Medium != "voice" || c.Language != "fr" || c.Category != "exclusion" || c.Region != "ML05" ||
				c.Assistance != "food" || c.Reference != refs[0] || c.Recording == "" || c.Detail != "" {
				t.Errorf("case = %+v", c)
			}
			// Encrypted at rest: neither the WAV nor its marker is in clear
			// anywhere under the data directory, yet the recording opens
			// with the key from the keys directory.
			wav := simulator.FakeWAV()
			for path, b := range filesUnder(t, srv.DataDir) {
				if bytes.Contains(b, []byte("NVSIMVOICE")) || bytes.Contains(b, wav[44:300]) {
					t.Errorf("%s holds the voice message in clear", path)
				}
			}
			kd, _, err := keystore.Open(srv.KeysDir)
			if err != nil {
				t.Fatal(err)
			}
			store, _, err := recordings.Open(filepath.Join(srv.DataDir, "recordings.db"), kd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := store.Get(context.Background(), c.Recording)
			store.Close()
			if err != nil || !bytes.Equal(got, wav) {
				t.Errorf("stored recording: %d bytes, %v; want the caller's message", len(got), err)
			}
			// Privacy: no form of the number, nor the recording's address.
			needles := []string{"76000041", "22376000041", "recordings/RE"}
			for path, b := range filesUnder(t, srv.DataDir) {
				if f := containsAny(b, needles...); len(f) > 0 {
					t.Errorf("%s holds %v", path, f)
				}
			}
			if f := containsAny([]byte(srv.logs.String()), needles...); len(f) > 0 {
				t.Errorf("log holds %v:\n%s", f, srv.logs)
			}
		})
	}
}

// No answer or a wrong key repeats the question once; the second ends the
// call politely. A caller who hangs up mid-call is offered to continue on
// redial, and a forged Twilio signature is refused.
func TestVoiceMissesResumeAndForgery(t *testing.T) {
	loc := voiceLocales(t)
	srv := startServer(t, "", "", append(demoAt(t), "--locales", loc)...)
	ctx := context.Background()
	for _, provider := range []string{simulator.ProviderAT, simulator.ProviderTwilio} {
		phone := map[string]string{simulator.ProviderAT: "+22376000042", simulator.ProviderTwilio: "+22376000043"}[provider]
		v := &simulator.Voice{Provider: provider, URL: voiceURL(srv, provider), Phone: phone, AuthToken: "demo-twilio-auth-token-NOT-A-SECRET"}

		// French, the menu, then a wrong key on the home screen (repeated
		// with "invalid choice"), then silence: goodbye.
		res, err := v.Call(ctx, simulator.ScriptedKeypad([]string{"2", "2", "9", "-"}), nil)
		if err != nil {
			t.Fatalf("%s: wrong key and silence: %v", provider, err)
		}
		if !res.Ended || res.Plays[len(res.Plays)-1] != "fr/voice.goodbye" || !slices.Contains(res.Plays, "fr/notice.invalid") {
			t.Errorf("%s: want invalid notice, then goodbye and hang-up; heard:\n%s", provider, strings.Join(res.Heard, "\n"))
		}
		if n := strings.Count(strings.Join(res.Plays, "\n"), "fr/home.prompt"); n != 2 {
			t.Errorf("%s: question asked %d times, want 2 (once repeated)", provider, n)
		}

		// The language is not remembered (the caller never asked), so the
		// next call starts with it again; the caller makes a complaint,
		// answers three questions (category, region on the place list's
		// second page, cercle) and hangs up, then redials.
		res, err = v.Call(ctx, simulator.ScriptedKeypad([]string{"2", "2", "1", "1", "9", "1", "1"}), nil)
		if !errors.Is(err, simulator.ErrHungUp) {
			t.Fatalf("%s: hang-up call: %v", provider, err)
		}
		res, err = v.Call(ctx, simulator.ScriptedKeypad([]string{"1"}), nil)
		if !errors.Is(err, simulator.ErrHungUp) {
			t.Fatalf("%s: redial: %v", provider, err)
		}
		if len(res.Plays) == 0 || res.Plays[0] != "fr/resume.prompt" {
			t.Errorf("%s: redial does not offer to continue:\n%s", provider, strings.Join(res.Heard, "\n"))
		}
		if !slices.Contains(res.Plays, "fr/assistance.prompt") {
			t.Errorf("%s: continuing does not return to the next question (assistance):\n%s", provider, strings.Join(res.Heard, "\n"))
		}
	}

	forged := &simulator.Voice{Provider: simulator.ProviderTwilio, URL: voiceURL(srv, simulator.ProviderTwilio), Phone: "+22376000044",
		AuthToken: "demo-twilio-auth-token-NOT-A-SECRET",
		OnRequest: func(r *http.Request) { r.Header.Set("X-Twilio-Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=") }}
	res, err := forged.Call(ctx, simulator.ScriptedKeypad(nil), nil)
	if err == nil || res.Status != http.StatusForbidden {
		t.Errorf("forged signature: status %d, err %v; want 403", res.Status, err)
	}
	srv.stop(t)
	if n := len(cases(t, srv.DataDir)); n != 0 {
		t.Errorf("%d cases after unfinished calls, want 0", n)
	}
	for _, n := range []string{"76000042", "76000043", "76000044"} {
		if f := containsAny([]byte(srv.logs.String()), n); len(f) > 0 {
			t.Errorf("log holds %v", f)
		}
	}
}

// Twilio's copy of a voice message is deleted once the hotline holds it:
// the real binary sends DELETE …/Recordings/{Sid}.json with the account's
// credentials to the channel's API host (here the simulator, named in
// api_hosts), and the case still opens with its recording.
func TestTwilioRecordingCopyDeleted(t *testing.T) {
	v := &simulator.Voice{Provider: simulator.ProviderTwilio, Phone: "+22376000042", AuthToken: "demo-twilio-auth-token-NOT-A-SECRET"}
	stop, err := v.ServeRecording()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	flags := demoAt(t)
	cfgPath := flags[len(flags)-1]
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "      account_sid: ACdemo0000000000000000000000000000\n      auth_token: {demo: demo-twilio-auth-token-NOT-A-SECRET}\n\n"
	if !bytes.Contains(b, []byte(anchor)) {
		t.Fatal("the demo config's Twilio voice block changed")
	}
	b = bytes.Replace(b, []byte(anchor), []byte(strings.TrimSuffix(anchor, "\n")+"      api_hosts: ["+v.RecordingHost()+"]\n\n"), 1)
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "", append(flags, "--locales", voiceLocales(t))...)
	v.URL = voiceURL(srv, simulator.ProviderTwilio)
	res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "1", "1", "3", "1", "2", "rec", "1", "1"}), nil)
	if err != nil || !res.Ended {
		t.Fatalf("call: %v\n%s", err, strings.Join(res.Heard, "\n"))
	}
	if v.Fetches != 1 {
		t.Fatalf("recording fetched %d times, want 1", v.Fetches)
	}
	// The deletion runs after the answer: the simulator sees it first,
	// the server logs it once Twilio's 204 is back.
	logged := func() bool { return strings.Contains(srv.logs.String(), "its copy at the provider deleted") }
	deadline := time.Now().Add(10 * time.Second)
	for !(v.Deleted() && logged()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !v.Deleted() {
		t.Fatalf("Twilio's copy of the recording was not deleted; server log:\n%s", srv.logs)
	}
	if !logged() {
		t.Errorf("the deletion is not in the log:\n%s", srv.logs)
	}
}
