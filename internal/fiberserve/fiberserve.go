// Package fiberserve is the one way this program serves a Fiber app on a
// listener and stops it: serve until the context ends, then finish the
// requests in flight within a grace period.
//
// It exists because fasthttp counts a connection that was accepted but has
// not sent a byte as busy, not idle, until its ReadTimeout: an HTTP client
// that dialled a spare connection (Go's transport does this when two
// requests race for one pooled connection) would hold a graceful shutdown
// for the whole ReadTimeout, and past the grace period the process exits
// with an error. When the shutdown starts, such connections get a short
// read deadline instead, so bytes already on their way are still read and
// answered, and silent connections are closed.
//
// What must never happen: a request whose bytes had arrived before the
// shutdown is dropped, or a shutdown waits on a connection that never
// spoke.
package fiberserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v3"
)

// SilentGrace is how long a connection that has sent nothing yet may still
// start its request once the shutdown has begun.
const SilentGrace = 500 * time.Millisecond

// Serve answers on ln until ctx ends, then shuts app down, waiting at most
// grace for the requests in flight.
func Serve(ctx context.Context, app *fiber.App, ln net.Listener, grace time.Duration) error {
	dl := &drainListener{Listener: ln, conns: map[*drainConn]struct{}{}}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(dl, fiber.ListenConfig{DisableStartupMessage: true}) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	dl.drain(time.Now().Add(SilentGrace))
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := app.ShutdownWithContext(shutdown); err != nil {
		return fmt.Errorf("shut down %s: %w", ln.Addr(), err)
	}
	return nil
}

// drainListener remembers the connections it accepted until they close.
type drainListener struct {
	net.Listener
	mu     sync.Mutex
	conns  map[*drainConn]struct{}
	cutoff atomic.Pointer[time.Time] // set when the shutdown starts
}

func (l *drainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	dc := &drainConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[dc] = struct{}{}
	l.mu.Unlock()
	if l.cutoff.Load() != nil {
		dc.limit()
	}
	return dc, nil
}

// drain gives every connection that has not sent a byte until cutoff.
func (l *drainListener) drain(cutoff time.Time) {
	l.cutoff.Store(&cutoff)
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.limit()
	}
}

type drainConn struct {
	net.Conn
	l      *drainListener
	spoke  atomic.Bool
	closed atomic.Bool
}

func (c *drainConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.spoke.Store(true)
	}
	return n, err
}

// limit shortens the read deadline of a connection that has not spoken.
func (c *drainConn) limit() {
	if !c.spoke.Load() {
		_ = c.SetReadDeadline(time.Time{})
	}
}

// SetReadDeadline keeps a silent connection's deadline at or before the
// shutdown's cutoff, whatever the server asks for.
func (c *drainConn) SetReadDeadline(t time.Time) error {
	if cut := c.l.cutoff.Load(); cut != nil && !c.spoke.Load() && (t.IsZero() || t.After(*cut)) {
		t = *cut
	}
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline applies the same rule to the read half.
func (c *drainConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

func (c *drainConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	}
	err := c.Conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
