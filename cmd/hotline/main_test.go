package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/keystore"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIIn(t, "", args...)
}

// runCLIIn runs the command line with stdin.
func runCLIIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = run(ctx, args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndExitCodes(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--help"}, 0, "usage:", ""},
		{[]string{"-h"}, 0, "hotline backup --out FILE", ""},
		{[]string{"help"}, 0, "usage:", ""},
		{nil, 2, "", "usage:"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"keys", "shred"}, 2, "", "usage:"},
		{[]string{"simulate", "fax"}, 2, "", "simulate: unknown or missing subcommand"},
		{[]string{"serve", "--no-such-flag"}, 2, "", "flag provided but not defined: -no-such-flag"},
		{[]string{"serve", "-h"}, 0, "", "-init-keys"},
		{[]string{"serve", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"backup"}, 2, "", "--out FILE is required"},
		{[]string{"config", "check"}, 2, "", "give one FILE"},
		{[]string{"config", "check", "no-such.yaml"}, 1, "", "no-such.yaml"},
	} {
		code, out, errs := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) {
			t.Errorf("hotline %q: exit %d, want %d; stdout %.80q (want %q); stderr %.300q (want %q)",
				tt.args, code, tt.code, out, tt.stdout, errs, tt.stderr)
		}
	}
}

// openMain opens `hotline serve` in process on free loopback ports.
func openMain(t *testing.T, dataDir, keysDir string, edit func(*Main)) (*Main, error) {
	t.Helper()
	m := NewMain(&bytes.Buffer{})
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", dataDir, "--keys", keysDir, "--init-keys"}); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	err := m.Open(context.Background())
	if err != nil {
		return nil, errors.Join(err, m.Close())
	}
	return m, nil
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The staff side (/meal/, /metrics) is on --admin-addr only, apart from
// the provider callbacks; simulate fails when its inputs end too early.
func TestMainAdminAddrAndSimulate(t *testing.T) {
	dir := t.TempDir()
	m, err := openMain(t, filepath.Join(dir, "data"), filepath.Join(dir, "keys"), func(m *Main) { m.AdminAddr = "127.0.0.1:0" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	pub, staff := "http://"+m.ListenAddr(), "http://"+m.admin.Addr().String()
	for url, want := range map[string]int{
		pub + "/healthz":       200,
		pub + "/metrics":       404,
		pub + "/meal/login":    404,
		staff + "/metrics":     200,
		staff + "/meal/login":  200,
		staff + "/c/demo-at/x": 404,
	} {
		if got := get(t, url); got != want {
			t.Errorf("GET %s = %d, want %d", url, got, want)
		}
	}
	code, out, errs := runCLI(t, "simulate", "ussd", "--url", pub+"/c/demo-at/ussd", "--phone", "+22376000061", "--inputs", "2")
	if code != 1 || !strings.Contains(errs, "inputs ended before the session did") || !strings.Contains(out, "--- CON") {
		t.Errorf("simulate with too few inputs: exit %d\n%s\n%s", code, out, errs)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// Closed means closed: the same data opens again, and refuses keys
	// that are not its own.
	if _, err := openMain(t, filepath.Join(dir, "data"), filepath.Join(dir, "other-keys"), nil); !errors.Is(err, keystore.ErrMismatch) {
		t.Errorf("reopen with other keys: %v", err)
	}
	again, err := openMain(t, filepath.Join(dir, "data"), filepath.Join(dir, "keys"), nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	again.Close()
}

func TestDemoCredentialsRefusedOutsideLoopback(t *testing.T) {
	dir := t.TempDir()
	for _, edit := range []func(*Main){
		func(m *Main) { m.Addr = "0.0.0.0:0" },
		func(m *Main) { m.AdminAddr = "[::]:0" },
	} {
		_, err := openMain(t, filepath.Join(dir, "data"), filepath.Join(dir, "keys"), edit)
		if err == nil || !strings.Contains(err.Error(), "demo's published credentials") {
			t.Errorf("demo config beyond loopback: %v", err)
		}
	}
}

// config/example.yaml is a valid production config: `config check`
// passes, and the server starts on it (beyond loopback: no demo secrets)
// once its secrets are in place.
func TestExampleConfigStarts(t *testing.T) {
	example := filepath.Join("..", "..", "config", "example.yaml")
	if code, out, errs := runCLI(t, "config", "check", example); code != 0 || !strings.Contains(out, ": ok") {
		t.Fatalf("config check: exit %d\n%s%s", code, out, errs)
	}
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.MkdirAll(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"twilio-auth-token", "kannel-sendsms-password"} {
		if err := os.WriteFile(filepath.Join(keys, f), []byte("not-a-real-secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOTLINE_AT_API_KEY", "not-a-real-key")
	// The SIP channel listens on a free UDP port instead of 5060, which
	// a SIP test (sipp) on this machine may hold.
	b, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := uc.LocalAddr().String()
	uc.Close()
	example = filepath.Join(dir, "example.yaml")
	if err := os.WriteFile(example, bytes.Replace(b, []byte(`listen: "0.0.0.0:5060"`), []byte(`listen: "`+free+`"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := openMain(t, filepath.Join(dir, "data"), keys, func(m *Main) {
		m.ConfigPath, m.Addr = example, "0.0.0.0:0"
	})
	if err != nil {
		t.Fatalf("open on config/example.yaml: %v", err)
	}
	m.Close()
}
