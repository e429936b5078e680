package twilio

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/numerovert/hotline/gateway/turn"
)

// Limits on a webhook. Twilio reassembles long messages (up to 1600
// characters) before posting; the limits bound what a forged request can
// make the gateway hold.
const (
	MaxBody  = 16 << 10
	MaxText  = 8 << 10
	maxField = 128
)

// SMS is the Twilio SMS adapter for one account. AuthToken signs webhooks;
// PublicURL is the scheme and host Twilio calls (config: sms.public_url,
// required). The signature is checked against PublicURL only, never the
// request's Host header, which whoever sends the request chooses.
type SMS struct {
	AuthToken string
	PublicURL string // e.g. https://hotline.example.org
}

// SignedURL is the URL Twilio signed for a request whose path and query
// are in requestURL (a full URL or only its request URI): PublicURL's
// scheme and host, the request's path and query. Without a PublicURL it
// is empty, and nothing is accepted.
func (s SMS) SignedURL(requestURL string) string {
	u, err := url.Parse(requestURL)
	if s.PublicURL == "" || err != nil {
		return ""
	}
	return strings.TrimRight(s.PublicURL, "/") + u.RequestURI()
}

// SignatureHeader carries Twilio's webhook signature.
const SignatureHeader = "X-Twilio-Signature"

// Authenticate checks the request's X-Twilio-Signature (read through
// header). Nothing may be parsed, stored or answered before it passes.
func (s SMS) Authenticate(requestURL string, header func(string) string, contentType string, body []byte) error {
	form, err := parseForm(contentType, body)
	if err != nil {
		return err
	}
	signed := s.SignedURL(requestURL)
	if signed == "" {
		return ErrBadSignature
	}
	return Verify(s.AuthToken, signed, form, header(SignatureHeader))
}

// ParseSMS reads an inbound message webhook: MessageSid (or the older
// SmsSid), From, To, Body. Other parameters (geo fields, media) are ignored.
func (SMS) ParseSMS(contentType string, body []byte) (turn.SMS, error) {
	form, err := parseForm(contentType, body)
	if err != nil {
		return turn.SMS{}, err
	}
	m := turn.SMS{ID: form.Get("MessageSid"), From: form.Get("From"), To: form.Get("To"), Text: form.Get("Body")}
	if m.ID == "" {
		m.ID = form.Get("SmsSid")
	}
	switch {
	case strings.TrimSpace(m.ID) == "":
		return turn.SMS{}, &turn.BadRequest{Reason: "missing MessageSid"}
	case strings.TrimSpace(m.From) == "":
		return turn.SMS{}, &turn.BadRequest{Reason: "missing From"}
	case len(m.Text) > MaxText:
		return turn.SMS{}, &turn.BadRequest{Reason: "Body over 8 KB"}
	case len(m.ID) > maxField || len(m.From) > maxField || len(m.To) > maxField:
		return turn.SMS{}, &turn.BadRequest{Reason: "field too long"}
	case !utf8.ValidString(m.Text) || !utf8.ValidString(m.ID):
		return turn.SMS{}, &turn.BadRequest{Reason: "Body is not UTF-8"}
	}
	return m, nil
}

// ParseReport reads a status callback: MessageSid, MessageStatus and, on
// failure, ErrorCode.
func (SMS) ParseReport(contentType string, body []byte) (turn.DeliveryReport, error) {
	form, err := parseForm(contentType, body)
	if err != nil {
		return turn.DeliveryReport{}, err
	}
	r := turn.DeliveryReport{ProviderID: form.Get("MessageSid"), Reason: form.Get("ErrorCode")}
	if r.ProviderID == "" {
		r.ProviderID = form.Get("SmsSid")
	}
	switch {
	case strings.TrimSpace(r.ProviderID) == "":
		return turn.DeliveryReport{}, &turn.BadRequest{Reason: "missing MessageSid"}
	case len(r.ProviderID) > maxField || len(r.Reason) > maxField:
		return turn.DeliveryReport{}, &turn.BadRequest{Reason: "field too long"}
	}
	status := form.Get("MessageStatus")
	if status == "" {
		status = form.Get("SmsStatus")
	}
	switch status {
	case "delivered", "read":
		r.State = turn.DeliveryDelivered
	case "undelivered", "failed", "canceled":
		r.State = turn.DeliveryFailed
	case "accepted", "scheduled", "queued", "sending", "sent":
		r.State = turn.DeliveryPending
	default:
		return turn.DeliveryReport{}, &turn.BadRequest{Reason: "unknown MessageStatus"}
	}
	return r, nil
}

// Ack is the empty TwiML reply: replies go through the outbox, so that
// they are retried, measured and tracked like every other send.
func (SMS) Ack() (contentType string, body []byte) {
	return Reply("")
}

// Reply renders TwiML answering with one message, or none when text is
// empty.
func Reply(text string) (contentType string, body []byte) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if text == "" {
		b.WriteString("<Response/>")
	} else {
		b.WriteString("<Response><Message>")
		_ = xml.EscapeText(&b, []byte(text)) // writes to a bytes.Buffer never fail
		b.WriteString("</Message></Response>")
	}
	return "text/xml; charset=utf-8", b.Bytes()
}

func parseForm(contentType string, body []byte) (url.Values, error) {
	if len(body) > MaxBody {
		return nil, &turn.BadRequest{Reason: "body over 16 KB"}
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, &turn.BadRequest{Reason: "content type must be application/x-www-form-urlencoded"}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &turn.BadRequest{Reason: "body is not form-encoded"}
	}
	return form, nil
}

// Sender sends SMS through Twilio's Messages API.
type Sender struct {
	BaseURL    string // https://api.twilio.com
	AccountSID string
	AuthToken  string
	// StatusCallback, when set, is where Twilio posts status callbacks
	// for the messages sent (the channel's /sms/status URL).
	StatusCallback string
	Client         *http.Client // default: DefaultTimeout
}

// DefaultTimeout is the send timeout when Client is nil; Twilio's own
// webhook budget is 15 s, its API answers far faster.
const DefaultTimeout = 10 * time.Second

// Twilio error codes that no retry can fix.
var permanentCodes = map[int]bool{
	21211: true, // invalid To number
	21610: true, // the recipient replied STOP
	21612: true, // To cannot be reached from this From
	21614: true, // To is not a mobile number
}

// Send creates one message and returns its sid. Twilio's Messages API
// takes no idempotency key: the Idempotency-Key header carries the outbox
// id for fakes and proxies that honour it, so a send whose reply was lost
// and is retried may reach the phone twice.
func (s Sender) Send(ctx context.Context, m turn.Outbound) (string, error) {
	form := url.Values{"To": {m.To}, "From": {m.From}, "Body": {m.Body}}
	if s.StatusCallback != "" {
		form.Set("StatusCallback", s.StatusCallback)
	}
	endpoint := strings.TrimRight(s.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(s.AccountSID) + "/Messages.json"
	status, raw, err := turn.PostForm(ctx, s.Client, DefaultTimeout, endpoint, form, m.ID,
		func(r *http.Request) { r.SetBasicAuth(s.AccountSID, s.AuthToken) })
	if err != nil {
		return "", fmt.Errorf("twilio: %w", err)
	}
	var out struct {
		SID  string `json:"sid"`
		Code int    `json:"code"`
	}
	_ = json.Unmarshal(raw, &out) // an unreadable body is judged by its status below
	if status < 200 || status > 299 {
		code := "http " + strconv.Itoa(status)
		if out.Code != 0 {
			code += " code " + strconv.Itoa(out.Code)
		}
		return "", &turn.SendError{Code: code, Permanent: permanentCodes[out.Code]}
	}
	if out.SID == "" {
		return "", &turn.SendError{Code: "reply without sid"}
	}
	return out.SID, nil
}
