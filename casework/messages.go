package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ActionMessageAdded records a caller's later message joining their case.
const ActionMessageAdded = "message_added"

// MessageSeparator goes between a case's detail and each later message.
const MessageSeparator = "\n---\n"

// errNoOpenCase ends an append that found nothing to append to.
var errNoOpenCase = errors.New("no open case")

// AppendToOpenCase adds text to callerKey's newest case when it is still
// being handled (not resolved or closed) and was made within window, so
// that a caller who writes twice about one thing makes one case. It is
// idempotent on key: a provider's retry never adds the text twice.
//
// appended is false, with no error, when there is no such case or the
// detail would grow past MaxDetailBytes: the caller's message then opens a
// case of its own.
func (s *Service) AppendToOpenCase(ctx context.Context, callerKey string, window time.Duration, key, text string) (c Case, appended bool, err error) {
	if err := validateAppend(callerKey, key, text); err != nil {
		return Case{}, false, err
	}
	list, err := s.store.ByCallerKey(ctx, callerKey)
	if err != nil {
		return Case{}, false, fmt.Errorf("casework: append: %w", err)
	}
	if len(list) == 0 {
		return Case{}, false, nil
	}
	return s.appendTo(ctx, list[len(list)-1].ID, window, key, text)
}

// AppendToCase adds text to the case with reference ref, on the same
// terms as AppendToOpenCase, when that case belongs to callerKey: a
// gateway replica, which has no case store, names the case it told the
// caller their message joined (scaleout.SMSThreads). appended is false,
// with no error, when the case is not found, is another caller's, is
// resolved, closed or purged, is older than window or is full: the
// message must then become a case of its own.
func (s *Service) AppendToCase(ctx context.Context, ref, callerKey string, window time.Duration, key, text string) (c Case, appended bool, err error) {
	if err := validateAppend(callerKey, key, text); err != nil {
		return Case{}, false, err
	}
	c, err = s.store.ByReference(ctx, ref)
	switch {
	case errors.Is(err, ErrNotFound):
		return Case{}, false, nil
	case err != nil:
		return Case{}, false, fmt.Errorf("casework: append: %w", err)
	case c.CallerKey != callerKey:
		return Case{}, false, nil
	}
	return s.appendTo(ctx, c.ID, window, key, text)
}

func validateAppend(callerKey, key, text string) error {
	switch {
	case callerKey == "" || key == "" || len(key) > MaxIdempotencyKeyBytes:
		return fmt.Errorf("casework: append: %w: caller key and idempotency key are required", ErrInvalidIntake)
	case strings.TrimSpace(text) == "" || !utf8.ValidString(text):
		return fmt.Errorf("casework: append: %w: text is empty or not UTF-8", ErrInvalidIntake)
	}
	return nil
}

// appendTo adds text to case id once per key, when the case is still open,
// within window and not full.
func (s *Service) appendTo(ctx context.Context, id string, window time.Duration, key, text string) (c Case, appended bool, err error) {
	now := s.time()
	c, err = s.store.Update(ctx, id, func(c *Case) ([]Event, error) {
		switch {
		case slices.Contains(c.Appended, key):
			return nil, errUnchanged
		case !c.PurgedAt.IsZero() || c.Status == StatusResolved || c.Status == StatusClosed,
			now.Sub(c.CreatedAt) > window,
			len(c.Detail)+len(MessageSeparator)+len(text) > MaxDetailBytes:
			return nil, errNoOpenCase
		}
		if c.Detail == "" {
			c.Detail = text
		} else {
			c.Detail += MessageSeparator + text
		}
		c.Appended = append(c.Appended, key)
		c.UpdatedAt = now
		return []Event{{CaseID: c.ID, At: now, Actor: System, Action: ActionMessageAdded}}, nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		c, err = s.store.ByID(ctx, id)
		if err != nil {
			return Case{}, false, fmt.Errorf("casework: append: %w", err)
		}
		return c, true, nil
	case errors.Is(err, errNoOpenCase):
		return Case{}, false, nil
	case err != nil:
		return Case{}, false, fmt.Errorf("casework: append: %w", err)
	}
	return c, true, nil
}
