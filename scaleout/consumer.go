package scaleout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
)

// Intaker takes a complaint into casework: casework.Service, which routes
// it and stores it durably before it returns.
type Intaker interface {
	Submit(ctx context.Context, in casework.Intake) (casework.Receipt, error)
	// AppendToCase adds a caller's later SMS to the case a gateway named
	// (casework.Service.AppendToCase).
	AppendToCase(ctx context.Context, ref, callerKey string, window time.Duration, key, text string) (casework.Case, bool, error)
}

// Consumer moves complaints from the intake stream into casework. Run it
// on exactly one casework node: the store is that node's bbolt file.
type Consumer struct {
	rdb    *redis.Client
	keys   keys
	cases  Intaker
	mirror *Mirror
	name   string
	log    *slog.Logger

	// Batch is how many entries are read at once; they are stored
	// concurrently, so the bbolt store commits them together.
	Batch int64
	// Block is how long one read waits for new entries.
	Block time.Duration
	// ClaimIdle is how long an entry must have been pending with another
	// consumer before this one takes it over (a crashed node under an
	// older consumer name).
	ClaimIdle time.Duration
}

// NewConsumer consumes under prefix into cases, as consumer name of the
// group. Keep name stable across restarts, so that entries delivered
// before a crash are read again first.
func NewConsumer(rdb *redis.Client, prefix string, cases Intaker, name string, log *slog.Logger) *Consumer {
	if log == nil {
		log = slog.Default()
	}
	return &Consumer{
		rdb: rdb, keys: keys{prefix}, cases: cases, mirror: NewMirror(rdb, prefix),
		name: name, log: log,
		Batch: 64, Block: time.Second, ClaimIdle: 30 * time.Second,
	}
}

// Run consumes until ctx ends. Redis or store failures pause it (with
// back-off up to 5 s) and it carries on by itself when they pass; entries
// are acknowledged only after the store has committed them, so nothing
// is lost in between.
func (c *Consumer) Run(ctx context.Context) error {
	streamGroup{rdb: c.rdb, stream: c.keys.stream(), consumer: c.name, what: "intake",
		batch: c.Batch, block: c.Block, claimIdle: c.ClaimIdle, log: c.log, handle: c.handle}.run(ctx)
	return nil
}

type outcome struct {
	c    casework.Case
	dead string // why the entry can never become a case
	err  error  // a failure worth retrying
}

// handle stores msgs concurrently, then in one transaction mirrors the
// public status of each stored case, moves entries that can never be
// stored to the dead-letter stream, and acknowledges and deletes both.
// An entry whose store failed stays pending and is read again after the
// pause.
func (c *Consumer) handle(ctx context.Context, msgs []redis.XMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	out := make([]outcome, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		if m.Values["kind"] != entryAppend {
			wg.Go(func() { out[i] = c.store1(ctx, m) })
		}
	}
	wg.Wait()
	// Later messages after the complaints, in stream order: one may join a
	// case queued in this very batch, and two join one case in order.
	for i, m := range msgs {
		if m.Values["kind"] == entryAppend {
			out[i] = c.append1(ctx, m)
		}
	}

	var firstErr error
	var done []string
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range msgs {
			o := out[i]
			switch {
			case o.err != nil:
				if firstErr == nil {
					firstErr = o.err
				}
				continue
			case o.dead != "":
				c.log.Error("intake entry cannot become a case; moved to the dead-letter stream", "entry", m.ID, "reason", o.dead)
				values := map[string]any{"entry": m.ID, "reason": o.dead}
				for k, v := range m.Values {
					values["orig_"+k] = v
				}
				p.XAdd(ctx, &redis.XAddArgs{Stream: c.keys.dead(), Values: values})
			default:
				c.mirror.set(ctx, p, o.c.Reference, statusOf(o.c))
			}
			done = append(done, m.ID)
		}
		if len(done) > 0 {
			p.XAck(ctx, c.keys.stream(), Group, done...)
			p.XDel(ctx, c.keys.stream(), done...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("acknowledge entries: %w", err)
	}
	if firstErr != nil {
		return firstErr
	}
	return nil
}

// appendAlways is the window for a later message on the casework node:
// the gateway checked the window when it told the caller the message
// joined their case, and the entry may have waited in the stream since.
const appendAlways = time.Duration(math.MaxInt64)

// append1 adds one later message to the case its entry names or, when
// that case is closed, purged, full or not found, stores it as a case of
// its own under a new reference (the caller was told the old one; the
// message is kept either way, and the idempotency key makes one case of a
// repeated delivery).
func (c *Consumer) append1(ctx context.Context, m redis.XMessage) outcome {
	in, dead := decodeEntry(m)
	if dead != "" {
		return outcome{dead: dead}
	}
	got, ok, err := c.cases.AppendToCase(ctx, in.Reference, in.CallerKey, appendAlways, in.IdempotencyKey, in.Detail)
	switch {
	case errors.Is(err, casework.ErrInvalidIntake):
		return outcome{dead: err.Error()}
	case err != nil:
		return outcome{err: fmt.Errorf("append entry %s: %w", m.ID, err)}
	case ok:
		return outcome{c: got}
	}
	c.log.Info("a later SMS could not join its case; stored as a case of its own", "entry", m.ID)
	in.Reference = ""
	return c.submit(ctx, m, in)
}

// decodeEntry reads an entry's intake, or says why it can never be stored.
func decodeEntry(m redis.XMessage) (casework.Intake, string) {
	if len(m.Values) == 0 {
		return casework.Intake{}, errNoFields.Error()
	}
	raw, _ := m.Values["intake"].(string)
	ref, _ := m.Values["ref"].(string)
	var in casework.Intake
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return casework.Intake{}, "intake is not valid JSON"
	}
	if in.Reference != ref {
		return casework.Intake{}, "reference field and intake disagree"
	}
	return in, ""
}

// store1 stores one entry. The idempotency key and the reference come
// from the gateway, so an entry delivered twice makes one case.
func (c *Consumer) store1(ctx context.Context, m redis.XMessage) outcome {
	in, dead := decodeEntry(m)
	if dead != "" {
		return outcome{dead: dead}
	}
	return c.submit(ctx, m, in)
}

func (c *Consumer) submit(ctx context.Context, m redis.XMessage, in casework.Intake) outcome {
	r, err := c.cases.Submit(ctx, in)
	switch {
	case errors.Is(err, casework.ErrInvalidIntake), errors.Is(err, casework.ErrReferenceTaken):
		return outcome{dead: err.Error()}
	case err != nil:
		return outcome{err: fmt.Errorf("store entry %s: %w", m.ID, err)}
	}
	return outcome{c: r.Case}
}
