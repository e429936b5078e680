package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
)

// serveMain opens Main and runs it until stop, which ends Run, checks it
// stopped cleanly and closes Main (for the files to be free after it).
func serveMain(t *testing.T, data, keys string, edit func(*Main)) (m *Main, stop func()) {
	t.Helper()
	m, err := openMain(t, data, keys, edit)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	return m, func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// backup goes through the admin socket (0600) while Main runs, and from
// the files once it is closed; keys rotate records the new version.
func TestBackupSocketFallbackAndRotate(t *testing.T) {
	dir := t.TempDir()
	data, keys := filepath.Join(dir, "data"), filepath.Join(dir, "keys")
	_, stop := serveMain(t, data, keys, nil)
	info, err := os.Stat(filepath.Join(data, adminSocketFile))
	if err != nil || info.Mode().Perm() != 0o600 || info.Mode().Type() != os.ModeSocket {
		t.Fatalf("admin socket: %v %v", info, err)
	}
	if code, out, errs := runCLI(t, "backup", "--data", data, "--out", filepath.Join(dir, "live.tar")); code != 0 || !strings.Contains(out, "through the running server") {
		t.Fatalf("backup while serving: exit %d\n%s%s", code, out, errs)
	}
	stop()
	if _, err := os.Stat(filepath.Join(data, adminSocketFile)); !os.IsNotExist(err) {
		t.Errorf("admin socket left after Close: %v", err)
	}
	if code, out, errs := runCLI(t, "backup", "--data", data, "--out", filepath.Join(dir, "cold.tar")); code != 0 || !strings.Contains(out, "from the files") {
		t.Fatalf("backup while stopped: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "backup", "--data", data, "--out", filepath.Join(dir, "cold.tar")); code != 1 || !strings.Contains(errs, "exists") {
		t.Errorf("backup over an existing file: exit %d %s", code, errs)
	}

	if code, out, errs := runCLI(t, "keys", "rotate", "pin", "--data", data, "--keys", keys); code != 0 || !strings.Contains(out, "pin-k2") {
		t.Fatalf("keys rotate: exit %d\n%s%s", code, out, errs)
	}
	if code, _, _ := runCLI(t, "keys", "rotate", "nonsense", "--data", data, "--keys", keys); code != 2 {
		t.Errorf("keys rotate nonsense: exit %d, want 2", code)
	}
	code, out, _ := runCLI(t, "keys", "list", "--data", data, "--keys", keys)
	if code != 0 || !strings.Contains(out, "pin-k2") || strings.Count(out, "uses it") != 8 {
		t.Errorf("keys list after rotation: exit %d\n%s", code, out)
	}
	// Rotating with a keys directory that is not the data's is refused.
	if code, _, errs := runCLI(t, "keys", "rotate", "pin", "--data", data, "--keys", filepath.Join(dir, "other")); code != 1 || !strings.Contains(errs, "pin-k1") {
		t.Errorf("rotate with other keys: exit %d %s", code, errs)
	}
	again, err := openMain(t, data, keys, nil)
	if err != nil {
		t.Fatalf("start after rotation: %v", err)
	}
	again.Close()
}

// The operator commands run inside the server while it holds the data
// (bbolt admits one process), and on the files once it is stopped: same
// commands, same output, same exit statuses.
func TestOperatorCommandsWhileServingAndStopped(t *testing.T) {
	dir := t.TempDir()
	data, keys := filepath.Join(dir, "data"), filepath.Join(dir, "keys")
	_, stop := serveMain(t, data, keys, nil)

	const pass = "a long passphrase"
	expect := func(stdin string, wantCode int, want string, args ...string) string {
		t.Helper()
		code, out, errs := runCLIIn(t, stdin, append(args, "--data", data)...)
		if code != wantCode || !strings.Contains(out+errs, want) {
			t.Errorf("hotline %q: exit %d (want %d), want %q in\n%s%s", args, code, wantCode, want, out, errs)
		}
		if strings.Contains(out+errs, pass) {
			t.Errorf("hotline %q echoed the password:\n%s%s", args, out, errs)
		}
		return out
	}
	expect(pass+"\n", 0, "user awa (officer, team meal-mopti) saved", "users", "add", "--name", "awa", "--role", "officer", "--team", "meal-mopti")
	expect(pass+"\n", 1, "user awa exists", "users", "add", "--name", "awa", "--role", "officer", "--team", "meal-mopti")
	expect("", 1, "team", "users", "add", "--name", "bob", "--role", "officer", "--team", "no-such-team")
	expect("", 2, "flag provided but not defined: -colour", "users", "add", "--colour", "red")
	expect("", 2, "--name NAME is required", "users", "disable")
	expect("", 1, "users disable nobody: boltstore: user: casework: no such user", "users", "disable", "--name", "nobody")
	generated := expect("", 0, "password (shown once): ", "users", "reset", "--name", "awa")
	if strings.Count(generated, "\n") != 2 {
		t.Errorf("users reset: %q", generated)
	}
	expect("", 0, "user awa disabled", "users", "disable", "--name", "awa")
	if out := expect("", 0, "awa", "users", "list"); !strings.Contains(out, "disabled") {
		t.Errorf("users list after disable:\n%s", out)
	}
	expect("", 0, "nv_", "users", "token", "--name", "cluster-dashboard")
	expect("", 0, "cluster-dashboard", "users", "tokens")
	expect("", 0, "1 token(s) named cluster-dashboard revoked", "users", "revoke", "--name", "cluster-dashboard")
	expect("", 1, "cluster-dashboard", "users", "revoke", "--name", "cluster-dashboard")
	expect("", 0, "", "cases", "list")
	expect("", 0, "", "outbox", "list", "--keys", keys)

	stop()
	// Stopped: the changes made through the server are in the file.
	if out := expect("", 0, "awa", "users", "list"); !strings.Contains(out, "disabled") {
		t.Errorf("users list from the file:\n%s", out)
	}
	expect("", 0, "user awa enabled", "users", "enable", "--name", "awa")
	expect(pass+"\n", 1, "user awa exists", "users", "add", "--name", "awa", "--role", "officer", "--team", "meal-mopti")
	expect("", 0, "", "outbox", "list", "--keys", keys)
}

// kill -HUP reloads the config: a new team is usable at once (here by
// `users add` through the admin socket, and by the case service); a
// broken config, or one that changes a channel, is refused with its
// file:line and the running one stays.
func TestReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	data, keys := filepath.Join(dir, "data"), filepath.Join(dir, "keys")
	demo, err := os.ReadFile(filepath.Join("..", "..", "config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "hotline.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(string(demo))
	m, stop := serveMain(t, data, keys, func(m *Main) { m.ConfigPath = cfgPath })
	defer stop()
	addSegou := []string{"users", "add", "--data", data, "--name", "binta", "--role", "officer", "--team", "meal-segou"}
	if code, _, errs := runCLI(t, addSegou...); code != 1 || !strings.Contains(errs, "meal-segou") {
		t.Fatalf("officer of a team not in the config: exit %d %s", code, errs)
	}

	const segou = "teams:\n  - id: meal-segou\n    name: MEAL Ségou\n    kind: meal\n    organisation: Demo NGO\n    places: [ML04]\n    categories: [exclusion, distribution, question, feedback]\n    supervisor: fatou\n"
	withSegou := strings.Replace(string(demo), "teams:\n", segou, 1)
	write(withSegou)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := m.ops.cfg.Load().Team("meal-segou"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reload the config: Reload says %v", m.Reload())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, out, errs := runCLIIn(t, "a long passphrase\n", addSegou...); code != 0 {
		t.Fatalf("officer of the new team after reload: exit %d %s%s", code, out, errs)
	}
	if _, ok := m.cases.Config().Team("meal-segou"); !ok {
		t.Error("the case service did not get the reloaded config")
	}

	for name, tt := range map[string]struct{ text, want string }{
		"syntax":  {strings.Replace(withSegou, "    kind: meal\n", "    kind: [meal\n", 1), "hotline.yaml:"},
		"place":   {strings.Replace(withSegou, "places: [ML04]", "places: [ML0499]", 1), `unknown P-code "ML0499"`},
		"channel": {strings.Replace(withSegou, `from: "+22376000900"`, `from: "+22376000901"`, 1), "channels change only at a restart"},
	} {
		write(tt.text)
		if err := m.Reload(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("reload of a %s error: %v, want %q", name, err, tt.want)
		}
		if _, ok := m.cases.Config().Team("meal-segou"); !ok {
			t.Errorf("after a refused reload (%s) the running config is gone", name)
		}
	}
}

// keys rotate while serving goes through the admin socket and the running
// server takes the new version at once: a case filed after the rotation
// has its PIN hashed with pin-k2, and a case filed before still answers
// to its PIN.
func TestKeysRotateWhileServing(t *testing.T) {
	dir := t.TempDir()
	data, keys := filepath.Join(dir, "data"), filepath.Join(dir, "keys")
	m, stop := serveMain(t, data, keys, nil)
	ctx := context.Background()
	submit := func(n string) casework.Receipt {
		t.Helper()
		r, err := m.cases.Submit(ctx, casework.Intake{IdempotencyKey: "rotate/" + n, CallerKey: "k1:caller-" + n,
			Channel: "demo-at", Medium: "ussd", Language: "fr", Category: "question"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	before := submit("1")
	for _, name := range []string{"pin", "callerid", "seal", "recording", "outbox", "callback", "subscriber"} {
		code, out, errs := runCLI(t, "keys", "rotate", name, "--data", data)
		if code != 0 || !strings.Contains(out, name+"-k2") || !strings.Contains(out, "uses it now") {
			t.Errorf("keys rotate %s while serving: exit %d\n%s%s", name, code, out, errs)
		}
	}
	after := submit("2")
	if !strings.HasPrefix(after.Case.PINHash, "k2:") || !strings.HasPrefix(before.Case.PINHash, "k1:") {
		t.Errorf("PIN hash versions: before %.3s, after %.3s; want k1, k2", before.Case.PINHash, after.Case.PINHash)
	}
	for _, r := range []casework.Receipt{before, after} {
		if _, err := m.cases.FollowUp(ctx, nil, r.Case.Reference, r.PIN); err != nil {
			t.Errorf("follow-up of %s after the rotation: %v", r.Case.Reference, err)
		}
	}
	// SIGHUP's Reload rereads the keys directory: here the same versions.
	if err := m.Reload(); err == nil || !strings.Contains(err.Error(), "keys reread") {
		t.Errorf("Reload without --config: %v", err)
	}
	stop()
	if code, out, _ := runCLI(t, "keys", "list", "--data", data, "--keys", keys); code != 0 || strings.Count(out, "uses it") != 14 {
		t.Errorf("keys list after rotating all seven: exit %d\n%s", code, out)
	}
}
