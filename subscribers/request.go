package subscribers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/outbox"
)

// A gateway replica holds no subscriber file: a subscription or a STOP
// made there travels to the store as a Request, its number sealed with
// the subscriber keys (a copy of the casework node's, as for the outbox)
// and bound to the request's random id, so a sealed number cannot be
// replayed as another request. Nothing else in it tells who the caller
// is: no caller key, no case.

// Request operations.
const (
	OpSubscribe   = "on"
	OpUnsubscribe = "off"
)

// Request is one subscription change made away from the store.
type Request struct {
	ID         string // random, 16 bytes hex
	Op         string // OpSubscribe or OpUnsubscribe
	Lang       string
	Region     string
	Cercle     string
	Channel    string
	KeyVersion string
	Sealed     []byte // the number (E.164), AES-256-GCM
}

func requestAAD(id string) []byte { return []byte("numero-vert subscriber request\x00" + id) }

// RequestSealer seals the numbers of Requests with the subscriber keys.
// Safe for concurrent use.
type RequestSealer struct{ sealer outbox.Sealer }

// NewRequestSealer seals with keys (oldest first, the last current).
func NewRequestSealer(keys []keystore.Key) (*RequestSealer, error) {
	s := &RequestSealer{}
	if err := s.UseKeys(keys); err != nil {
		return nil, err
	}
	return s, nil
}

// UseKeys replaces the key versions, as after a rotation while serving.
func (s *RequestSealer) UseKeys(keys []keystore.Key) error {
	if err := s.sealer.UseKeys(keys); err != nil {
		return fmt.Errorf("subscribers: %w", err)
	}
	return nil
}

// Seal returns r with a fresh id and number sealed into it.
func (s *RequestSealer) Seal(r Request, number string) (Request, error) {
	if number == "" || (r.Op != OpSubscribe && r.Op != OpUnsubscribe) {
		return Request{}, errors.New("subscribers: a request needs a number and an operation")
	}
	if r.Op == OpSubscribe && (r.Lang == "" || r.Channel == "") {
		return Request{}, errors.New("subscribers: subscribe: number, language and channel are needed")
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it aborts the program instead)
	r.ID = hex.EncodeToString(b)
	r.KeyVersion, r.Sealed = s.sealer.Seal([]byte(number), requestAAD(r.ID))
	return r, nil
}

// ErrUnreadableRequest is returned (wrapped) for a request no held key
// opens (tampered with, or sealed with a destroyed key): it can never be
// applied.
var ErrUnreadableRequest = errors.New("subscribers: unreadable request")

// Apply opens r's number and makes the change: a subscription replaces
// the number's earlier one, a STOP deletes it. Applying a request twice
// has the effect of once.
func (s *Store) Apply(ctx context.Context, r Request) error {
	number, err := s.sealer.Open(r.KeyVersion, r.Sealed, requestAAD(r.ID))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadableRequest, err)
	}
	switch r.Op {
	case OpSubscribe:
		return s.Subscribe(ctx, string(number), r.Lang, r.Region, r.Cercle, r.Channel)
	case OpUnsubscribe:
		_, err := s.Unsubscribe(ctx, string(number))
		return err
	}
	return fmt.Errorf("%w: operation %q", ErrUnreadableRequest, r.Op)
}
