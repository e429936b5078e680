package kannel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/menus/gsm7"
)

// Limits on a callback. Kannel's get-url is a GET, so the whole message is
// in the query string; a concatenated SMS is at most a few kilobytes.
const (
	MaxQuery   = 16 << 10
	MaxSMSText = 8 << 10
	maxField   = 128
)

// Kannel's message codings (the get-url's %c).
const (
	coding7Bit = "0"
	coding8Bit = "1"
	codingUCS2 = "2"
)

// SMS is the Kannel adapter for inbound messages (get-url) and delivery
// reports (dlr-url).
type SMS struct{}

// ParseSMS reads a get-url callback: id (%I, Kannel's message UUID, the
// same on every retry), from (%p), to (%P), text (%b, the message as
// received), coding (%c), charset (%C) and time (%T). A UCS-2 message
// arrives as UTF-16BE bytes unless smsbox's mo-recode turned it into
// UTF-8 first; both are read. An 8-bit binary message (an operator's SIM
// update, a ringtone) is no complaint and is refused.
func (SMS) ParseSMS(contentType string, body []byte) (turn.SMS, error) {
	q, err := parseQuery(contentType, body)
	if err != nil {
		return turn.SMS{}, err
	}
	m := turn.SMS{ID: q.Get("id"), From: q.Get("from"), To: q.Get("to")}
	switch {
	case strings.TrimSpace(m.ID) == "":
		return turn.SMS{}, &turn.BadRequest{Reason: "missing id"}
	case strings.TrimSpace(m.From) == "":
		return turn.SMS{}, &turn.BadRequest{Reason: "missing from"}
	case len(m.ID) > maxField || len(m.From) > maxField || len(m.To) > maxField:
		return turn.SMS{}, &turn.BadRequest{Reason: "field too long"}
	case !utf8.ValidString(m.ID) || !utf8.ValidString(m.From) || !utf8.ValidString(m.To):
		return turn.SMS{}, &turn.BadRequest{Reason: "field is not UTF-8"}
	}
	if m.Text, err = decodeText(q.Get("text"), q.Get("coding"), q.Get("charset")); err != nil {
		return turn.SMS{}, err
	}
	if len(m.Text) > MaxSMSText {
		return turn.SMS{}, &turn.BadRequest{Reason: "text over 8 KB"}
	}
	if t, err := strconv.ParseInt(q.Get("time"), 10, 64); err == nil && t > 0 {
		m.Received = time.Unix(t, 0).UTC()
	}
	return m, nil
}

// decodeText turns the message bytes Kannel passed into UTF-8.
func decodeText(raw, coding, charset string) (string, error) {
	cs := strings.ToUpper(strings.TrimSpace(charset))
	switch coding {
	case "", coding7Bit, codingUCS2:
	case coding8Bit:
		return "", &turn.BadRequest{Reason: "binary message"}
	default:
		return "", &turn.BadRequest{Reason: "unknown coding"}
	}
	switch cs {
	case "", "UTF-8":
		if !utf8.ValidString(raw) {
			return "", &turn.BadRequest{Reason: "text is not UTF-8"}
		}
		return raw, nil
	case "UTF-16BE", "UTF-16", "UCS-2", "UCS-2BE":
		if len(raw)%2 != 0 {
			return "", &turn.BadRequest{Reason: "text is not UTF-16"}
		}
		units := make([]uint16, len(raw)/2)
		for i := range units {
			units[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
		}
		return string(utf16.Decode(units)), nil
	case "ISO-8859-1", "LATIN1":
		s, err := charmap.ISO8859_1.NewDecoder().String(raw)
		if err != nil {
			return "", &turn.BadRequest{Reason: "text is not ISO-8859-1"}
		}
		return s, nil
	case "WINDOWS-1252":
		s, err := charmap.Windows1252.NewDecoder().String(raw)
		if err != nil {
			return "", &turn.BadRequest{Reason: "text is not WINDOWS-1252"}
		}
		return s, nil
	}
	return "", &turn.BadRequest{Reason: "unsupported charset"}
}

// Kannel's delivery report types (the dlr-url's %d).
const (
	dlrDelivered    = 1
	dlrFailed       = 2
	dlrBuffered     = 4
	dlrSMSCAccepted = 8
	dlrSMSCRejected = 16
	// dlrMask asks for all five.
	dlrMask = dlrDelivered | dlrFailed | dlrBuffered | dlrSMSCAccepted | dlrSMSCRejected
)

// smppStatus picks the only parts of an SMSC's delivery receipt that may
// be kept: its stat: and err: codes. The rest of the receipt (%A) quotes
// the message's first characters and is never read.
var smppStatus = regexp.MustCompile(`\b(stat:[A-Z]{5,8})\b.*?\b(err:[0-9A-Fa-f]{1,3})\b`)

// ParseReport reads a dlr-url callback: id (ours, from the URL this
// adapter gave Kannel), status (%d) and reason (%A, the SMSC's receipt).
func (SMS) ParseReport(contentType string, body []byte) (turn.DeliveryReport, error) {
	q, err := parseQuery(contentType, body)
	if err != nil {
		return turn.DeliveryReport{}, err
	}
	r := turn.DeliveryReport{ProviderID: q.Get("id")}
	switch {
	case strings.TrimSpace(r.ProviderID) == "":
		return turn.DeliveryReport{}, &turn.BadRequest{Reason: "missing id"}
	case len(r.ProviderID) > maxField || !utf8.ValidString(r.ProviderID):
		return turn.DeliveryReport{}, &turn.BadRequest{Reason: "field too long"}
	}
	switch q.Get("status") {
	case strconv.Itoa(dlrDelivered):
		r.State = turn.DeliveryDelivered
	case strconv.Itoa(dlrFailed), strconv.Itoa(dlrSMSCRejected):
		r.State = turn.DeliveryFailed
		if m := smppStatus.FindStringSubmatch(q.Get("reason")); m != nil {
			r.Reason = m[1] + " " + m[2]
		}
	case strconv.Itoa(dlrBuffered), strconv.Itoa(dlrSMSCAccepted):
		r.State = turn.DeliveryPending
	default:
		return turn.DeliveryReport{}, &turn.BadRequest{Reason: "unknown status"}
	}
	return r, nil
}

// Ack is the reply to a callback. smsbox sends a get-url's reply body back
// to the sender as an SMS unless the service says max-messages = 0 (as
// docs/kannel.md's does): the body is empty either way, and the real reply
// goes through the outbox.
func (SMS) Ack() (contentType string, body []byte) {
	return "text/plain; charset=utf-8", nil
}

// Authenticate accepts every request: Kannel signs nothing, so allow_from
// (required for this provider) keeps forged callbacks out.
func (SMS) Authenticate(requestURL string, header func(string) string, contentType string, body []byte) error {
	return nil
}

func parseQuery(contentType string, body []byte) (url.Values, error) {
	if len(body) > MaxQuery {
		return nil, &turn.BadRequest{Reason: "query over 16 KB"}
	}
	if ct, _, _ := strings.Cut(contentType, ";"); strings.TrimSpace(ct) != "application/x-www-form-urlencoded" {
		return nil, &turn.BadRequest{Reason: "fields must be in the query string"}
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &turn.BadRequest{Reason: "query is not URL-encoded"}
	}
	return q, nil
}

// Sender sends SMS through smsbox's sendsms interface.
type Sender struct {
	BaseURL  string // smsbox's sendsms address, e.g. http://127.0.0.1:13013
	Username string // its sendsms-user
	Password string
	SMSC     string // smsc-id to send through; empty: Kannel's routing
	// ReportURL is where smsbox posts delivery reports for this channel
	// (the channel's /sms/status, as Kannel reaches it).
	ReportURL string
	Client    *http.Client
}

// DefaultTimeout is the send timeout when Client is nil.
const DefaultTimeout = 10 * time.Second

// maxSendReply bounds what is read of smsbox's reply.
const maxSendReply = 4 << 10

// Send posts one message to sendsms as text/plain in UTF-8, with the
// recipient and credentials in X-Kannel-* headers (never in the URL, which
// errors and proxies show). Text that GSM-7 can carry goes as coding 0,
// anything else (ɛ, ɔ, ŋ, Tifinagh) as UCS-2; Kannel converts from UTF-8
// either way. sendsms returns no message id, so the id delivery reports
// come back with is ours, put in the dlr-url. Kannel takes no idempotency
// key: a send whose reply was lost and is retried may reach the phone
// twice.
func (s Sender) Send(ctx context.Context, m turn.Outbound) (string, error) {
	id := reportID(m.ID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.BaseURL, "/")+"/cgi-bin/sendsms", strings.NewReader(m.Body))
	if err != nil {
		return "", fmt.Errorf("kannel: build request: %w", err)
	}
	coding := coding7Bit
	if !gsm7.IsGSM7(m.Body) {
		coding = codingUCS2
	}
	h := req.Header
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-Kannel-Username", s.Username)
	h.Set("X-Kannel-Password", s.Password)
	h.Set("X-Kannel-To", m.To)
	if m.From != "" {
		h.Set("X-Kannel-From", m.From)
	}
	if s.SMSC != "" {
		h.Set("X-Kannel-SMSC", s.SMSC)
	}
	h.Set("X-Kannel-Coding", coding)
	h.Set("X-Kannel-DLR-Mask", strconv.Itoa(dlrMask))
	// %d and %A are Kannel's escapes for the report's type and the SMSC's
	// receipt; id is hex, so no % of its own can be misread as one.
	h.Set("X-Kannel-DLR-Url", s.ReportURL+"?id="+id+"&status=%d&reason=%A")
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("kannel: send: %w", err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxSendReply))
	if err != nil {
		return "", fmt.Errorf("kannel: read reply: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK:
		// "0: Accepted for delivery" or "3: Queued for later delivery".
		if !bytes.HasPrefix(reply, []byte("0:")) && !bytes.HasPrefix(reply, []byte("3:")) {
			return "", &turn.SendError{Code: "unreadable reply"}
		}
		return id, nil
	case resp.StatusCode == http.StatusBadRequest:
		// A message sendsms can never take (no recipient, text too long
		// for max-messages): retrying cannot help.
		return "", &turn.SendError{Code: "http 400", Permanent: true}
	default:
		// 403 (wrong sendsms-user or password, or a denied number: fix
		// the config and the queued message goes), 503 (no SMSC up).
		return "", &turn.SendError{Code: "http " + strconv.Itoa(resp.StatusCode)}
	}
}

// reportID is the id a message's delivery reports carry: the outbox id
// when it is already hex (outbox.ReplyID), else a digest of it, so that
// it needs no escaping inside Kannel's dlr-url.
func reportID(outboxID string) string {
	if outboxID != "" && len(outboxID) <= 64 && strings.Trim(outboxID, "0123456789abcdef") == "" {
		return outboxID
	}
	sum := sha256.Sum256([]byte(outboxID))
	return hex.EncodeToString(sum[:16])
}
