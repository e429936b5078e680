package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/numerovert/hotline/config"
)

// ActionReferred is the audit action of a referral: the officer recorded
// that the caller was referred to a service of the directory.
const ActionReferred = "referred"

// Refer records that the caller was referred to service, an id of the
// configuration's referral directory (config `referrals:`): the case page
// offers the services nearest the case's place, the ones the caller heard
// at the end of their report. Only directory ids are taken, so the audit
// trail names a public service and never anything a person typed; a
// referral elsewhere is written in a note. Referring twice to one service
// adds no second entry.
func (s *Service) Refer(ctx context.Context, who Actor, id, service string) (Case, error) {
	if !slices.ContainsFunc(s.Config().Referrals, func(r config.Referral) bool { return r.ID == service }) {
		return Case{}, errors.New("casework: refer: not a service of the referral directory")
	}
	return s.change(ctx, who, id, "refer", func(c *Case, _ time.Time) ([]Event, error) {
		if c.Status == StatusClosed {
			return nil, fmt.Errorf("%w: reopen a closed case to refer the caller", ErrInvalidTransition)
		}
		if slices.Contains(c.ReferredTo, service) {
			return nil, nil
		}
		c.ReferredTo = append(c.ReferredTo, service)
		return []Event{{Action: ActionReferred, Detail: "to " + service}}, nil
	})
}
