package scaleout

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
)

// FollowUps answers follow-ups on any gateway from the status mirror: the
// reference and the PIN are needed, as with casework.Service.FollowUp,
// and wrong attempts are counted in Redis, so the limit holds across all
// gateways (per reference and per caller key, in a sliding window). It
// answers an unknown reference, a wrong PIN and a purged case alike
// (casework.ErrNoMatch). It implements gateway.FollowUpper.
type FollowUps struct {
	rdb    redis.Scripter
	mirror *Mirror
	pins   *casework.PINs
	keys   keys
	// Max wrong attempts per subject in Window (casework's defaults).
	Max    int
	Window time.Duration
	Now    func() time.Time
}

// NewFollowUps answers from the mirror under prefix, checking PINs with pins.
func NewFollowUps(rdb *redis.Client, prefix string, pins *casework.PINs) *FollowUps {
	return &FollowUps{
		rdb: rdb, mirror: NewMirror(rdb, prefix), pins: pins, keys: keys{prefix},
		Max: casework.DefaultMaxAttempts, Window: casework.DefaultAttemptWindow, Now: time.Now,
	}
}

// attemptsScript checks, and on a wrong PIN charges, sliding-window
// counters (sorted sets of attempt times).
//
//	KEYS  one counter per subject
//	ARGV[1] now (ms), ARGV[2] window (ms), ARGV[3] max, ARGV[4] "check" or "fail", ARGV[5] unique member
//
// "check" returns 1 when any subject has used up its attempts; "fail"
// charges every subject and returns 0.
var attemptsScript = redis.NewScript(`
local now, window, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for _, k in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now - window)
  if ARGV[4] == 'check' then
    if redis.call('ZCARD', k) >= max then return 1 end
  else
    redis.call('ZADD', k, now, ARGV[5])
    redis.call('PEXPIRE', k, window)
  end
end
return 0
`)

// attemptKeys are the Redis keys of the subjects' counters: hashes, so
// that Redis holds no reference and no caller key in a key name.
func (f *FollowUps) attemptKeys(subjects []string) []string {
	out := make([]string, len(subjects))
	for i, s := range subjects {
		sum := sha256.Sum256([]byte("followup\x00" + s))
		out[i] = f.keys.prefix + "fu:" + hex.EncodeToString(sum[:16])
	}
	return out
}

func (f *FollowUps) attempts(ctx context.Context, op string, subjects []string) (bool, error) {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	now := f.Now()
	n, err := attemptsScript.Run(ctx, f.rdb, f.attemptKeys(subjects),
		now.UnixMilli(), f.Window.Milliseconds(), f.Max, op,
		fmt.Sprintf("%d-%x", now.UnixNano(), nonce)).Int()
	if err != nil {
		return false, fmt.Errorf("scaleout: follow-up attempts: %w", err)
	}
	return n == 1, nil
}

// FollowUp answers a caller who gave reference and pin; callerKeys are
// their keys under every key version held, used only to count attempts.
func (f *FollowUps) FollowUp(ctx context.Context, callerKeys []string, reference, pin string) (casework.Answer, error) {
	q, ok := casework.ParseFollowUp(callerKeys, reference, pin)
	if !ok {
		return casework.Answer{}, casework.ErrNoMatch
	}
	ref, subjects := q.Reference, q.Subjects
	if blocked, err := f.attempts(ctx, "check", subjects); err != nil {
		return casework.Answer{}, err
	} else if blocked {
		return casework.Answer{}, casework.ErrTooManyAttempts
	}
	var ps PublicStatus
	if q.Valid {
		var err error
		if ps, err = f.mirror.Lookup(ctx, ref); err != nil && !errors.Is(err, casework.ErrNotFound) {
			return casework.Answer{}, fmt.Errorf("scaleout: follow-up: %w", err)
		}
	}
	// Check even without a case, so timing does not tell.
	if !f.pins.Check(ps.ID, pin, ps.PINHash) || ps.PINHash == "" {
		if _, err := f.attempts(ctx, "fail", subjects); err != nil {
			return casework.Answer{}, err
		}
		return casework.Answer{}, casework.ErrNoMatch
	}
	return answerOf(ref, ps), nil
}

// answerOf is what a caller may learn from a mirrored status, by the same
// rules as casework.Public.
func answerOf(ref string, ps PublicStatus) casework.Answer {
	c := casework.Case{Reference: ref, Status: ps.Status, Language: ps.Language, ResolveBy: ps.AnswerBy}
	if c.Status == StatusReceived { // queued, not stored yet
		c.Status = casework.StatusNew
	}
	if ps.Response != "" {
		c.Response = map[string]string{ps.Language: ps.Response}
	}
	return casework.Public(c)
}
