package gateway

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/menus"
)

// ussdSessionTTL outlives the operators' ~180 s session so that a late
// retry of the last hop still finds its reply.
const ussdSessionTTL = 10 * time.Minute

// resumeTTL is how long the answers of a session that ended before the
// caller confirmed are kept, by caller key, for them to continue on redial.
// Every hop renews it, so it counts from the caller's last screen.
const resumeTTL = 30 * time.Minute

// resumeKey is where the session store keeps a caller's unfinished report
// made on medium ("ussd", "voice"). The caller key is a keyed hash, never a
// number. Each medium keeps its own: their engines page lists differently.
func resumeKey(medium, callerKey string) string { return "resume/" + medium + "/" + callerKey }

// Media whose unfinished reports are kept for resume.
const (
	mediumUSSD  = "ussd"
	mediumVoice = "voice"
)

// sessionKey is where a USSD session or a call is kept: under the
// provider's session id and the caller key of the number that opened it.
// A provider's session id is not a bearer token: the same id sent from
// another number (a forged callback) finds nothing of this caller's, and
// starts a session of its own.
func sessionKey(kind, channelID, sessionID, callerKey string) string {
	return kind + "/" + channelID + "/" + sessionID + "/" + callerKey
}

// ussdSession is what the gateway remembers between hops. It holds no
// number: the caller key is a keyed hash.
type ussdSession struct {
	Text      string      `json:"text"`
	State     menus.State `json:"state"`
	Reply     turn.Reply  `json:"reply"`
	CallerKey string      `json:"caller_key"`
}

// ussdChannel resolves the channel of a USSD route and its provider's
// adapter; a channel whose provider speaks no USSD is a 404 like any
// unknown one.
func (s *Server) ussdChannel(c fiber.Ctx) (config.Channel, ussdProvider, error) {
	ch, err := s.channel(c)
	if err != nil {
		return config.Channel{}, nil, err
	}
	d, ok := s.providers.Get(ch.Provider)
	p := d.USSD
	if !ok || p == nil {
		return config.Channel{}, nil, fiber.ErrNotFound
	}
	return ch, p, nil
}

func (s *Server) handleUSSD(c fiber.Ctx) error {
	ch, p, err := s.ussdChannel(c)
	if err != nil {
		return err
	}
	hop, err := p.Parse(c.Get(fiber.HeaderContentType), c.Body())
	if err != nil {
		return err
	}
	// The caller key is computed once per hop, for the limit and the session.
	callerKey := s.keyring.Key(hop.Phone, ch.Country)
	if err := s.admit(ch, arrival{medium: mediumUSSD, phone: hop.Phone, callerKey: callerKey, first: hop.Text == ""}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context(), s.timeout)
	defer cancel()
	reply, err := s.ussdHop(ctx, ch, p, hop, callerKey)
	if err != nil {
		return err
	}
	ct, body := p.Render(reply)
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(body)
}

// ussdHop runs one hop: a retry gets the reply it had before; a new input
// moves the menu on; a hop whose session was lost (restart, expiry) is
// replayed from the provider's cumulative text.
//
// A dial (empty text) reads its session and the caller's resume record in
// one round trip; every hop writes its session and, when it changed, the
// resume record in one more. A hop this gateway can take on from the
// session it wrote last makes one round trip in all (ussdRemembered).
func (s *Server) ussdHop(ctx context.Context, ch config.Channel, p ussdProvider, hop turn.USSD, callerKey string) (turn.Reply, error) {
	key := sessionKey("ussd", ch.ID, hop.SessionID, callerKey)
	var resume *resumeRead
	var raw []byte
	var found bool
	var err error
	switch reply, done, cur := s.ussdRemembered(ctx, ch, p, hop, key); {
	case done:
		return reply, nil
	case cur != nil: // what Redis held instead of the copy: already read
		raw, found = cur.Value, cur.Found
	case hop.Text == "":
		raw, found, resume, err = s.loadWithResume(ctx, key, resumeKey(mediumUSSD, callerKey))
	default:
		raw, found, err = s.sessions.Load(ctx, key)
	}
	if err != nil {
		return s.sessionsDown(ch, p, hop, fmt.Errorf("load session: %w", err)), nil
	}
	var sess ussdSession
	if found {
		if sess, err = decodeSession(raw); err != nil {
			return turn.Reply{}, fmt.Errorf("decode session: %w", err)
		}
		if hop.Text == sess.Text {
			return sess.Reply, nil
		}
	}

	var t menus.Turn
	if found {
		t, err = s.ussdStep(ctx, ch, hop, sess, sess.State, p.NewInput(sess.Text, hop.Text))
	} else {
		sess.CallerKey = callerKey
		t = s.beginWith(ctx, s.ussd(), mediumUSSD, sess.CallerKey, resume)
		for _, input := range p.Inputs(hop.Text) {
			if t.Screen.End {
				break
			}
			if t, err = s.ussdStep(ctx, ch, hop, sess, t.State, input); err != nil {
				break
			}
		}
	}
	if err != nil {
		// Nothing was saved: the caller sees the engine's apology in their
		// language, and the session is left as it was, so a retry of this
		// hop tries the submission again.
		s.log.Error("ussd submission failed", "channel", ch.Name, "err", err)
		return turn.Reply{Text: menus.USSDText(t.Screen), End: true}, nil
	}

	var before *menus.State // the state the resume record was last kept for
	if found {
		prev := sess.State
		before = &prev
	}
	sess, ws := s.ussdWrites(key, hop.Text, sess, before, t, resume)
	// One batch: a failure of either write is taken as the session's.
	if err := s.saveAll(ctx, ws...); err != nil {
		if sess.Reply.End {
			// The complaint (if any) is stored: show its reference. A
			// retry replays the text and gets the same reference.
			s.log.Warn("ussd session not saved after its last screen", "channel", ch.Name, "err", err)
			return sess.Reply, nil
		}
		return s.sessionsDown(ch, p, hop, fmt.Errorf("save session: %w", err)), nil
	}
	return sess.Reply, nil
}

// ussdWrites is sess moved on to t by the hop of text, and the writes that
// keep it: the session, and the resume record when it changed from before.
func (s *Server) ussdWrites(key, text string, sess ussdSession, before *menus.State, t menus.Turn, resume *resumeRead) (ussdSession, []sessions.Write) {
	sess.Text = text
	sess.State = t.State
	sess.Reply = turn.Reply{Text: menus.USSDText(t.Screen), End: t.Screen.End}
	ws := []sessions.Write{{Key: key, Value: encodeSession(sess), TTL: ussdSessionTTL}}
	if w, ok := s.resumeWrite(s.ussd(), mediumUSSD, sess.CallerKey, before, t.State, resume); ok {
		ws = append(ws, w)
	}
	return sess, ws
}

// ussdRemembered takes a hop on from the session this gateway wrote last
// (sessionSwapper.Remembered) instead of reading it back, and writes it in
// one round trip, only if Redis still holds that copy (SaveIf). It does so
// only for a step that acts on nothing but the session (no submission, no
// follow-up, no information page: see acts) and is not a retry; done is
// false for the others, and for a copy another gateway has overtaken, whose
// current value is then cur (nil: read it). The caller sees what the hop
// from Redis's value would have shown.
func (s *Server) ussdRemembered(ctx context.Context, ch config.Channel, p ussdProvider, hop turn.USSD, key string) (reply turn.Reply, done bool, cur *sessions.Current) {
	sw, ok := s.sessions.(sessionSwapper)
	if !ok || hop.Text == "" {
		return turn.Reply{}, false, nil
	}
	raw, ok := sw.Remembered(key)
	if !ok {
		return turn.Reply{}, false, nil
	}
	sess, err := decodeSession(raw)
	if err != nil || hop.Text == sess.Text {
		return turn.Reply{}, false, nil
	}
	t := s.ussd().Step(sess.State, p.NewInput(sess.Text, hop.Text))
	if acts(t) {
		return turn.Reply{}, false, nil
	}
	before := sess.State
	sess, ws := s.ussdWrites(key, hop.Text, sess, &before, t, nil)
	cur, err = sw.SaveIf(ctx, raw, ws...)
	if err != nil {
		s.log.Warn("ussd session: conditional save failed", "channel", ch.Name, "err", err)
		return turn.Reply{}, false, nil
	}
	if cur != nil {
		return turn.Reply{}, false, cur
	}
	return sess.Reply, true, nil
}

// resumeRead is what a dial read of the caller's resume record: found, and
// its value.
type resumeRead struct {
	found bool
	raw   []byte
}

// loadWithResume reads a session and the caller's resume record together
// (one round trip when the store batches).
func (s *Server) loadWithResume(ctx context.Context, key, rkey string) ([]byte, bool, *resumeRead, error) {
	b, ok := s.sessions.(sessionBatcher)
	if !ok {
		raw, found, err := s.sessions.Load(ctx, key)
		return raw, found, nil, err
	}
	vals, err := b.LoadAll(ctx, key, rkey)
	if err != nil {
		return nil, false, nil, err
	}
	return vals[0], vals[0] != nil, &resumeRead{found: vals[1] != nil, raw: vals[1]}, nil
}

// saveAll makes ws in one batch when the store can, else one by one.
func (s *Server) saveAll(ctx context.Context, ws ...sessions.Write) error {
	if b, ok := s.sessions.(sessionBatcher); ok {
		return b.SaveAll(ctx, ws...)
	}
	for _, w := range ws {
		var err error
		if w.Delete {
			err = s.sessions.Delete(ctx, w.Key)
		} else {
			err = s.sessions.Save(ctx, w.Key, w.Value, w.TTL)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// begin is the first screen of a new USSD session or call: the offer to
// continue an unfinished report made on the same medium if the caller has
// one, else the first question in the language they chose last time, else
// the language screen. A store that fails here costs the caller only that
// convenience, never the call.
func (s *Server) begin(ctx context.Context, eng *menus.Engine, medium, callerKey string) menus.Turn {
	return s.beginWith(ctx, eng, medium, callerKey, nil)
}

// beginWith is begin with the resume record already read (nil: read it).
func (s *Server) beginWith(ctx context.Context, eng *menus.Engine, medium, callerKey string, resume *resumeRead) menus.Turn {
	lang := ""
	if s.prefs != nil {
		l, ok, err := s.prefs.Language(ctx, callerKey)
		if err != nil {
			s.log.Warn("caller language unavailable", "err", err)
		} else if ok {
			lang = l
		}
	}
	var raw []byte
	var found bool
	if resume != nil {
		raw, found = resume.raw, resume.found
	} else {
		var err error
		if raw, found, err = s.sessions.Load(ctx, resumeKey(medium, callerKey)); err != nil {
			s.log.Warn("unfinished report unavailable", "err", err)
		}
	}
	if found {
		saved, err := decodeState(raw)
		if err != nil {
			s.log.Warn("unfinished report unreadable", "err", err)
		} else {
			return eng.BeginResume(lang, saved)
		}
	}
	return eng.Begin(lang)
}

// keepForResume keeps what a session in st would lose if it dropped now,
// for resumeTTL, or deletes it once there is nothing to keep (submitted,
// or started again). With before, the state of the session's previous hop,
// it writes nothing when the record would not change: most hops before the
// first answer, and every repeated or wrong key.
func (s *Server) keepForResume(ctx context.Context, eng *menus.Engine, medium, callerKey string, before *menus.State, st menus.State) {
	w, ok := s.resumeWrite(eng, medium, callerKey, before, st, nil)
	if !ok {
		return
	}
	if err := s.saveAll(ctx, w); err != nil {
		s.log.Warn("keep unfinished report", "err", err)
	}
}

// resumeWrite is the change keepForResume would make, if any. With read,
// what a dial found of the record: none is deleted that was not there.
func (s *Server) resumeWrite(eng *menus.Engine, medium, callerKey string, before *menus.State, st menus.State, read *resumeRead) (sessions.Write, bool) {
	if callerKey == "" {
		return sessions.Write{}, false
	}
	rs, ok := eng.Resumable(st)
	if before != nil {
		was, wasOK := eng.Resumable(*before)
		if wasOK == ok && (!ok || sameState(was, rs)) {
			return sessions.Write{}, false
		}
	}
	if !ok {
		if read != nil && !read.found {
			return sessions.Write{}, false
		}
		return sessions.Write{Key: resumeKey(medium, callerKey), Delete: true}, true
	}
	return sessions.Write{Key: resumeKey(medium, callerKey), Value: encodeState(rs), TTL: resumeTTL}, true
}

// rememberLanguage records the language a caller chose to keep on this
// phone ("send and remember my language"), for their next call. It is
// called for nothing else.
func (s *Server) rememberLanguage(ctx context.Context, callerKey, lang string) {
	if s.prefs == nil || callerKey == "" || lang == "" {
		return
	}
	if err := s.prefs.SetLanguage(ctx, callerKey, lang); err != nil {
		s.log.Warn("remember caller language", "err", err)
	}
}

// handleUSSDEnd takes Africa's Talking's end-of-session notification: the
// session's answers are kept for the caller to continue (renewing the
// 30 minutes from now) and the session itself is forgotten; the language
// is not remembered (only the caller's own choice does that). An unknown
// or expired session is acknowledged and
// changes nothing; when no notification comes, the TTLs do the same work.
func (s *Server) handleUSSDEnd(c fiber.Ctx) error {
	ch, p, err := s.ussdChannel(c)
	if err != nil {
		return err
	}
	ev, err := p.ParseEnd(c.Get(fiber.HeaderContentType), c.Body())
	if err != nil {
		return err
	}
	if err := s.admit(ch, arrival{medium: mediumUSSD}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context(), s.timeout)
	defer cancel()
	if err := s.ussdEnded(ctx, ch, ev); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.SendString("OK")
}

func (s *Server) ussdEnded(ctx context.Context, ch config.Channel, ev turn.USSDEnd) error {
	if ev.Phone == "" {
		return nil // no number: no session of anyone's can be named
	}
	key := sessionKey("ussd", ch.ID, ev.SessionID, s.keyring.Key(ev.Phone, ch.Country))
	raw, found, err := s.sessions.Load(ctx, key)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	if !found {
		return nil
	}
	sess, err := decodeSession(raw)
	if err != nil {
		return fmt.Errorf("decode session: %w", err)
	}
	s.keepForResume(ctx, s.ussd(), mediumUSSD, sess.CallerKey, nil, sess.State)
	if err := s.sessions.Delete(ctx, key); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// sessionsDown is the reply when the session store fails (Redis
// unreachable): the "nothing was saved, call back later" screen, in the
// language the caller chose if the text shows it. Nothing is written.
func (s *Server) sessionsDown(ch config.Channel, p ussdProvider, hop turn.USSD, err error) turn.Reply {
	s.log.Error("ussd session store unavailable", "channel", ch.Name, "err", err)
	t := s.ussd().Begin("")
	for _, input := range p.Inputs(hop.Text) {
		if t.Screen.End || t.State.Lang != "" {
			break
		}
		t = s.ussd().Step(t.State, input)
	}
	return turn.Reply{Text: menus.USSDText(s.ussd().Submitted(menus.State{Lang: t.State.Lang}, "").Screen), End: true}
}

// ussdStep feeds one input to the engine. When the caller confirms, it
// stores the complaint durably before the reference is shown; the
// idempotency key is the provider's session, so a replayed or retried
// confirmation never makes a second case. When storing fails, the turn
// returned is the engine's "could not save" screen. When the caller asks
// to follow a complaint, it looks the complaint up.
func (s *Server) ussdStep(ctx context.Context, ch config.Channel, hop turn.USSD, sess ussdSession, st menus.State, input string) (menus.Turn, error) {
	t := s.ussd().Step(st, input)
	if !acts(t) {
		return t, nil
	}
	if t.Info != nil {
		return s.showInfo(ctx, s.ussd(), ch, hop.Phone, t), nil
	}
	if t.Lookup != nil {
		a := t.Lookup.Answers
		ans, outcome := s.followUp(ctx, s.keyring.Keys(hop.Phone, ch.Country), a["followup_ref"], a["followup_pin"])
		return s.ussd().LookedUp(t.State, menus.LookupResult{
			Outcome: outcome, Reference: ans.Reference, Status: string(ans.Status), Response: ans.Response,
		}), nil
	}
	if t.Submit == nil {
		return t, nil
	}
	a := t.Submit.Answers
	var contact *casework.Contact
	if a["contact_name"] != "" || a["contact_village"] != "" {
		contact = &casework.Contact{Name: a["contact_name"], Village: a["contact_village"]}
	}
	// The idempotency key is bound to the caller too: a forged
	// confirmation with another caller's session id must not be answered
	// with their reference.
	in := casework.Intake{
		Contact:        contact,
		IdempotencyKey: ch.ID + "/" + hop.SessionID + "/" + sess.CallerKey,
		CallerKey:      sess.CallerKey,
		Channel:        ch.ID,
		Medium:         "ussd",
		Language:       t.Submit.Lang,
		Category:       a["category"],
		Region:         a["region"],
		Cercle:         a["cercle"],
		Locality:       a["locality"],
		Assistance:     a["assistance"],
		Detail:         a["detail"],
	}
	s.sealCallBack(&in, a, hop.Phone, ch.Country)
	r, err := s.submit.Submit(ctx, in)
	s.metrics.submission(ch, err)
	if err != nil {
		return t, fmt.Errorf("submit case: %w", err)
	}
	if t.Submit.RememberLanguage {
		s.rememberLanguage(ctx, sess.CallerKey, t.Submit.Lang)
	}
	return s.answerQuestion(ctx, s.ussd(), s.ussd().Confirmed(t.State, receipt(r, time.Now())), in), nil
}

// acts reports whether a turn asks the gateway to act beyond the session
// (ussdStep: an information page, a follow-up, a submission). A turn that
// does not may be taken from an unconfirmed copy of the session
// (ussdRemembered). A new kind of action must be added here.
func acts(t menus.Turn) bool {
	return t.Info != nil || t.Lookup != nil || t.Submit != nil
}

// receipt is what the engine tells the caller of a stored complaint.
func receipt(r casework.Receipt, now time.Time) menus.Receipt {
	days := 0
	if !r.AnswerBy.IsZero() {
		days = max(1, int(math.Ceil(r.AnswerBy.Sub(now).Hours()/24)))
	}
	return menus.Receipt{Reference: r.Case.Reference, PIN: r.PIN, AnswerDays: days}
}

// followUp asks casework about a complaint for the caller holding keys
// (every key version, used to count wrong attempts). Every way of not
// matching is one outcome, so no channel can tell an unknown reference
// from a wrong PIN or a lock-out. A gateway replica answers from the
// Redis mirror (scaleout.FollowUps) by the same rules; one without a PIN
// key answers none: the reference alone, or the phone, is never enough.
func (s *Server) followUp(ctx context.Context, keys []string, reference, pin string) (casework.Answer, menus.LookupOutcome) {
	ans, err := s.follow.FollowUp(ctx, keys, reference, pin)
	switch {
	case err == nil:
		return ans, menus.LookupFound
	case errors.Is(err, casework.ErrNoMatch), errors.Is(err, casework.ErrTooManyAttempts):
		return casework.Answer{}, menus.LookupNoMatch
	default:
		s.log.Error("follow-up failed", "err", err)
		return casework.Answer{}, menus.LookupNoMatch
	}
}
