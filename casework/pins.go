package casework

import (
	"strings"
	"sync/atomic"

	"github.com/numerovert/hotline/keystore"
)

// PINs draws follow-up PINs and checks them against their keyed hashes,
// with the versions held of the PIN key (PINKeyPurpose). The Service has
// one; a gateway in front of a queue (scaleout) has its own over the same
// keys, so that it can show a PIN for a case the casework node makes
// later. A PIN itself is never stored, only its hash, bound to one case ID.
// It is safe for concurrent use.
type PINs struct {
	kr atomic.Pointer[keyring] // replaced whole by UseKeys
}

// NewPINs holds keys, oldest first, the last one current.
func NewPINs(keys []keystore.Key) (*PINs, error) {
	p := &PINs{}
	if err := p.UseKeys(keys); err != nil {
		return nil, err
	}
	return p, nil
}

// UseKeys replaces the versions held (a rotation while serving): new PINs
// hash with the new current version, older ones still check with theirs.
func (p *PINs) UseKeys(keys []keystore.Key) error {
	kr, err := checkKeys(PINKeyPurpose, keys)
	if err != nil {
		return err
	}
	p.kr.Store(&kr)
	return nil
}

// New draws a 4-digit PIN for the case caseID and returns it, to show the
// caller once, with the hash to store.
func (p *PINs) New(caseID string) (pin, hash string) {
	pin = newPIN()
	return pin, p.kr.Load().hashPIN(caseID, pin)
}

// Check reports whether pin is the one hashed into stored for caseID, in
// constant time, doing the same work when stored is empty (no such case).
func (p *PINs) Check(caseID, pin, stored string) bool {
	return p.kr.Load().checkPIN(caseID, strings.TrimSpace(pin), stored)
}
