package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
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
	recent recent
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
	rkey := r.key(key)
	if err := r.rdb.Set(ctx, rkey, value, ttl).Err(); err != nil {
		r.recent.forget(rkey)
		return fmt.Errorf("sessions: redis save: %w", err)
	}
	r.recent.put(rkey, value, time.Now().Add(ttl))
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
	rkeys := make([]string, len(ws))
	for i, w := range ws {
		rkeys[i] = r.key(w.Key)
	}
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, w := range ws {
			if w.Delete {
				p.Del(ctx, rkeys[i])
			} else {
				p.Set(ctx, rkeys[i], w.Value, max(w.TTL, time.Millisecond))
			}
		}
		return nil
	})
	if err != nil {
		for _, k := range rkeys {
			r.recent.forget(k)
		}
		return fmt.Errorf("sessions: redis save: %w", err)
	}
	r.applied(rkeys, ws)
	return nil
}

// Delete removes key.
func (r *Redis) Delete(ctx context.Context, key string) error {
	rkey := r.key(key)
	r.recent.forget(rkey)
	if err := r.rdb.Del(ctx, rkey).Err(); err != nil {
		return fmt.Errorf("sessions: redis delete: %w", err)
	}
	return nil
}

// A replica remembers what it last wrote under each key (Remembered), so
// that the next hop of a session it served can skip reading it back, and
// make its write conditional instead (SaveIf): one round trip instead of
// two. The copy is never trusted: SaveIf writes only when Redis still
// holds it, and otherwise returns what Redis holds.
//
// rememberCap bounds the copies: two generations of up to rememberCap
// entries each; when the newer fills up the older is dropped. An entry
// also expires with the TTL it was written with.
const rememberCap = 1 << 14

type remembered struct {
	value   []byte
	expires time.Time
}

type recent struct {
	mu       sync.Mutex
	cur, old map[string]remembered
}

func (c *recent) get(rkey string, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur[rkey]
	if !ok {
		e, ok = c.old[rkey]
	}
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.value, true
}

func (c *recent) put(rkey string, value []byte, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || len(c.cur) >= rememberCap {
		c.old, c.cur = c.cur, make(map[string]remembered, 64)
	}
	delete(c.old, rkey)
	c.cur[rkey] = remembered{value: value, expires: expires}
}

func (c *recent) forget(rkey string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cur, rkey)
	delete(c.old, rkey)
}

// applied records the writes ws Redis made under rkeys, as this
// replica's copies.
func (r *Redis) applied(rkeys []string, ws []Write) {
	now := time.Now()
	for i, w := range ws {
		if w.Delete {
			r.recent.forget(rkeys[i])
		} else {
			r.recent.put(rkeys[i], w.Value, now.Add(max(w.TTL, time.Millisecond)))
		}
	}
}

// Remembered returns the value this replica last wrote under key, without
// asking Redis: another replica may have changed it since. Use it only
// for what SaveIf then confirms.
func (r *Redis) Remembered(key string) ([]byte, bool) {
	return r.recent.get(r.key(key), time.Now())
}

// Current is what Redis held under the key a SaveIf compared, when it was
// not the value expected: Value, or nothing (Found false).
type Current struct {
	Value []byte
	Found bool
}

// saveIf compares KEYS[1] with ARGV[1]; when equal, applies the writes
// (ARGV from 2 on, three per key: "s" value ttl-ms, or "d" for a delete)
// and returns {1}; else returns {0, what KEYS[1] holds} ({0} when absent).
var saveIf = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur ~= ARGV[1] then
  if cur then return {0, cur} end
  return {0}
end
for i = 1, #KEYS do
  local a = 2 + (i - 1) * 3
  if ARGV[a] == 'd' then
    redis.call('DEL', KEYS[i])
  else
    redis.call('SET', KEYS[i], ARGV[a + 1], 'PX', ARGV[a + 2])
  end
end
return {1}
`)

// SaveIf applies ws in one round trip, atomically, only when Redis still
// holds expected under ws[0].Key. When it does not, nothing is written and
// the value it holds is returned (a non-nil *Current).
func (r *Redis) SaveIf(ctx context.Context, expected []byte, ws ...Write) (*Current, error) {
	if len(ws) == 0 || ws[0].Delete {
		return nil, errors.New("sessions: SaveIf needs a first write that saves")
	}
	keys := make([]string, len(ws))
	args := make([]any, 1, 1+3*len(ws))
	args[0] = expected
	for i, w := range ws {
		keys[i] = r.key(w.Key)
		if w.Delete {
			args = append(args, "d", "", 0)
		} else {
			args = append(args, "s", w.Value, max(w.TTL, time.Millisecond).Milliseconds())
		}
	}
	res, err := saveIf.Run(ctx, r.rdb, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("sessions: redis save: %w", err)
	}
	if n, _ := res[0].(int64); n == 1 {
		r.applied(keys, ws)
		return nil, nil
	}
	r.recent.forget(keys[0])
	cur := &Current{}
	if len(res) > 1 {
		s, _ := res[1].(string)
		cur.Value, cur.Found = []byte(s), true
	}
	return cur, nil
}
