package africastalking

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/numerovert/hotline/gateway/turn"
)

// VoiceBaseURL is Africa's Talking's voice API (voice.callback.base_url
// overrides it).
const VoiceBaseURL = "https://voice.africastalking.com"

// Caller places outbound calls through AT's voice API, POST /call with
// username, from, to and clientRequestId (header apiKey). Once answered,
// AT calls the `from` number's own callback URL (the channel's
// /c/{channel}/voice) with the sessionId it returned here.
type Caller struct {
	BaseURL  string
	Username string
	APIKey   string
	Client   *http.Client
}

// Call queues the call and returns its sessionId (ATVId_…). Errors name
// the API, never the numbers.
func (c Caller) Call(ctx context.Context, oc turn.OutboundCall) (string, error) {
	form := url.Values{"username": {c.Username}, "from": {oc.From}, "to": {oc.To}}
	if oc.RequestID != "" {
		form.Set("clientRequestId", oc.RequestID)
	}
	endpoint := strings.TrimRight(c.BaseURL, "/") + "/call"
	status, raw, err := turn.PostForm(ctx, c.Client, DefaultTimeout, endpoint, form, oc.RequestID,
		func(r *http.Request) { r.Header.Set("apiKey", c.APIKey) })
	if err != nil {
		return "", fmt.Errorf("africastalking call: %w", err)
	}
	var out struct {
		Entries []struct {
			Status    string `json:"status"`
			SessionID string `json:"sessionId"`
		} `json:"entries"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(raw, &out)
	if status < 200 || status > 299 || len(out.Entries) != 1 || out.Entries[0].Status != "Queued" || out.Entries[0].SessionID == "" {
		reason := "no queued entry"
		if len(out.Entries) == 1 {
			reason = "entry status " + strconv.Quote(out.Entries[0].Status)
		}
		return "", fmt.Errorf("africastalking call: http %d: %s", status, reason)
	}
	return out.Entries[0].SessionID, nil
}

// CallEnd reads AT's final notification of a call (isActive=0): how long
// the dialled leg talked (dialDurationInSeconds) and why it ended
// (hangupCause, e.g. USER_BUSY, NO_ANSWER). ok is false for any other
// request.
func CallEnd(contentType string, body []byte) (dialSeconds int, cause string, ok bool) {
	if requireForm(contentType) != nil || len(body) > MaxVoiceBody {
		return 0, "", false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("isActive") != "0" {
		return 0, "", false
	}
	n, _ := strconv.Atoi(form.Get("dialDurationInSeconds"))
	return max(n, 0), form.Get("hangupCause"), true
}

// renderDial writes a Dial to d.Number presenting d.CallerID.
func renderDial(d *turn.Dial) string {
	var b strings.Builder
	b.WriteString(`<Dial phoneNumbers="` + turn.XMLText(d.Number) + `"`)
	if d.CallerID != "" {
		b.WriteString(` callerId="` + turn.XMLText(d.CallerID) + `"`)
	}
	if d.MaxDuration > 0 {
		b.WriteString(` maxDuration="` + strconv.Itoa(d.MaxDuration) + `"`)
	}
	b.WriteString(`/>`)
	return b.String()
}

// CallEnd is the package's CallEnd, for the gateway's call-backs.
func (Voice) CallEnd(contentType string, body []byte) (int, string, bool) {
	return CallEnd(contentType, body)
}
