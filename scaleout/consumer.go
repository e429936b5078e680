package scaleout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
)

// Intaker takes a complaint into casework: casework.Service, which routes
// it and stores it durably before it returns.
type Intaker interface {
	Submit(ctx context.Context, in casework.Intake) (casework.Receipt, error)
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
		wg.Go(func() { out[i] = c.store1(ctx, m) })
	}
	wg.Wait()

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

// store1 stores one entry. The idempotency key and the reference come
// from the gateway, so an entry delivered twice makes one case.
func (c *Consumer) store1(ctx context.Context, m redis.XMessage) outcome {
	if len(m.Values) == 0 {
		return outcome{dead: errNoFields.Error()}
	}
	raw, _ := m.Values["intake"].(string)
	ref, _ := m.Values["ref"].(string)
	var in casework.Intake
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return outcome{dead: "intake is not valid JSON"}
	}
	if in.Reference != ref {
		return outcome{dead: "reference field and intake disagree"}
	}
	r, err := c.cases.Submit(ctx, in)
	switch {
	case errors.Is(err, casework.ErrInvalidIntake), errors.Is(err, casework.ErrReferenceTaken):
		return outcome{dead: err.Error()}
	case err != nil:
		return outcome{err: fmt.Errorf("store entry %s: %w", m.ID, err)}
	}
	return outcome{c: r.Case}
}
