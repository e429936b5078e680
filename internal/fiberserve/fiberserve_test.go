package fiberserve_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/internal/fiberserve"
)

// start serves a one-route app with a ReadTimeout far longer than the
// shutdown's grace, as the hotline's own apps have.
func start(t *testing.T, grace time.Duration) (addr string, stop func() error) {
	t.Helper()
	app := fiber.New(fiber.Config{ReadTimeout: time.Minute})
	app.Post("/", func(c fiber.Ctx) error { return c.SendString("answered") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fiberserve.Serve(ctx, app, ln, grace) }()
	// Wait until the app answers.
	for i := 0; ; i++ {
		resp, err := http.Post("http://"+ln.Addr().String()+"/", "text/plain", nil)
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 100 {
			t.Fatalf("app never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	http.DefaultClient.CloseIdleConnections()
	return ln.Addr().String(), func() error { cancel(); return <-done }
}

// A connection that was opened and never spoke must not hold the shutdown
// until the app's ReadTimeout: before this package, Serve returned
// "context deadline exceeded" here.
func TestSilentConnectionDoesNotHoldShutdown(t *testing.T) {
	addr, stop := start(t, 3*time.Second)
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	time.Sleep(100 * time.Millisecond) // let the server accept it
	if err := stop(); err != nil {
		t.Fatalf("shutdown with a silent connection open: %v", err)
	}
}

// A request that had started before the shutdown is still answered when
// its remaining bytes arrive later.
func TestRequestInFlightIsAnswered(t *testing.T) {
	addr, stop := start(t, 5*time.Second)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "text=1"
	head := "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n"
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(2 * fiberserve.SilentGrace) // past the silent connections' cutoff
	if _, err := conn.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request not answered: %v", err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	_, _ = bufio.NewReader(resp.Body).WriteTo(buf)
	if resp.StatusCode != 200 || buf.String() != "answered" {
		t.Fatalf("in-flight request got %d %q", resp.StatusCode, buf.String())
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
