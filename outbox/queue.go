package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Queue is what the gateway and the Worker need of an outbox: Store (the
// bbolt file of a process that holds the data) and scaleout.Outbox (Redis,
// shared by gateway replicas) are the two. Every implementation seals the
// number and the body with a Sealer (SealReply) and never writes, logs or
// returns in an error either in clear.
type Queue interface {
	// Seen reports whether an inbound message was already handled.
	Seen(ctx context.Context, channel, inboundID string) (bool, error)
	// Handled marks an inbound message handled and queues reply (may be
	// nil) at once; false when it was handled before.
	Handled(ctx context.Context, channel, inboundID string, reply *Message) (first bool, err error)
	// Report applies a provider's delivery report.
	Report(ctx context.Context, channel, providerID string, delivered bool, retry time.Duration) (known bool, err error)
	// Len is how many messages wait to be sent or confirmed.
	Len(ctx context.Context) (int, error)

	// Due returns records whose next attempt has come, at most limit. An
	// implementation shared by several workers hands each record to one
	// of them at a time.
	Due(ctx context.Context, limit int) ([]Record, error)
	// NextDue is when the earliest pending record falls due.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// Notify receives a value after a local enqueue.
	Notify() <-chan struct{}
	Unseal(ctx context.Context, id string) (to, body string, err error)
	Sent(ctx context.Context, id, providerID string) error
	Failed(ctx context.Context, id, code string, permanent bool, backoff time.Duration) (dropped bool, err error)
	Drop(ctx context.Context, id string) error
	Sweep(ctx context.Context) (expired int, err error)
}

var _ Queue = (*Store)(nil)

// SealReply seals a reply's number and body, bound to its id and channel:
// the sealed part of a record, in the one format every Queue keeps.
func (s *Sealer) SealReply(m *Message) (version string, sealed []byte, err error) {
	plain, err := json.Marshal(sealedPart{To: m.To, Body: m.Body})
	if err != nil {
		return "", nil, fmt.Errorf("outbox: encode: %w", err)
	}
	version, sealed = s.Seal(plain, aad(m.ID, m.Channel))
	return version, sealed, nil
}

// OpenReply opens what SealReply sealed for record id on channel. The
// error wraps ErrUnsealable and never holds the number or the body.
func (s *Sealer) OpenReply(id, channel, version string, sealed []byte) (to, body string, err error) {
	plain, err := s.Open(version, sealed, aad(id, channel))
	if err != nil {
		return "", "", err
	}
	var p sealedPart
	if err := json.Unmarshal(plain, &p); err != nil {
		return "", "", fmt.Errorf("%w: bad payload", ErrUnsealable)
	}
	return p.To, p.Body, nil
}
