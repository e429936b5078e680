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

// Delete removes key.
func (r *Redis) Delete(ctx context.Context, key string) error {
	if err := r.rdb.Del(ctx, r.key(key)).Err(); err != nil {
		return fmt.Errorf("sessions: redis delete: %w", err)
	}
	return nil
}
