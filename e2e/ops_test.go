package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/numerovert/hotline/simulator"
)

// runHotline runs one CLI command to its end and returns its output.
func runHotline(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	return string(out), err
}

// Keys and data belong together: a keys directory that lacks the data's
// keys (empty, or another deployment's) is refused, naming them, and the
// data is left as it was.
func TestKeysBelongToTheirData(t *testing.T) {
	srv := startServer(t, "", "")
	c := dial(t, srv, "+22376000051")
	ref := complainFR(c, "")
	srv.stop(t)
	before := filesUnder(t, srv.DataDir)

	other := startServer(t, "", "") // another deployment, its own keys
	other.stop(t)
	for name, keys := range map[string]string{
		"empty":        filepath.Join(t.TempDir(), "empty-keys"),
		"another's":    other.KeysDir,
		"missing":      filepath.Join(t.TempDir(), "no-such-dir"),
		"empty+init":   filepath.Join(t.TempDir(), "empty-keys-init"),
		"another+init": other.KeysDir,
	} {
		if name == "empty" || name == "empty+init" {
			os.MkdirAll(keys, 0o700)
		}
		args := []string{"serve", "--addr", "127.0.0.1:0", "--data", srv.DataDir, "--keys", keys}
		if strings.HasSuffix(name, "+init") {
			args = append(args, "--init-keys")
		}
		out, err := runHotline(t, args...)
		if err == nil || strings.Contains(out, "hotline listening") {
			t.Fatalf("%s keys: the server started:\n%s", name, out)
		}
		want := "callerid-k1"
		if name == "missing" {
			want = "does not exist"
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s keys: the refusal does not name %s:\n%s", name, want, out)
		}
	}
	after := filesUnder(t, srv.DataDir)
	if len(after) != len(before) {
		t.Errorf("data directory files changed: %d before, %d after", len(before), len(after))
	}
	for path, b := range before {
		if !bytes.Equal(after[path], b) {
			t.Errorf("%s changed by a refused start", path)
		}
	}
	if names, _ := filepath.Glob(filepath.Join(other.KeysDir, "*.key")); len(names) != 7 {
		t.Errorf("another deployment's keys directory now holds %d keys", len(names))
	}
	// The right keys still start, and the case is there.
	again := startServer(t, srv.DataDir, srv.KeysDir)
	again.stop(t)
	if list := cases(t, srv.DataDir); len(list) != 1 || list[0].Reference != ref {
		t.Fatalf("cases after the refused starts: %+v", list)
	}
	out, err := runHotline(t, "keys", "list", "--data", srv.DataDir, "--keys", srv.KeysDir)
	if err != nil || strings.Count(out, "uses it") != 7 || strings.Contains(out, "MISSING") {
		t.Errorf("keys list: %v\n%s", err, out)
	}
}

// A backup taken while callers submit holds every reference shown before
// it began; restore refuses a damaged archive and a non-empty target.
func TestBackupUnderLoadRestores(t *testing.T) {
	srv := startServer(t, "", "")
	target := srv.url("/c/demo-at/ussd")
	const callers = 6
	var (
		mu       sync.Mutex
		shown    []string
		sessions atomic.Int64
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := simulator.NewLoadClient(callers)
	for range callers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(sessions.Add(1))
				s := simulator.USSD{URL: target, Phone: simulator.LoadPhone(i), Client: client}.NewSession()
				var sc simulator.Screen
				var err error
				for _, in := range append([]string{""}, simulator.DefaultLoadInputs...) {
					if sc, err = s.Send(ctx, in); err != nil || sc.End {
						break
					}
				}
				if err != nil {
					return
				}
				if m := referenceOnScreen.FindStringSubmatch(sc.Text); m != nil {
					mu.Lock()
					shown = append(shown, m[1]+m[2])
					mu.Unlock()
				}
			}
		})
	}
	for {
		mu.Lock()
		n := len(shown)
		mu.Unlock()
		if n >= 10 || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	beforeBackup := append([]string(nil), shown...)
	mu.Unlock()

	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain, sealed := filepath.Join(dir, "plain.tar"), filepath.Join(dir, "sealed.age")
	for _, args := range [][]string{
		{"backup", "--data", srv.DataDir, "--out", plain},
		{"backup", "--data", srv.DataDir, "--out", sealed, "--recipient", id.Recipient().String()},
	} {
		out, err := runHotline(t, args...)
		if err != nil || !strings.Contains(out, "through the running server") {
			t.Fatalf("%v while serving: %v\n%s", args, err, out)
		}
	}
	cancel()
	wg.Wait()
	srv.stop(t)
	if len(beforeBackup) < 10 {
		t.Fatalf("only %d references before the backup", len(beforeBackup))
	}
	if raw, _ := os.ReadFile(sealed); bytes.Contains(raw, []byte("MANIFEST")) {
		t.Error("the encrypted archive shows its contents")
	}
	idFile := filepath.Join(dir, "backup.agekey")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)

	for name, args := range map[string][]string{
		"plain":     {"restore", "--data", filepath.Join(dir, "r1"), plain},
		"encrypted": {"restore", "--data", filepath.Join(dir, "r2"), "--identity", idFile, sealed},
	} {
		out, err := runHotline(t, args...)
		if err != nil {
			t.Fatalf("restore %s: %v\n%s", name, err, out)
		}
		have := map[string]bool{}
		for _, c := range cases(t, args[2]) {
			have[c.Reference] = true
		}
		for _, ref := range beforeBackup {
			if !have[ref] {
				t.Errorf("restore %s: reference %s, shown before the backup, is missing", name, ref)
			}
		}
		// The restored data starts with the keys it was made with.
		s := startServer(t, args[2], srv.KeysDir)
		s.stop(t)
	}

	// A damaged archive (one byte flipped inside a file) is refused and
	// leaves no target behind; so is a non-empty target.
	raw, _ := os.ReadFile(plain)
	raw[512+5000] ^= 0xff // inside the first file (hotline.db)
	damaged := filepath.Join(dir, "damaged.tar")
	os.WriteFile(damaged, raw, 0o600)
	out, err := runHotline(t, "restore", "--data", filepath.Join(dir, "r3"), damaged)
	if err == nil || !strings.Contains(out, "damaged") {
		t.Errorf("damaged archive: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "r3")); err == nil {
		t.Error("a refused restore left its target directory")
	}
	cut := filepath.Join(dir, "cut.tar")
	os.WriteFile(cut, raw[:len(raw)/3], 0o600)
	if out, err := runHotline(t, "restore", "--data", filepath.Join(dir, "r4"), cut); err == nil {
		t.Errorf("archive cut short restored:\n%s", out)
	}
	if out, err := runHotline(t, "restore", "--data", srv.DataDir, plain); err == nil || !strings.Contains(out, "not empty") {
		t.Errorf("restore over live data: %v\n%s", err, out)
	}
}
