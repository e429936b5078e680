package scaleout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// streamGroup is one member of the consumer group Group on one stream: the
// read loop the intake Consumer and the RecordingConsumer share. A session
// creates the group if needed, first handles the entries delivered to this
// member before a crash and never acknowledged, then alternates taking over
// entries left pending by another member for claimIdle with reading new
// ones. handle must acknowledge what it has stored; an entry it returns an
// error for stays pending and is read again after the pause.
type streamGroup struct {
	rdb       *redis.Client
	stream    string
	consumer  string
	what      string // names the stream in logs and errors: "intake", "recordings"
	batch     int64
	block     time.Duration
	claimIdle time.Duration
	log       *slog.Logger
	handle    func(ctx context.Context, msgs []redis.XMessage) error
}

// run reads until ctx ends. Redis or store failures pause it (back-off up
// to 5 s, back to 100 ms after a session that lasted); it carries on by
// itself when they pass.
func (g streamGroup) run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for {
		start := time.Now()
		err := g.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 10*time.Second {
			backoff = 100 * time.Millisecond
		}
		g.log.Warn(g.what+" consumer paused", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// session runs from (re)connection to the first error.
func (g streamGroup) session(ctx context.Context) error {
	err := g.rdb.XGroupCreateMkStream(ctx, g.stream, Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create %s consumer group: %w", g.what, err)
	}
	for { // this member's own entries left by a crash first
		n, err := g.read(ctx, "0", 0)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	var lastClaim time.Time
	for ctx.Err() == nil {
		if time.Since(lastClaim) >= g.claimIdle/2 {
			if err := g.claim(ctx); err != nil {
				return err
			}
			lastClaim = time.Now()
		}
		if _, err := g.read(ctx, ">", g.block); err != nil {
			return err
		}
	}
	return nil
}

// read reads one batch from id ("0": own pending entries, without waiting;
// ">": new ones, waiting up to block) and handles it, returning how many
// entries it saw.
func (g streamGroup) read(ctx context.Context, id string, block time.Duration) (int, error) {
	if block == 0 {
		block = -1 // no BLOCK argument
	}
	res, err := g.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: Group, Consumer: g.consumer, Streams: []string{g.stream, id}, Count: g.batch, Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s stream: %w", g.what, err)
	}
	n := 0
	for _, s := range res {
		n += len(s.Messages)
		if err := g.handle(ctx, s.Messages); err != nil {
			return n, err
		}
	}
	return n, nil
}

// claim takes over entries pending for longer than claimIdle with any
// member (a node that crashed under another name).
func (g streamGroup) claim(ctx context.Context) error {
	start := "0-0"
	for {
		msgs, next, err := g.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: g.stream, Group: Group, Consumer: g.consumer, MinIdle: g.claimIdle, Start: start, Count: g.batch,
		}).Result()
		if err != nil {
			return fmt.Errorf("claim pending %s entries: %w", g.what, err)
		}
		if len(msgs) > 0 {
			g.log.Info("claimed pending "+g.what+" entries", "count", len(msgs))
		}
		if err := g.handle(ctx, msgs); err != nil {
			return err
		}
		if next == "0-0" || next == "" {
			return nil
		}
		start = next
	}
}
