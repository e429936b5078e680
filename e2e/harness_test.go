// Package e2e drives the real hotline binary over HTTP exactly as an
// aggregator would, with the simulator, and inspects what it left on disk
// and in its logs.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hotline-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "hotline")
	build := exec.Command("go", "build", "-o", binary, "../cmd/hotline")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build hotline:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one running `hotline serve` process.
type server struct {
	cmd     *exec.Cmd
	base    string
	DataDir string
	KeysDir string
	logs    *syncBuffer
	done    chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`msg="hotline listening" addr=(\S+)`)

// startServer runs the binary on a free port with the given directories
// (fresh temporary ones when empty) and waits until it listens.
func startServer(t testing.TB, dataDir, keysDir string, extra ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = filepath.Join(t.TempDir(), "data")
	}
	if keysDir == "" {
		keysDir = filepath.Join(t.TempDir(), "keys")
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--keys", keysDir, "--init-keys"}, extra...)
	cmd := exec.Command(binary, args...)
	logs := &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Stdout = logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	s := &server{cmd: cmd, DataDir: dataDir, KeysDir: keysDir, logs: logs, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			logs.Write([]byte(line + "\n"))
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		s.done <- err
	}()
	select {
	case a := <-addr:
		s.base = "http://" + a
	case err := <-s.done:
		t.Fatalf("server exited before listening: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start:\n%s", logs)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// url returns the full URL of path on the server.
func (s *server) url(path string) string { return s.base + path }

// stop sends SIGTERM and waits for a clean exit. Safe to call twice.
func (s *server) stop(t testing.TB) {
	t.Helper()
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server exit: %v\n%s", err, s.logs)
		}
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		t.Errorf("server did not stop on SIGTERM")
	}
}

// cases lists the stored cases through the operator CLI (the server must
// be stopped: bbolt locks its file).
func cases(t *testing.T, dataDir string) []casework.Case {
	t.Helper()
	out, err := exec.CommandContext(context.Background(), binary, "cases", "list", "--data", dataDir).Output()
	if err != nil {
		t.Fatalf("cases list: %v", err)
	}
	var list []casework.Case
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var c casework.Case
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("decode case: %v\n%s", err, out)
		}
		list = append(list, c)
	}
	return list
}

// containsAny reports which of needles occur in haystack.
func containsAny(haystack []byte, needles ...string) []string {
	var found []string
	for _, n := range needles {
		if bytes.Contains(haystack, []byte(n)) {
			found = append(found, n)
		}
	}
	return found
}

// filesUnder returns the contents of every regular file below dir.
func filesUnder(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// freeAddr is a loopback address with a free port, for a server whose
// config must name its own address before it starts (Twilio's public_url).
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// demoAt returns the serve flags that run the shipped demo config on a
// free address: its public_url (Twilio signatures are checked against it,
// never the Host header) names that address instead of 127.0.0.1:8080.
func demoAt(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	path := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(path, bytes.ReplaceAll(b, []byte("127.0.0.1:8080"), []byte(addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--addr", addr, "--config", path}
}
