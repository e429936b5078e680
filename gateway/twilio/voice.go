package twilio

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/numerovert/hotline/gateway/turn"
)

// Voice is the Twilio voice adapter for one account: webhooks are signed
// like SMS ones, and recordings are fetched with the account's credentials.
type Voice struct {
	AccountSID string
	AuthToken  string
	PublicURL  string // e.g. https://hotline.example.org; required (see SMS)
}

// Authenticate checks X-Twilio-Signature exactly as for SMS.
func (v Voice) Authenticate(requestURL string, header func(string) string, contentType string, body []byte) error {
	return SMS{AuthToken: v.AuthToken, PublicURL: v.PublicURL}.Authenticate(requestURL, header, contentType, body)
}

// finalStatuses are CallStatus values of a call that is over.
var finalStatuses = map[string]bool{"completed": true, "busy": true, "failed": true, "no-answer": true, "canceled": true}

// ParseCall reads a voice webhook: CallSid, From, Digits, RecordingUrl,
// CallStatus. A status callback posted to the same URL is the final one.
func (Voice) ParseCall(contentType string, body []byte) (turn.Call, error) {
	form, err := parseForm(contentType, body)
	if err != nil {
		return turn.Call{}, err
	}
	c := turn.Call{
		CallID:       form.Get("CallSid"),
		Phone:        form.Get("From"),
		Digits:       strings.TrimSpace(form.Get("Digits")),
		HasDigits:    form.Has("Digits"),
		RecordingURL: form.Get("RecordingUrl"),
		Final:        finalStatuses[form.Get("CallStatus")],
	}
	if form.Get("Direction") == "outbound-api" { // a call the hotline placed: the caller is To
		c.Phone, c.Outbound = form.Get("To"), true
	}
	if err := c.Check(turn.CallFields{CallID: "CallSid", Phone: "From", RecordingURL: "RecordingUrl"}); err != nil {
		return turn.Call{}, err
	}
	return c, nil
}

// Authorize adds the account's credentials to a recording download
// (Twilio serves recordings to HTTP basic auth when the account requires it).
func (v Voice) Authorize(req *http.Request) {
	if v.AccountSID != "" {
		req.SetBasicAuth(v.AccountSID, v.AuthToken)
	}
}

// recordingPath is a recording of an account in Twilio's REST API:
// /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}, the form
// of a webhook's RecordingUrl, with or without a media extension.
var recordingPath = regexp.MustCompile(`^/2010-04-01/Accounts/(AC[0-9A-Za-z]{32})/Recordings/(RE[0-9A-Za-z]{32})(\.(wav|mp3|json))?$`)

// DeleteRecording builds Twilio's "delete a recording" request, DELETE
// /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.json with the
// account's credentials (204 when deleted), for a recording of this
// account only. Twilio keeps the recording's metadata, not its audio.
func (v Voice) DeleteRecording(ctx context.Context, u *url.URL) (*http.Request, bool) {
	m := recordingPath.FindStringSubmatch(u.EscapedPath())
	if m == nil || v.AccountSID == "" || m[1] != v.AccountSID || u.RawQuery != "" {
		return nil, false
	}
	target := url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/2010-04-01/Accounts/" + m[1] + "/Recordings/" + m[2] + ".json"}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, target.String(), nil)
	if err != nil {
		return nil, false
	}
	req.SetBasicAuth(v.AccountSID, v.AuthToken)
	return req, true
}

// Render writes TwiML. Gather and Record that get nothing fall through to
// the next verb without calling their action, hence the Redirect after
// them, back to the same step.
func (Voice) Render(r turn.VoiceReply) (contentType string, body []byte) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<Response>")
	prompts := func() {
		for _, a := range r.Audio {
			if a.URL != "" {
				b.WriteString("<Play>")
				_ = xml.EscapeText(&b, []byte(a.URL)) // writes to a bytes.Buffer never fail
				b.WriteString("</Play>")
			} else if a.Text != "" {
				b.WriteString(`<Say language="` + turn.XMLText(orDefault(a.Lang, "fr-FR")) + `">`)
				_ = xml.EscapeText(&b, []byte(a.Text))
				b.WriteString("</Say>")
			}
		}
	}
	switch {
	case r.Gather:
		if r.Number {
			b.WriteString(`<Gather finishOnKey="#" timeout="` + strconv.Itoa(r.Timeout) + `" action="` + turn.XMLText(r.Action) + `" method="POST">`)
		} else {
			b.WriteString(`<Gather numDigits="1" timeout="` + strconv.Itoa(r.Timeout) + `" action="` + turn.XMLText(r.Action) + `" method="POST">`)
		}
		prompts()
		b.WriteString("</Gather>")
	case r.Record:
		prompts()
		b.WriteString(`<Record action="` + turn.XMLText(r.Action) + `" method="POST" maxLength="` + strconv.Itoa(r.MaxLength) +
			`" timeout="` + strconv.Itoa(r.Timeout) + `" playBeep="true" finishOnKey="#"/>`)
	default:
		prompts()
	}
	switch {
	case r.Reject:
		b.WriteString(`<Reject reason="busy"/>`)
	case r.Dial != nil:
		b.WriteString(renderDial(r.Dial))
	case r.Hangup:
		b.WriteString("<Hangup/>")
	case r.Fallback != "":
		b.WriteString(`<Redirect method="POST">`)
		_ = xml.EscapeText(&b, []byte(r.Fallback))
		b.WriteString("</Redirect>")
	}
	b.WriteString("</Response>")
	return "text/xml; charset=utf-8", b.Bytes()
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
