package e2e

import (
	"context"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/numerovert/hotline/simulator"
)

// phoneRecording writes what a field team's phone makes: a 44.1 kHz
// stereo WAV, a second of "voice" between long silences.
func phoneRecording(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bm-home.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const rate = 44100
	var data []int
	for i := range 3 * rate {
		v := 0
		if i >= rate && i < 2*rate {
			v = int(2000 * math.Sin(2*math.Pi*300*float64(i)/rate))
		}
		data = append(data, v, v)
	}
	e := wav.NewEncoder(f, rate, 16, 2, 1)
	if err := e.Write(&audio.IntBuffer{Data: data, Format: &audio.Format{NumChannels: 2, SampleRate: rate}, SourceBitDepth: 16}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// A field team records a Bambara prompt on a phone; `hotline prompts add`
// converts it into the data directory, and from the next start Bambara
// callers hear it instead of French text-to-speech, with no rebuild.
func TestPromptAddedAtRunTime(t *testing.T) {
	srv := startServer(t, "", "", demoAt(t)...)
	srv.stop(t)

	bad, err := exec.Command(binary, "prompts", "add", "--data", srv.DataDir, "--lang", "bm", "--key", "no.such.prompt", phoneRecording(t)).CombinedOutput()
	if err == nil || !strings.Contains(string(bad), "not a prompt calls play") {
		t.Errorf("an unknown key was taken: %v\n%s", err, bad)
	}
	out, err := exec.Command(binary, "prompts", "add", "--data", srv.DataDir, "--lang", "bm", "--key", "home.prompt", phoneRecording(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("prompts add: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "bm/home.prompt.wav: 1.3 s (wav at 44100 Hz") {
		t.Errorf("prompts add said:\n%s", out)
	}

	// The prompt travels with the backup and comes back with a restore.
	archive := filepath.Join(t.TempDir(), "backup.tar")
	if out, err := exec.Command(binary, "backup", "--data", srv.DataDir, "--out", archive).CombinedOutput(); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if out, err := exec.Command(binary, "restore", "--data", restored, archive).CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	added, _ := os.ReadFile(filepath.Join(srv.DataDir, "audio", "bm", "home.prompt.wav"))
	if back, err := os.ReadFile(filepath.Join(restored, "audio", "bm", "home.prompt.wav")); err != nil || len(added) == 0 || string(back) != string(added) {
		t.Errorf("the added prompt is not in the restored data (%v)", err)
	}

	srv = startServer(t, srv.DataDir, srv.KeysDir, demoAt(t)...)
	v := &simulator.Voice{Provider: simulator.ProviderAT, URL: voiceURL(srv, simulator.ProviderAT), Phone: "+22376000081"}
	// Bambara (first on the language menu), the menu (not the short voice
	// path), then hang up on the home menu.
	res, _ := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"1", "2"}), nil)
	if !slices.Contains(res.Plays, "bm/home.prompt") {
		t.Fatalf("the Bambara home menu does not play the added prompt; played %q, heard:\n%s", res.Plays, strings.Join(res.Heard, "\n"))
	}
	resp, err := http.Get(srv.url("/audio/bm/home.prompt.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	d := wav.NewDecoder(strings.NewReader(string(b)))
	if d.ReadInfo(); resp.StatusCode != http.StatusOK || d.SampleRate != 8000 || d.NumChans != 1 || d.BitDepth != 16 {
		t.Errorf("served %d: %d Hz, %d channels, %d bits", resp.StatusCode, d.SampleRate, d.NumChans, d.BitDepth)
	}
}
