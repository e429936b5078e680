package casework

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/numerovert/hotline/config"
)

// The masked call-back (issue #16). A caller who agreed to be called back
// leaves their number sealed by the gateway (Case.CallBack): casework holds
// no key that opens it and never sees it. Casework decides who may ask for
// the call, how often and when, audits every attempt and outcome, and
// deletes the sealed number when the case closes, after CallBackKeep, or
// at purge. The gateway opens it only to hand it to the provider.

// CallBackKeep is how long a sealed call-back number is kept at most.
const CallBackKeep = 30 * 24 * time.Hour

// Errors of RequestCallBack, wrapped.
var (
	// ErrNoCallBack: the caller did not ask for one, or it was deleted
	// (closed case, 30 days, purge).
	ErrNoCallBack = errors.New("casework: no call-back for this case")
	// ErrCallBackUnavailable: the case's channel places no calls
	// (voice.callback missing), or it is outside the call-back hours.
	ErrCallBackUnavailable = errors.New("casework: call-back not available now")
	// ErrCallBackExhausted: the caller did not answer the last attempts.
	ErrCallBackExhausted = errors.New("casework: call-back attempts used up")
)

const protectionKind = "protection"

// CallBackTicket is what the gateway needs to place one call-back.
type CallBackTicket struct {
	CaseID, Reference, Channel, Language string
	// Sealed is the caller's number as the gateway sealed it, bound to
	// CaseID; only the gateway's call-back key opens it.
	Sealed  string
	Officer string
	// Attempt counts the calls to this caller since one was answered.
	Attempt, MaxAttempts int
	// AskSafe: the caller is first asked whether it is safe to talk now
	// (press 1); anything else ends the call politely.
	AskSafe bool
}

// takeCallBack keeps an intake's sealed call-back number on c, for
// CallBackKeep at most.
func takeCallBack(c *Case, in Intake, now time.Time) []Event {
	if in.CallBack == "" {
		return nil
	}
	c.CallBack, c.CallBackUntil = in.CallBack, now.Add(CallBackKeep)
	return []Event{{CaseID: c.ID, At: now, Actor: System, Action: ActionCallBackOffered,
		Detail: "sealed number kept until " + c.CallBackUntil.Format(time.DateOnly)}}
}

// dropCallBack deletes the sealed number; why goes to the audit trail.
func dropCallBack(c *Case, now time.Time, why string) []Event {
	if c.CallBack == "" {
		return nil
	}
	c.CallBack, c.CallBackUntil, c.CallBackAttempts = "", time.Time{}, 0
	return []Event{{CaseID: c.ID, At: now, Actor: System, Action: ActionCallBackDeleted, Detail: why}}
}

// protectionCase reports whether only PSEA or protection officers may
// call the caller back.
func (s *Service) protectionCase(c Case) bool {
	if c.PSEAOnly || c.Category == config.SEA || c.CallerCategory == config.SEA {
		return true
	}
	t, _ := s.Config().Team(c.Team)
	return t.Kind == pseaKind || t.Kind == protectionKind
}

func (s *Service) callBackSettings(channel string) (config.CallBack, bool) {
	for _, ch := range s.Config().Channels {
		if ch.ID == channel && ch.Voice != nil && ch.Voice.CallBack != nil {
			return *ch.Voice.CallBack, true
		}
	}
	return config.CallBack{}, false
}

// RequestCallBack lets an officer of the case's team ask for a call-back:
// protection and PSEA cases only by officers of a PSEA or protection team,
// only at the channel's hours, at most callback.attempts calls to a caller
// who does not answer. It audits the request and returns the ticket the
// gateway dials with; it never sees the number.
func (s *Service) RequestCallBack(ctx context.Context, who Actor, id string) (CallBackTicket, error) {
	var t CallBackTicket
	now := s.time()
	_, err := s.store.Update(ctx, id, func(c *Case) ([]Event, error) {
		if who.ID == "" || !s.holds(who, *c) {
			return nil, ErrForbidden
		}
		if s.protectionCase(*c) {
			if team, _ := s.Config().Team(who.Team); team.Kind != pseaKind && team.Kind != protectionKind {
				return nil, ErrForbidden
			}
		}
		if c.CallBack == "" || !c.Open() || !now.Before(c.CallBackUntil) {
			return nil, ErrNoCallBack
		}
		cb, ok := s.callBackSettings(c.Channel)
		if !ok || !cb.Within(now) || (s.protectionCase(*c) && cb.Sensitive != nil && !*cb.Sensitive) {
			return nil, ErrCallBackUnavailable
		}
		if c.CallBackAttempts >= cb.MaxAttempts() {
			return nil, ErrCallBackExhausted
		}
		c.CallBackAttempts++
		c.UpdatedAt = now
		t = CallBackTicket{
			CaseID: c.ID, Reference: c.Reference, Channel: c.Channel, Language: c.Language,
			Sealed: c.CallBack, Officer: who.ID, Attempt: c.CallBackAttempts, MaxAttempts: cb.MaxAttempts(),
			AskSafe: c.Sensitive || s.protectionCase(*c),
		}
		return []Event{{CaseID: c.ID, At: now, Actor: who.ID, Action: ActionCallBackRequested,
			Detail: "attempt " + strconv.Itoa(t.Attempt) + " of " + strconv.Itoa(t.MaxAttempts)}}, nil
	})
	if err != nil {
		return CallBackTicket{}, fmt.Errorf("casework: call-back: %w", err)
	}
	return t, nil
}

// Call-back outcomes, as the gateway reports them.
const (
	CallBackConnected      = "connected"        // both talked; seconds is the bridged time
	CallBackOfficerMissed  = "officer_missed"   // the officer did not answer
	CallBackCallerMissed   = "caller_no_answer" // the caller did not answer
	CallBackCallerBusy     = "caller_busy"
	CallBackCallerDeclined = "caller_not_safe" // asked whether safe: did not press 1
	CallBackFailed         = "failed"          // the provider refused or failed the call
)

var callBackOutcomes = []string{CallBackConnected, CallBackOfficerMissed, CallBackCallerMissed, CallBackCallerBusy, CallBackCallerDeclined, CallBackFailed}

// CallBackOutcome audits how an attempt ended (actor system). A connected
// call resets the count of attempts; an officer who did not answer does
// not use up one of the caller's.
func (s *Service) CallBackOutcome(ctx context.Context, caseID string, attempt int, outcome string, seconds int) error {
	known := false
	for _, o := range callBackOutcomes {
		known = known || o == outcome
	}
	if !known || attempt < 1 || seconds < 0 {
		return fmt.Errorf("casework: call-back outcome: %w: unknown outcome or attempt", ErrInvalidIntake)
	}
	now := s.time()
	_, err := s.store.Update(ctx, caseID, func(c *Case) ([]Event, error) {
		detail := "attempt " + strconv.Itoa(attempt) + ": " + strings.ReplaceAll(outcome, "_", " ")
		if seconds > 0 {
			detail += ", " + strconv.Itoa(seconds) + " s"
		}
		switch outcome {
		case CallBackConnected:
			c.CallBackAttempts = 0
		case CallBackOfficerMissed, CallBackFailed:
			if c.CallBackAttempts > 0 && attempt == c.CallBackAttempts {
				c.CallBackAttempts--
			}
		}
		c.UpdatedAt = now
		return []Event{{CaseID: c.ID, At: now, Actor: System, Action: ActionCallBackOutcome, Detail: detail}}, nil
	})
	if err != nil {
		return fmt.Errorf("casework: call-back outcome: %w", err)
	}
	return nil
}

// ExpireCallBacks deletes every sealed call-back number past CallBackUntil
// (Run calls it with the deadline checks). It returns how many it deleted.
func (s *Service) ExpireCallBacks(ctx context.Context) (int, error) {
	now := s.time()
	n := 0
	err := s.store.Each(ctx, func(c Case) error {
		if c.CallBack == "" || now.Before(c.CallBackUntil) {
			return nil
		}
		_, err := s.store.Update(ctx, c.ID, func(c *Case) ([]Event, error) {
			if c.CallBack == "" || now.Before(c.CallBackUntil) {
				return nil, errUnchanged
			}
			c.UpdatedAt = now
			return dropCallBack(c, now, "kept "+CallBackKeep.String()+" at most"), nil
		})
		switch {
		case errors.Is(err, errUnchanged):
			return nil
		case err != nil:
			return fmt.Errorf("expire call-back of case %s: %w", c.ID, err)
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("casework: call-backs: %w", err)
	}
	return n, nil
}

// SetPhone records an officer's own phone for call-backs, sealed by the
// gateway's call-back key ("" deletes it), and audits the change (never
// the number).
func (a Accounts) SetPhone(ctx context.Context, actor, name, sealed string) error {
	u, err := a.Store.User(ctx, name)
	if err != nil {
		return err
	}
	if !u.Role.Casework() {
		return fmt.Errorf("%w: only officers are called for call-backs", ErrInvalidAccount)
	}
	u.Phone = sealed
	if sealed == "" { // nothing would ring: off the live-call roster too
		u.OnDuty, u.DutyLanguages, u.DutySince = false, nil, time.Time{}
	}
	if err := a.Store.PutUser(ctx, u); err != nil {
		return err
	}
	action := "phone_set"
	if sealed == "" {
		action = "phone_removed"
	}
	return a.audit(ctx, actor, action, name)
}
