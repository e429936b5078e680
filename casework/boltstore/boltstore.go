// Package boltstore is the embedded default casework.Store: every case in
// one bbolt file under the data directory, with no other service needed.
//
// A Submit returns only after its transaction is committed and fsynced, so a
// reference shown to a caller is never lost. Concurrent Submits share one
// commit through bbolt's DB.Batch; this package must never trade durability
// for speed (no NoSync, no unsynced writes). Like all of casework it never
// sees a phone number, only caller keys.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/numerovert/hotline/casework"
)

// Bucket layout. Sequence numbers come from the cases bucket's NextSequence
// and give creation order, which random IDs do not.
var (
	bucketCases  = []byte("cases")     // id → JSON casework.Case
	bucketRef    = []byte("by_ref")    // reference → id
	bucketIdem   = []byte("by_idem")   // idempotency key → id
	bucketCaller = []byte("by_caller") // caller key + 0x00 + seq (8 bytes, big-endian) → id
	bucketSeq    = []byte("by_seq")    // seq (8 bytes, big-endian) → id
	bucketProbe  = []byte("probe")     // scratch space for Check

	allBuckets = [][]byte{bucketCases, bucketRef, bucketIdem, bucketCaller, bucketSeq, bucketProbe}
	probeKey   = []byte("readyz")
)

// ErrLocked is returned (wrapped) by Open when another process holds the file.
var ErrLocked = errors.New("store is locked by another process (is the server running?)")

// lockTimeout bounds how long Open waits for the file lock held by another
// process, so a second `hotline` command fails clearly instead of hanging.
const lockTimeout = time.Second

// maxReferenceDraws bounds the retries on a reference collision. With 90
// million references, needing this many draws means the space is nearly
// exhausted, which an operator must hear about.
const maxReferenceDraws = 100

// eachPage is how many cases Each reads per read transaction. fn runs
// outside any transaction: a long-lived read transaction would block bbolt
// from growing its memory map, and a Submit from fn would deadlock.
const eachPage = 256

// Store is a casework.Store backed by a bbolt file.
type Store struct {
	db *bolt.DB

	// Now is the clock used for CreatedAt; tests may replace it before use.
	Now func() time.Time
}

var _ casework.Store = (*Store)(nil)

// Open opens or creates the store at path, creating its parent directory
// (0700) and the file (0600) if needed. If another process has the store
// open, Open fails after about a second with an error wrapping ErrLocked.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("boltstore: create data directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return &Store{db: db, Now: time.Now}, nil
}

// Path returns the file the store is kept in.
func (s *Store) Path() string { return s.db.Path() }

// wrap adds context to err and marks a closed database as casework.ErrClosed.
func wrap(op string, err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("boltstore: %s: %w: %w", op, casework.ErrClosed, err)
	}
	return fmt.Errorf("boltstore: %s: %w", op, err)
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

func callerPrefix(callerKey string) []byte {
	p := make([]byte, 0, len(callerKey)+1+8)
	p = append(p, callerKey...)
	return append(p, 0)
}

// Submit implements casework.Store. Concurrent calls are committed together
// in one fsynced transaction by DB.Batch.
func (s *Store) Submit(ctx context.Context, in casework.Intake) (casework.Case, error) {
	if err := in.Validate(); err != nil {
		return casework.Case{}, fmt.Errorf("boltstore: submit: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return casework.Case{}, fmt.Errorf("boltstore: submit: %w", err)
	}
	var out casework.Case
	// Batch may run this function more than once (if another function in
	// the same batch fails, each is retried alone), so it assigns out
	// afresh on every run and draws its ID and reference inside.
	err := s.db.Batch(func(tx *bolt.Tx) error {
		out = casework.Case{}
		cases := tx.Bucket(bucketCases)
		if id := tx.Bucket(bucketIdem).Get([]byte(in.IdempotencyKey)); id != nil {
			c, err := decode(cases.Get(id))
			if err != nil {
				return fmt.Errorf("idempotent case %s: %w", id, err)
			}
			out = c
			return nil
		}

		refs := tx.Bucket(bucketRef)
		if in.Reference != "" && refs.Get([]byte(in.Reference)) != nil {
			return casework.ErrReferenceTaken
		}
		ref := in.Reference
		if ref == "" {
			ref = casework.NewReference()
		}
		for draws := 1; refs.Get([]byte(ref)) != nil; draws++ {
			if draws == maxReferenceDraws {
				return fmt.Errorf("no free reference after %d draws", draws)
			}
			ref = casework.NewReference()
		}
		// The clock is read inside the transaction so that CreatedAt
		// follows creation (sequence) order.
		c := casework.NewCase(in, casework.NewID(), ref, s.Now())
		for cases.Get([]byte(c.ID)) != nil { // 128 random bits: never, but cheap to rule out
			c.ID = casework.NewID()
		}
		seq, err := cases.NextSequence()
		if err != nil {
			return fmt.Errorf("next sequence: %w", err)
		}
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode case: %w", err)
		}
		id := []byte(c.ID)
		puts := []struct {
			bucket []byte
			k, v   []byte
		}{
			{bucketCases, id, data},
			{bucketRef, []byte(c.Reference), id},
			{bucketIdem, []byte(in.IdempotencyKey), id},
			{bucketCaller, append(callerPrefix(c.CallerKey), seqKey(seq)...), id},
			{bucketSeq, seqKey(seq), id},
		}
		for _, p := range puts {
			if err := tx.Bucket(p.bucket).Put(p.k, p.v); err != nil {
				return fmt.Errorf("put %s: %w", p.bucket, err)
			}
		}
		out = c
		return nil
	})
	if err != nil {
		return casework.Case{}, wrap("submit", err)
	}
	return out, nil
}

func decode(data []byte) (casework.Case, error) {
	if data == nil {
		return casework.Case{}, errors.New("index points at a missing case")
	}
	var c casework.Case
	if err := json.Unmarshal(data, &c); err != nil {
		return casework.Case{}, fmt.Errorf("decode case: %w", err)
	}
	return c, nil
}

// view runs fn in a read transaction after checking ctx.
func (s *Store) view(ctx context.Context, op string, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: %s: %w", op, err)
	}
	if err := s.db.View(fn); err != nil {
		return wrap(op, err)
	}
	return nil
}

func getByID(tx *bolt.Tx, id []byte) (casework.Case, error) {
	data := tx.Bucket(bucketCases).Get(id)
	if data == nil {
		return casework.Case{}, casework.ErrNotFound
	}
	return decode(data)
}

// ByID implements casework.Store.
func (s *Store) ByID(ctx context.Context, id string) (casework.Case, error) {
	var c casework.Case
	err := s.view(ctx, "by id", func(tx *bolt.Tx) error {
		var err error
		c, err = getByID(tx, []byte(id))
		return err
	})
	return c, err
}

// ByReference implements casework.Store.
func (s *Store) ByReference(ctx context.Context, ref string) (casework.Case, error) {
	var c casework.Case
	err := s.view(ctx, "by reference", func(tx *bolt.Tx) error {
		norm, ok := casework.ParseReference(ref)
		if !ok {
			return casework.ErrNotFound
		}
		id := tx.Bucket(bucketRef).Get([]byte(norm))
		if id == nil {
			return casework.ErrNotFound
		}
		var err error
		c, err = getByID(tx, id)
		return err
	})
	return c, err
}

// ByCallerKey implements casework.Store.
func (s *Store) ByCallerKey(ctx context.Context, callerKey string) ([]casework.Case, error) {
	out := []casework.Case{}
	err := s.view(ctx, "by caller key", func(tx *bolt.Tx) error {
		out = out[:0]
		prefix := callerPrefix(callerKey)
		cur := tx.Bucket(bucketCaller).Cursor()
		for k, id := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, id = cur.Next() {
			c, err := getByID(tx, id)
			if err != nil {
				return fmt.Errorf("case %s: %w", id, err)
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each implements casework.Store. It reads a page of cases at a time and
// calls fn outside any transaction.
func (s *Store) Each(ctx context.Context, fn func(casework.Case) error) error {
	var last uint64 // highest sequence that existed when Each was called
	err := s.view(ctx, "each", func(tx *bolt.Tx) error {
		last = tx.Bucket(bucketCases).Sequence()
		return nil
	})
	if err != nil {
		return err
	}
	next := seqKey(1)
	page := make([]casework.Case, 0, eachPage)
	for {
		page = page[:0]
		err := s.view(ctx, "each", func(tx *bolt.Tx) error {
			page = page[:0]
			cur := tx.Bucket(bucketSeq).Cursor()
			for k, id := cur.Seek(next); k != nil && len(page) < eachPage; k, id = cur.Next() {
				seq := binary.BigEndian.Uint64(k)
				if seq > last {
					break
				}
				c, err := getByID(tx, id)
				if err != nil {
					return fmt.Errorf("case %s: %w", id, err)
				}
				page = append(page, c)
				next = seqKey(seq + 1)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
}

// Check implements casework.Store: it writes and deletes a probe key, so it
// fails if the file is closed, read-only or the disk refuses writes.
func (s *Store) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: check: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketProbe)
		if err := b.Put(probeKey, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
			return fmt.Errorf("write probe: %w", err)
		}
		if err := b.Delete(probeKey); err != nil {
			return fmt.Errorf("delete probe: %w", err)
		}
		return nil
	})
	if err != nil {
		return wrap("check", err)
	}
	return nil
}

// Close implements casework.Store. Closing twice is not an error.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}
