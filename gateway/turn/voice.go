package turn

import (
	"bytes"
	"encoding/xml"
	"strings"
	"unicode/utf8"
)

// Call is one callback of a voice call, as a provider delivered it.
type Call struct {
	CallID string // the provider's id, the same for every step of the call
	Phone  string // raw, as the provider sent it; never leaves the gateway
	// Digits the caller pressed for the last Gather/GetDigits ("" with
	// HasDigits false when the request is not an answer to one).
	Digits    string
	HasDigits bool
	// RecordingURL is where the provider keeps the voice message just
	// recorded. Never log it: it opens the caller's voice.
	RecordingURL string
	// Recording is the voice message itself (a WAV file) when the
	// provider holds the call's audio (SIP): nothing to fetch. Never log it.
	Recording []byte
	// Final: the call is over (AT isActive=0, Twilio's completed status).
	Final bool
	// Outbound: the hotline placed this call (a missed-call call-back);
	// Phone is then the number called, the caller's.
	Outbound bool
}

// CallFields names a provider's form fields for a Call, so that refusals
// say what that provider calls them.
type CallFields struct{ CallID, Phone, RecordingURL string }

// Limits on a voice callback's fields.
const (
	maxCallField    = 128
	maxRecordingURL = 2048
)

// Check refuses a call callback that cannot be acted on: no call id, no
// number before the end of the call, fields too long or not UTF-8. The
// reasons are fixed and quote nothing from the request.
func (c Call) Check(names CallFields) error {
	switch {
	case strings.TrimSpace(c.CallID) == "":
		return &BadRequest{Reason: "missing " + names.CallID}
	case !c.Final && strings.TrimSpace(c.Phone) == "":
		return &BadRequest{Reason: "missing " + names.Phone}
	case len(c.CallID) > maxCallField || len(c.Phone) > maxCallField || len(c.Digits) > maxCallField:
		return &BadRequest{Reason: "field too long"}
	case len(c.RecordingURL) > maxRecordingURL:
		return &BadRequest{Reason: names.RecordingURL + " too long"}
	case !utf8.ValidString(c.CallID) || !utf8.ValidString(c.Digits):
		return &BadRequest{Reason: "field is not UTF-8"}
	}
	return nil
}

// Audio is one thing the caller hears: a recording at URL, or Text read by
// the provider's text-to-speech in Lang (BCP-47, e.g. "fr-FR").
type Audio struct {
	URL  string `json:"url,omitempty"`
	Text string `json:"text,omitempty"`
	Lang string `json:"lang,omitempty"`
}

// VoiceReply is the next step of a call: play Audio, then either wait for
// one key (Gather), record a voice message (Record), or hang up. A Gather
// or Record that gets nothing moves on without calling Action, so the
// provider is sent to Fallback instead.
type VoiceReply struct {
	Audio  []Audio `json:"audio,omitempty"`
	Gather bool    `json:"gather,omitempty"`
	// Number: the gather takes several digits ended by # (a reference, a
	// PIN) instead of one key.
	Number    bool   `json:"number,omitempty"`
	Record    bool   `json:"record,omitempty"`
	MaxLength int    `json:"max_length,omitempty"` // seconds of recording
	Timeout   int    `json:"timeout,omitempty"`    // seconds to wait for a key or for speech
	Action    string `json:"action,omitempty"`     // where the key or recording is posted
	Fallback  string `json:"fallback,omitempty"`   // where the provider goes when nothing came
	Hangup    bool   `json:"hangup,omitempty"`
	// Dial bridges the call to another phone (masked call-back, dial.go).
	// It is never kept in a session: it holds a number.
	Dial *Dial `json:"-"`
	// Reject refuses the call before it is answered, so the caller pays
	// nothing (Twilio <Reject>, AT Reject): a missed-call channel.
	Reject bool `json:"reject,omitempty"`
}

// XMLText escapes s for an XML attribute or text node of a voice reply
// (Africa's Talking's XML, Twilio's TwiML): both renderers write with it.
func XMLText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writing to a bytes.Buffer cannot fail
	return b.String()
}
