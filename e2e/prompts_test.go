package e2e

import (
	bin "encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// make prompts: espeak-ng placeholders, converted to 8 kHz mono 16-bit PCM,
// never overwriting a real recording. Needs espeak-ng and sox (a failure
// under CI=true, where .ci/run installs them).
func TestPromptsGenerate(t *testing.T) {
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing under CI", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	dir := filepath.Join(t.TempDir(), "locales")
	if err := os.CopyFS(dir, os.DirFS("../locales")); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "audio"))
	real := filepath.Join(dir, "audio", "en", "digit-1.wav")
	os.MkdirAll(filepath.Dir(real), 0o755)
	if err := os.WriteFile(real, []byte("a field team's recording"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "prompts", "generate", "--locales", dir, "--langs", "en").CombinedOutput()
	if err != nil {
		t.Fatalf("prompts generate: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(real); string(b) != "a field team's recording" {
		t.Error("a real recording was overwritten")
	}
	wav, err := os.ReadFile(filepath.Join(dir, "audio", "en", "voice.pin.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if len(wav) < 1000 || string(wav[:4]) != "RIFF" || string(wav[8:12]) != "WAVE" {
		t.Fatalf("not a WAV: %d bytes", len(wav))
	}
	format, channels := bin.LittleEndian.Uint16(wav[20:]), bin.LittleEndian.Uint16(wav[22:])
	rate, bits := bin.LittleEndian.Uint32(wav[24:]), bin.LittleEndian.Uint16(wav[34:])
	if format != 1 || channels != 1 || rate != 8000 || bits != 16 {
		t.Errorf("format %d, %d channel(s), %d Hz, %d bits; want PCM mono 8000 Hz 16 bits", format, channels, rate, bits)
	}
	if _, err := os.Stat(filepath.Join(dir, "audio", "fr")); err == nil {
		t.Error("generated French although --langs en")
	}
	// Lint now reports the missing recordings per language as warnings.
	out, err = exec.Command(binary, "menus", "lint", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("lint: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`audio/bm/?:0: warning: (\d+) of (\d+) recordings missing`).MatchString(string(out)) ||
		regexp.MustCompile(`audio/en/?:`).MatchString(string(out)) {
		t.Errorf("lint does not report missing recordings per language:\n%s", out)
	}
}
