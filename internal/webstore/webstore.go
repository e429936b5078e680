// Package webstore holds the fiber.Storage implementations behind the web
// view's sessions (Fiber's middleware/session): a bbolt file, so sessions
// survive a restart, and Hashed, which every store is wrapped in so that
// no usable session id is ever at rest (Redis, the bbolt file, a memory
// dump). The Redis store is gofiber/storage/redis; the gofiber bbolt driver
// is not served by the module proxy this project builds with, and the
// adapter below is all of it we need.
//
// It must never log a key or a value.
package webstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"
	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/internal/boltfile"
)

var bucket = []byte("web_sessions")

// Bolt is a fiber.Storage over one bbolt file. Values carry their expiry;
// an expired value reads as missing and is swept on a later write.
type Bolt struct {
	db   *bolt.DB
	now  func() time.Time
	mu   sync.Mutex
	swep time.Time
}

// OpenBolt opens or creates the file at path (0600, in a 0700 directory).
func OpenBolt(path string) (*Bolt, error) {
	db, err := boltfile.Open(path, bucket)
	if err != nil {
		return nil, fmt.Errorf("web sessions: %w", err)
	}
	return &Bolt{db: db, now: time.Now}, nil
}

// GetWithContext returns the value, or nil when missing or expired.
func (b *Bolt) GetWithContext(_ context.Context, key string) ([]byte, error) {
	var out []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get([]byte(key))
		if len(v) < 8 || b.expired(v) {
			return nil
		}
		out = append([]byte(nil), v[8:]...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web sessions: read: %w", err)
	}
	return out, nil
}

func (b *Bolt) expired(v []byte) bool {
	exp := int64(binary.BigEndian.Uint64(v[:8]))
	return exp != 0 && b.now().UnixNano() >= exp
}

// Get is GetWithContext without a context.
func (b *Bolt) Get(key string) ([]byte, error) { return b.GetWithContext(context.Background(), key) }

// SetWithContext stores val for exp (0: no expiry), committed with fsync.
// At most once a minute it also deletes expired values.
func (b *Bolt) SetWithContext(_ context.Context, key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	rec := make([]byte, 8, 8+len(val))
	if exp > 0 {
		binary.BigEndian.PutUint64(rec, uint64(b.now().Add(exp).UnixNano()))
	}
	rec = append(rec, val...)
	b.mu.Lock()
	sweep := b.now().Sub(b.swep) > time.Minute
	if sweep {
		b.swep = b.now()
	}
	b.mu.Unlock()
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		if sweep {
			var old [][]byte
			_ = bk.ForEach(func(k, v []byte) error {
				if len(v) < 8 || b.expired(v) {
					old = append(old, k)
				}
				return nil
			})
			for _, k := range old {
				if err := bk.Delete(k); err != nil {
					return err
				}
			}
		}
		return bk.Put([]byte(key), rec)
	})
	if err != nil {
		return fmt.Errorf("web sessions: write: %w", err)
	}
	return nil
}

// Set is SetWithContext without a context.
func (b *Bolt) Set(key string, val []byte, exp time.Duration) error {
	return b.SetWithContext(context.Background(), key, val, exp)
}

// DeleteWithContext removes the key.
func (b *Bolt) DeleteWithContext(_ context.Context, key string) error {
	err := b.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete([]byte(key)) })
	if err != nil {
		return fmt.Errorf("web sessions: delete: %w", err)
	}
	return nil
}

// Delete is DeleteWithContext without a context.
func (b *Bolt) Delete(key string) error { return b.DeleteWithContext(context.Background(), key) }

// ResetWithContext removes every session.
func (b *Bolt) ResetWithContext(_ context.Context) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucket); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucket)
		return err
	})
	if err != nil {
		return fmt.Errorf("web sessions: reset: %w", err)
	}
	return nil
}

// Reset is ResetWithContext without a context.
func (b *Bolt) Reset() error { return b.ResetWithContext(context.Background()) }

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

// Hashed stores every key as prefix + hex SHA-256 of the key: whoever
// reads the store (a backup, Redis, a memory dump) holds no session id a
// browser could present. Session ids are 32 random bytes, so a fast hash
// is enough. Close does not close the inner store, which its opener owns.
type Hashed struct {
	Inner  fiber.Storage
	Prefix string
}

func (h Hashed) key(k string) string {
	sum := sha256.Sum256([]byte(k))
	return h.Prefix + hex.EncodeToString(sum[:])
}

// GetWithContext implements fiber.Storage.
func (h Hashed) GetWithContext(ctx context.Context, key string) ([]byte, error) {
	return h.Inner.GetWithContext(ctx, h.key(key))
}

// Get implements fiber.Storage.
func (h Hashed) Get(key string) ([]byte, error) { return h.Inner.Get(h.key(key)) }

// SetWithContext implements fiber.Storage.
func (h Hashed) SetWithContext(ctx context.Context, key string, val []byte, exp time.Duration) error {
	return h.Inner.SetWithContext(ctx, h.key(key), val, exp)
}

// Set implements fiber.Storage.
func (h Hashed) Set(key string, val []byte, exp time.Duration) error {
	return h.Inner.Set(h.key(key), val, exp)
}

// DeleteWithContext implements fiber.Storage.
func (h Hashed) DeleteWithContext(ctx context.Context, key string) error {
	return h.Inner.DeleteWithContext(ctx, h.key(key))
}

// Delete implements fiber.Storage.
func (h Hashed) Delete(key string) error { return h.Inner.Delete(h.key(key)) }

// ResetWithContext is refused: on a shared Redis it would wipe every
// deployment's keys, not only sessions.
func (h Hashed) ResetWithContext(context.Context) error {
	return fmt.Errorf("web sessions: reset is not supported")
}

// Reset is refused, like ResetWithContext.
func (h Hashed) Reset() error { return h.ResetWithContext(context.Background()) }

// Close does nothing: the inner store's opener closes it.
func (h Hashed) Close() error { return nil }

// Memory is a fiber.Storage in a map, for a web view with no file (tests,
// tools). Expired values read as missing.
type Memory struct {
	mu sync.Mutex
	m  map[string]memValue
}

type memValue struct {
	v   []byte
	exp time.Time
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{m: map[string]memValue{}} }

// GetWithContext implements fiber.Storage.
func (s *Memory) GetWithContext(_ context.Context, key string) ([]byte, error) { return s.Get(key) }

// Get implements fiber.Storage.
func (s *Memory) Get(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok || (!v.exp.IsZero() && time.Now().After(v.exp)) {
		delete(s.m, key)
		return nil, nil
	}
	return append([]byte(nil), v.v...), nil
}

// SetWithContext implements fiber.Storage.
func (s *Memory) SetWithContext(_ context.Context, key string, val []byte, exp time.Duration) error {
	return s.Set(key, val, exp)
}

// Set implements fiber.Storage.
func (s *Memory) Set(key string, val []byte, exp time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mv := memValue{v: append([]byte(nil), val...)}
	if exp > 0 {
		mv.exp = time.Now().Add(exp)
	}
	s.m[key] = mv
	return nil
}

// DeleteWithContext implements fiber.Storage.
func (s *Memory) DeleteWithContext(_ context.Context, key string) error { return s.Delete(key) }

// Delete implements fiber.Storage.
func (s *Memory) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// ResetWithContext implements fiber.Storage.
func (s *Memory) ResetWithContext(context.Context) error { return s.Reset() }

// Reset implements fiber.Storage.
func (s *Memory) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = map[string]memValue{}
	return nil
}

// Close implements fiber.Storage.
func (s *Memory) Close() error { return nil }
