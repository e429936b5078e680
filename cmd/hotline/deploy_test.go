package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// deploy/hotline.service passes `systemd-analyze verify` with no warning,
// keeps its hardening, and its ExecStart is a command line serve accepts.
func TestSystemdUnit(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "hotline.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(raw)
	for _, want := range []string{"User=hotline", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/hotline", "StandardError=journal"} {
		if !strings.Contains(unit, "\n"+want+"\n") {
			t.Errorf("unit lacks %s", want)
		}
	}
	// ExecStart, continuation lines joined.
	exec0 := strings.Index(unit, "\nExecStart=")
	if exec0 < 0 {
		t.Fatal("no ExecStart")
	}
	line := unit[exec0+len("\nExecStart="):]
	line = strings.ReplaceAll(line, "\\\n", " ")
	line, _, _ = strings.Cut(line, "\n")
	args := strings.Fields(line)
	if len(args) < 2 || args[1] != "serve" {
		t.Fatalf("ExecStart = %q", line)
	}
	m := NewMain(&bytes.Buffer{})
	if err := m.ParseFlags(args[2:]); err != nil {
		t.Errorf("ExecStart flags: %v", err)
	}
	if m.AdminAddr == "" || len(m.Proxies) == 0 {
		t.Errorf("ExecStart should separate the staff listener and trust the local proxy: %q", line)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze not installed (.ci/run installs systemd)")
		}
		t.Skip("systemd-analyze not installed")
	}
	// verify checks that ExecStart's binary exists: point it at this
	// test binary, which is executable.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	local := strings.Replace(unit, "ExecStart="+args[0], "ExecStart="+self, 1)
	path := filepath.Join(t.TempDir(), "hotline.service")
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
