package africastalking

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/numerovert/hotline/gateway/turn"
)

// Limits on an SMS callback. A concatenated SMS is at most a few kilobytes;
// the limits bound what a forged request can make the gateway hold.
const (
	MaxSMSBody = 16 << 10
	MaxSMSText = 8 << 10
)

// dateLayouts are the two shapes AT has been seen to send in `date`.
var dateLayouts = []string{time.RFC3339, "2006-01-02 15:04:05"}

// SMS is the Africa's Talking SMS adapter: inbound messages and delivery
// reports.
type SMS struct{}

// ParseSMS reads an inbound message callback: a form-encoded POST with
// from, to, text, date, id and, for premium services, linkId. A date in
// neither known format is tolerated (left zero): refusing it would make AT
// retry a message we can never accept.
func (SMS) ParseSMS(contentType string, body []byte) (turn.SMS, error) {
	form, err := parseForm(contentType, body, MaxSMSBody)
	if err != nil {
		return turn.SMS{}, err
	}
	m := turn.SMS{
		ID:     form.Get("id"),
		From:   form.Get("from"),
		To:     form.Get("to"),
		Text:   form.Get("text"),
		LinkID: form.Get("linkId"),
	}
	if d := strings.TrimSpace(form.Get("date")); d != "" {
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, d); err == nil {
				m.Received = t.UTC()
				break
			}
		}
	}
	switch {
	case strings.TrimSpace(m.ID) == "":
		return turn.SMS{}, &turn.BadRequest{Reason: "missing id"}
	case strings.TrimSpace(m.From) == "":
		return turn.SMS{}, &turn.BadRequest{Reason: "missing from"}
	case len(m.Text) > MaxSMSText:
		return turn.SMS{}, &turn.BadRequest{Reason: "text over 8 KB"}
	case len(m.ID) > maxField || len(m.From) > maxField || len(m.To) > maxField || len(m.LinkID) > maxField:
		return turn.SMS{}, &turn.BadRequest{Reason: "field too long"}
	case !utf8.ValidString(m.Text) || !utf8.ValidString(m.ID):
		return turn.SMS{}, &turn.BadRequest{Reason: "text is not UTF-8"}
	}
	return m, nil
}

// ParseReport reads a delivery report: id (the messageId AT returned when
// it accepted the message), status and, on failure, failureReason.
// phoneNumber is present too and is ignored.
func (SMS) ParseReport(contentType string, body []byte) (turn.DeliveryReport, error) {
	form, err := parseForm(contentType, body, MaxUSSDBody)
	if err != nil {
		return turn.DeliveryReport{}, err
	}
	r := turn.DeliveryReport{ProviderID: form.Get("id"), Reason: form.Get("failureReason")}
	switch {
	case strings.TrimSpace(r.ProviderID) == "":
		return turn.DeliveryReport{}, &turn.BadRequest{Reason: "missing id"}
	case len(r.ProviderID) > maxField || len(r.Reason) > maxField:
		return turn.DeliveryReport{}, &turn.BadRequest{Reason: "field too long"}
	}
	switch form.Get("status") {
	case "Success":
		r.State = turn.DeliveryDelivered
	case "Rejected", "Failed", "Expired":
		r.State = turn.DeliveryFailed
	case "Sent", "Submitted", "Buffered":
		r.State = turn.DeliveryPending
	default:
		return turn.DeliveryReport{}, &turn.BadRequest{Reason: "unknown status"}
	}
	return r, nil
}

// Ack is the reply to an SMS callback: AT only wants a 200.
func (SMS) Ack() (contentType string, body []byte) {
	return "text/plain; charset=utf-8", []byte("OK")
}

func parseForm(contentType string, body []byte, limit int) (url.Values, error) {
	if len(body) > limit {
		return nil, &turn.BadRequest{Reason: fmt.Sprintf("body over %d KB", limit>>10)}
	}
	if err := requireForm(contentType); err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &turn.BadRequest{Reason: "body is not form-encoded"}
	}
	return form, nil
}

// Sender sends SMS through AT's bulk messaging API.
type Sender struct {
	BaseURL  string // https://api.africastalking.com (sandbox: https://api.sandbox.africastalking.com)
	Username string
	APIKey   string
	// Client's timeout bounds one send. AT calls have been seen to hang for
	// a minute; the SDKs now give up after about 10 s.
	Client *http.Client
}

// DefaultTimeout is the send timeout when Client is nil.
const DefaultTimeout = 10 * time.Second

// AT recipient status codes that no retry can fix.
var permanentCodes = map[int]bool{
	403: true, // InvalidPhoneNumber
	404: true, // UnsupportedNumberType
	406: true, // UserInBlacklist
	409: true, // DoNotDisturbRejection
}

type sendResponse struct {
	SMSMessageData struct {
		Recipients []struct {
			StatusCode int    `json:"statusCode"`
			Status     string `json:"status"`
			MessageID  string `json:"messageId"`
		} `json:"Recipients"`
	} `json:"SMSMessageData"`
}

// Send posts one message and returns AT's messageId. AT takes no
// idempotency key: the Idempotency-Key header carries the outbox id for
// fakes and proxies that honour it, and AT ignores it, so a send whose
// reply was lost and is retried may reach the phone twice.
func (s Sender) Send(ctx context.Context, m turn.Outbound) (string, error) {
	form := url.Values{"username": {s.Username}, "to": {m.To}, "message": {m.Body}}
	if m.From != "" {
		form.Set("from", m.From)
	}
	status, raw, err := turn.PostForm(ctx, s.Client, DefaultTimeout, strings.TrimRight(s.BaseURL, "/")+"/version1/messaging",
		form, m.ID, func(r *http.Request) { r.Header.Set("apiKey", s.APIKey) })
	if err != nil {
		return "", fmt.Errorf("africastalking: %w", err)
	}
	if status < 200 || status > 299 {
		return "", &turn.SendError{Code: "http " + strconv.Itoa(status)}
	}
	var out sendResponse
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&out); err != nil {
		return "", &turn.SendError{Code: "unreadable reply"}
	}
	if len(out.SMSMessageData.Recipients) != 1 {
		return "", &turn.SendError{Code: fmt.Sprintf("%d recipients in reply", len(out.SMSMessageData.Recipients))}
	}
	r := out.SMSMessageData.Recipients[0]
	if r.Status != "Success" || r.MessageID == "" || r.MessageID == "None" {
		return "", &turn.SendError{Code: "status " + strconv.Itoa(r.StatusCode), Permanent: permanentCodes[r.StatusCode]}
	}
	return r.MessageID, nil
}

// Authenticate accepts every request: AT signs nothing, so the unguessable
// channel id in the URL is what keeps forged callbacks out.
func (SMS) Authenticate(requestURL string, header func(string) string, contentType string, body []byte) error {
	return nil
}
