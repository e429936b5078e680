package scaleout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
	backoff := 100 * time.Millisecond
	for {
		start := time.Now()
		err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > 10*time.Second {
			backoff = 100 * time.Millisecond
		}
		c.log.Warn("intake consumer paused", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// session runs from (re)connection to the first error.
func (c *Consumer) session(ctx context.Context) error {
	err := c.rdb.XGroupCreateMkStream(ctx, c.keys.stream(), Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group: %w", err)
	}
	// Entries delivered to this consumer before a crash and never
	// acknowledged come first.
	for {
		n, err := c.read(ctx, "0", 0)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	var lastClaim time.Time
	for ctx.Err() == nil {
		if time.Since(lastClaim) >= c.ClaimIdle/2 {
			if err := c.claim(ctx); err != nil {
				return err
			}
			lastClaim = time.Now()
		}
		if _, err := c.read(ctx, ">", c.Block); err != nil {
			return err
		}
	}
	return nil
}

// read reads one batch from id ("0": own pending entries; ">": new ones)
// and handles it, returning how many entries it saw.
func (c *Consumer) read(ctx context.Context, id string, block time.Duration) (int, error) {
	args := &redis.XReadGroupArgs{
		Group: Group, Consumer: c.name,
		Streams: []string{c.keys.stream(), id},
		Count:   c.Batch,
		Block:   block,
	}
	if block == 0 {
		args.Block = -1 // no BLOCK argument
	}
	res, err := c.rdb.XReadGroup(ctx, args).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read stream: %w", err)
	}
	n := 0
	for _, s := range res {
		n += len(s.Messages)
		if err := c.handle(ctx, s.Messages); err != nil {
			return n, err
		}
	}
	return n, nil
}

// claim takes over entries pending for longer than ClaimIdle with any
// consumer (a node that crashed under another name).
func (c *Consumer) claim(ctx context.Context) error {
	start := "0-0"
	for {
		msgs, next, err := c.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: c.keys.stream(), Group: Group, Consumer: c.name,
			MinIdle: c.ClaimIdle, Start: start, Count: c.Batch,
		}).Result()
		if err != nil {
			return fmt.Errorf("claim pending: %w", err)
		}
		if len(msgs) > 0 {
			c.log.Info("claimed pending intake entries", "count", len(msgs))
		}
		if err := c.handle(ctx, msgs); err != nil {
			return err
		}
		if next == "0-0" || next == "" {
			return nil
		}
		start = next
	}
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
