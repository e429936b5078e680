package casework

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// AgreeCallBack records that the caller of callerKey agreed, after their
// complaint, to be called back (an SMS complaint's reply asks; they answer
// with the call-back keyword): their latest case, if it is still open,
// unpurged and no older than window, keeps the number seal returns for its
// ID (sealed by the gateway, bound to that case only) for CallBackKeep at
// most, like a call-back asked for on USSD or by voice. agreed is false,
// with no error, when there is no such case; a case that already holds a
// sealed number keeps it (a repeated keyword changes nothing).
func (s *Service) AgreeCallBack(ctx context.Context, callerKey string, window time.Duration, seal func(caseID string) string) (c Case, agreed bool, err error) {
	if callerKey == "" || seal == nil {
		return Case{}, false, fmt.Errorf("casework: call-back: %w: caller key and sealer are required", ErrInvalidIntake)
	}
	list, err := s.store.ByCallerKey(ctx, callerKey)
	if err != nil {
		return Case{}, false, fmt.Errorf("casework: call-back: %w", err)
	}
	if len(list) == 0 {
		return Case{}, false, nil
	}
	now := s.time()
	c, err = s.store.Update(ctx, list[len(list)-1].ID, func(c *Case) ([]Event, error) {
		switch {
		case !c.PurgedAt.IsZero() || c.Status == StatusResolved || c.Status == StatusClosed,
			now.Sub(c.CreatedAt) > window:
			return nil, errNoOpenCase
		case c.CallBack != "":
			return nil, errUnchanged
		}
		c.UpdatedAt = now
		return takeCallBack(c, Intake{CallBack: seal(c.ID)}, now), nil
	})
	switch {
	case errors.Is(err, errNoOpenCase):
		return Case{}, false, nil
	case errors.Is(err, errUnchanged):
		c, err = s.store.ByID(ctx, list[len(list)-1].ID)
		if err != nil {
			return Case{}, false, fmt.Errorf("casework: call-back: %w", err)
		}
		return c, true, nil
	case err != nil:
		return Case{}, false, fmt.Errorf("casework: call-back: %w", err)
	}
	return c, true, nil
}
