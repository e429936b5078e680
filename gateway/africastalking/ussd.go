// Package africastalking speaks Africa's Talking's wire formats: it parses
// their callbacks into channel-neutral turns and renders replies the way
// their platform expects.
//
// It must never log a request, a phone number or a message, and never keep
// anything between calls: state belongs to the gateway's stores.
package africastalking

import (
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/numerovert/hotline/gateway/turn"
)

// Limits on a USSD callback. AT's own bodies are a few hundred bytes; the
// limits leave room for long free text while bounding what a forged
// request can make the gateway hold.
const (
	MaxUSSDBody = 8 << 10
	MaxUSSDText = 1 << 10
	maxField    = 128
)

// USSD is the Africa's Talking USSD adapter.
type USSD struct{}

// Parse reads one session callback: a form-encoded POST with sessionId,
// phoneNumber, networkCode, serviceCode and text.
func (USSD) Parse(contentType string, body []byte) (turn.USSD, error) {
	if len(body) > MaxUSSDBody {
		return turn.USSD{}, &turn.BadRequest{Reason: "body over 8 KB"}
	}
	if err := requireForm(contentType); err != nil {
		return turn.USSD{}, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return turn.USSD{}, &turn.BadRequest{Reason: "body is not form-encoded"}
	}
	hop := turn.USSD{
		SessionID:   form.Get("sessionId"),
		Phone:       form.Get("phoneNumber"),
		Text:        form.Get("text"),
		ServiceCode: form.Get("serviceCode"),
		NetworkCode: form.Get("networkCode"),
	}
	switch {
	case strings.TrimSpace(hop.SessionID) == "":
		return turn.USSD{}, &turn.BadRequest{Reason: "missing sessionId"}
	case strings.TrimSpace(hop.Phone) == "":
		return turn.USSD{}, &turn.BadRequest{Reason: "missing phoneNumber"}
	case len(hop.Text) > MaxUSSDText:
		return turn.USSD{}, &turn.BadRequest{Reason: "text over 1 KB"}
	case len(hop.SessionID) > maxField || len(hop.Phone) > maxField ||
		len(hop.ServiceCode) > maxField || len(hop.NetworkCode) > maxField:
		return turn.USSD{}, &turn.BadRequest{Reason: "field too long"}
	case !utf8.ValidString(hop.Text) || !utf8.ValidString(hop.SessionID):
		return turn.USSD{}, &turn.BadRequest{Reason: "text is not UTF-8"}
	}
	return hop, nil
}

// ParseEnd reads an end-of-session notification: a form-encoded POST with
// sessionId and status (Incomplete, Success or Failed) among date,
// serviceCode, networkCode, phoneNumber, cost, durationInMillis, hopsCount,
// input, lastAppResponse and errorMessage. Only sessionId, status and
// phoneNumber are kept (a session is bound to its number, so a notice from
// another number ends nothing); what the caller typed is not read.
func (USSD) ParseEnd(contentType string, body []byte) (turn.USSDEnd, error) {
	if len(body) > MaxUSSDBody {
		return turn.USSDEnd{}, &turn.BadRequest{Reason: "body over 8 KB"}
	}
	if err := requireForm(contentType); err != nil {
		return turn.USSDEnd{}, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return turn.USSDEnd{}, &turn.BadRequest{Reason: "body is not form-encoded"}
	}
	ev := turn.USSDEnd{SessionID: form.Get("sessionId"), Status: form.Get("status"), Phone: form.Get("phoneNumber")}
	switch {
	case strings.TrimSpace(ev.SessionID) == "":
		return turn.USSDEnd{}, &turn.BadRequest{Reason: "missing sessionId"}
	case strings.TrimSpace(ev.Status) == "":
		return turn.USSDEnd{}, &turn.BadRequest{Reason: "missing status"}
	case len(ev.SessionID) > maxField || len(ev.Status) > maxField || len(ev.Phone) > maxField:
		return turn.USSDEnd{}, &turn.BadRequest{Reason: "field too long"}
	case !utf8.ValidString(ev.SessionID) || !utf8.ValidString(ev.Status) || !utf8.ValidString(ev.Phone):
		return turn.USSDEnd{}, &turn.BadRequest{Reason: "field is not UTF-8"}
	}
	return ev, nil
}

// NewInput returns what the caller typed on this hop. AT sends every input
// of the session joined with "*", so the newest one is what follows the
// text of the previous hop. When the text does not extend the previous one
// (some operators send the whole input afresh), the part after the last
// "*" is the best guess.
func (USSD) NewInput(prev, text string) string {
	if prev == "" {
		return text
	}
	if rest, ok := strings.CutPrefix(text, prev+"*"); ok {
		return rest
	}
	if i := strings.LastIndexByte(text, '*'); i >= 0 {
		return text[i+1:]
	}
	return text
}

// Inputs splits a whole cumulative text into the inputs that made it, for
// replaying a session whose state was lost. Free text containing "*" is
// split too: the price of AT's format.
func (USSD) Inputs(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(text, "*")
}

// Render writes a reply: plain text beginning "CON " to wait for input or
// "END " to close, with no leading whitespace.
func (USSD) Render(r turn.Reply) (contentType string, body []byte) {
	prefix := "CON "
	if r.End {
		prefix = "END "
	}
	return "text/plain; charset=utf-8", []byte(prefix + r.Text)
}

func requireForm(contentType string) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return &turn.BadRequest{Reason: "content type must be application/x-www-form-urlencoded"}
	}
	return nil
}
