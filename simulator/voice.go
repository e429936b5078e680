package simulator

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrHungUp is returned by Call when the caller's keypad hung up before
// the hotline ended the call.
var ErrHungUp = errors.New("simulator: caller hung up")

// Voice plays a phone calling a channel's voice URL, as Africa's Talking
// or Twilio would: it reads each XML/TwiML reply in order, says what the
// caller hears, presses keys at GetDigits/Gather, leaves a voice message at
// Record (served from its own HTTP server for the hotline to fetch) and
// follows Redirects. The call's final request (AT isActive=0, Twilio
// status "completed") is sent when the call ends either way.
type Voice struct {
	Provider  string // ProviderAT or ProviderTwilio
	URL       string // e.g. http://127.0.0.1:8080/c/demo-at/voice
	Phone     string // only the +223 7600xxxx example range
	AuthToken string // Twilio: signs every webhook
	Client    *http.Client

	recordingURL string
	// Recording is the fake voice message served (a short WAV).
	Recording []byte
	// Fetches counts how often the hotline fetched the recording.
	Fetches int
	// deleted: the hotline had Twilio delete the recording (Deleted).
	mu      sync.Mutex
	deleted bool
	// OnRequest, when set, can change a request before it is sent (tests
	// forge signatures with it).
	OnRequest func(*http.Request)
	// DialOutcome is how the far end of a Dial in a reply answers (a live
	// call to an officer): "completed" (default: answers and talks
	// DialSeconds, default 42), "busy" or "no-answer".
	DialOutcome string
	DialSeconds int
}

// Dialled is one Dial the hotline's reply asked for: the number rung and
// the caller ID it presented.
type Dialled struct{ Number, CallerID string }

// CallResult is what a call produced.
type CallResult struct {
	CallID string
	Heard  []string // every line the caller heard, in order
	// Plays lists the prompt recordings played, as "<lang>/<key>".
	Plays  []string
	Status int // HTTP status of the last callback
	Ended  bool
	// Dials are the Dials played, in order.
	Dials []Dialled
}

// Keypad answers each question: a key ("1"…"9", "0"), "-" to let it time
// out, "rec" to leave a voice message, or "hangup".
type Keypad func(heard []string) string

// ScriptedKeypad presses keys in order, then hangs up.
func ScriptedKeypad(keys []string) Keypad {
	i := 0
	return func([]string) string {
		if i >= len(keys) {
			return "hangup"
		}
		i++
		return strings.TrimSpace(keys[i-1])
	}
}

// TerminalKeypad asks a person for each key.
func TerminalKeypad(in io.Reader, out io.Writer) Keypad {
	sc := bufio.NewScanner(in)
	return func([]string) string {
		fmt.Fprint(out, "key (digit, '-' for silence, 'rec', 'hangup')> ")
		if !sc.Scan() {
			return "hangup"
		}
		return strings.TrimSpace(sc.Text())
	}
}

// FakeWAV is a tiny valid WAV (8 kHz mono 16-bit, a quarter second of a
// tone), recognisable by its marker in the data.
func FakeWAV() []byte {
	const rate, n = 8000, 2000
	var data bytes.Buffer
	data.WriteString("NVSIMVOICE") // marker: the e2e tests look for it in clear on disk
	for i := range n {
		v := int16(8000)
		if (i/10)%2 == 0 {
			v = -8000
		}
		_ = binary.Write(&data, binary.LittleEndian, v)
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data.Len()))
	b.WriteString("WAVEfmt ")
	for _, f := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, f)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data.Len()))
	b.Write(data.Bytes())
	return b.Bytes()
}

// ServeRecording starts the server the hotline fetches the voice message
// from, on a free loopback port; stop shuts it down.
func (v *Voice) ServeRecording() (stop func(), err error) {
	if v.Recording == nil {
		v.Recording = FakeWAV()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("simulator: recording server: %w", err)
	}
	// Twilio's RecordingUrl is the recording's REST resource, which a
	// DELETE of its .json removes (204) with the account's credentials.
	path := "/recordings/" + newID("RE") + ".wav"
	if v.Provider == ProviderTwilio {
		path = "/2010-04-01/Accounts/" + twilioAccount + "/Recordings/" + newID("RE")
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		defer v.mu.Unlock()
		switch {
		case r.Method == http.MethodDelete && v.Provider == ProviderTwilio && r.URL.Path == path+".json":
			if user, pass, ok := r.BasicAuth(); !ok || user != twilioAccount || pass != v.AuthToken {
				http.Error(w, "bad credentials", http.StatusUnauthorized)
				return
			}
			v.deleted = true
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodGet && r.URL.Path == path && !v.deleted:
			v.Fetches++
			w.Header().Set("Content-Type", "audio/wav")
			_, _ = w.Write(v.Recording)
		default:
			http.NotFound(w, r)
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	v.recordingURL = "http://" + ln.Addr().String() + path
	return func() { _ = srv.Close() }, nil
}

// twilioAccount is the demo's Twilio account SID.
const twilioAccount = "ACdemo0000000000000000000000000000"

// RecordingHost is the host:port the recording is served on, once
// ServeRecording has run.
func (v *Voice) RecordingHost() string {
	u, err := url.Parse(v.recordingURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// Deleted reports whether the hotline had the provider (Twilio) delete
// the recording.
func (v *Voice) Deleted() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.deleted
}

// element is one XML action with its nested prompts.
type element struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []element  `xml:",any"`
}

func (e element) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// Call dials, plays the call through with press, and reports each line
// heard to onHear (may be nil).
func (v *Voice) Call(ctx context.Context, press Keypad, onHear func(string)) (CallResult, error) {
	c := &call{v: v, press: press, onHear: onHear, res: CallResult{CallID: newID("CA")}}
	if v.Provider == ProviderAT {
		c.res.CallID = "ATVId_" + newID("")
	}
	target, extra := v.URL, url.Values{}
	for hops := 0; hops < 200; hops++ {
		body, status, err := v.post(ctx, target, c.res.CallID, extra, false)
		c.res.Status = status
		if err != nil {
			return c.res, err
		}
		if status != http.StatusOK {
			return c.res, fmt.Errorf("simulator: voice callback answered %d: %s", status, strings.TrimSpace(body))
		}
		var root element
		if err := xml.Unmarshal([]byte(body), &root); err != nil {
			return c.res, fmt.Errorf("simulator: reply is not XML: %w", err)
		}
		next, nextExtra, hungUp := c.play(root)
		if next == "" {
			return c.res, c.end(ctx, hungUp)
		}
		target, extra = resolve(v.URL, next), nextExtra
	}
	return c.res, errors.New("simulator: call did not end after 200 steps")
}

// call is one call in progress: what was heard and played so far.
type call struct {
	v      *Voice
	press  Keypad
	onHear func(string)
	res    CallResult
	final  url.Values // extra fields of the final notification
}

func (c *call) hear(s string) {
	c.res.Heard = append(c.res.Heard, s)
	if c.onHear != nil {
		c.onHear(s)
	}
}

// play performs one reply's actions in order until one leads elsewhere:
// it returns where the call goes next ("" when it ends), the fields to
// post there, and whether the caller hung up.
func (c *call) play(root element) (next string, extra url.Values, hungUp bool) {
	for _, el := range root.Kids {
		switch el.XMLName.Local {
		case "Say", "Play":
			c.v.prompt(el, c.hear, &c.res)
		case "GetDigits", "Gather", "Record":
			next, extra, hungUp, answered := c.ask(el)
			if answered {
				return next, extra, hungUp
			}
		case "Dial":
			if next, extra, ends := c.dial(el); ends {
				return next, extra, false
			}
		case "Redirect":
			return strings.TrimSpace(el.Text), url.Values{}, false
		case "Hangup", "Reject":
			return "", nil, false
		}
	}
	return "", nil, false
}

// dial plays the far end of a Dial: Twilio posts the leg's status to the
// Dial's action (or, without one, goes on with the reply when the leg did
// not answer); an Africa's Talking Dial that is answered ends the call,
// whose final notification carries dialDurationInSeconds, and one that is
// not goes on to the next action. ends: the call leaves this reply.
func (c *call) dial(el element) (next string, extra url.Values, ends bool) {
	d := Dialled{Number: el.attr("phoneNumbers"), CallerID: el.attr("callerId")}
	for _, k := range el.Kids {
		if k.XMLName.Local == "Number" {
			d.Number = strings.TrimSpace(k.Text)
		}
	}
	c.res.Dials = append(c.res.Dials, d)
	outcome, seconds := cmp.Or(c.v.DialOutcome, "completed"), cmp.Or(c.v.DialSeconds, 42)
	answered := outcome == "completed"
	if !answered {
		seconds = 0
	}
	c.hear("(the dialled phone: " + outcome + ")")
	if c.v.Provider == ProviderAT {
		if answered {
			c.final = url.Values{"dialDurationInSeconds": {strconv.Itoa(seconds)}, "dialDestinationNumber": {d.Number}}
			return "", nil, true
		}
		return "", nil, false
	}
	if action := el.attr("action"); action != "" {
		return action, url.Values{"DialCallStatus": {outcome}, "DialCallDuration": {strconv.Itoa(seconds)}, "DialCallSid": {c.res.CallID + "-dial"}}, true
	}
	return "", nil, answered
}

// ask plays an input element's prompts and the caller's answer: keys, a
// voice message, silence (answered false: the reply goes on) or hanging up.
func (c *call) ask(el element) (next string, extra url.Values, hungUp, answered bool) {
	for _, k := range el.Kids {
		c.v.prompt(k, c.hear, &c.res)
	}
	action := el.attr("callbackUrl")
	if action == "" {
		action = el.attr("action")
	}
	at := c.v.Provider == ProviderAT
	extra = url.Values{}
	switch key := c.press(c.res.Heard); {
	case key == "hangup":
		return "", nil, true, true
	case key == "-" || key == "", el.XMLName.Local == "Record" && key != "rec":
		c.hear("(silence)")
		return "", nil, false, false
	case el.XMLName.Local == "Record":
		c.hear("(beep; the caller leaves a voice message)")
		if at {
			extra.Set("recordingUrl", c.v.recordingURL)
		} else {
			extra.Set("RecordingUrl", c.v.recordingURL)
			extra.Set("RecordingDuration", "12")
			extra.Set("Digits", "#")
		}
	default:
		c.hear("(presses " + key + ")")
		if at {
			extra.Set("dtmfDigits", key)
		} else {
			extra.Set("Digits", key)
		}
	}
	return action, extra, false, true
}

// end tells the hotline the call is over (the hotline ended it, or the
// caller hung up).
func (c *call) end(ctx context.Context, hungUp bool) error {
	_, status, err := c.v.post(ctx, c.v.URL, c.res.CallID, c.final, true)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("simulator: final request answered %d", status)
	}
	c.res.Ended = !hungUp
	if hungUp {
		c.hear("(hangs up)")
		if err == nil {
			err = ErrHungUp
		}
	}
	return err
}

func (v *Voice) prompt(el element, hear func(string), res *CallResult) {
	switch el.XMLName.Local {
	case "Say":
		hear("says: " + strings.TrimSpace(el.Text))
	case "Play":
		u := el.attr("url")
		if u == "" {
			u = strings.TrimSpace(el.Text)
		}
		name := u
		if i := strings.Index(u, "/audio/"); i >= 0 {
			name = strings.TrimSuffix(u[i+len("/audio/"):], ".wav")
		}
		res.Plays = append(res.Plays, name)
		hear("plays: " + u)
	}
}

func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := b.Parse(ref)
	if err != nil {
		return ref
	}
	return r.String()
}

// post sends one callback of the call: the provider's fields, plus extra.
func (v *Voice) post(ctx context.Context, target, callID string, extra url.Values, final bool) (string, int, error) {
	form := url.Values{}
	if v.Provider == ProviderAT {
		form.Set("sessionId", callID)
		form.Set("direction", "Inbound")
		form.Set("destinationNumber", "+22320000000")
		if final {
			form.Set("isActive", "0")
			form.Set("durationInSeconds", "60")
			form.Set("callSessionState", "Completed")
		} else {
			form.Set("isActive", "1")
			form.Set("callerNumber", v.Phone)
			form.Set("callSessionState", "Answered")
		}
	} else {
		form.Set("CallSid", callID)
		form.Set("AccountSid", twilioAccount)
		form.Set("From", v.Phone)
		form.Set("To", "+22376000900")
		form.Set("Direction", "inbound")
		form.Set("CallStatus", "in-progress")
		if final {
			form.Set("CallStatus", "completed")
			form.Set("CallDuration", "60")
		}
	}
	for k, vs := range extra {
		form[k] = vs
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("simulator: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if v.Provider == ProviderTwilio {
		req.Header.Set("X-Twilio-Signature", TwilioSignature(v.AuthToken, target, form))
	}
	if v.OnRequest != nil {
		v.OnRequest(req)
	}
	client := v.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("simulator: post: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return "", resp.StatusCode, fmt.Errorf("simulator: read reply: %w", err)
	}
	return string(b), resp.StatusCode, nil
}
