package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-audio/wav"

	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus/overlay"
	"github.com/numerovert/hotline/simulator"
)

// chromium finds the browser: $CHROMIUM, /usr/bin/chromium or one on the
// PATH; under CI=true a missing one fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found: browser tests are required under CI")
	}
	t.Skip("no Chromium found; set CHROMIUM")
	return ""
}

// spokenPrompt is a field team's recording of words: espeak-ng's voice,
// made a phone's 44.1 kHz stereo WAV by sox.
func spokenPrompt(t *testing.T, words string) string {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed: required under CI", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	raw, out := filepath.Join(dir, "raw.wav"), filepath.Join(dir, "bm-home.wav")
	if b, err := exec.Command("espeak-ng", "-v", "fr", "-w", raw, words).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, b)
	}
	if b, err := exec.Command("sox", raw, "-r", "44100", "-c", "2", out).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, b)
	}
	return out
}

// A translator, in Chromium, corrects the Bambara home menu in the
// language studio (a text too long for one USSD screen is refused, one
// that fits is taken), marks it reviewed and uploads its recording; with
// no restart, the next Bambara USSD session shows the new text and the
// next Bambara call plays the recording.
func TestLanguageStudio(t *testing.T) {
	admin := freeAddr(t)
	srv := startServer(t, "", "", append(demoAt(t), "--admin-addr", admin)...)
	hotline(t, "a long passphrase for tina\n", "users", "add", "--data", srv.DataDir, "--name", "tina", "--role", "translator")
	staffURL := "http://" + admin
	recording := spokenPrompt(t, "I bɛ mun fɛ? Kuma kura, a digi kelen.")

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	edit := staffURL + "/meal/studio/edit?lang=bm&key=home.prompt"
	text := func(sel string) string {
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return v
	}
	long := strings.Repeat("Ɲɛnajɛ ", 30)
	err := chromedp.Do(ctx,
		chromedp.Navigate(staffURL+"/meal/login"),
		chromedp.WaitVisible(`input[name=name]`),
		chromedp.SendKeys(`input[name=name]`, "tina"),
		chromedp.SendKeys(`input[name=password]`, "a long passphrase for tina"),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`header nav`),
		chromedp.Navigate(edit),
		chromedp.WaitVisible(`#text`),
		chromedp.SetValue(`#text`, long),
		chromedp.Click(`#save`),
		chromedp.WaitVisible(`#refused`),
	)
	if err != nil {
		t.Fatal(err)
	}
	refused := text(`#refused`)
	if !strings.Contains(refused, "USSD max") {
		t.Fatalf("a too long text was not refused with its reason: %q", refused)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(`#text`, "I bɛ mun fɛ?"),
		chromedp.Click(`#save`),
		// The refusing page has a #mark-reviewed too: wait for the saved
		// page (no refusal) before clicking it.
		chromedp.WaitNotPresent(`#refused`),
		chromedp.WaitVisible(`#mark-reviewed`),
		chromedp.Click(`#mark-reviewed`),
		chromedp.WaitNotPresent(`#mark-reviewed`), // the reviewed page has none
		chromedp.WaitVisible(`#upload`),
	)
	if err != nil {
		t.Fatal(err)
	}
	state := text(`#state`)
	err = chromedp.Do(ctx,
		chromedp.SetUploadFiles(`#file`, []string{recording}),
		chromedp.Click(`#upload`),
		chromedp.WaitVisible(`#review-recording`),
	)
	if err != nil {
		t.Fatal(err)
	}
	flash, audio := text(`.flash`), text(`#audio-state`)
	if state != "reviewed" || !strings.Contains(flash, "next call") || !strings.Contains(audio, "recorded here") {
		t.Fatalf("state %q, flash %q, recording %q", state, flash, audio)
	}

	// No restart: the next Bambara USSD session shows the edit...
	s := simulator.USSD{URL: srv.url("/c/demo-at/ussd"), Phone: "+22376000091"}.NewSession()
	var scr simulator.Screen
	for _, in := range []string{"", "1"} {
		if scr, err = s.Send(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(scr.Text, "I bɛ mun fɛ?") && !strings.Contains(scr.Text, "I bè mun fè?") {
		t.Errorf("the next Bambara session shows %q, not the studio's text", scr.Text)
	}
	// ...and the next Bambara call plays the recording.
	v := &simulator.Voice{Provider: simulator.ProviderAT, URL: voiceURL(srv, simulator.ProviderAT), Phone: "+22376000092"}
	res, _ := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"1", "2"}), nil)
	if !slices.Contains(res.Plays, "bm/home.prompt") {
		t.Fatalf("the Bambara call does not play the studio's recording; played %q, heard:\n%s", res.Plays, strings.Join(res.Heard, "\n"))
	}
	resp, err := http.Get(srv.url("/audio/bm/home.prompt.wav"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := wav.NewDecoder(bytes.NewReader(b))
	if d.ReadInfo(); resp.StatusCode != http.StatusOK || d.SampleRate != 8000 || d.NumChans != 1 || d.BitDepth != 16 {
		t.Errorf("/audio/ serves %d: %d Hz, %d channels, %d bits", resp.StatusCode, d.SampleRate, d.NumChans, d.BitDepth)
	}

	// A backup taken while serving carries the studio's edits and its
	// recording.
	archive := filepath.Join(t.TempDir(), "backup.tar")
	hotline(t, "", "backup", "--data", srv.DataDir, "--out", archive)
	restored := filepath.Join(t.TempDir(), "restored")
	hotline(t, "", "restore", "--data", restored, archive)
	st, err := overlay.Open(overlay.Options{DataDir: restored, Base: locales.FS})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := st.Catalog().Text("bm", "home.prompt"); got != "I bɛ mun fɛ?" {
		t.Errorf("the restored studio has %q", got)
	}
	if _, err := os.Stat(filepath.Join(restored, "audio", "bm", "home.prompt.wav")); err != nil {
		t.Errorf("the restored data lacks the studio's recording: %v", err)
	}
	if logs := srv.logs.String(); strings.Contains(logs, "76000091") || strings.Contains(logs, "76000092") {
		t.Error("a caller's number is in the log")
	}
}
