package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// backup goes through the admin socket (0600) while Main runs, and from
// the files once it is closed; keys rotate records the new version.
func TestBackupSocketFallbackAndRotate(t *testing.T) {
	dir := t.TempDir()
	data, keys := filepath.Join(dir, "data"), filepath.Join(dir, "keys")
	m, err := openMain(t, data, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	info, err := os.Stat(filepath.Join(data, adminSocketFile))
	if err != nil || info.Mode().Perm() != 0o600 || info.Mode().Type() != os.ModeSocket {
		t.Fatalf("admin socket: %v %v", info, err)
	}
	if code, out, errs := runCLI(t, "backup", "--data", data, "--out", filepath.Join(dir, "live.tar")); code != 0 || !strings.Contains(out, "through the running server") {
		t.Fatalf("backup while serving: exit %d\n%s%s", code, out, errs)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
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
	if code != 0 || !strings.Contains(out, "pin-k2") || strings.Count(out, "uses it") != 6 {
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
