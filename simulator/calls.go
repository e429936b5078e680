package simulator

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Far-end behaviours of a phone the fake provider calls.
const (
	FarAnswer   = "answer"    // picks up (and on a safety question presses FarDigits)
	FarBusy     = "busy"      // the line is busy
	FarNoAnswer = "no-answer" // rings out
)

// PlacedCall is one outbound call the hotline asked the fake provider to
// place, and what became of it: the far ends played as set by SetFarEnd.
type PlacedCall struct {
	Provider string
	ID       string // CA… (Twilio) or ATVId_… (AT)
	To, From string // the first leg: the officer's phone, the hotline's number
	// Dialled is the number the hotline bridged to once the first leg
	// answered ("" when it did not), and DialCallerID what it presented.
	Dialled, DialCallerID string
	// Heard is what the bridged party heard before being connected
	// (Twilio's <Number url>), the text of its Say elements.
	Heard []string
	// Outcome is how the bridged leg ended: completed, busy, no-answer,
	// declined (hung up on the safety question), or "" (never dialled).
	Outcome string
	Seconds int // talk time reported
}

// ringing is how long the fake lets a phone ring before it plays the far end.
const ringing = 150 * time.Millisecond

// callState holds the fake's outbound calls.
type callState struct {
	mu     sync.Mutex
	far    map[string]string // number → behaviour
	digits map[string]string // number → keys pressed on a question
	talk   int
	calls  []PlacedCall
	voice  map[string]string // provider → where AT posts call notifications
	// pending counts calls still playing; idle (on mu) is signalled when
	// it falls to zero. Not a WaitGroup: Calls is polled while new calls
	// arrive, and a WaitGroup's Add may not race its Wait.
	pending int
	idle    *sync.Cond
	seq     int
}

// SetFarEnd sets how the phone number behaves when called (FarAnswer by
// default) and which keys it presses on a question ("1" by default).
func (f *FakeProvider) SetFarEnd(number, behaviour, digits string) {
	f.calls.mu.Lock()
	defer f.calls.mu.Unlock()
	if f.calls.far == nil {
		f.calls.far, f.calls.digits = map[string]string{}, map[string]string{}
	}
	f.calls.far[number], f.calls.digits[number] = behaviour, digits
}

// SetTalk sets the talk time, in seconds, reported for a bridged call.
func (f *FakeProvider) SetTalk(seconds int) {
	f.calls.mu.Lock()
	f.calls.talk = seconds
	f.calls.mu.Unlock()
}

// SetVoiceURL sets where Africa's Talking posts the notifications of the
// calls it places: the `from` number's callback URL (/c/{channel}/voice).
func (f *FakeProvider) SetVoiceURL(provider, target string) {
	f.calls.mu.Lock()
	defer f.calls.mu.Unlock()
	if f.calls.voice == nil {
		f.calls.voice = map[string]string{}
	}
	f.calls.voice[provider] = target
}

// Calls returns the outbound calls placed so far, after waiting for the
// far ends being played.
func (f *FakeProvider) Calls() []PlacedCall {
	f.calls.mu.Lock()
	defer f.calls.mu.Unlock()
	for f.calls.pending > 0 {
		f.calls.cond().Wait()
	}
	return append([]PlacedCall(nil), f.calls.calls...)
}

// cond is idle, made on first use; mu must be held.
func (c *callState) cond() *sync.Cond {
	if c.idle == nil {
		c.idle = sync.NewCond(&c.mu)
	}
	return c.idle
}

func (f *FakeProvider) farEnd(number string) (string, string) {
	f.calls.mu.Lock()
	defer f.calls.mu.Unlock()
	b, d := f.calls.far[number], f.calls.digits[number]
	if b == "" {
		b = FarAnswer
	}
	if d == "" {
		d = "1"
	}
	return b, d
}

// serveCall answers the call APIs: Twilio's POST
// /2010-04-01/Accounts/{sid}/Calls.json and AT's POST /call. It reports
// whether the request was one of them.
func (f *FakeProvider) serveCall(w http.ResponseWriter, r *http.Request) bool {
	var provider string
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/2010-04-01/Accounts/") && strings.HasSuffix(r.URL.Path, "/Calls.json"):
		provider = ProviderTwilio
		if _, _, ok := r.BasicAuth(); !ok {
			http.Error(w, `{"code":20003,"message":"Authenticate","status":401}`, http.StatusUnauthorized)
			return true
		}
	case r.Method == http.MethodPost && r.URL.Path == "/call":
		provider = ProviderAT
		if r.Header.Get("apiKey") == "" {
			http.Error(w, "The supplied authentication is invalid", http.StatusUnauthorized)
			return true
		}
	default:
		return false
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	form, err := url.ParseQuery(string(b))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return true
	}
	f.calls.mu.Lock()
	f.calls.seq++
	seq := f.calls.seq
	f.calls.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	var pc PlacedCall
	if provider == ProviderTwilio {
		pc = PlacedCall{Provider: provider, ID: fmt.Sprintf("CAfake%026d", seq), To: form.Get("To"), From: form.Get("From")}
		if pc.To == "" || pc.From == "" || form.Get("Url") == "" {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": 21201, "message": "To, From and Url are required", "status": 400})
			return true
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"sid": pc.ID, "status": "queued", "to": pc.To, "from": pc.From})
	} else {
		pc = PlacedCall{Provider: provider, ID: fmt.Sprintf("ATVId_fake%06d", seq), To: form.Get("to"), From: form.Get("from")}
		if pc.To == "" || pc.From == "" || form.Get("username") == "" {
			_ = json.NewEncoder(w).Encode(map[string]any{"entries": []any{}, "errorMessage": "Invalid request"})
			return true
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"entries": []map[string]any{{"phoneNumber": pc.To, "status": "Queued", "sessionId": pc.ID}}, "errorMessage": "None"})
	}
	f.calls.mu.Lock()
	f.calls.pending++
	f.calls.mu.Unlock()
	go func() {
		defer func() {
			f.calls.mu.Lock()
			if f.calls.pending--; f.calls.pending == 0 {
				f.calls.cond().Broadcast()
			}
			f.calls.mu.Unlock()
		}()
		// The phone rings a while: the platforms' first notification never
		// comes before the API's reply has reached the hotline.
		time.Sleep(ringing)
		if provider == ProviderTwilio {
			pc = f.playTwilio(pc, form)
		} else {
			pc = f.playAT(pc)
		}
		f.calls.mu.Lock()
		f.calls.calls = append(f.calls.calls, pc)
		f.calls.mu.Unlock()
	}()
	return true
}

// twiml is the part of a TwiML reply the far end acts on.
type twiml struct {
	Says   []string `xml:"Say"`
	Plays  []string `xml:"Play"` // recordings' URLs, heard like Says
	Gather *struct {
		Action string   `xml:"action,attr"`
		Says   []string `xml:"Say"`
		Plays  []string `xml:"Play"`
	} `xml:"Gather"`
	Hangup   *struct{} `xml:"Hangup"`
	Redirect string    `xml:"Redirect"`
	Dial     *struct {
		CallerID string `xml:"callerId,attr"`
		Action   string `xml:"action,attr"`
		Number   struct {
			URL    string `xml:"url,attr"`
			Number string `xml:",chardata"`
		} `xml:"Number"`
	} `xml:"Dial"`
}

func (f *FakeProvider) twilioPost(target string, form url.Values) (twiml, error) {
	ctx := context.Background()
	reply, err := postForm(ctx, f.Client, ProviderTwilio, target, f.TwilioToken, form)
	if err != nil {
		return twiml{}, err
	}
	if reply.Status != http.StatusOK {
		return twiml{}, fmt.Errorf("simulator: %s answered %d", target, reply.Status)
	}
	var t twiml
	if strings.TrimSpace(reply.Body) != "" {
		if err := xml.Unmarshal([]byte(reply.Body), &t); err != nil {
			return twiml{}, fmt.Errorf("simulator: TwiML: %w", err)
		}
	}
	return t, nil
}

// playTwilio plays Twilio's side of an outbound call: the first leg
// answers (or not), its TwiML's <Dial> rings the bridged number, whose
// <Number url> screening TwiML is played and answered, then the Dial
// action and the status callback report the end.
func (f *FakeProvider) playTwilio(pc PlacedCall, req url.Values) PlacedCall {
	account := "ACdemo0000000000000000000000000000"
	base := url.Values{"CallSid": {pc.ID}, "AccountSid": {account}, "From": {pc.From}, "To": {pc.To}, "Direction": {"outbound-api"}, "ApiVersion": {"2010-04-01"}}
	status := func(s string, seconds int) {
		if cb := req.Get("StatusCallback"); cb != "" {
			form := clone(base)
			form.Set("CallStatus", s)
			form.Set("CallDuration", strconv.Itoa(seconds))
			_, _ = postForm(context.Background(), f.Client, ProviderTwilio, cb, f.TwilioToken, form)
		}
	}
	first, _ := f.farEnd(pc.To)
	if first != FarAnswer {
		status(first, 0)
		return pc
	}
	answered := clone(base)
	answered.Set("CallStatus", "in-progress")
	t, err := f.twilioPost(req.Get("Url"), answered)
	if err != nil || t.Dial == nil {
		status("completed", 1)
		return pc
	}
	pc.Dialled, pc.DialCallerID = strings.TrimSpace(t.Dial.Number.Number), t.Dial.CallerID
	pc.Outcome, pc.Seconds = f.playTwilioBridged(&pc, t)
	if t.Dial.Action != "" {
		form := clone(base)
		form.Set("CallStatus", "in-progress")
		dialStatus := pc.Outcome
		if dialStatus == "declined" {
			dialStatus = "completed"
		}
		form.Set("DialCallStatus", dialStatus)
		form.Set("DialCallDuration", strconv.Itoa(pc.Seconds))
		form.Set("DialCallSid", pc.ID+"-child")
		_, _ = f.twilioPost(t.Dial.Action, form)
	}
	status("completed", pc.Seconds+5)
	return pc
}

// playTwilioBridged plays the bridged party: it answers or not, hears the
// screening TwiML and answers its question.
func (f *FakeProvider) playTwilioBridged(pc *PlacedCall, t twiml) (outcome string, seconds int) {
	behaviour, digits := f.farEnd(pc.Dialled)
	if behaviour != FarAnswer {
		return behaviour, 0
	}
	f.calls.mu.Lock()
	talk := f.calls.talk
	f.calls.mu.Unlock()
	if talk == 0 {
		talk = 42
	}
	if t.Dial.Number.URL == "" {
		return "completed", talk
	}
	child := url.Values{"CallSid": {pc.ID + "-child"}, "ParentCallSid": {pc.ID}, "AccountSid": {"ACdemo0000000000000000000000000000"},
		"From": {pc.DialCallerID}, "To": {pc.Dialled}, "CallStatus": {"in-progress"}, "Direction": {"outbound-dial"}}
	s, err := f.twilioPost(t.Dial.Number.URL, child)
	if err != nil {
		return "failed", 0
	}
	pc.Heard = append(append(pc.Heard, s.Says...), s.Plays...)
	if s.Gather != nil {
		pc.Heard = append(append(pc.Heard, s.Gather.Says...), s.Gather.Plays...)
		pressed := clone(child)
		pressed.Set("Digits", digits)
		if s, err = f.twilioPost(s.Gather.Action, pressed); err != nil {
			return "failed", 0
		}
		pc.Heard = append(append(pc.Heard, s.Says...), s.Plays...)
	}
	if s.Hangup != nil {
		return "declined", 0
	}
	return "completed", talk
}

// atXML is the part of an AT reply the far end acts on.
type atXML struct {
	Says      []string `xml:"Say"`
	Plays     []atPlay `xml:"Play"`
	GetDigits *struct {
		CallbackURL string   `xml:"callbackUrl,attr"`
		Says        []string `xml:"Say"`
		Plays       []atPlay `xml:"Play"`
	} `xml:"GetDigits"`
	Dial *struct {
		PhoneNumbers string `xml:"phoneNumbers,attr"`
		CallerID     string `xml:"callerId,attr"`
	} `xml:"Dial"`
	Redirect string `xml:"Redirect"`
}

type atPlay struct {
	URL string `xml:"url,attr"`
}

func atHeard(says []string, plays []atPlay) []string {
	out := append([]string(nil), says...)
	for _, p := range plays {
		out = append(out, p.URL)
	}
	return out
}

// atPost posts one notification and reads the XML actions of the reply.
func (f *FakeProvider) atPost(ctx context.Context, target string, form url.Values) atXML {
	var x atXML
	reply, err := postForm(ctx, f.Client, ProviderAT, target, "", form)
	if err == nil && reply.Status == http.StatusOK {
		_ = xml.Unmarshal([]byte(reply.Body), &x)
	}
	return x
}

// playAT plays Africa's Talking's side: the first leg answers (a
// notification to the number's voice URL), its Dial rings the bridged
// number, and the final notification (isActive=0) reports the dialled
// leg's duration and hang-up cause.
func (f *FakeProvider) playAT(pc PlacedCall) PlacedCall {
	f.calls.mu.Lock()
	target, talk := f.calls.voice[ProviderAT], f.calls.talk
	f.calls.mu.Unlock()
	if talk == 0 {
		talk = 42
	}
	ctx := context.Background()
	base := url.Values{"sessionId": {pc.ID}, "direction": {"Outbound"}, "callerNumber": {pc.From}, "destinationNumber": {pc.To}}
	final := clone(base)
	final.Set("isActive", "0")
	if first, _ := f.farEnd(pc.To); first != FarAnswer {
		final.Set("callSessionState", "NotAnswered")
		final.Set("hangupCause", map[string]string{FarBusy: "USER_BUSY"}[first]+map[string]string{FarNoAnswer: "NO_ANSWER"}[first])
		_, _ = postForm(ctx, f.Client, ProviderAT, target, "", final)
		return pc
	}
	answered := clone(base)
	answered.Set("isActive", "1")
	answered.Set("callSessionState", "Answered")
	x := f.atPost(ctx, target, answered)
	pc.Heard = append(pc.Heard, atHeard(x.Says, x.Plays)...)
	if x.GetDigits != nil {
		// The first leg answers a question (a sensitive call-back asks
		// the caller whether it is safe to talk) with its far end's keys.
		pc.Heard = append(pc.Heard, atHeard(x.GetDigits.Says, x.GetDigits.Plays)...)
		_, digits := f.farEnd(pc.To)
		pressed := clone(base)
		pressed.Set("isActive", "1")
		pressed.Set("dtmfDigits", digits)
		x = f.atPost(ctx, x.GetDigits.CallbackURL, pressed)
		pc.Heard = append(pc.Heard, atHeard(x.Says, x.Plays)...)
		if x.Dial == nil {
			pc.Outcome = "declined"
		}
	}
	final.Set("callSessionState", "Completed")
	if x.Dial != nil {
		pc.Dialled, pc.DialCallerID = x.Dial.PhoneNumbers, x.Dial.CallerID
		switch behaviour, _ := f.farEnd(pc.Dialled); behaviour {
		case FarAnswer:
			pc.Outcome, pc.Seconds = "completed", talk
			final.Set("dialDurationInSeconds", strconv.Itoa(talk))
			final.Set("hangupCause", "NORMAL_CLEARING")
		case FarBusy:
			pc.Outcome = "busy"
			final.Set("hangupCause", "USER_BUSY")
		default:
			pc.Outcome = "no-answer"
			final.Set("hangupCause", "NO_ANSWER")
		}
		final.Set("dialDestinationNumber", pc.Dialled)
		if pc.Outcome != "completed" && x.Redirect != "" {
			// AT moves on to the action after a Dial nobody answered.
			after := clone(base)
			after.Set("isActive", "1")
			y := f.atPost(ctx, strings.TrimSpace(x.Redirect), after)
			pc.Heard = append(pc.Heard, atHeard(y.Says, y.Plays)...)
		}
	}
	final.Set("durationInSeconds", strconv.Itoa(pc.Seconds+5))
	_, _ = postForm(ctx, f.Client, ProviderAT, target, "", final)
	return pc
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
