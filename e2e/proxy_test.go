package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// deploy/Caddyfile, as shipped but on plain HTTP on a free port, in front
// of a server started like deploy/hotline.service: a complaint goes
// through, the staff side does not, and the server believes the proxy.
func TestBehindCaddy(t *testing.T) {
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("caddy not installed (.ci/run installs it)")
		}
		t.Skip("caddy not installed")
	}
	// The demo config, but the USSD channel takes callbacks only from
	// 127.0.0.2: the "provider" below. Caddy reaches the server from
	// 127.0.0.1, so only a server that believes Caddy's X-Forwarded-For
	// lets the provider's callbacks in.
	demo, err := os.ReadFile(filepath.Join("..", "config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfgText := strings.Replace(string(demo), `allow_from: [127.0.0.1, "::1"]`, `allow_from: [127.0.0.2]`, 1)
	if cfgText == string(demo) {
		t.Fatal("demo.yaml has no loopback allow_from to replace")
	}
	cfgPath := filepath.Join(t.TempDir(), "hotline.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "", "--config", cfgPath, "--admin-addr", "127.0.0.1:0", "--trusted-proxy", "127.0.0.1")
	provider := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}}
	raw, err := os.ReadFile(filepath.Join("..", "deploy", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	front := freePort(t)
	conf := strings.Replace(string(raw), "hotline.example.org {", "{\n\tadmin off\n}\n\nhttp://"+front+" {", 1)
	conf = strings.Replace(conf, "reverse_proxy 127.0.0.1:8080", "reverse_proxy "+strings.TrimPrefix(srv.base, "http://"), 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, caddy, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	base := "http://" + front
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy did not proxy /healthz: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}

	c := dialVia(t, base, "+22376000071", "Suivant", provider)
	ref := complainFR(c, "")

	// Straight to the server from 127.0.0.1 (Caddy's own address, not in
	// allow_from): refused.
	form := strings.NewReader("sessionId=ATUid_x&serviceCode=*384*1234%23&phoneNumber=%2B22376000072&text=")
	resp, err := http.Post(srv.url("/c/demo-at/ussd"), "application/x-www-form-urlencoded", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a callback from 127.0.0.1 (not in allow_from) = %d, want 403", resp.StatusCode)
	}

	for _, p := range []string{"/meal/login", "/metrics"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET %s through Caddy = %d, want 404 (staff side never faces the internet)", p, resp.StatusCode)
		}
	}
	srv.stop(t)
	found := false
	for _, cs := range cases(t, srv.DataDir) {
		found = found || cs.Reference == ref
	}
	if !found {
		t.Errorf("reference %s made through Caddy is not stored", ref)
	}
}
