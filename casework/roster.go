package casework

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/numerovert/hotline/config"
)

// The on-duty roster and live calls (issue #16, "talk to a person"). An
// officer marks themself on duty, with the languages they take calls in,
// from their profile; their team's supervisor or an admin may set others.
// Every change is in the accounts' audit trail (who, when, languages). A
// caller may talk to a person only while an officer on duty, with a phone
// for calls, speaks their language and their team is within its office
// hours (config office_hours). Each live call opens a short case assigned
// to the officer who takes it, so they can write notes; casework never
// sees either number: the officer's phone stays sealed by the gateway.

// Errors of SetDuty and LiveDesk, wrapped.
var (
	// ErrNoPhone: an officer with no phone for calls cannot be on duty.
	ErrNoPhone = errors.New("casework: no phone on the account for calls")
	// ErrNobodyOnDuty: no officer can take a live call now.
	ErrNobodyOnDuty = errors.New("casework: nobody on duty")
)

// Live call outcomes, as the gateway reports them.
const (
	LiveConnected     = "connected"      // the officer answered; seconds talked
	LiveOfficerMissed = "officer_missed" // no answer: the caller was offered a voice message
	LiveOfficerBusy   = "officer_busy"
	LiveFailed        = "failed"
)

var liveOutcomes = []string{LiveConnected, LiveOfficerMissed, LiveOfficerBusy, LiveFailed}

// Live call actions of the case audit.
const (
	ActionLiveCall    = "live_call"
	ActionLiveOutcome = "live_outcome"
)

var dutyLang = regexp.MustCompile(`^[a-z]{2,3}$`)

// MayRoster reports whether by may put target on or off duty:
// themself, their team's supervisor (role or config), or an admin.
func (a Accounts) MayRoster(by User, target User) bool {
	switch {
	case by.Disabled:
		return false
	case by.Name == target.Name, by.Role == RoleAdmin:
		return true
	case by.Role == RoleSupervisor && by.Team == target.Team:
		return true
	}
	t, _ := a.Config.Team(target.Team)
	return t.Supervisor != "" && t.Supervisor == by.Name
}

// SetDuty puts an officer on duty for live calls in langs, or off duty,
// and audits it. An officer on duty needs a phone on their account.
func (a Accounts) SetDuty(ctx context.Context, by User, name string, on bool, langs []string) error {
	u, err := a.Store.User(ctx, name)
	if err != nil {
		return err
	}
	switch {
	case !u.Role.Casework() || u.Disabled:
		return fmt.Errorf("%w: only active officers take live calls", ErrInvalidAccount)
	case !a.MayRoster(by, u):
		return ErrForbidden
	}
	if !on {
		u.OnDuty, u.DutyLanguages, u.DutySince = false, nil, time.Time{}
		if err := a.Store.PutUser(ctx, u); err != nil {
			return err
		}
		return a.Store.AddAdminEvent(ctx, AdminEvent{At: a.now(), Actor: by.Name, Action: "duty_off", Target: name})
	}
	var clean []string
	for _, l := range langs {
		if l = strings.TrimSpace(l); dutyLang.MatchString(l) && !slices.Contains(clean, l) {
			clean = append(clean, l)
		}
	}
	switch {
	case len(clean) == 0:
		return fmt.Errorf("%w: name the languages the officer takes calls in", ErrInvalidAccount)
	case u.Phone == "":
		return ErrNoPhone
	}
	slices.Sort(clean)
	u.OnDuty, u.DutyLanguages, u.DutySince = true, clean, a.now()
	if err := a.Store.PutUser(ctx, u); err != nil {
		return err
	}
	return a.Store.AddAdminEvent(ctx, AdminEvent{At: a.now(), Actor: by.Name, Action: "duty_on", Target: name,
		Detail: strings.Join(clean, ", ")})
}

// RosterTeam is one team on the roster page: whether it is within its
// office hours now, and its officers with their duty.
type RosterTeam struct {
	Team     config.Team
	Open     bool
	Officers []User
}

// Roster lists every team of cfg with its case-working users, at now.
func Roster(ctx context.Context, users UserStore, cfg *config.Config, now time.Time) ([]RosterTeam, error) {
	all, err := users.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("casework: roster: %w", err)
	}
	out := make([]RosterTeam, 0, len(cfg.Teams))
	for _, t := range cfg.Teams {
		rt := RosterTeam{Team: t, Open: t.OfficeHours.Open(now)}
		for _, u := range all {
			if u.Team == t.ID && u.Role.Casework() && !u.Disabled {
				rt.Officers = append(rt.Officers, u)
			}
		}
		out = append(out, rt)
	}
	return out, nil
}

// LiveDesk answers the gateway's live calls: who can take one, the case
// it opens, and how it ended.
type LiveDesk struct {
	Cases *Service
	Users UserStore
}

// LiveTicket is what the gateway needs to bridge one live call.
type LiveTicket struct {
	CaseID, Reference string
	Officer           string // login name
	// Phone is the officer's own phone, sealed by the gateway's
	// call-back key for their account; casework cannot open it.
	Phone string
}

// onDuty lists the officers who can take a call in lang now: on duty,
// active, with a phone, speaking lang, in a team of an allowed kind within
// its office hours, whose team keep takes (keep is told whether the team is
// of PSEA focal points).
func (d LiveDesk) onDuty(ctx context.Context, lang string, keep func(pseaTeam bool) bool) ([]User, error) {
	all, err := d.Users.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("casework: live: %w", err)
	}
	cfg, now := d.Cases.Config(), d.Cases.time()
	var out []User
	for _, u := range all {
		if !u.OnDuty || u.Disabled || u.Phone == "" || !u.Role.Casework() || !slices.Contains(u.DutyLanguages, lang) {
			continue
		}
		t, ok := cfg.Team(u.Team)
		if !ok || !t.OfficeHours.Open(now) || !keep(t.Kind == pseaKind) {
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

// Available reports whether someone can take a live call in lang now
// (any topic: a sexual abuse call finds no PSEA focal point on duty is
// offered the voice message instead).
func (d LiveDesk) Available(ctx context.Context, lang string) bool {
	// One read of the accounts: this runs on every step of a call.
	us, err := d.onDuty(ctx, lang, func(bool) bool { return true })
	return err == nil && len(us) > 0
}

// Open picks an officer on duty for the call (at random among those who
// can take it, so calls spread) and opens its case, assigned to them in
// their team: category from in (uncoded, or sea for a PSEA focal point
// only), idempotent on in.IdempotencyKey.
func (d LiveDesk) Open(ctx context.Context, in Intake) (LiveTicket, error) {
	s := d.Cases
	sea := in.Category == config.SEA
	officers, err := d.onDuty(ctx, in.Language, func(pseaTeam bool) bool { return pseaTeam == sea })
	if err != nil {
		return LiveTicket{}, err
	}
	if len(officers) == 0 {
		return LiveTicket{}, ErrNobodyOnDuty
	}
	if err := in.Validate(); err != nil {
		return LiveTicket{}, fmt.Errorf("casework: live: %w", err)
	}
	o := officers[rand.IntN(len(officers))]
	now := s.time()
	c := NewCase(in, NewID(), "", now)
	c.Team, c.Rule = o.Team, "live call: on-duty officer of "+o.Team
	s.applyCategory(&c)
	_, c.PINHash = s.pins.New(c.ID) // no PIN is told: the officer speaks to the caller
	c.Status, c.Officer, c.UpdatedAt = StatusAssigned, o.Name, now
	events := []Event{
		{CaseID: c.ID, At: now, Actor: System, Action: ActionCreated, Detail: "medium " + c.Medium + ", category " + c.Category},
		{CaseID: c.ID, At: now, Actor: System, Action: ActionRouted, Detail: c.Rule},
		{CaseID: c.ID, At: now, Actor: System, Action: ActionLiveCall, Detail: "bridged to " + o.Name + ", in " + in.Language},
	}
	stored, _, err := s.store.Create(ctx, in.IdempotencyKey, c, events)
	if err != nil {
		return LiveTicket{}, fmt.Errorf("casework: live: %w", err)
	}
	s.onChange(stored)
	return LiveTicket{CaseID: stored.ID, Reference: stored.Reference, Officer: stored.Officer, Phone: o.Phone}, nil
}

// Outcome audits how a live call ended (actor system).
func (d LiveDesk) Outcome(ctx context.Context, caseID, outcome string, seconds int) error {
	if !slices.Contains(liveOutcomes, outcome) || seconds < 0 {
		return fmt.Errorf("casework: live outcome: %w: unknown outcome", ErrInvalidIntake)
	}
	now := d.Cases.time()
	_, err := d.Cases.store.Update(ctx, caseID, func(c *Case) ([]Event, error) {
		detail := strings.ReplaceAll(outcome, "_", " ")
		if seconds > 0 {
			detail += fmt.Sprintf(", %d s", seconds)
		}
		if outcome != LiveConnected {
			detail += "; the caller was offered a voice message"
		}
		c.UpdatedAt = now
		return []Event{{CaseID: c.ID, At: now, Actor: System, Action: ActionLiveOutcome, Detail: detail}}, nil
	})
	if err != nil {
		return fmt.Errorf("casework: live outcome: %w", err)
	}
	return nil
}
