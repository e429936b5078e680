package casework

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// overdue names the deadline a case has missed ("acknowledge" or
// "resolve"), or "" if none.
func overdue(c Case, now time.Time) string {
	switch {
	case !c.PurgedAt.IsZero():
		return ""
	case c.Status == StatusNew && now.After(c.AcknowledgeBy):
		return "acknowledge"
	case (c.Status == StatusNew || c.Status == StatusAssigned || c.Status == StatusInProgress) && now.After(c.ResolveBy):
		return "resolve"
	}
	return ""
}

// dueEscalations reports which deadlines a case has missed without having
// been escalated for them yet.
func dueEscalations(c Case, now time.Time) (ack, resolve bool) {
	if !c.PurgedAt.IsZero() {
		return false, false
	}
	working := c.Status == StatusNew || c.Status == StatusAssigned || c.Status == StatusInProgress
	ack = c.Status == StatusNew && now.After(c.AcknowledgeBy) && !c.AckEscalated
	resolve = working && now.After(c.ResolveBy) && !c.ResolveEscalated
	return ack, resolve
}

// CheckDeadlines flags every case past a deadline it has not yet been
// escalated for and escalates it to its team's supervisor, writing both to
// the audit trail. Each deadline is escalated once (a reopened case gets a
// fresh resolve deadline). It returns how many escalations it made.
func (s *Service) CheckDeadlines(ctx context.Context) (int, error) {
	now := s.time()
	n, late := 0, 0
	err := s.store.Each(ctx, func(c Case) error {
		if overdue(c, now) != "" {
			late++
		}
		if ack, resolve := dueEscalations(c, now); !ack && !resolve {
			return nil
		}
		_, err := s.store.Update(ctx, c.ID, func(c *Case) ([]Event, error) {
			var events []Event
			supervisor := "(team not in config)"
			if t, ok := s.Config().Team(c.Team); ok {
				supervisor = t.Supervisor
			}
			escalate := func(deadline string, by time.Time) {
				events = append(events,
					Event{CaseID: c.ID, At: now, Actor: System, Action: ActionOverdue, Detail: deadline + " by " + by.Format(time.RFC3339)},
					Event{CaseID: c.ID, At: now, Actor: System, Action: ActionEscalated, Detail: "to supervisor " + supervisor + " of team " + c.Team})
			}
			ack, resolve := dueEscalations(*c, now)
			if ack {
				c.AckEscalated = true
				escalate("acknowledge", c.AcknowledgeBy)
			}
			if resolve {
				c.ResolveEscalated = true
				escalate("resolve", c.ResolveBy)
			}
			if len(events) == 0 {
				return nil, errUnchanged
			}
			c.UpdatedAt = now
			return events, nil
		})
		switch {
		case errors.Is(err, errUnchanged):
			return nil
		case err != nil:
			return fmt.Errorf("escalate case %s: %w", c.ID, err)
		}
		n++
		s.log.Warn("case overdue: escalated to the team's supervisor", "case", c.ID, "team", c.Team)
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("casework: deadlines: %w", err)
	}
	s.overdueNow.Store(int64(late))
	return n, nil
}

// Overdue is how many cases were past a deadline when CheckDeadlines last
// ran, and false before it has run. A count for operators (/metrics),
// across all teams: it names no case.
func (s *Service) Overdue() (int, bool) {
	n := s.overdueNow.Load()
	return int(n), n >= 0
}

// Purge applies retention: closed cases past their category's retention
// period (counted from closing) lose their free text, notes, response,
// sealed contact, PIN hash, caller key and voice message (deleted from the
// recordings store; the provider's own copy is not: see docs/operations.md). What remains is anonymous
// aggregate fields (category, coding, place, assistance, language,
// channel, team, dates, status). It returns how many cases it purged.
func (s *Service) Purge(ctx context.Context) (int, error) {
	now := s.time()
	n := 0
	due := func(c *Case) bool {
		return c.Status == StatusClosed && c.PurgedAt.IsZero() && !now.Before(c.ClosedAt.Add(s.retention(c.Category)))
	}
	err := s.store.Each(ctx, func(c Case) error {
		if !due(&c) {
			return nil
		}
		// The voice message goes first: if deleting it fails, the case
		// stays due and the next run tries again.
		for _, id := range []string{c.Recording, c.SpokenAnswer} {
			if id != "" && s.records != nil {
				if err := s.records.Delete(ctx, id); err != nil {
					return fmt.Errorf("purge case %s: recording: %w", c.ID, err)
				}
			}
		}
		purged, err := s.store.Update(ctx, c.ID, func(c *Case) ([]Event, error) {
			if !due(c) {
				return nil, errUnchanged
			}
			c.Detail, c.Contact, c.CallerKey, c.PINHash, c.Recording, c.SpokenAnswer = "", "", "", "", "", ""
			c.CallBack, c.CallBackUntil, c.CallBackAttempts = "", time.Time{}, 0
			c.Notes, c.Response, c.Appended = nil, nil, nil
			c.PurgedAt, c.UpdatedAt = now, now
			return []Event{{CaseID: c.ID, At: now, Actor: System, Action: ActionPurged,
				Detail: "retention " + s.retention(c.Category).String() + " after closing"}}, nil
		})
		switch {
		case errors.Is(err, errUnchanged):
			return nil
		case err != nil:
			return fmt.Errorf("purge case %s: %w", c.ID, err)
		}
		s.onChange(purged)
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("casework: purge: %w", err)
	}
	return n, nil
}

// Run checks deadlines and retention now and then every interval until
// ctx ends. Failures are logged and retried at the next tick.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.CheckDeadlines(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("deadline check failed", "err", err)
		}
		if _, err := s.Purge(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("retention purge failed", "err", err)
		}
		if _, err := s.ExpireCallBacks(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("call-back expiry failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
