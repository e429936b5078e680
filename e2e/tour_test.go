package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The README's tour is what a new user tries first, so it is run as
// written: `make run`'s serve command from the Makefile, then every
// ```sh block of the tour in order, in a fresh directory, on the
// addresses the README names (127.0.0.1:8080 and :8090). Only `go run
// ./cmd/hotline` becomes the binary built for these tests. Each block's
// command must succeed and show what the README says it shows.
func TestReadmeTour(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", "127.0.0.1:8090"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the tour needs %s free: %v", addr, err)
			}
			t.Skipf("the tour needs %s free: %v", addr, err)
		}
		ln.Close()
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	tour := section(t, string(readme), "## A short tour")
	if !strings.Contains(tour, "`make run`") {
		t.Fatal("the tour no longer starts with `make run`")
	}
	commands := shellBlocks(tour)

	dir := t.TempDir()
	serveArgs := makeRunServe(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := exec.CommandContext(ctx, binary, serveArgs...)
	srv.Dir = dir
	logs := &syncBuffer{}
	srv.Stdout, srv.Stderr = logs, logs
	srv.Cancel = func() error { return srv.Process.Signal(os.Interrupt) }
	srv.WaitDelay = 15 * time.Second
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		srv.Wait()
		for _, form := range []string{"+22376000001", "22376000001", "76000001", "76000003", "76000004"} {
			if strings.Contains(logs.String(), form) {
				t.Errorf("the server's log holds a caller's number (%s)", form)
			}
		}
	}()
	waitListening(t, "127.0.0.1:8080", logs)
	if !strings.Contains(logs.String(), "DEMO configuration") {
		t.Errorf("the log does not say the demo configuration is used:\n%s", logs)
	}

	seen := map[string]bool{}
	for _, line := range commands {
		background := strings.HasSuffix(line, "&")
		line = strings.TrimSpace(strings.TrimSuffix(line, "&"))
		run := strings.ReplaceAll(line, "go run ./cmd/hotline", binary)
		if background {
			// exec: the interrupt at the end reaches the program, not
			// only the shell that started it.
			run = "exec " + run
		}
		cmd := exec.CommandContext(ctx, "sh", "-c", run)
		cmd.WaitDelay = 15 * time.Second
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if background {
			cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
			if err := cmd.Start(); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			t.Cleanup(func() { cancel(); cmd.Wait() })
			waitListening(t, "127.0.0.1:8090", logs)
			continue
		}
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s\nserver log:\n%s", line, err, out.String(), logs)
		}
		for what, check := range tourChecks {
			if strings.Contains(line, what) {
				seen[what] = true
				check(t, dir, out.String())
			}
		}
	}
	for what := range tourChecks {
		if !seen[what] {
			t.Errorf("the tour no longer runs %q", what)
		}
	}
}

// tourChecks say what each command of the tour must show, by a part of
// the command line.
var tourChecks = map[string]func(t *testing.T, dir, out string){
	"simulate ussd": func(t *testing.T, _, out string) {
		if !regexp.MustCompile(`\d{4} \d{4}`).MatchString(out) || !regexp.MustCompile(`\b\d{4}\b`).MatchString(out) {
			t.Errorf("the USSD session shows no reference and secret code:\n%s", out)
		}
	},
	"users add": func(t *testing.T, _, out string) {
		if strings.Contains(out, "a long passphrase") {
			t.Errorf("users add echoed the password:\n%s", out)
		}
	},
	"cases list": func(t *testing.T, _, out string) {
		sc := bufio.NewScanner(strings.NewReader(out))
		n := 0
		for sc.Scan() {
			var c map[string]any
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("cases list: not JSON lines: %v\n%s", err, out)
			}
			n++
		}
		if n == 0 || !strings.Contains(out, `"k1:`) || strings.Contains(out, "76000001") {
			t.Errorf("cases list: want the case with a caller key and no number:\n%s", out)
		}
	},
	"simulate sms": func(t *testing.T, _, out string) {
		if strings.TrimSpace(out) == "" {
			t.Error("simulate sms printed no reply")
		}
	},
	"simulate voice": func(t *testing.T, dir, out string) {
		if !strings.Contains(out, "voice message") {
			t.Errorf("the call left no voice message:\n%s", out)
		}
		// A recording is printed by its URL, speech by its words.
		for _, m := range regexp.MustCompile(`plays: (\S*)`).FindAllStringSubmatch(out, -1) {
			if !strings.HasPrefix(m[1], "http") || !strings.Contains(m[1], "/audio/") {
				t.Errorf("plays %q: want the recording's URL", m[1])
			}
		}
		if !regexp.MustCompile(`(says: \S|plays: http)`).MatchString(out) {
			t.Errorf("the call printed nothing heard:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
			t.Errorf("no ./data beside the tour: %v", err)
		}
	},
}

// section returns the text of the README section starting at heading, up
// to the next heading of the same level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, heading+"\n")
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	rest := doc[i+len(heading):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// shellBlocks returns the commands of the ```sh blocks of text, in order,
// with backslash continuations joined.
func shellBlocks(text string) []string {
	var out []string
	in, cont := false, ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "```sh":
			in = true
		case in && trimmed == "```":
			in = false
		case in && strings.HasSuffix(trimmed, "\\"):
			cont += strings.TrimSuffix(trimmed, "\\") + " "
		case in && trimmed != "":
			out = append(out, cont+trimmed)
			cont = ""
		}
	}
	return out
}

// makeRunServe returns the serve arguments of the Makefile's run target.
func makeRunServe(t *testing.T) []string {
	t.Helper()
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^run:\n(?:\t.*\n)*?\t\$\(GO\) run \./cmd/hotline (serve[^\n]*)`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile's run target no longer runs `go run ./cmd/hotline serve`")
	}
	return strings.Fields(string(m[1]))
}

// waitListening waits until addr accepts connections.
func waitListening(t *testing.T, addr string, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s:\n%s", addr, logs)
}
