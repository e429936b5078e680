package scaleout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
)

// entryAppend marks an intake stream entry that adds a caller's later SMS
// to a case instead of making one (field "kind"; absent means a complaint).
const entryAppend = "append"

// thread hides the caller key (a keyed hash already) from key names, as
// idem does for idempotency keys.
func (k keys) thread(callerKey string) string {
	sum := sha256.Sum256([]byte(callerKey))
	return k.prefix + "sms:thread:" + hex.EncodeToString(sum[:16])
}

// appendScript queues one later message atomically, once per idempotency
// key.
//
//	KEYS[1] idempotency key, KEYS[2] stream
//	ARGV[1] reference, ARGV[2] intake JSON, ARGV[3] idempotency TTL (s)
//
// A retry returns {"dup", ref} with the reference the first delivery got,
// whether it was queued as a complaint or as an append.
var appendScript = redis.NewScript(`
local prev = redis.call('GET', KEYS[1])
if prev then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return {'dup', prev}
end
redis.call('XADD', KEYS[2], '*', 'v', '1', 'kind', 'append', 'ref', ARGV[1], 'intake', ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return {'new', ARGV[1]}
`)

// threadEntry is what a gateway remembers of a caller's last SMS case,
// for as long as later messages may join it.
type threadEntry struct {
	Reference string    `json:"ref"`
	Language  string    `json:"lang"`
	Created   time.Time `json:"at"`
}

// SMSThreads lets an SMS on a gateway replica join the caller's open case
// of the last window, as it does where the cases are
// (casework.Service.AppendToOpenCase, which takes the caller's newest case
// whatever its medium): a caller who writes their story in three messages,
// or who calls and then texts what they forgot, makes one case with one
// reference. A gateway has no case store, so its Producer remembers, for
// the window only, which reference the caller's last complaint got
// (Producer.Threads: a key named by a hash of the caller key, holding the
// reference, language and time: never a number or text), and each later
// message is queued as an append entry naming that reference. The casework
// node adds it to the case (casework.Service.AppendToCase) or, when the
// case was closed meanwhile or is full, stores it as a case of its own
// (Consumer).
type SMSThreads struct {
	*Producer
}

// NewSMSThreads submits and appends through p, and sets p.Threads: every
// complaint p queues, by any channel, can then be joined by a later SMS.
// Give the same Producer to USSD and voice.
func NewSMSThreads(p *Producer) *SMSThreads {
	p.Threads = true
	return &SMSThreads{Producer: p}
}

// Join queues the SMS complaint in to join its caller's SMS case of the
// last window, when that case's public status says it is still being
// handled; joined is false (no error) when there is none, and in should be
// submitted instead. The returned case carries the reference and language
// only. The entry carries all of in, so that the casework node can store
// it as a case of its own if the case was closed meanwhile.
func (t *SMSThreads) Join(ctx context.Context, in casework.Intake, window time.Duration) (c casework.Case, joined bool, err error) {
	raw, err := t.client.Get(ctx, t.keys.thread(in.CallerKey)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return casework.Case{}, false, nil
	case err != nil:
		return casework.Case{}, false, fmt.Errorf("scaleout: sms thread: %w", err)
	}
	var th threadEntry
	if json.Unmarshal(raw, &th) != nil || t.Now().Sub(th.Created) > window {
		return casework.Case{}, false, nil
	}
	switch status, err := t.client.HGet(ctx, t.keys.status(th.Reference), "status").Result(); {
	case errors.Is(err, redis.Nil):
		return casework.Case{}, false, nil // purged or never stored
	case err != nil:
		return casework.Case{}, false, fmt.Errorf("scaleout: sms thread: %w", err)
	case casework.Status(status) == casework.StatusResolved || casework.Status(status) == casework.StatusClosed:
		return casework.Case{}, false, nil
	}
	in.Reference, in.ID, in.PINHash = th.Reference, "", ""
	if err := in.Validate(); err != nil {
		return casework.Case{}, false, fmt.Errorf("scaleout: sms thread: %w", err)
	}
	data, err := json.Marshal(in)
	if err != nil {
		return casework.Case{}, false, fmt.Errorf("scaleout: sms thread: encode: %w", err)
	}
	res, err := t.run(ctx, appendScript, []string{t.keys.idem(in.IdempotencyKey), t.keys.stream()}, th.Reference, data, int(idemTTL/time.Second))
	if err != nil {
		return casework.Case{}, false, fmt.Errorf("scaleout: sms thread: queue: %w", err)
	}
	if len(res) != 2 {
		return casework.Case{}, false, fmt.Errorf("scaleout: sms thread: append script returned %d values", len(res))
	}
	return casework.Case{Reference: res[1], Language: th.Language}, true, nil
}
