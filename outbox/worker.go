package outbox

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/numerovert/hotline/outbox/outbound"
)

func sortByNext(rs []Record) {
	slices.SortFunc(rs, func(a, b Record) int { return a.NextAttempt.Compare(b.NextAttempt) })
}

// Sender is one provider's send API (africastalking.Sender,
// twilio.Sender). Its client bounds each call with the provider's timeout.
type Sender interface {
	Send(ctx context.Context, m outbound.Message) (providerID string, err error)
}

// Backoff is exponential with jitter: attempt n waits between half and all
// of Min·2^(n-1), capped at Max, so that many messages failing together
// (a provider outage) do not all come back at the same instant.
type Backoff struct {
	Min, Max time.Duration
}

// Delay returns the wait after the given number of failed attempts (≥ 1).
func (b Backoff) Delay(attempts int) time.Duration {
	d := b.Min
	for i := 1; i < attempts && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half+1)
}

// Worker sends what the outbox holds.
type Worker struct {
	Store   Queue
	Senders map[string]Sender // by channel id
	// Names gives each channel id the name logs use: the id is a URL
	// token and stays out of logs.
	Names   map[string]string
	Backoff Backoff // default 5 s … 10 min
	// Parallel bounds concurrent sends (default 4).
	Parallel int
	// Poll is the longest the worker sleeps between looks at the queue
	// (default 5 s); an enqueue wakes it at once.
	Poll   time.Duration
	Logger *slog.Logger

	mu       sync.Mutex
	inflight map[string]bool
}

func (w *Worker) defaults() {
	if w.Backoff.Min == 0 {
		w.Backoff.Min = 5 * time.Second
	}
	if w.Backoff.Max == 0 {
		w.Backoff.Max = 10 * time.Minute
	}
	if w.Parallel == 0 {
		w.Parallel = 4
	}
	if w.Poll == 0 {
		w.Poll = 5 * time.Second
	}
	if w.Logger == nil {
		w.Logger = slog.Default()
	}
	w.inflight = map[string]bool{}
}

// Run sends due messages until ctx ends, then waits for sends in flight.
// A send interrupted by a crash is sent again after a restart, under the
// same outbox id.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, w.Parallel)
	lastSweep := time.Time{}
	for {
		if time.Since(lastSweep) > time.Minute {
			if n, err := w.Store.Sweep(ctx); err != nil && ctx.Err() == nil {
				w.Logger.Error("outbox sweep failed", "err", err)
			} else if n > 0 {
				w.Logger.Warn("outbox dropped messages at the end of their retry window", "count", n)
			}
			lastSweep = time.Now()
		}
		due, err := w.Store.Due(ctx, 4*w.Parallel)
		if err != nil && ctx.Err() == nil {
			w.Logger.Error("outbox read failed", "err", err)
		}
		for _, r := range due {
			if !w.claim(r.ID) {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				w.release(r.ID)
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem; w.release(r.ID) }()
				w.send(ctx, r)
			}()
		}
		wait := w.Poll
		if next, ok, err := w.Store.NextDue(ctx); err == nil && ok {
			wait = min(wait, max(time.Until(next), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.Store.Notify():
		case <-t.C:
		}
		t.Stop()
	}
}

func (w *Worker) claim(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inflight[id] {
		return false
	}
	w.inflight[id] = true
	return true
}

func (w *Worker) release(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.inflight, id)
}

// send makes one attempt. Logs name the outbox id and channel, never the
// number or the body.
func (w *Worker) send(ctx context.Context, r Record) {
	log := w.Logger.With("outbox_id", r.ID, "channel", w.Names[r.Channel], "attempt", r.Attempts+1)
	sender, ok := w.Senders[r.Channel]
	if !ok {
		// A channel removed from the config: keep trying until the window
		// ends, in case it comes back.
		w.fail(ctx, log, r, "no sender for channel", false)
		return
	}
	to, body, err := w.Store.Unseal(ctx, r.ID)
	if errors.Is(err, ErrUnsealable) {
		log.Error("outbox message cannot be opened (key destroyed?): dropped", "err", err)
		if err := w.Store.Drop(ctx, r.ID); err != nil && ctx.Err() == nil {
			log.Error("outbox drop failed", "err", err)
		}
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Error("outbox read failed", "err", err)
		}
		return
	}
	providerID, err := sender.Send(ctx, outbound.Message{ID: r.ID, To: to, From: r.From, Body: body})
	if ctx.Err() != nil {
		return // shutting down: the record is still pending and is retried after restart
	}
	if err != nil {
		var se *outbound.SendError
		code, permanent := "transport error", false
		if errors.As(err, &se) {
			code, permanent = se.Code, se.Permanent
		}
		log.Warn("sms send failed", "err", err)
		w.fail(ctx, log, r, code, permanent)
		return
	}
	if err := w.Store.Sent(ctx, r.ID, providerID); err != nil {
		log.Error("outbox could not record a send (it may be sent again)", "err", err)
		return
	}
	log.Info("sms accepted by provider")
}

func (w *Worker) fail(ctx context.Context, log *slog.Logger, r Record, code string, permanent bool) {
	dropped, err := w.Store.Failed(ctx, r.ID, code, permanent, w.Backoff.Delay(r.Attempts+1))
	switch {
	case err != nil:
		if ctx.Err() == nil {
			log.Error("outbox update failed", "err", err)
		}
	case dropped:
		log.Warn("sms dropped", "reason", code, "permanent", permanent)
	}
}
