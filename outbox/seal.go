package outbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/numerovert/hotline/keystore"
)

// Purpose names the outbox sealing keys in the keys directory
// ("outbox-k1.key").
const Purpose = "outbox"

// ErrUnsealable is returned (wrapped) when a sealed message cannot be
// opened: its key version was destroyed, or the record was tampered with.
var ErrUnsealable = errors.New("outbox: cannot open sealed message")

// Sealer seals messages with AES-256-GCM under the newest outbox key and
// opens them with whichever version sealed them. Destroying a key file
// makes every message sealed with it unreadable for good. Safe for
// concurrent use.
type Sealer struct {
	versions atomic.Pointer[[]sealKey] // newest first; replaced whole by UseKeys
}

type sealKey struct {
	name string
	aead cipher.AEAD
}

// LoadSealer reads every outbox key version from dir, creating k1 when
// there is none. created reports whether a key was made now.
func LoadSealer(dir keystore.Dir) (s *Sealer, created bool, err error) {
	keys, created, err := dir.Keys(Purpose)
	if err != nil {
		return nil, false, fmt.Errorf("outbox: %w", err)
	}
	s = &Sealer{}
	if err := s.UseKeys(keys); err != nil {
		return nil, false, err
	}
	return s, created, nil
}

// NewSealer builds a sealer from 32-byte secrets, newest last, named k1,
// k2, … It is for tests; the server uses LoadSealer.
func NewSealer(secrets ...[]byte) (*Sealer, error) {
	keys := make([]keystore.Key, len(secrets))
	for i, secret := range secrets {
		keys[i] = keystore.Key{Version: fmt.Sprintf("k%d", i+1), Secret: secret}
	}
	s := &Sealer{}
	if err := s.UseKeys(keys); err != nil {
		return nil, err
	}
	return s, nil
}

// UseKeys replaces the sealing keys by keys (oldest first, the last one
// current), as after `hotline keys rotate outbox` while serving: messages
// queued from then on are sealed with the new version, queued ones still
// open with theirs.
func (s *Sealer) UseKeys(keys []keystore.Key) error {
	var ring []sealKey
	for _, key := range slices.Backward(keys) {
		k, err := newKey(key.Version, key.Secret)
		if err != nil {
			return err
		}
		ring = append(ring, k)
	}
	if len(ring) == 0 {
		return errors.New("outbox: no sealing key")
	}
	s.versions.Store(&ring)
	return nil
}

func newKey(name string, secret []byte) (sealKey, error) {
	if len(secret) != 32 {
		return sealKey{}, fmt.Errorf("outbox: key %s is %d bytes, want 32", name, len(secret))
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return sealKey{}, fmt.Errorf("outbox: key %s: %w", name, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealKey{}, fmt.Errorf("outbox: key %s: %w", name, err)
	}
	return sealKey{name: name, aead: aead}, nil
}

// Seal encrypts plaintext bound to aad (the record's id and channel, so a
// sealed number cannot be moved to another record) under the newest key.
// The result is a random 12-byte nonce followed by the ciphertext.
func (s *Sealer) Seal(plaintext, aad []byte) (version string, sealed []byte) {
	k := (*s.versions.Load())[0]
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (it aborts the program instead)
	return k.name, k.aead.Seal(nonce, nonce, plaintext, aad)
}

// Open decrypts what Seal made with version. The error wraps ErrUnsealable
// and never includes the plaintext.
func (s *Sealer) Open(version string, sealed, aad []byte) ([]byte, error) {
	for _, k := range *s.versions.Load() {
		if k.name != version {
			continue
		}
		n := k.aead.NonceSize()
		if len(sealed) < n {
			return nil, fmt.Errorf("%w: too short", ErrUnsealable)
		}
		out, err := k.aead.Open(nil, sealed[:n], sealed[n:], aad)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsealable, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: key %s is not held", ErrUnsealable, version)
}
