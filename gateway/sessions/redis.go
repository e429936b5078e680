package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keeps sessions in Redis with a TTL, so that consecutive hops of one
// session may land on different gateway replicas.
//
// Session keys hold the channel token and the provider's session id, so
// they are never written to Redis as they are: the Redis key is
// prefix + "sess:" + a SHA-256 of the session key.
type Redis struct {
	rdb    redis.Cmdable
	prefix string
}

// NewRedis returns a store that keeps its entries under prefix (e.g. "nv:").
func NewRedis(rdb redis.Cmdable, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

func (r *Redis) key(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + "sess:" + hex.EncodeToString(sum[:16])
}

// Load returns the value under key, if present and not expired.
func (r *Redis) Load(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := r.rdb.Get(ctx, r.key(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sessions: redis load: %w", err)
	}
	return b, true, nil
}

// Save stores value under key for ttl (at least a millisecond).
func (r *Redis) Save(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	ttl = max(ttl, time.Millisecond)
	if err := r.rdb.Set(ctx, r.key(key), value, ttl).Err(); err != nil {
		return fmt.Errorf("sessions: redis save: %w", err)
	}
	return nil
}

// LoadAll returns the value under each key, nil where absent or expired,
// in one round trip (MGET).
func (r *Redis) LoadAll(ctx context.Context, keys ...string) ([][]byte, error) {
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = r.key(k)
	}
	vals, err := r.rdb.MGet(ctx, rkeys...).Result()
	if err != nil {
		return nil, fmt.Errorf("sessions: redis load: %w", err)
	}
	out := make([][]byte, len(keys))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out, nil
}

// SaveAll applies ws in order in one round trip (a pipeline, not a
// transaction: each write stands alone, as Save and Delete do). It fails
// when any write failed.
func (r *Redis) SaveAll(ctx context.Context, ws ...Write) error {
	if len(ws) == 1 {
		if ws[0].Delete {
			return r.Delete(ctx, ws[0].Key)
		}
		return r.Save(ctx, ws[0].Key, ws[0].Value, ws[0].TTL)
	}
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, w := range ws {
			if w.Delete {
				p.Del(ctx, r.key(w.Key))
			} else {
				p.Set(ctx, r.key(w.Key), w.Value, max(w.TTL, time.Millisecond))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessions: redis save: %w", err)
	}
	return nil
}

// Delete removes key.
func (r *Redis) Delete(ctx context.Context, key string) error {
	if err := r.rdb.Del(ctx, r.key(key)).Err(); err != nil {
		return fmt.Errorf("sessions: redis delete: %w", err)
	}
	return nil
}
