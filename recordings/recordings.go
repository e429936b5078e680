// Package recordings keeps callers' voice messages, encrypted at rest with
// AES-256-GCM under a key from the keys directory (purpose "recording"),
// in a bbolt file of its own beside the case store.
//
// A voice can identify a person: this package must never write a
// recording in clear, log its bytes or its provider URL, or keep a
// recording under anything but its opaque id. Destroying every
// "recording-k*.key" makes every stored message unreadable for good.
package recordings

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/numerovert/hotline/internal/boltfile"
	"github.com/numerovert/hotline/keystore"
)

// Purpose names the recording keys in the keys directory ("recording-k1.key").
const Purpose = "recording"

// MaxSize bounds one stored recording: 120 s of 16-bit 8 kHz mono PCM is
// under 2 MB, and some providers record at 16 kHz.
const MaxSize = 8 << 20

var (
	// ErrNotFound is returned (wrapped) for an unknown id.
	ErrNotFound = errors.New("recordings: not found")
	// ErrUnreadable is returned (wrapped) when the key that sealed a
	// recording is gone or the record was tampered with.
	ErrUnreadable = errors.New("recordings: cannot open recording")
)

var bucket = []byte("recordings") // id → version + 0x00 + nonce|ciphertext

// Store is the recordings file. Safe for concurrent use.
type Store struct {
	*Sealer
	db     *bolt.DB
	commit *boltfile.Committer
}

// Sealer seals voice messages with the recording keys in the one format
// the store keeps (version, NUL, nonce|ciphertext, bound to the id): a
// gateway replica seals with it before a message leaves the process, and
// the casework node stores what it sealed as it is (PutSealed). Safe for
// concurrent use.
type Sealer struct {
	keys atomic.Pointer[[]sealKey] // newest first; replaced whole by UseKeys
}

// NewSealer seals with keys (oldest first, the last one current).
func NewSealer(keys []keystore.Key) (*Sealer, error) {
	s := &Sealer{}
	if err := s.UseKeys(keys); err != nil {
		return nil, err
	}
	return s, nil
}

type sealKey struct {
	version string
	aead    cipher.AEAD
}

// Open opens (or creates, 0600) the recordings file at path with the keys
// held for Purpose in dir, creating k1 when there is none. created reports
// whether a key was made now.
func Open(path string, dir keystore.Dir) (s *Store, created bool, err error) {
	keys, created, err := dir.Keys(Purpose)
	if err != nil {
		return nil, false, fmt.Errorf("recordings: %w", err)
	}
	s, err = open(path, keys)
	return s, created, err
}

// OpenWithKeys is Open with the keys given (oldest first), for tests.
func OpenWithKeys(path string, keys []keystore.Key) (*Store, error) { return open(path, keys) }

func open(path string, keys []keystore.Key) (*Store, error) {
	sealer, err := NewSealer(keys)
	if err != nil {
		return nil, err
	}
	s := &Store{Sealer: sealer}
	db, err := boltfile.Open(path, bucket)
	if err != nil {
		return nil, fmt.Errorf("recordings: %w", err)
	}
	s.db, s.commit = db, boltfile.NewCommitter(db)
	return s, nil
}

// UseKeys replaces the recording keys by keys (oldest first, the last one
// current), as after `hotline keys rotate recording` while serving: new
// voice messages are sealed with the new version, older ones still open.
func (s *Sealer) UseKeys(keys []keystore.Key) error {
	var ring []sealKey
	for _, k := range slices.Backward(keys) {
		if len(k.Secret) != 32 {
			return fmt.Errorf("recordings: key %s is %d bytes, want 32", k.Version, len(k.Secret))
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return fmt.Errorf("recordings: key %s: %w", k.Version, err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return fmt.Errorf("recordings: key %s: %w", k.Version, err)
		}
		ring = append(ring, sealKey{version: k.Version, aead: gcm})
	}
	if len(ring) == 0 {
		return errors.New("recordings: no key")
	}
	s.keys.Store(&ring)
	return nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Put seals data under id (the id is bound into the seal, so a record
// moved to another id does not open). A second Put of the same id keeps
// the first: a provider retrying the same step stores one recording.
// It returns after the fsynced commit.
func (s *Store) Put(ctx context.Context, id string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("recordings: put: %w", err)
	}
	if id == "" || len(data) == 0 || len(data) > MaxSize {
		return errors.New("recordings: put: empty id, or recording empty or too large")
	}
	return s.put(id, s.Seal(id, data))
}

// Seal encrypts data for id under the newest key, as Put stores it.
func (s *Sealer) Seal(id string, data []byte) []byte {
	k := (*s.keys.Load())[0]
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (it aborts the program instead)
	sealed := k.aead.Seal(nonce, nonce, data, []byte("recording\x00"+id))
	return append([]byte(k.version+"\x00"), sealed...)
}

// PutSealed stores a recording a Sealer with these keys sealed for id
// elsewhere (a gateway replica), once it has checked that it opens here:
// the message is never in clear outside memory. A second PutSealed or Put
// of the same id keeps the first.
func (s *Store) PutSealed(ctx context.Context, id string, rec []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("recordings: put: %w", err)
	}
	plain, err := s.Open(id, rec)
	if err != nil {
		return fmt.Errorf("recordings: put sealed: %w", err)
	}
	if id == "" || len(plain) == 0 || len(plain) > MaxSize {
		return errors.New("recordings: put: empty id, or recording empty or too large")
	}
	clear(plain)
	return s.put(id, rec)
}

func (s *Store) put(id string, rec []byte) error {
	err := s.commit.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b.Get([]byte(id)) != nil {
			return nil
		}
		return b.Put([]byte(id), rec)
	})
	if err != nil {
		return fmt.Errorf("recordings: put: %w", err)
	}
	return nil
}

// Get opens the recording stored under id.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("recordings: get: %w", err)
	}
	var rec []byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		rec = slices.Clone(tx.Bucket(bucket).Get([]byte(id)))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("recordings: get: %w", err)
	}
	if rec == nil {
		return nil, ErrNotFound
	}
	return s.Open(id, rec)
}

// Open decrypts a record Seal made for id.
func (s *Sealer) Open(id string, rec []byte) ([]byte, error) {
	version, sealed, ok := strings.Cut(string(rec), "\x00")
	if !ok {
		return nil, ErrUnreadable
	}
	for _, k := range *s.keys.Load() {
		if k.version != version {
			continue
		}
		n := k.aead.NonceSize()
		if len(sealed) < n {
			return nil, ErrUnreadable
		}
		plain, err := k.aead.Open(nil, []byte(sealed[:n]), []byte(sealed[n:]), []byte("recording\x00"+id))
		if err != nil {
			return nil, ErrUnreadable
		}
		return plain, nil
	}
	return nil, fmt.Errorf("%w: its key %s is no longer held", ErrUnreadable, version)
}

// Has reports whether a recording is stored under id (without opening it).
func (s *Store) Has(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("recordings: has: %w", err)
	}
	found := false
	if err := s.db.View(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucket).Get([]byte(id)) != nil
		return nil
	}); err != nil {
		return false, fmt.Errorf("recordings: has: %w", err)
	}
	return found, nil
}

// Delete removes a recording (retention, or a caller's request).
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("recordings: delete: %w", err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete([]byte(id)) }); err != nil {
		return fmt.Errorf("recordings: delete: %w", err)
	}
	return nil
}

// BeginSnapshot starts a read-only transaction for a backup: its WriteTo
// copies the whole file as of now while writers go on. The caller must
// Rollback it, and soon: a long read transaction delays a writer that has
// to grow the file.
func (s *Store) BeginSnapshot() (*bolt.Tx, error) { return s.db.Begin(false) }
