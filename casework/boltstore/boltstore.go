// Package boltstore is the embedded default casework.Store: every case in
// one bbolt file under the data directory, with no other service needed.
//
// A Submit returns only after its transaction is committed and fsynced, so a
// reference shown to a caller is never lost. Concurrent Submits share one
// fsynced commit through boltfile.Committer, a group commit that, unlike
// bbolt's DB.Batch, never makes a lone caller wait. This package must never
// trade durability for speed (no NoSync, no unsynced writes). Like all of
// casework it never sees a phone number, only caller keys.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/internal/boltfile"
)

// Bucket layout. Sequence numbers come from the cases bucket's NextSequence
// and give creation order, which random IDs do not.
var (
	bucketCases  = []byte("cases")     // id → JSON casework.Case
	bucketRef    = []byte("by_ref")    // reference → id
	bucketIdem   = []byte("by_idem")   // idempotency key → id
	bucketCaller = []byte("by_caller") // caller key + 0x00 + seq (8 bytes, big-endian) → id
	bucketSeq    = []byte("by_seq")    // seq (8 bytes, big-endian) → id
	bucketAudit  = []byte("audit")     // case id + 0x00 + seq (8 bytes) → JSON casework.Event; append-only
	bucketProbe  = []byte("probe")     // scratch space for Check
	bucketPrefs  = []byte("prefs")     // caller key → JSON preferences

	allBuckets = [][]byte{bucketCases, bucketRef, bucketIdem, bucketCaller, bucketSeq, bucketAudit, bucketProbe, bucketPrefs}
	probeKey   = []byte("readyz")
)

// ErrLocked is returned (wrapped) by Open when another process holds the file.
var ErrLocked = boltfile.ErrLocked

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
	db     *bolt.DB
	commit *boltfile.Committer // every write goes through it
}

var (
	_ casework.Store       = (*Store)(nil)
	_ casework.Preferences = (*Store)(nil)
)

// prefs is what the prefs bucket holds per caller key; JSON so that a
// later preference is a new field, not a new bucket.
type prefs struct {
	Language string `json:"language,omitempty"`
}

// SetLanguage implements casework.Preferences. The write is fsynced, like a
// case, through the group committer; an unchanged language costs a read,
// not a commit.
func (s *Store) SetLanguage(ctx context.Context, callerKey, lang string) error {
	if err := casework.ValidatePreference(callerKey, lang); err != nil {
		return fmt.Errorf("boltstore: set language: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: set language: %w", err)
	}
	if old, ok, err := s.Language(ctx, callerKey); err == nil && ok && old == lang {
		return nil
	}
	err := s.commit.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPrefs)
		var p prefs
		if data := b.Get([]byte(callerKey)); data != nil {
			if err := json.Unmarshal(data, &p); err != nil {
				return fmt.Errorf("decode preferences: %w", err)
			}
		}
		p.Language = lang
		data, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode preferences: %w", err)
		}
		return b.Put([]byte(callerKey), data)
	})
	if err != nil {
		return wrap("set language", err)
	}
	return nil
}

// Language implements casework.Preferences.
func (s *Store) Language(ctx context.Context, callerKey string) (string, bool, error) {
	var p prefs
	err := s.view(ctx, "language", func(tx *bolt.Tx) error {
		data := tx.Bucket(bucketPrefs).Get([]byte(callerKey))
		if data == nil {
			return nil
		}
		if err := json.Unmarshal(data, &p); err != nil {
			return fmt.Errorf("decode preferences: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", false, err
	}
	return p.Language, p.Language != "", nil
}

// Open opens or creates the store at path, creating its parent directory
// (0700) and the file (0600) if needed. If another process has the store
// open, Open fails after about a second with an error wrapping ErrLocked.
func Open(path string) (*Store, error) {
	db, err := boltfile.Open(path, allBuckets...)
	if err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	return &Store{db: db, commit: boltfile.NewCommitter(db)}, nil
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

// Create implements casework.Store. Concurrent calls are committed
// together in one fsynced transaction by the group committer.
func (s *Store) Create(ctx context.Context, idem string, c casework.Case, events []casework.Event) (casework.Case, bool, error) {
	if err := ctx.Err(); err != nil {
		return casework.Case{}, false, fmt.Errorf("boltstore: create: %w", err)
	}
	if c.ID == "" {
		return casework.Case{}, false, errors.New("boltstore: create: case has no ID")
	}
	var out casework.Case
	var created bool
	// The committer may run this function more than once (if another function in
	// the same batch fails, each is retried alone), so it assigns its
	// results afresh on every run and draws the reference inside.
	err := s.commit.Update(func(tx *bolt.Tx) error {
		out, created = casework.Case{}, false
		cases := tx.Bucket(bucketCases)
		if id := tx.Bucket(bucketIdem).Get([]byte(idem)); id != nil {
			c, err := decode(cases.Get(id))
			if err != nil {
				return fmt.Errorf("idempotent case %s: %w", id, err)
			}
			out = c
			return nil
		}
		if cases.Get([]byte(c.ID)) != nil {
			return errors.New("case ID already used")
		}
		refs := tx.Bucket(bucketRef)
		// A given reference (a gateway already showed it) must be free; an
		// empty one is drawn here.
		if c.Reference != "" && refs.Get([]byte(c.Reference)) != nil {
			return casework.ErrReferenceTaken
		}
		ref := c.Reference
		if ref == "" {
			ref = casework.NewReference()
		}
		for draws := 1; refs.Get([]byte(ref)) != nil; draws++ {
			if draws == maxReferenceDraws {
				return fmt.Errorf("no free reference after %d draws", draws)
			}
			ref = casework.NewReference()
		}
		c := c
		c.Reference = ref
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
			{bucketIdem, []byte(idem), id},
			{bucketSeq, seqKey(seq), id},
		}
		if c.CallerKey != "" {
			puts = append(puts, struct {
				bucket []byte
				k, v   []byte
			}{bucketCaller, append(callerPrefix(c.CallerKey), seqKey(seq)...), id})
		}
		for _, p := range puts {
			if err := tx.Bucket(p.bucket).Put(p.k, p.v); err != nil {
				return fmt.Errorf("put %s: %w", p.bucket, err)
			}
		}
		if err := appendEvents(tx, events); err != nil {
			return err
		}
		out, created = c, true
		return nil
	})
	if err != nil {
		return casework.Case{}, false, wrap("create", err)
	}
	return out, created, nil
}

// Update implements casework.Store, in one fsynced transaction shared with
// concurrent writers through the group committer.
func (s *Store) Update(ctx context.Context, id string, fn func(*casework.Case) ([]casework.Event, error)) (casework.Case, error) {
	if err := ctx.Err(); err != nil {
		return casework.Case{}, fmt.Errorf("boltstore: update: %w", err)
	}
	var out casework.Case
	err := s.commit.Update(func(tx *bolt.Tx) error {
		out = casework.Case{}
		old, err := getByID(tx, []byte(id))
		if err != nil {
			return err
		}
		c, err := decode(tx.Bucket(bucketCases).Get([]byte(id))) // a private copy for fn
		if err != nil {
			return err
		}
		events, err := fn(&c)
		if err != nil {
			return err
		}
		if c.ID != old.ID || c.Reference != old.Reference {
			return errors.New("ID and reference cannot change")
		}
		if c.CallerKey != old.CallerKey {
			if err := moveCaller(tx, id, old.CallerKey, c.CallerKey); err != nil {
				return err
			}
		}
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode case: %w", err)
		}
		if err := tx.Bucket(bucketCases).Put([]byte(id), data); err != nil {
			return fmt.Errorf("put case: %w", err)
		}
		if err := appendEvents(tx, events); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return casework.Case{}, wrap("update", err)
	}
	return out, nil
}

// moveCaller re-files case id from one caller key to another ("" for none)
// in the caller index, keeping its creation sequence.
func moveCaller(tx *bolt.Tx, id, from, to string) error {
	b := tx.Bucket(bucketCaller)
	var seq []byte
	if from != "" {
		prefix := callerPrefix(from)
		cur := b.Cursor()
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			if string(v) == id {
				seq = bytes.Clone(k[len(prefix):])
				if err := cur.Delete(); err != nil {
					return fmt.Errorf("delete caller index: %w", err)
				}
				break
			}
		}
	}
	if to == "" {
		return nil
	}
	if seq == nil {
		cur := tx.Bucket(bucketSeq).Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			if string(v) == id {
				seq = bytes.Clone(k)
				break
			}
		}
	}
	if seq == nil {
		return errors.New("case missing from the sequence index")
	}
	if err := b.Put(append(callerPrefix(to), seq...), []byte(id)); err != nil {
		return fmt.Errorf("put caller index: %w", err)
	}
	return nil
}

func appendEvents(tx *bolt.Tx, events []casework.Event) error {
	b := tx.Bucket(bucketAudit)
	for _, e := range events {
		seq, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("audit sequence: %w", err)
		}
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		if err := b.Put(append(callerPrefix(e.CaseID), seqKey(seq)...), data); err != nil {
			return fmt.Errorf("put event: %w", err)
		}
	}
	return nil
}

// Record implements casework.Store.
func (s *Store) Record(ctx context.Context, events ...casework.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: record: %w", err)
	}
	if err := s.commit.Update(func(tx *bolt.Tx) error { return appendEvents(tx, events) }); err != nil {
		return wrap("record", err)
	}
	return nil
}

// Audit implements casework.Store.
func (s *Store) Audit(ctx context.Context, caseID string) ([]casework.Event, error) {
	out := []casework.Event{}
	err := s.view(ctx, "audit", func(tx *bolt.Tx) error {
		out = out[:0]
		prefix := callerPrefix(caseID)
		cur := tx.Bucket(bucketAudit).Cursor()
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			var e casework.Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode event: %w", err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
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

// BeginSnapshot starts a read-only transaction for a backup: its WriteTo
// copies the whole file as of now while writers go on. The caller must
// Rollback it, and soon: a long read transaction delays a writer that has
// to grow the file.
func (s *Store) BeginSnapshot() (*bolt.Tx, error) { return s.db.Begin(false) }
