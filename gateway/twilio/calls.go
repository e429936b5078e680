package twilio

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

// Caller places outbound calls through Twilio's Calls API,
// POST /2010-04-01/Accounts/{AccountSid}/Calls.json: To, From, Url (the
// TwiML fetched when answered), StatusCallback (the final status).
type Caller struct {
	BaseURL    string // https://api.twilio.com
	AccountSID string
	AuthToken  string
	Client     *http.Client // default: DefaultTimeout
}

// Call creates the call and returns its sid (CA…). Errors name the API,
// never the numbers.
func (c Caller) Call(ctx context.Context, oc turn.OutboundCall) (string, error) {
	form := url.Values{"To": {oc.To}, "From": {oc.From}, "Url": {oc.AnswerURL}, "Method": {"POST"}}
	if oc.StatusURL != "" {
		form.Set("StatusCallback", oc.StatusURL)
		form.Set("StatusCallbackMethod", "POST")
	}
	if oc.Timeout > 0 {
		form.Set("Timeout", strconv.Itoa(oc.Timeout))
	}
	endpoint := strings.TrimRight(c.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(c.AccountSID) + "/Calls.json"
	status, raw, err := turn.PostForm(ctx, c.Client, DefaultTimeout, endpoint, form, oc.RequestID,
		func(r *http.Request) { r.SetBasicAuth(c.AccountSID, c.AuthToken) })
	if err != nil {
		return "", fmt.Errorf("twilio calls: %w", err)
	}
	var out struct {
		SID  string `json:"sid"`
		Code int    `json:"code"`
	}
	_ = json.Unmarshal(raw, &out)
	if status < 200 || status > 299 || out.SID == "" {
		return "", fmt.Errorf("twilio calls: http %d code %d", status, out.Code)
	}
	return out.SID, nil
}

// DialResult reads how a bridged leg ended, from a <Dial action> request
// (DialCallStatus, DialCallDuration) or a StatusCallback (CallStatus,
// CallDuration). ok is false when the request carries neither.
func DialResult(contentType string, body []byte) (status string, seconds int, ok bool) {
	form, err := parseForm(contentType, body)
	if err != nil {
		return "", 0, false
	}
	status, dur := form.Get("DialCallStatus"), form.Get("DialCallDuration")
	if status == "" {
		status, dur = form.Get("CallStatus"), form.Get("CallDuration")
	}
	n, _ := strconv.Atoi(dur)
	return status, max(n, 0), status != ""
}

// renderDial writes a <Dial> to d.Number presenting d.CallerID, with the
// screening URL played to the called party before they are connected.
func renderDial(d *turn.Dial) string {
	var b strings.Builder
	b.WriteString(`<Dial callerId="` + turn.XMLText(d.CallerID) + `"`)
	if d.Action != "" {
		b.WriteString(` action="` + turn.XMLText(d.Action) + `" method="POST"`)
	}
	if d.Timeout > 0 {
		b.WriteString(` timeout="` + strconv.Itoa(d.Timeout) + `"`)
	}
	if d.MaxDuration > 0 {
		b.WriteString(` timeLimit="` + strconv.Itoa(d.MaxDuration) + `"`)
	}
	b.WriteString(`><Number`)
	if d.Screen != "" {
		b.WriteString(` url="` + turn.XMLText(d.Screen) + `" method="POST"`)
	}
	b.WriteString(`>` + turn.XMLText(d.Number) + `</Number></Dial>`)
	return b.String()
}

// DialResult is the package's DialResult, for the gateway's call-backs.
func (Voice) DialResult(contentType string, body []byte) (string, int, bool) {
	return DialResult(contentType, body)
}
