package casework

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// PublicStatus is what a caller is told about their case: coarser than
// Status, and never who handles it.
type PublicStatus string

// Public statuses.
const (
	PublicReceived   PublicStatus = "received"    // new or assigned
	PublicInProgress PublicStatus = "in_progress" // being looked into
	PublicAnswered   PublicStatus = "answered"    // resolved: Response holds the answer
	PublicClosed     PublicStatus = "closed"
)

// Answer is what "follow my complaint" tells a caller.
type Answer struct {
	Reference string
	Status    PublicStatus
	// Response is the team's answer in Language: the case's language when
	// the team wrote one in it, else another it wrote. Empty until the
	// case is resolved.
	Response string
	Language string
	// AnswerBy is when an answer is due, while none is given.
	AnswerBy time.Time
	// Spoken is the recordings store's id of the team's spoken answer,
	// once the case is answered (a voice follow-up plays it instead of
	// reading Response by text-to-speech).
	Spoken string `json:",omitempty"`
}

// Follow-up outcomes other than an answer. Neither says whether a
// reference exists; callers answer both with the same neutral reply.
var (
	// ErrNoMatch is the one neutral answer for a missing or unknown
	// reference, a missing or wrong PIN and a purged case alike.
	ErrNoMatch = errors.New("casework: no case matches this reference and PIN")
	// ErrTooManyAttempts: too many wrong PINs from this phone or for this
	// reference; try again later. Unknown references are counted too.
	ErrTooManyAttempts = errors.New("casework: too many attempts")
)

// FollowUp answers a caller asking what happened to their complaint. The
// reference and the 4-digit PIN are always needed, from every phone, the
// one that made the complaint included: phones are shared and borrowed,
// and holding one must not be enough to learn that its owner complained.
// callerKeys are the caller's keys under every key version still held
// (rotation), used only to count wrong attempts, which are limited per
// caller key and per reference. Every failure is ErrNoMatch (or
// ErrTooManyAttempts) whether or not the reference exists; a request
// without a reference or a PIN is refused before anything is looked up.
func (s *Service) FollowUp(ctx context.Context, callerKeys []string, reference, pin string) (Answer, error) {
	q, ok := ParseFollowUp(callerKeys, reference, pin)
	if !ok {
		return Answer{}, ErrNoMatch
	}
	ref, subjects := q.Reference, q.Subjects
	var c Case
	found := false
	if q.Valid {
		var err error
		c, err = s.store.ByReference(ctx, ref)
		switch {
		case err == nil:
			found = c.PurgedAt.IsZero()
		case !errors.Is(err, ErrNotFound):
			return Answer{}, fmt.Errorf("casework: follow-up: %w", err)
		}
	}
	now := s.time()
	if s.limiter.blocked(now, subjects...) {
		return Answer{}, ErrTooManyAttempts
	}
	id := c.ID
	if !found {
		id = "" // still hash, so timing does not tell
	}
	if !s.pins.Check(id, pin, c.PINHash) || !found {
		s.limiter.fail(now, subjects...)
		return Answer{}, ErrNoMatch
	}
	return Public(c), nil
}

// FollowUpQuery is a follow-up request as every answerer reads it: the
// reference normalised ("invalid" when it is not one), and the subjects
// its wrong attempts are counted against (the reference and each caller
// key).
type FollowUpQuery struct {
	Reference string
	Valid     bool
	Subjects  []string
}

// ParseFollowUp reads a follow-up request; ok is false without a
// reference or a PIN, which is refused before anything is looked up or
// counted. Service.FollowUp and the scale-out gateways' follow-up use it,
// so both count attempts against the same subjects.
func ParseFollowUp(callerKeys []string, reference, pin string) (q FollowUpQuery, ok bool) {
	if strings.TrimSpace(reference) == "" || strings.TrimSpace(pin) == "" {
		return FollowUpQuery{}, false
	}
	q.Reference, q.Valid = ParseReference(reference)
	if !q.Valid {
		q.Reference = "invalid"
	}
	q.Subjects = []string{"ref:" + q.Reference}
	for _, k := range callerKeys {
		if k != "" {
			q.Subjects = append(q.Subjects, "caller:"+k)
		}
	}
	return q, true
}

// Public is what a caller may learn about c: its public status, the
// team's response in the caller's language (else another one written),
// and when an answer is due. Follow-up answers with it, and a gateway
// replica reads it from the Redis mirror.
func Public(c Case) Answer {
	a := Answer{Reference: c.Reference}
	switch c.Status {
	case StatusNew, StatusAssigned:
		a.Status = PublicReceived
	case StatusInProgress:
		a.Status = PublicInProgress
	case StatusResolved:
		a.Status = PublicAnswered
	default:
		a.Status = PublicClosed
	}
	if text, ok := c.Response[c.Language]; ok {
		a.Response, a.Language = text, c.Language
	} else if langs := slices.Sorted(maps.Keys(c.Response)); len(langs) > 0 {
		a.Response, a.Language = c.Response[langs[0]], langs[0]
	}
	if a.Response == "" && c.Open() {
		a.AnswerBy = c.ResolveBy
	}
	if a.Response != "" {
		a.Spoken = c.SpokenAnswer
	}
	return a
}
