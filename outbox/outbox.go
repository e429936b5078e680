// Package outbox keeps SMS replies until a provider has delivered them, and
// remembers which inbound messages were already handled so that a
// provider's retry never makes a second case or a second reply.
//
// It has its own bbolt file (outbox.db) beside the case store: its records
// are short-lived (deleted on delivery or when the retry window ends),
// churn far more than cases, and are the only place in the data directory
// that holds anything derived from a phone number, so they are kept apart
// from the cases and their backups. The destination number and the body
// (which carries the reference and, later, the PIN) are sealed with
// AES-256-GCM under a key in the keys directory.
//
// This package must never write, log or return in an error a number or a
// message body in clear.
package outbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/internal/boltfile"
)

// Bucket layout. Keys joining two parts use a NUL separator.
var (
	bucketOutbox   = []byte("outbox")   // id → JSON record
	bucketProvider = []byte("provider") // channel NUL provider id → id
	bucketInbound  = []byte("inbound")  // channel NUL provider message id → JSON inboundMark
	bucketEarly    = []byte("early")    // channel NUL provider id → JSON earlyReport
	allBuckets     = [][]byte{bucketOutbox, bucketProvider, bucketInbound, bucketEarly}
)

// Defaults for Options left zero.
const (
	// DefaultWindow is how long a reply is tried before it is dropped, and
	// how long its sealed number may exist.
	DefaultWindow = 24 * time.Hour
	// DefaultDedupe is how long a handled inbound message id is
	// remembered. AT retries for about 10 minutes and Twilio a few times;
	// a day leaves a wide margin.
	DefaultDedupe = 24 * time.Hour
	// earlyTTL bounds how long a delivery report that beat its send's
	// commit is kept waiting for it.
	earlyTTL = time.Hour
)

// State of a record.
const (
	StatePending = "pending" // waiting for (another) send attempt
	StateSent    = "sent"    // the provider accepted it; waiting for a delivery report
)

// Message is a reply to queue. To and Body are sealed before they are
// written.
type Message struct {
	ID      string // from ReplyID: deterministic, so a retried enqueue is a no-op
	Channel string
	To      string // raw destination number
	From    string // our short code or number
	Body    string
}

// Record is what the outbox keeps about a message, without its sealed
// part: safe to list, log and show an operator.
type Record struct {
	ID          string    `json:"id"`
	Channel     string    `json:"channel"`
	From        string    `json:"from,omitempty"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	Created     time.Time `json:"created"`
	Deadline    time.Time `json:"deadline"`
	NextAttempt time.Time `json:"next_attempt"`
	ProviderID  string    `json:"provider_id,omitempty"`
	LastError   string    `json:"last_error,omitempty"` // a short code, never a provider's reply
}

type stored struct {
	Record
	KeyVersion string `json:"key_version"`
	Sealed     []byte `json:"sealed"`
}

type sealedPart struct {
	To   string `json:"to"`
	Body string `json:"body"`
}

type inboundMark struct {
	At      time.Time `json:"at"`
	ReplyID string    `json:"reply_id,omitempty"`
}

type earlyReport struct {
	At        time.Time `json:"at"`
	Delivered bool      `json:"delivered"`
}

// ErrNotFound is returned (wrapped) when no record matches.
var ErrNotFound = errors.New("outbox: no such message")

// Options tunes a Store.
type Options struct {
	Window time.Duration // default DefaultWindow
	Dedupe time.Duration // default DefaultDedupe
	Now    func() time.Time
}

// Store is the outbox file. Safe for concurrent use.
type Store struct {
	db     *bolt.DB
	commit *boltfile.Committer
	sealer *Sealer
	window time.Duration
	dedupe time.Duration
	now    func() time.Time
	notify chan struct{}
}

// Open opens or creates the outbox at path (file 0600, directory 0700).
func Open(path string, sealer *Sealer, o Options) (*Store, error) {
	if sealer == nil {
		return nil, errors.New("outbox: no sealer")
	}
	db, err := boltfile.Open(path, allBuckets...)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Dedupe == 0 {
		o.Dedupe = DefaultDedupe
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{db: db, commit: boltfile.NewCommitter(db), sealer: sealer, window: o.Window, dedupe: o.Dedupe, now: o.Now, notify: make(chan struct{}, 1)}, nil
}

// Close closes the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("outbox: close: %w", err)
	}
	return nil
}

// Notify receives a value after each enqueue, so a worker can send at once
// instead of waiting for its next poll.
func (s *Store) Notify() <-chan struct{} { return s.notify }

// ReplyID is the outbox id of the reply to one inbound message: derived
// from it, so that handling a retried message again cannot queue a second
// reply. It is sent to providers as an idempotency key.
func ReplyID(channel, inboundID string) string {
	sum := sha256.Sum256([]byte("reply\x00" + channel + "\x00" + inboundID))
	return hex.EncodeToString(sum[:16])
}

func pair(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, 0)
	return append(k, b...)
}

func aad(id, channel string) []byte { return pair(id, channel) }

// Seen reports whether the inbound message was already handled (and not
// yet forgotten).
func (s *Store) Seen(ctx context.Context, channel, inboundID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("outbox: seen: %w", err)
	}
	var seen bool
	err := s.db.View(func(tx *bolt.Tx) error {
		seen = tx.Bucket(bucketInbound).Get(pair(channel, inboundID)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("outbox: seen: %w", err)
	}
	return seen, nil
}

// Handled records the inbound message as handled and, when reply is not
// nil, queues the reply, in one fsynced transaction. If the message was
// already handled it changes nothing and returns false: concurrent
// deliveries of one message queue one reply.
func (s *Store) Handled(ctx context.Context, channel, inboundID string, reply *Message) (first bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("outbox: handled: %w", err)
	}
	now := s.now().UTC()
	var rec stored
	if reply != nil {
		rec = stored{Record: Record{
			ID: reply.ID, Channel: reply.Channel, From: reply.From, State: StatePending,
			Created: now, Deadline: now.Add(s.window), NextAttempt: now,
		}}
		if rec.KeyVersion, rec.Sealed, err = s.sealer.SealReply(reply); err != nil {
			return false, err
		}
	}
	err = s.commit.Update(func(tx *bolt.Tx) error {
		first = false
		key := pair(channel, inboundID)
		in := tx.Bucket(bucketInbound)
		if in.Get(key) != nil {
			return nil
		}
		mark := inboundMark{At: now}
		if reply != nil {
			mark.ReplyID = reply.ID
			if tx.Bucket(bucketOutbox).Get([]byte(reply.ID)) == nil {
				data, err := json.Marshal(rec)
				if err != nil {
					return fmt.Errorf("encode record: %w", err)
				}
				if err := tx.Bucket(bucketOutbox).Put([]byte(reply.ID), data); err != nil {
					return fmt.Errorf("put record: %w", err)
				}
			}
		}
		data, err := json.Marshal(mark)
		if err != nil {
			return fmt.Errorf("encode mark: %w", err)
		}
		first = true
		return in.Put(key, data)
	})
	if err != nil {
		return false, fmt.Errorf("outbox: handled: %w", err)
	}
	if first && reply != nil {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
	return first, nil
}

// Due returns the pending records whose next attempt has come, oldest
// first by next attempt, at most limit.
func (s *Store) Due(ctx context.Context, limit int) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("outbox: due: %w", err)
	}
	now := s.now()
	var out []Record
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(_, v []byte) error {
			var r stored
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode record: %w", err)
			}
			if r.State == StatePending && !r.NextAttempt.After(now) {
				out = append(out, r.Record)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: due: %w", err)
	}
	sortByNext(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// NextDue returns when the earliest pending record falls due, or false
// when none is pending.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next time.Time
	var any bool
	err := s.each(ctx, func(r Record) error {
		if r.State == StatePending && (!any || r.NextAttempt.Before(next)) {
			next, any = r.NextAttempt, true
		}
		return nil
	})
	return next, any, err
}

// Len is how many messages wait to be sent or confirmed (for /metrics).
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("outbox: len: %w", err)
	}
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: len: %w", err)
	}
	return n, nil
}

// List returns every record, without its sealed part.
func (s *Store) List(ctx context.Context) ([]Record, error) {
	var out []Record
	err := s.each(ctx, func(r Record) error { out = append(out, r); return nil })
	return out, err
}

func (s *Store) each(ctx context.Context, fn func(Record) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("outbox: list: %w", err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(_, v []byte) error {
			var r stored
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode record: %w", err)
			}
			return fn(r.Record)
		})
	})
	if err != nil {
		return fmt.Errorf("outbox: list: %w", err)
	}
	return nil
}

// Unseal returns the destination and body of a record, for the length of
// one send.
func (s *Store) Unseal(ctx context.Context, id string) (to, body string, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", fmt.Errorf("outbox: unseal: %w", err)
	}
	var r stored
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketOutbox).Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return "", "", fmt.Errorf("outbox: unseal %s: %w", id, err)
	}
	to, body, err = s.sealer.OpenReply(r.ID, r.Channel, r.KeyVersion, r.Sealed)
	if err != nil {
		return "", "", fmt.Errorf("outbox: unseal %s: %w", id, err)
	}
	return to, body, nil
}

// update applies fn to record id in one fsynced transaction. fn returns
// false to delete the record (and its provider index).
func (s *Store) update(ctx context.Context, op, id string, fn func(tx *bolt.Tx, r *stored) (keep bool, err error)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("outbox: %s: %w", op, err)
	}
	err := s.commit.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		v := b.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		var r stored
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode record: %w", err)
		}
		keep, err := fn(tx, &r)
		if err != nil {
			return err
		}
		if !keep {
			return deleteRecord(tx, r)
		}
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode record: %w", err)
		}
		return b.Put([]byte(id), data)
	})
	if err != nil {
		return fmt.Errorf("outbox: %s %s: %w", op, id, err)
	}
	return nil
}

func deleteRecord(tx *bolt.Tx, r stored) error {
	if r.ProviderID != "" {
		if err := tx.Bucket(bucketProvider).Delete(pair(r.Channel, r.ProviderID)); err != nil {
			return fmt.Errorf("delete provider index: %w", err)
		}
	}
	if err := tx.Bucket(bucketOutbox).Delete([]byte(r.ID)); err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	return nil
}

// Sent records that the provider accepted the message under providerID.
// The sealed number stays until a delivery report or the end of the
// window, so that a failed delivery can be tried again. A report that
// arrived before this commit is applied now.
func (s *Store) Sent(ctx context.Context, id, providerID string) error {
	return s.update(ctx, "sent", id, func(tx *bolt.Tx, r *stored) (bool, error) {
		r.State, r.ProviderID, r.Attempts, r.LastError = StateSent, providerID, r.Attempts+1, ""
		key := pair(r.Channel, providerID)
		if v := tx.Bucket(bucketEarly).Get(key); v != nil {
			var e earlyReport
			if err := json.Unmarshal(v, &e); err == nil && e.Delivered {
				if err := tx.Bucket(bucketEarly).Delete(key); err != nil {
					return false, fmt.Errorf("delete early report: %w", err)
				}
				r.ProviderID = "" // no index was written
				return false, nil
			}
		}
		return true, tx.Bucket(bucketProvider).Put(key, []byte(r.ID))
	})
}

// Failed records a failed attempt. A permanent failure, or one whose next
// attempt would fall after the window, deletes the message (and its
// sealed number); otherwise it is tried again after backoff. dropped
// reports a deletion.
func (s *Store) Failed(ctx context.Context, id, code string, permanent bool, backoff time.Duration) (dropped bool, err error) {
	err = s.update(ctx, "failed", id, func(tx *bolt.Tx, r *stored) (bool, error) {
		now := s.now().UTC()
		r.Attempts++
		r.LastError = code
		r.NextAttempt = now.Add(backoff)
		dropped = permanent || r.NextAttempt.After(r.Deadline)
		return !dropped, nil
	})
	return dropped, err
}

// Drop deletes a message whatever its state (an unreadable seal).
func (s *Store) Drop(ctx context.Context, id string) error {
	return s.update(ctx, "drop", id, func(*bolt.Tx, *stored) (bool, error) { return false, nil })
}

// Report applies a delivery report for the message the provider knows as
// providerID on channel. Delivered deletes the message; failed puts it
// back in the queue after retry (or deletes it when the window is over).
// A report for a message not yet marked sent is kept for a while, in case
// it beat the send's commit; a report for anything else is ignored.
// known reports whether the report matched a message.
func (s *Store) Report(ctx context.Context, channel, providerID string, delivered bool, retry time.Duration) (known bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("outbox: report: %w", err)
	}
	key := pair(channel, providerID)
	err = s.commit.Update(func(tx *bolt.Tx) error {
		known = false
		id := tx.Bucket(bucketProvider).Get(key)
		if id == nil {
			data, err := json.Marshal(earlyReport{At: s.now().UTC(), Delivered: delivered})
			if err != nil {
				return fmt.Errorf("encode early report: %w", err)
			}
			return tx.Bucket(bucketEarly).Put(key, data)
		}
		v := tx.Bucket(bucketOutbox).Get(id)
		if v == nil {
			return tx.Bucket(bucketProvider).Delete(key)
		}
		var r stored
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode record: %w", err)
		}
		known = true
		now := s.now().UTC()
		if delivered || now.Add(retry).After(r.Deadline) {
			return deleteRecord(tx, r)
		}
		if err := tx.Bucket(bucketProvider).Delete(key); err != nil {
			return fmt.Errorf("delete provider index: %w", err)
		}
		r.State, r.ProviderID, r.LastError, r.NextAttempt = StatePending, "", "delivery failed", now.Add(retry)
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode record: %w", err)
		}
		return tx.Bucket(bucketOutbox).Put(id, data)
	})
	if err != nil {
		return false, fmt.Errorf("outbox: report: %w", err)
	}
	if known && !delivered {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
	return known, nil
}

// Sweep deletes what has outlived its purpose: messages past their window
// (with their sealed numbers), inbound marks past the dedupe period and
// early reports nobody claimed. It returns how many messages it dropped.
func (s *Store) Sweep(ctx context.Context) (expired int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("outbox: sweep: %w", err)
	}
	now := s.now().UTC()
	err = s.db.Update(func(tx *bolt.Tx) error {
		expired = 0
		var dead []stored
		err := tx.Bucket(bucketOutbox).ForEach(func(_, v []byte) error {
			var r stored
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode record: %w", err)
			}
			if now.After(r.Deadline) {
				dead = append(dead, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range dead {
			if err := deleteRecord(tx, r); err != nil {
				return err
			}
			expired++
		}
		if err := sweepMarks(tx.Bucket(bucketInbound), now.Add(-s.dedupe)); err != nil {
			return err
		}
		return sweepMarks(tx.Bucket(bucketEarly), now.Add(-earlyTTL))
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: sweep: %w", err)
	}
	return expired, nil
}

// sweepMarks deletes entries of b (JSON with an "at" time) older than
// before.
func sweepMarks(b *bolt.Bucket, before time.Time) error {
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var m struct {
			At time.Time `json:"at"`
		}
		if err := json.Unmarshal(v, &m); err != nil || m.At.Before(before) {
			old = append(old, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("delete mark: %w", err)
		}
	}
	return nil
}

// BeginSnapshot starts a read-only transaction for a backup: its WriteTo
// copies the whole file as of now while writers go on. The caller must
// Rollback it, and soon: a long read transaction delays a writer that has
// to grow the file.
func (s *Store) BeginSnapshot() (*bolt.Tx, error) { return s.db.Begin(false) }
