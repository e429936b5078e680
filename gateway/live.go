package gateway

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/menus"
)

// The live operator (issue #16). While an officer who speaks the caller's
// language is on duty in their team's office hours (casework.LiveDesk),
// every step of a call on a channel that can bridge (voice.callback: the
// hotline's number) carries the answer live=on, and the tree offers
// "talk to a person". Chosen (menus.Turn.Live), casework opens a short
// case assigned to an officer on duty (PSEA focal points only for sexual
// abuse) and the call is bridged to the officer's own phone, opened from
// its seal only for the provider's reply, presenting the hotline's number:
// the officer never sees the caller's. When nobody can take it, or the
// officer does not answer or is busy, the caller hears menus.LiveClosed and
// leaves a voice message, then answers the call-back question.

// LiveDesk is casework's side of live calls (casework.LiveDesk).
type LiveDesk interface {
	Available(ctx context.Context, lang string) bool
	Open(ctx context.Context, in casework.Intake) (casework.LiveTicket, error)
	Outcome(ctx context.Context, caseID, outcome string, seconds int) error
}

// liveLegs are the live calls whose officer's leg is pending, by channel
// and provider call id → case: Africa's Talking's final notification, which
// may carry no number (so no session key), says how they ended.
type liveLegs struct {
	mu sync.Mutex
	m  map[string]liveLeg
}

type liveLeg struct {
	caseID string
	at     time.Time
}

func (l *liveLegs) add(channel, callID, caseID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]liveLeg{}
	}
	for k, v := range l.m {
		if time.Since(v.at) > callBackTTL {
			delete(l.m, k)
		}
	}
	l.m[channel+"/"+callID] = liveLeg{caseID: caseID, at: time.Now()}
}

// take removes and returns the pending leg of a call.
func (l *liveLegs) take(channel, callID string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.m[channel+"/"+callID]
	delete(l.m, channel+"/"+callID)
	return v.caseID, ok
}

// liveCapable: the channel can bridge a call and live calls are wired.
func (s *Server) liveCapable(vc VoiceChannel) bool {
	return s.callback.Live != nil && s.callback.Sealer != nil && vc.CallBack != nil && vc.Adapter != nil
}

// withLive answers menus.LiveField on st for this step: on while someone
// can take a call in the caller's language, absent otherwise.
func (s *Server) withLive(ctx context.Context, vc VoiceChannel, st menus.State) menus.State {
	on := st.Lang != "" && s.liveCapable(vc) && s.callback.Live.Available(ctx, st.Lang)
	if (st.Answers[menus.LiveField] == menus.LiveOn) == on {
		return st
	}
	st.Answers = maps.Clone(st.Answers)
	if on {
		if st.Answers == nil {
			st.Answers = map[string]string{}
		}
		st.Answers[menus.LiveField] = menus.LiveOn
	} else {
		delete(st.Answers, menus.LiveField)
	}
	return st
}

// liveReply answers a caller who asked to talk to a person: the Dial to an
// officer on duty, or, when nobody can take it, the voice message of t's
// screen after menus.LiveClosed. sess is at its new step.
func (s *Server) liveReply(ctx context.Context, ch config.Channel, vc VoiceChannel, base, callID string, sess *voiceSession, t menus.Turn) turn.VoiceReply {
	closed := s.liveClosed(ch, base, sess, t.State)
	if !s.liveCapable(vc) {
		return closed
	}
	in := casework.Intake{
		IdempotencyKey: ch.ID + "/live/" + callID + "/" + sess.CallerKey,
		CallerKey:      sess.CallerKey, Channel: ch.ID, Medium: mediumVoice,
		Language: t.Live.Lang, Category: t.Live.Answers["category"],
	}
	tk, err := s.callback.Live.Open(ctx, in)
	switch {
	case errors.Is(err, casework.ErrNobodyOnDuty):
		return closed
	case err != nil:
		s.log.Error("live call not opened", "channel", ch.Name, "err", err)
		return closed
	}
	sess.LiveCase, sess.LiveOfficer, sess.LivePhone = tk.CaseID, tk.Officer, tk.Phone
	reply, ok := s.liveDial(ch, vc, base, *sess)
	if !ok {
		s.liveOutcome(ctx, tk.CaseID, casework.LiveFailed, 0)
		sess.LivePhone = ""
		return closed
	}
	s.liveLegs.add(ch.ID, callID, tk.CaseID)
	s.log.Info("live call bridged", "channel", ch.Name, "case", tk.CaseID, "officer", tk.Officer)
	return reply
}

// liveDial is the bridge of a pending live call: "an officer will answer,
// they will not see your number", then the Dial to the officer's phone
// from the hotline's number. Its Action (Twilio) or the Redirect after it
// (Africa's Talking, whose Dial ends the call once answered) comes back
// with dialed=1 when the officer's leg ends.
func (s *Server) liveDial(ch config.Channel, vc VoiceChannel, base string, sess voiceSession) (turn.VoiceReply, bool) {
	phone, err := s.callback.Sealer.open(sess.LivePhone, officerAAD(sess.LiveOfficer))
	if err != nil {
		s.log.Error("live call: the officer's phone cannot be opened", "case", sess.LiveCase, "err", err)
		return turn.VoiceReply{}, false
	}
	return turn.VoiceReply{
		Audio: s.audioFor(base, s.clips(sess.State.Lang, menus.LiveConnecting)),
		Dial: &turn.Dial{
			Number: phone, CallerID: vc.CallBack.From, Timeout: callBackRing, MaxDuration: callBackMaxTalk,
			Action: base + "/c/" + ch.ID + "/voice?s=" + strconv.Itoa(sess.Step) + "&dialed=1",
		},
	}, true
}

// liveClosed is the voice message offered when nobody takes the call.
func (s *Server) liveClosed(ch config.Channel, base string, sess *voiceSession, st menus.State) turn.VoiceReply {
	r := s.renderVoice(ch, base, s.voiceEng().Voice(st, s.voiceEng().Screen(st), ""), sess.Step)
	r.Audio = append(s.audioFor(base, s.clips(st.Lang, menus.LiveClosed)), r.Audio...)
	return r
}

// liveOutcome audits how a live call ended.
func (s *Server) liveOutcome(ctx context.Context, caseID, outcome string, seconds int) {
	if err := s.callback.Live.Outcome(ctx, caseID, outcome, seconds); err != nil {
		s.log.Error("live call outcome not audited", "case", caseID, "err", err)
		return
	}
	s.log.Info("live call ended", "case", caseID, "outcome", outcome, "seconds", seconds)
}

// liveDialed serves the end of the officer's leg (dialed=1): answered, the
// call ends; no answer or busy, the caller is offered the voice message.
// status and seconds are the provider's (Twilio's DialCallStatus and
// DialCallDuration); Africa's Talking comes back here only unanswered.
func (s *Server) liveDialed(ctx context.Context, ch config.Channel, base string, call turn.Call, step int, status string, seconds int) (turn.VoiceReply, error) {
	key, sess, found, err := s.loadCall(ctx, ch, call)
	if err != nil {
		return turn.VoiceReply{}, err
	}
	if _, pending := s.liveLegs.take(ch.ID, call.CallID); !found || !pending || step != sess.Step || sess.LivePhone == "" {
		return turn.VoiceReply{Hangup: true}, nil
	}
	sess.LivePhone = ""
	switch {
	case (status == "completed" || status == "answered") && seconds > 0:
		s.liveOutcome(ctx, sess.LiveCase, casework.LiveConnected, seconds)
		return s.endCall(ctx, key, sess, turn.VoiceReply{Hangup: true})
	case status == "busy":
		s.liveOutcome(ctx, sess.LiveCase, casework.LiveOfficerBusy, 0)
	case status == "failed":
		s.liveOutcome(ctx, sess.LiveCase, casework.LiveFailed, 0)
	default:
		s.liveOutcome(ctx, sess.LiveCase, casework.LiveOfficerMissed, 0)
	}
	sess.Reply = s.liveClosed(ch, base, &sess, sess.State)
	if err := s.saveCall(ctx, key, sess); err != nil {
		return turn.VoiceReply{}, err
	}
	return sess.Reply, nil
}

// liveEnded audits a live call whose leg was still pending when the call
// ended, from its final notification (Africa's Talking: the Dial that was
// answered ends the call, dialDurationInSeconds says how long they talked).
func (s *Server) liveEnded(ctx context.Context, channel, callID string, seconds int, cause string) {
	caseID, ok := s.liveLegs.take(channel, callID)
	switch {
	case !ok:
	case seconds > 0:
		s.liveOutcome(ctx, caseID, casework.LiveConnected, seconds)
	case strings.Contains(strings.ToUpper(cause), "BUSY"):
		s.liveOutcome(ctx, caseID, casework.LiveOfficerBusy, 0)
	default:
		s.liveOutcome(ctx, caseID, casework.LiveOfficerMissed, 0)
	}
}
