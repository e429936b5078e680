package scaleout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/subscribers"
)

// SMS news on gateway replicas (issues 15 and 19): a replica holds no
// subscriber file, so "INFO ON", the USSD/voice subscribe option and
// STOP become subscribers.Requests on a Redis stream of their own (not
// the intake stream: the list must not be joinable to complaints), the
// number sealed with the subscriber keys. The casework node, which holds
// subscribers.db, applies them in stream order and deletes each entry
// once applied, so a sealed number stays in Redis only until then. The
// entries hold no caller key and no case: the stream, like the list,
// does not tell who complained.

func (k keys) subRequests() string { return k.prefix + "subscribers:requests" }

// Subscriptions queues a gateway's subscription changes (the gateway's
// gateway.Subscriptions).
type Subscriptions struct {
	rdb    redis.Cmdable
	keys   keys
	sealer *subscribers.RequestSealer
}

// NewSubscriptions queues under prefix, sealing with sealer.
func NewSubscriptions(rdb redis.Cmdable, prefix string, sealer *subscribers.RequestSealer) *Subscriptions {
	return &Subscriptions{rdb: rdb, keys: keys{prefix}, sealer: sealer}
}

// Subscribe queues number's subscription to the place; it returns once
// Redis holds the request.
func (s *Subscriptions) Subscribe(ctx context.Context, number, lang, region, cercle, channel string) error {
	return s.queue(ctx, subscribers.Request{Op: subscribers.OpSubscribe, Lang: lang, Region: region, Cercle: cercle, Channel: channel}, number)
}

// Unsubscribe queues number's STOP. removed is always true: whether the
// number was subscribed is known only where the list is.
func (s *Subscriptions) Unsubscribe(ctx context.Context, number string) (removed bool, err error) {
	if err := s.queue(ctx, subscribers.Request{Op: subscribers.OpUnsubscribe}, number); err != nil {
		return false, err
	}
	return true, nil
}

func (s *Subscriptions) queue(ctx context.Context, r subscribers.Request, number string) error {
	r, err := s.sealer.Seal(r, number)
	if err != nil {
		return err
	}
	err = s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.subRequests(), Values: []any{
		"id", r.ID, "op", r.Op, "lang", r.Lang, "region", r.Region, "cercle", r.Cercle, "channel", r.Channel,
		"kv", r.KeyVersion, "sealed", r.Sealed,
	}}).Err()
	if err != nil {
		return fmt.Errorf("scaleout: queue subscription change: %w", err)
	}
	return nil
}

// Applier is where subscription changes land (*subscribers.Store).
type Applier interface {
	Apply(ctx context.Context, r subscribers.Request) error
}

// SubscriptionConsumer applies the gateways' subscription changes to the
// casework node's subscriber file.
type SubscriptionConsumer struct {
	rdb   *redis.Client
	keys  keys
	store Applier
	log   *slog.Logger
	mu    sync.Mutex // one applier at a time: the stream's order is kept
}

// NewSubscriptionConsumer applies what gateways queued under prefix to store.
func NewSubscriptionConsumer(rdb *redis.Client, prefix string, store Applier, log *slog.Logger) *SubscriptionConsumer {
	if log == nil {
		log = slog.Default()
	}
	return &SubscriptionConsumer{rdb: rdb, keys: keys{prefix}, store: store, log: log}
}

// ApplyPending applies every queued change, oldest first, deleting each
// entry once applied (a crash between the two applies it again, which
// changes nothing). A request no key opens is dropped with a warning.
// Broadcasts call it before they read the list, so that a STOP queued on
// any gateway before the send is honoured.
func (c *SubscriptionConsumer) ApplyPending(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for {
		msgs, err := c.rdb.XRangeN(ctx, c.keys.subRequests(), "-", "+", 100).Result()
		if err != nil {
			return n, fmt.Errorf("scaleout: read subscription changes: %w", err)
		}
		if len(msgs) == 0 {
			return n, nil
		}
		for _, m := range msgs {
			err := c.store.Apply(ctx, requestOf(m.Values))
			switch {
			case errors.Is(err, subscribers.ErrUnreadableRequest):
				c.log.Warn("a subscription change no subscriber key opens was dropped", "err", err)
			case err != nil:
				return n, fmt.Errorf("scaleout: apply subscription change: %w", err)
			default:
				n++
			}
			if err := c.rdb.XDel(ctx, c.keys.subRequests(), m.ID).Err(); err != nil {
				return n, fmt.Errorf("scaleout: delete applied subscription change: %w", err)
			}
		}
	}
}

func requestOf(v map[string]any) subscribers.Request {
	str := func(k string) string { s, _ := v[k].(string); return s }
	return subscribers.Request{ID: str("id"), Op: str("op"), Lang: str("lang"), Region: str("region"), Cercle: str("cercle"),
		Channel: str("channel"), KeyVersion: str("kv"), Sealed: []byte(str("sealed"))}
}

// Run applies changes as they come until ctx ends.
func (c *SubscriptionConsumer) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if _, err := c.ApplyPending(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("subscription changes not applied", "err", err)
			sleep(ctx, 2*time.Second)
			continue
		}
		// Applied entries are deleted: reading after 0-0 waits for the
		// next one.
		err := c.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{c.keys.subRequests(), "0-0"}, Count: 1, Block: time.Second}).Err()
		if err != nil && !errors.Is(err, redis.Nil) && ctx.Err() == nil {
			c.log.Warn("waiting for subscription changes", "err", err)
			sleep(ctx, 2*time.Second)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
