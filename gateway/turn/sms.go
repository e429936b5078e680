package turn

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/numerovert/hotline/outbox/outbound"
)

// SMS is one inbound text message as a provider delivered it.
type SMS struct {
	ID       string    // the provider's message id (AT id, Twilio MessageSid): the dedupe key
	From     string    // raw sender number; never leaves the gateway
	To       string    // our short code or number, where the reply comes from
	Text     string    // the body, reassembled by the provider
	LinkID   string    `json:",omitempty"` // AT premium on-demand reply link
	Received time.Time `json:",omitzero"`  // the provider's receive time, when it sent one
}

// DeliveryState is the channel-neutral outcome of an outbound SMS.
type DeliveryState string

// Delivery states. Pending means the provider is still trying: nothing to do.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed"
)

// DeliveryReport is a provider's news about a message it accepted.
type DeliveryReport struct {
	ProviderID string // the id the provider returned when it accepted the message
	State      DeliveryState
	Reason     string `json:",omitempty"` // the provider's short failure code, never a number
}

// Outbound is one SMS to send through a provider's API. It is the outbox's
// type (outbox/outbound), named here so provider adapters keep one import.
type Outbound = outbound.Message

// SendError is a provider refusing or failing a send (outbox/outbound).
type SendError = outbound.SendError

// maxSendReply bounds what is read of a send API's reply.
const maxSendReply = 64 << 10

// PostForm makes one send-API call the way every provider's takes it: a
// form POST accepting JSON, with the outbox id as Idempotency-Key (honoured
// by fakes and proxies, ignored by AT and Twilio), authorised by auth,
// through client (one with timeout when nil). It returns the HTTP status
// and at most 64 KB of the reply. Errors name the URL, never the form,
// which holds the number.
func PostForm(ctx context.Context, client *http.Client, timeout time.Duration, endpoint string, form url.Values,
	idempotencyKey string, auth func(*http.Request)) (status int, reply []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	auth(req)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Idempotency-Key", idempotencyKey)
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	reply, err = io.ReadAll(io.LimitReader(resp.Body, maxSendReply))
	if err != nil {
		return 0, nil, fmt.Errorf("read reply: %w", err)
	}
	return resp.StatusCode, reply, nil
}
