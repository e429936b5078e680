// Package subscribers keeps the numbers of people who asked for the
// information line's SMS news of their cercle (issue 15), in their own
// bbolt file (subscribers.db) under their own key purpose ("subscriber").
//
// A number is sealed with AES-256-GCM (outbox.Sealer over the subscriber
// keys) and found again only through an HMAC index keyed by a secret
// derived from the same keys, never the caller-id key: the list cannot be
// joined to cases (it holds no case id and no caller key), so it does not
// tell who complained. Unsubscribing deletes the record, sealed number
// included; deleting every subscriber-k*.key shreds the list.
//
// This package must never write or log a number in clear, keep a caller
// key or a case id, or decide what is sent (casework approves broadcasts).
package subscribers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/internal/boltfile"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/outbox"
)

// Purpose names the subscriber keys in the keys directory
// ("subscriber-k1.key").
const Purpose = "subscriber"

var bucket = []byte("subscribers") // index id → JSON record

// Subscriber is one subscription, its number opened (Each) or not.
type Subscriber struct {
	ID      string `json:"id"`      // HMAC index of the number
	Lang    string `json:"lang"`    // the language messages are sent in
	Region  string `json:"region"`  // "" for all of Mali
	Cercle  string `json:"cercle"`  // "" for the whole region
	Channel string `json:"channel"` // the channel whose SMS sender reaches them
	Since   string `json:"since"`   // month only ("2026-12"): a day could be matched to a case
}

type record struct {
	Subscriber
	KeyVersion string `json:"key_version"`
	Sealed     []byte `json:"sealed"`
}

type indexKey struct {
	version string
	mac     []byte
}

// Store is the subscriber file. Safe for concurrent use.
type Store struct {
	db     *bolt.DB
	commit *boltfile.Committer
	sealer *outbox.Sealer
	index  atomic.Pointer[[]indexKey] // newest first
	now    func() time.Time
}

// Open opens or creates the file at path with the subscriber keys of dir
// (creating k1 when there is none).
func Open(path string, dir keystore.Dir) (*Store, error) {
	keys, _, err := dir.Keys(Purpose)
	if err != nil {
		return nil, fmt.Errorf("subscribers: %w", err)
	}
	return OpenWithKeys(path, keys)
}

// OpenWithKeys is Open with the keys given (oldest first).
func OpenWithKeys(path string, keys []keystore.Key) (*Store, error) {
	s := &Store{sealer: &outbox.Sealer{}, now: time.Now}
	if err := s.UseKeys(keys); err != nil {
		return nil, err
	}
	db, err := boltfile.Open(path, bucket)
	if err != nil {
		return nil, fmt.Errorf("subscribers: %w", err)
	}
	s.db, s.commit = db, boltfile.NewCommitter(db)
	return s, nil
}

// UseKeys replaces the key versions (oldest first, the last current), as
// after `hotline keys rotate subscriber`: new subscriptions are sealed and
// indexed with the new version; older ones still open and are found.
func (s *Store) UseKeys(keys []keystore.Key) error {
	if err := s.sealer.UseKeys(keys); err != nil {
		return fmt.Errorf("subscribers: %w", err)
	}
	var idx []indexKey
	for _, k := range slices.Backward(keys) {
		m := hmac.New(sha256.New, k.Secret)
		m.Write([]byte("numero-vert subscriber index"))
		idx = append(idx, indexKey{version: k.Version, mac: m.Sum(nil)})
	}
	s.index.Store(&idx)
	return nil
}

// ids are the index ids of number under every key version, newest first.
func (s *Store) ids(number string) []string {
	var out []string
	for _, k := range *s.index.Load() {
		m := hmac.New(sha256.New, k.mac)
		m.Write([]byte(number))
		out = append(out, k.version+":"+base64.RawURLEncoding.EncodeToString(m.Sum(nil)))
	}
	return out
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// BeginSnapshot starts a read-only transaction for a backup.
func (s *Store) BeginSnapshot() (*bolt.Tx, error) { return s.db.Begin(false) }

// Subscribe keeps number (E.164, normalised by the caller) as a subscriber
// of the place, replacing any earlier subscription of the number (one
// place per number: the last asked).
func (s *Store) Subscribe(ctx context.Context, number, lang, region, cercle, channel string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("subscribers: subscribe: %w", err)
	}
	if number == "" || lang == "" || channel == "" {
		return errors.New("subscribers: subscribe: number, language and channel are needed")
	}
	ids := s.ids(number)
	r := record{Subscriber: Subscriber{ID: ids[0], Lang: lang, Region: region, Cercle: cercle, Channel: channel,
		Since: s.now().UTC().Format("2006-01")}}
	r.KeyVersion, r.Sealed = s.sealer.Seal([]byte(number), []byte(r.ID))
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("subscribers: encode: %w", err)
	}
	err = s.commit.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		for _, old := range ids[1:] {
			if err := b.Delete([]byte(old)); err != nil {
				return err
			}
		}
		return b.Put([]byte(r.ID), data)
	})
	if err != nil {
		return fmt.Errorf("subscribers: subscribe: %w", err)
	}
	return nil
}

// Unsubscribe deletes number's subscription, sealed number included.
// removed is false when the number was not subscribed.
func (s *Store) Unsubscribe(ctx context.Context, number string) (removed bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("subscribers: unsubscribe: %w", err)
	}
	err = s.commit.Update(func(tx *bolt.Tx) error {
		removed = false
		b := tx.Bucket(bucket)
		for _, id := range s.ids(number) {
			if b.Get([]byte(id)) != nil {
				removed = true
				if err := b.Delete([]byte(id)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("subscribers: unsubscribe: %w", err)
	}
	return removed, nil
}

// Subscribed reports whether number has a subscription.
func (s *Store) Subscribed(ctx context.Context, number string) (bool, error) {
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, id := range s.ids(number) {
			if tx.Bucket(bucket).Get([]byte(id)) != nil {
				found = true
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("subscribers: %w", err)
	}
	return found, ctx.Err()
}

// Each calls fn with every subscriber matched by match and its opened
// number, outside any transaction. A record that no held key opens is
// skipped and counted in unreadable (its key version was destroyed).
func (s *Store) Each(ctx context.Context, match func(Subscriber) bool, fn func(sub Subscriber, number string) error) (unreadable int, err error) {
	var recs []record
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode: %w", err)
			}
			if match(r.Subscriber) {
				recs = append(recs, r)
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("subscribers: %w", err)
	}
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return unreadable, fmt.Errorf("subscribers: %w", err)
		}
		number, err := s.sealer.Open(r.KeyVersion, r.Sealed, []byte(r.ID))
		if err != nil {
			unreadable++
			continue
		}
		if err := fn(r.Subscriber, string(number)); err != nil {
			return unreadable, err
		}
	}
	return unreadable, nil
}

// Count is how many subscribers match.
func (s *Store) Count(ctx context.Context, match func(Subscriber) bool) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode: %w", err)
			}
			if match(r.Subscriber) {
				n++
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("subscribers: %w", err)
	}
	return n, ctx.Err()
}
