package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/outbox"
)

// The masked call-back (issue #16). A caller who agreed to be called back
// has their number sealed here, bound to the case's ID, before the case is
// stored: casework only carries the sealed blob. When an officer of the
// case's team asks for the call (casework.Service.RequestCallBack), the
// gateway opens the officer's own sealed phone and the caller's number,
// asks the provider to call the officer, and once the officer answers
// bridges to the caller (Twilio <Dial>, Africa's Talking Dial), presenting
// the hotline's number to both. The numbers exist in clear only in memory,
// in the provider's API request and in the bridging reply; never in a
// log, an error, a session or the audit (which gets attempts, outcomes and
// durations).

// CallBackPurpose names the call-back sealing keys ("callback-k1.key").
const CallBackPurpose = "callback"

// CallBackSealer seals numbers kept for call-backs with AES-256-GCM under
// the newest call-back key (the outbox's Sealer, its own key purpose):
// callers' numbers bound to their case, officers' phones to their account.
// Destroying the key shreds every sealed number. Safe for concurrent use.
type CallBackSealer struct{ s outbox.Sealer }

// LoadCallBackSealer reads every call-back key version from dir, creating
// k1 when there is none.
func LoadCallBackSealer(dir keystore.Dir) (c *CallBackSealer, created bool, err error) {
	keys, created, err := dir.Keys(CallBackPurpose)
	if err != nil {
		return nil, false, fmt.Errorf("call-back keys: %w", err)
	}
	c = &CallBackSealer{}
	return c, created, c.UseKeys(keys)
}

// NewCallBackSealer builds a sealer from 32-byte secrets (k1, k2, …), for
// tests.
func NewCallBackSealer(secrets ...[]byte) (*CallBackSealer, error) {
	keys := make([]keystore.Key, len(secrets))
	for i, s := range secrets {
		keys[i] = keystore.Key{Version: fmt.Sprintf("k%d", i+1), Secret: s}
	}
	c := &CallBackSealer{}
	return c, c.UseKeys(keys)
}

// UseKeys swaps the key versions (keys rotate callback while serving).
func (c *CallBackSealer) UseKeys(keys []keystore.Key) error { return c.s.UseKeys(keys) }

func callerAAD(caseID string) []byte { return []byte("callback\x00caller\x00" + caseID) }
func officerAAD(name string) []byte  { return []byte("callback\x00officer\x00" + name) }

func (c *CallBackSealer) seal(number string, aad []byte) string {
	v, sealed := c.s.Seal([]byte(number), aad)
	return v + ":" + base64.RawStdEncoding.EncodeToString(sealed)
}

func (c *CallBackSealer) open(sealed string, aad []byte) (string, error) {
	v, b64, _ := strings.Cut(sealed, ":")
	data, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return "", errors.New("sealed number is malformed")
	}
	plain, err := c.s.Open(v, data, aad)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// SealCaller seals a caller's E.164 number for the case caseID only.
func (c *CallBackSealer) SealCaller(caseID, number string) string {
	return c.seal(number, callerAAD(caseID))
}

// SealOfficer seals an officer's own phone for their account only. The
// number is normalised (E.164, Mali by default); false when it is not a
// possible phone number.
func (c *CallBackSealer) SealOfficer(name, raw string) (string, bool) {
	if !callerid.Possible(raw, "ML") {
		return "", false
	}
	return c.seal(callerid.Normalize(raw, "ML"), officerAAD(name)), true
}

// CallBackRecorder audits how each call-back attempt ended
// (casework.Service).
type CallBackRecorder interface {
	CallBackOutcome(ctx context.Context, caseID string, attempt int, outcome string, seconds int) error
}

// CallBackOptions wires the masked call-back: without a Sealer nobody can
// opt in and nothing is called.
type CallBackOptions struct {
	Sealer   *CallBackSealer
	Outcomes CallBackRecorder
	// Live takes calls to a person on duty (live.go); nil: never offered.
	Live LiveDesk
}

// Errors of Server.CallBack, wrapped.
var (
	ErrNoOfficerPhone = errors.New("gateway: the officer has no phone for call-backs")
	ErrNoCaller       = errors.New("gateway: this channel places no calls")
)

// Call-back call constants.
const (
	callBackRing     = 30      // seconds either phone rings
	callBackMaxTalk  = 60 * 60 // seconds a bridged call may last
	callBackTTL      = 2 * time.Hour
	callBackFirstLeg = "officer"
)

// bridge is one call-back attempt in flight, by its random token. It holds
// the sealed caller number only; it is opened for the Dial reply.
type bridge struct {
	ticket    casework.CallBackTicket
	channel   string
	created   time.Time
	answered  bool // the officer answered
	declined  bool // the caller did not confirm it is safe to talk
	reported  bool // the outcome is audited
	sessionID string
	// callerFirst: a sensitive case on a provider that cannot screen the
	// dialled party: the caller's phone is the first leg, asked whether it
	// is safe to talk, then the officer's phone (officerPhone, sealed for
	// their account) is dialled (callbackat.go).
	callerFirst  bool
	officerPhone string
	dialled      bool // callerFirst: the caller pressed 1, the officer is dialled
}

type bridges struct {
	mu        sync.Mutex
	byToken   map[string]*bridge
	bySession map[string]string // channel + "/" + provider call id → token
}

func (b *bridges) add(tok string, br *bridge) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byToken == nil {
		b.byToken, b.bySession = map[string]*bridge{}, map[string]string{}
	}
	for t, old := range b.byToken {
		if time.Since(old.created) > callBackTTL {
			delete(b.byToken, t)
			delete(b.bySession, old.channel+"/"+old.sessionID)
		}
	}
	b.byToken[tok] = br
}

func (b *bridges) setSession(tok, channel, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if br := b.byToken[tok]; br != nil {
		br.sessionID = id
		b.bySession[channel+"/"+id] = tok
	}
}

// with runs fn on the bridge of tok (or of a provider session) under the lock.
func (b *bridges) with(tok string, fn func(*bridge)) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	br := b.byToken[tok]
	if br == nil {
		return false
	}
	fn(br)
	return true
}

func (b *bridges) session(channel, id string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tok, ok := b.bySession[channel+"/"+id]
	return tok, ok
}

// sealCallBack seals the caller's number into in when they asked for a
// call-back and this gateway can seal: in.ID is drawn here, since the
// sealed number is bound to the case.
func (s *Server) sealCallBack(in *casework.Intake, answers map[string]string, phone, country string) {
	if answers["callback"] != "yes" || s.callback.Sealer == nil || phone == "" {
		return
	}
	if in.ID == "" {
		in.ID = casework.NewID()
	}
	in.CallBack = s.callback.Sealer.SealCaller(in.ID, callerid.Normalize(phone, country))
}

// CallBack places one call-back attempt (casework.Service.RequestCallBack
// gave the ticket): the provider calls the officer's own phone (sealed on
// their account) from the hotline's number; once answered, the call is
// bridged to the caller. It returns once the provider accepted the call;
// how it ends is audited through CallBackOptions.Outcomes.
func (s *Server) CallBack(ctx context.Context, t casework.CallBackTicket, officerPhone string) error {
	vc, ok := s.voice.Channels[t.Channel]
	if !ok || vc.Caller == nil || vc.CallBack == nil || s.callback.Sealer == nil {
		return ErrNoCaller
	}
	if officerPhone == "" {
		return ErrNoOfficerPhone
	}
	officer, err := s.callback.Sealer.open(officerPhone, officerAAD(t.Officer))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoOfficerPhone, err)
	}
	caller, err := s.callback.Sealer.open(t.Sealed, callerAAD(t.CaseID))
	if err != nil {
		return fmt.Errorf("gateway: call-back: the caller's number cannot be opened: %w", err)
	}
	tok := randomToken()
	br := &bridge{ticket: t, channel: t.Channel, created: time.Now()}
	first := turn.OutboundCall{To: officer, From: vc.CallBack.From, RequestID: tok, Timeout: callBackRing}
	if t.AskSafe && !vc.Screens {
		// The provider plays nothing to a dialled party (Africa's
		// Talking): the caller is called first and asked (callbackat.go).
		br.callerFirst, br.officerPhone = true, officerPhone
		first.To = caller
	}
	s.bridges.add(tok, br)
	base := strings.TrimRight(vc.PublicURL, "/") + "/c/" + t.Channel + "/callback/" + tok + "/"
	first.AnswerURL, first.StatusURL = base+callBackFirstLeg, base+"status"
	id, err := vc.Caller.Call(ctx, first)
	if err != nil {
		s.callBackOutcome(tok, casework.CallBackFailed, 0)
		return fmt.Errorf("gateway: call-back: %w", err)
	}
	s.bridges.setSession(tok, t.Channel, id)
	s.log.Info("call-back placed", "channel", t.Channel, "case", t.CaseID, "attempt", t.Attempt)
	return nil
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// callBackOutcome audits the attempt's outcome once.
func (s *Server) callBackOutcome(tok, outcome string, seconds int) {
	var t casework.CallBackTicket
	first := false
	s.bridges.with(tok, func(br *bridge) {
		first, br.reported, t = !br.reported, true, br.ticket
	})
	if !first || s.callback.Outcomes == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.callback.Outcomes.CallBackOutcome(ctx, t.CaseID, t.Attempt, outcome, seconds); err != nil {
		s.log.Error("call-back outcome not audited", "case", t.CaseID, "err", err)
		return
	}
	s.log.Info("call-back ended", "case", t.CaseID, "attempt", t.Attempt, "outcome", outcome, "seconds", seconds)
}

// DialResulter reads how a bridged leg ended from a Dial action or a
// status callback (twilio.Voice).
type DialResulter interface {
	DialResult(contentType string, body []byte) (status string, seconds int, ok bool)
}

// CallEnder reads a call's final notification (africastalking.Voice):
// how long the dialled leg talked and why it ended.
type CallEnder interface {
	CallEnd(contentType string, body []byte) (dialSeconds int, cause string, ok bool)
}

// handleCallBack serves the provider's requests about a call-back it is
// placing (Twilio): the officer answered (bridge), the caller answered
// (introduction, and for sensitive cases "is it safe to talk? press 1"),
// the bridged leg ended, the officer's call ended.
func (s *Server) handleCallBack(c fiber.Ctx) error {
	ch, err := s.channel(c)
	if err != nil {
		return err
	}
	vc, ok := s.voice.Channels[ch.ID]
	if !ok || vc.CallBack == nil {
		return fiber.ErrNotFound
	}
	if err := s.authenticate(c, ch, vc.Adapter.Authenticate, c.Get(fiber.HeaderContentType), c.Body()); err != nil {
		return err
	}
	tok := c.Params("token")
	var t casework.CallBackTicket
	var answered, declined bool
	if !s.bridges.with(tok, func(b *bridge) { t, answered, declined = b.ticket, b.answered, b.declined }) || t.Channel != ch.ID {
		return fiber.ErrNotFound
	}
	base := strings.TrimRight(vc.PublicURL, "/")
	here := base + "/c/" + ch.ID + "/callback/" + tok + "/"
	var reply turn.VoiceReply
	switch c.Params("step") {
	case callBackFirstLeg: // the officer answered
		if reply, err = s.bridgeReply(tok, vc, base, here, t); err != nil {
			return err
		}
	case "screen": // the caller answered; played before they are connected
		reply = s.screenReply(base, here, t)
	case "safe":
		digits := strings.TrimSpace(c.FormValue("Digits"))
		if digits == "1" {
			break // an empty reply: the two are connected
		}
		s.bridges.with(tok, func(br *bridge) { br.declined = true })
		reply = turn.VoiceReply{Audio: s.audioFor(base, s.clips(t.Language, menus.CallBackLater)), Hangup: true}
	case "dialed": // the caller's leg ended
		status, seconds, _ := s.dialResult(vc, c)
		s.callBackOutcome(tok, dialOutcome(status, seconds, declined), seconds)
		reply = turn.VoiceReply{Hangup: true}
	case "status": // the officer's call ended
		if !answered {
			s.callBackOutcome(tok, casework.CallBackOfficerMissed, 0)
		} else {
			s.callBackOutcome(tok, casework.CallBackCallerMissed, 0) // no-op when "dialed" reported it
		}
		c.Set(fiber.HeaderContentType, "text/plain")
		return c.SendString("")
	default:
		return fiber.ErrNotFound
	}
	ct, body := vc.Adapter.Render(reply)
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}

func (s *Server) dialResult(vc VoiceChannel, c fiber.Ctx) (string, int, bool) {
	if d, ok := vc.Adapter.(DialResulter); ok {
		return d.DialResult(c.Get(fiber.HeaderContentType), c.Body())
	}
	return "", 0, false
}

// dialOutcome names the outcome of a bridged leg from the provider's status.
func dialOutcome(status string, seconds int, declined bool) string {
	switch {
	case declined:
		return casework.CallBackCallerDeclined
	case status == "completed" && seconds > 0, status == "answered" && seconds > 0:
		return casework.CallBackConnected
	case status == "busy":
		return casework.CallBackCallerBusy
	case status == "failed":
		return casework.CallBackFailed
	default:
		return casework.CallBackCallerMissed
	}
}

func (s *Server) clips(lang string, keys ...string) []menus.Clip {
	if !s.catalog().HasLanguage(lang) {
		lang = s.catalog().Fallback()
	}
	return s.voiceEng().Clips(lang, keys...)
}

// bridgeReply is what the officer hears once they answer: who is being
// called, then the Dial to the caller's number (opened now, for the
// provider only).
func (s *Server) bridgeReply(tok string, vc VoiceChannel, base, here string, t casework.CallBackTicket) (turn.VoiceReply, error) {
	number, err := s.callback.Sealer.open(t.Sealed, callerAAD(t.CaseID))
	if err != nil {
		s.callBackOutcome(tok, casework.CallBackFailed, 0)
		return turn.VoiceReply{}, fmt.Errorf("call-back: open the caller's number: %w", err)
	}
	s.bridges.with(tok, func(br *bridge) { br.answered = true })
	d := &turn.Dial{Number: number, CallerID: vc.CallBack.From, Timeout: callBackRing, MaxDuration: callBackMaxTalk}
	if vc.Screens {
		d.Action, d.Screen = here+"dialed", here+"screen"
	}
	return turn.VoiceReply{Audio: s.audioFor(base, s.clips(s.catalog().Fallback(), menus.CallBackOfficer)), Dial: d}, nil
}

// screenReply is played to the caller before they are connected: who is
// calling and that their number is hidden; for a sensitive case, whether
// it is safe to talk now (1; anything else, or nothing, ends politely).
func (s *Server) screenReply(base, here string, t casework.CallBackTicket) turn.VoiceReply {
	if !t.AskSafe {
		return turn.VoiceReply{Audio: s.audioFor(base, s.clips(t.Language, menus.CallBackIntro))}
	}
	return turn.VoiceReply{
		Audio:  s.audioFor(base, s.clips(t.Language, menus.CallBackIntro, menus.CallBackSafe)),
		Gather: true, Timeout: voiceKeyTimeout, Action: here + "safe", Fallback: here + "safe",
	}
}

// atCallBack serves Africa's Talking's requests for a call-back session
// (AT calls the number's own voice URL): the officer answered → Dial; the
// final notification → the outcome.
func (s *Server) atCallBack(c fiber.Ctx, vc VoiceChannel, tok string, call turn.Call) error {
	var t casework.CallBackTicket
	var answered, callerFirst bool
	s.bridges.with(tok, func(br *bridge) { t, answered, callerFirst = br.ticket, br.answered, br.callerFirst })
	base := strings.TrimRight(vc.PublicURL, "/")
	if base == "" {
		base = c.BaseURL()
	}
	if callerFirst {
		return s.atCallerFirst(c, vc, base, tok, call)
	}
	if call.Final {
		ender, ok := vc.Adapter.(CallEnder)
		seconds, cause := 0, ""
		if ok {
			seconds, cause, _ = ender.CallEnd(c.Get(fiber.HeaderContentType), c.Body())
		}
		switch {
		case !answered:
			s.callBackOutcome(tok, casework.CallBackOfficerMissed, 0)
		case seconds > 0:
			s.callBackOutcome(tok, casework.CallBackConnected, seconds)
		case strings.Contains(strings.ToUpper(cause), "BUSY"):
			s.callBackOutcome(tok, casework.CallBackCallerBusy, 0)
		default:
			s.callBackOutcome(tok, casework.CallBackCallerMissed, 0)
		}
		c.Set(fiber.HeaderContentType, "text/plain")
		return c.SendString("")
	}
	reply, err := s.bridgeReply(tok, vc, base, "", t)
	if err != nil {
		return err
	}
	ct, body := vc.Adapter.Render(reply)
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(body)
}

// SealOfficer seals an officer's own phone with the call-back key, for the
// web view's profile page; false without a sealer or for a non-number.
func (s *Server) SealOfficer(name, raw string) (string, bool) {
	if s.callback.Sealer == nil {
		return "", false
	}
	return s.callback.Sealer.SealOfficer(name, raw)
}
