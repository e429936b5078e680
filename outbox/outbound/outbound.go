// Package outbound holds what the outbox hands a provider's send API and
// what it gets back: one Message to send and the SendError a provider
// returns. It is a leaf, so the outbox depends on no gateway package and the
// provider adapters (gateway/africastalking, gateway/twilio) implement the
// outbox's Sender without the outbox knowing them.
//
// This package must never import another package of this module.
package outbound

// Message is one SMS to send through a provider's API.
type Message struct {
	ID   string // the outbox id: sent as an idempotency key where a provider takes one
	To   string // raw destination number; only in memory for the length of the send
	From string // our short code or number; empty means the account's default
	Body string
}

// SendError is a provider refusing or failing a send. Code is short and
// safe to log and store (an HTTP status or the provider's status name); it
// never quotes the request or the provider's reply, which hold the number.
type SendError struct {
	Code string
	// Permanent means retrying cannot help (invalid or blacklisted number):
	// the outbox drops the message instead of trying again.
	Permanent bool
}

func (e *SendError) Error() string {
	if e.Permanent {
		return "send refused permanently: " + e.Code
	}
	return "send failed: " + e.Code
}
