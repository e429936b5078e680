package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/simulator"
)

// TestSIGKILLLosesNoReference kills the server with SIGKILL while callers
// are submitting complaints, restarts it on the same directories and checks
// that every reference any caller was shown is in the store, and that the
// store file passes bbolt's consistency check. This is the proof of
// "durable before the reference is shown".
func TestSIGKILLLosesNoReference(t *testing.T) {
	srv := startServer(t, "", "")
	target := srv.url("/c/demo-at/ussd")

	const callers = 8
	const wantBeforeKill = 40
	var (
		mu       sync.Mutex
		shown    []string
		sessions atomic.Int64
		enough   = make(chan struct{})
		once     sync.Once
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
					return // the server is gone: this caller hangs up
				}
				m := referenceOnScreen.FindStringSubmatch(sc.Text)
				if !sc.End || m == nil {
					t.Errorf("session %d ended without a reference:\n%s", i, sc.Text)
					return
				}
				mu.Lock()
				shown = append(shown, m[1]+m[2])
				if len(shown) >= wantBeforeKill {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-ctx.Done():
		t.Fatalf("only %d references before the deadline", len(shown))
	}
	// Submissions are still running on every caller at this point.
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-srv.done
	wg.Wait()
	mu.Lock()
	refs := append([]string(nil), shown...)
	mu.Unlock()
	t.Logf("%d references shown before SIGKILL, %d sessions started", len(refs), sessions.Load())

	// The store file must be consistent after the kill.
	db, err := bolt.Open(filepath.Join(srv.DataDir, "hotline.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open the store after SIGKILL: %v", err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Restart on the same directories: it must start, be ready and take a
	// new complaint.
	again := startServer(t, srv.DataDir, srv.KeysDir)
	resp, err := http.Get(again.url("/readyz"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz after restart: %v %v", resp, err)
	}
	resp.Body.Close()
	screens, err := simulator.USSD{URL: again.url("/c/demo-at/ussd"), Phone: phoneFR}.Play(ctx, simulator.DefaultLoadInputs, nil)
	if err != nil || !screens[len(screens)-1].End {
		t.Fatalf("complaint after restart: %v", err)
	}
	again.stop(t)

	stored := map[string]bool{}
	for _, c := range cases(t, srv.DataDir) {
		stored[c.Reference] = true
	}
	lost := 0
	for _, ref := range refs {
		if !stored[ref] {
			lost++
			t.Errorf("reference %s was shown to a caller but is not in the store", ref)
		}
	}
	if len(stored) < len(refs)+1 {
		t.Errorf("store holds %d cases, fewer than the %d references shown plus one", len(stored), len(refs))
	}
	t.Logf("%d cases stored, %d lost", len(stored), lost)
}

// TestSIGTERMFinishesInFlightHop sends half a callback, stops the server
// with SIGTERM, waits until it no longer accepts connections, then sends the
// rest: the hop already in flight must still be answered, and the server
// must then exit cleanly with its store closed.
func TestSIGTERMFinishesInFlightHop(t *testing.T) {
	srv := startServer(t, "", "")
	addr := strings.TrimPrefix(srv.base, "http://")
	form := url.Values{"sessionId": {"ATUid_inflight"}, "phoneNumber": {phoneFR}, "networkCode": {"99999"},
		"serviceCode": {"*384*1234#"}, "text": {""}}.Encode()
	// The connection must have been accepted before SIGTERM, or closing the
	// listener would reset it from the kernel's backlog: watch the server's
	// open file descriptors (on a kept-alive metrics connection) go up by one.
	metrics := &http.Client{Timeout: 10 * time.Second}
	openFDs := func() int {
		resp, err := metrics.Get(srv.url("/metrics"))
		if err != nil {
			t.Fatalf("metrics: %v", err)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "process_open_fds "); ok {
				var n float64
				fmt.Sscan(v, &n)
				return int(n)
			}
		}
		t.Fatal("metrics lack process_open_fds")
		return 0
	}
	before := openFDs()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	half := len(form) / 2
	fmt.Fprintf(conn, "POST /c/demo-at/ussd HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		addr, len(form), form[:half])
	for i := 0; openFDs() <= before; i++ {
		if i > 1000 {
			t.Fatal("the server never accepted the connection")
		}
		time.Sleep(5 * time.Millisecond)
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Shutdown has begun once the listener is closed.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if i > 500 {
			t.Fatal("the server still accepts connections long after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := conn.Write([]byte(form[half:])); err != nil {
		t.Fatalf("finish the in-flight request: %v\n%s", err, srv.logs)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight hop got no answer: %v", err)
	}
	body := make([]byte, 4)
	_, _ = resp.Body.Read(body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "CON " {
		t.Fatalf("in-flight hop: HTTP %d %q, want 200 CON", resp.StatusCode, body)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
	if !strings.Contains(srv.logs.String(), "hotline stopped") {
		t.Errorf("no clean stop in the logs:\n%s", srv.logs)
	}
	// The store was closed (its lock released): the operator CLI opens it.
	cases(t, srv.DataDir)
}
