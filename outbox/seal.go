package outbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

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
	versions []sealKey // newest first
}

type sealKey struct {
	name string
	aead cipher.AEAD
}

// LoadSealer reads every outbox key version from dir, creating k1 when
// there is none. created reports whether a key was made now.
func LoadSealer(dir keystore.Dir) (s *Sealer, created bool, err error) {
	names, created, err := dir.Ensure(Purpose)
	if err != nil {
		return nil, false, fmt.Errorf("outbox: %w", err)
	}
	s = &Sealer{}
	for _, name := range slices.Backward(names) {
		secret, err := dir.Read(Purpose, name)
		if err != nil {
			return nil, false, fmt.Errorf("outbox: %w", err)
		}
		k, err := newKey(name, secret)
		if err != nil {
			return nil, false, err
		}
		s.versions = append(s.versions, k)
	}
	return s, created, nil
}

// NewSealer builds a sealer from 32-byte secrets, newest last, named k1,
// k2, … It is for tests; the server uses LoadSealer.
func NewSealer(secrets ...[]byte) (*Sealer, error) {
	s := &Sealer{}
	for i, secret := range secrets {
		k, err := newKey(fmt.Sprintf("k%d", i+1), secret)
		if err != nil {
			return nil, err
		}
		s.versions = append([]sealKey{k}, s.versions...)
	}
	if len(s.versions) == 0 {
		return nil, errors.New("outbox: no sealing key")
	}
	return s, nil
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
	k := s.versions[0]
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (it aborts the program instead)
	return k.name, k.aead.Seal(nonce, nonce, plaintext, aad)
}

// Open decrypts what Seal made with version. The error wraps ErrUnsealable
// and never includes the plaintext.
func (s *Sealer) Open(version string, sealed, aad []byte) ([]byte, error) {
	for _, k := range s.versions {
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
