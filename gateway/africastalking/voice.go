package africastalking

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/numerovert/hotline/gateway/turn"
)

// MaxVoiceBody bounds a voice callback; AT's are well under 2 KB.
const MaxVoiceBody = 8 << 10

// Voice is the Africa's Talking voice adapter. APIKey is sent (header
// apiKey) when fetching a recording.
type Voice struct {
	APIKey string
}

// Authenticate accepts every request: AT signs nothing, so the channel's
// unguessable URL token is the only credential (protocols.md §8).
func (Voice) Authenticate(string, func(string) string, string, []byte) error { return nil }

// ParseCall reads one call callback: sessionId, callerNumber, isActive,
// dtmfDigits, recordingUrl. The final request (isActive=0) needs no number.
func (Voice) ParseCall(contentType string, body []byte) (turn.Call, error) {
	if len(body) > MaxVoiceBody {
		return turn.Call{}, &turn.BadRequest{Reason: "body over 8 KB"}
	}
	if err := requireForm(contentType); err != nil {
		return turn.Call{}, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return turn.Call{}, &turn.BadRequest{Reason: "body is not form-encoded"}
	}
	c := turn.Call{
		CallID:       form.Get("sessionId"),
		Phone:        form.Get("callerNumber"),
		Digits:       strings.TrimSpace(form.Get("dtmfDigits")),
		HasDigits:    form.Has("dtmfDigits"),
		RecordingURL: form.Get("recordingUrl"),
		Final:        form.Get("isActive") == "0",
	}
	if strings.EqualFold(form.Get("direction"), "Outbound") { // a call the hotline placed
		c.Outbound = true
		if to := form.Get("destinationNumber"); to != "" {
			c.Phone = to
		}
	}
	if err := c.Check(turn.CallFields{CallID: "sessionId", Phone: "callerNumber", RecordingURL: "recordingUrl"}); err != nil {
		return turn.Call{}, err
	}
	return c, nil
}

// Authorize adds AT's credentials to a recording download.
func (v Voice) Authorize(req *http.Request) {
	if v.APIKey != "" {
		req.Header.Set("apiKey", v.APIKey)
	}
}

// Render writes AT's XML actions. A GetDigits or Record that gets nothing
// moves on to the next action without a callback, hence the Redirect
// after it, back to the same step.
func (Voice) Render(r turn.VoiceReply) (contentType string, body []byte) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<Response>")
	prompts := func() {
		for _, a := range r.Audio {
			if a.URL != "" {
				b.WriteString(`<Play url="` + turn.XMLText(a.URL) + `"/>`)
			} else if a.Text != "" {
				b.WriteString("<Say>")
				_ = xml.EscapeText(&b, []byte(a.Text)) // writes to a bytes.Buffer never fail
				b.WriteString("</Say>")
			}
		}
	}
	switch {
	case r.Gather:
		if r.Number {
			b.WriteString(`<GetDigits finishOnKey="#" timeout="` + strconv.Itoa(r.Timeout) + `" callbackUrl="` + turn.XMLText(r.Action) + `">`)
		} else {
			b.WriteString(`<GetDigits numDigits="1" timeout="` + strconv.Itoa(r.Timeout) + `" callbackUrl="` + turn.XMLText(r.Action) + `">`)
		}
		prompts()
		b.WriteString("</GetDigits>")
	case r.Record:
		b.WriteString(`<Record finishOnKey="#" maxLength="` + strconv.Itoa(r.MaxLength) + `" timeout="` + strconv.Itoa(r.Timeout) +
			`" trimSilence="true" playBeep="true" callbackUrl="` + turn.XMLText(r.Action) + `">`)
		prompts()
		b.WriteString("</Record>")
	default:
		prompts()
	}
	if r.Dial != nil {
		b.WriteString(renderDial(r.Dial))
		if r.Dial.Action != "" {
			// A Dial that is answered ends the call; one that is not moves
			// on to the next action: back to the hotline (a live call's
			// voice message when the officer did not answer).
			b.WriteString("<Redirect>")
			_ = xml.EscapeText(&b, []byte(r.Dial.Action))
			b.WriteString("</Redirect>")
		}
	}
	if r.Reject {
		b.WriteString("<Reject/>")
	}
	if r.Fallback != "" && !r.Hangup && r.Dial == nil {
		b.WriteString("<Redirect>")
		_ = xml.EscapeText(&b, []byte(r.Fallback))
		b.WriteString("</Redirect>")
	}
	b.WriteString("</Response>")
	return "application/xml; charset=utf-8", b.Bytes()
}
