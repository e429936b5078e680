package scaleout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
)

// StatusReceived is the public status of a complaint that a gateway has
// queued and the casework node has not stored yet.
const StatusReceived casework.Status = "received"

// idemTTL is how long a gateway remembers which reference it gave for an
// idempotency key. Providers retry within seconds; the casework store
// dedupes for ever after that.
const idemTTL = 24 * time.Hour

// maxDraws bounds reference draws on collision (see boltstore).
const maxDraws = 100

// queueScript queues one complaint atomically: either everything is
// written (reference reserved with its public status, stream entry, idempotency
// key) or nothing is.
//
//	KEYS[1] idempotency key, KEYS[2] reference status hash, KEYS[3] stream
//	ARGV[1] reference, ARGV[2] intake JSON, ARGV[3] now (RFC 3339), ARGV[4] idempotency TTL (s),
//	ARGV[5] public status, ARGV[6] case ID, ARGV[7] PIN hash (both "" without PINs)
//	KEYS[4], ARGV[8] (only with Producer.Threads) the caller's SMS thread key and entry
//
// It returns {"dup", ref} when the key was queued before, {"taken", ""}
// when the reference belongs to another complaint, {"new", ref} otherwise.
// A repeat renews the idempotency key's TTL: that write, replicated after
// the first, lets WAIT on the repeat's connection vouch for the complaint
// too (a retry after ErrNotReplicated must not show the reference unless
// replicas now hold it).
var queueScript = redis.NewScript(`
local prev = redis.call('GET', KEYS[1])
if prev then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return {'dup', prev}
end
if redis.call('HSETNX', KEYS[2], 'status', ARGV[5]) == 0 then return {'taken', ''} end
redis.call('HSET', KEYS[2], 'updated', ARGV[3], 'id', ARGV[6], 'pin', ARGV[7])
redis.call('XADD', KEYS[3], '*', 'v', '1', 'ref', ARGV[1], 'intake', ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[8], 'EX', ARGV[4]) end
return {'new', ARGV[1]}
`)

// Producer is a gateway's way to hand complaints to casework through the
// Redis stream. It is safe for concurrent use.
type Producer struct {
	client *redis.Client
	ping   func(context.Context) error
	keys   keys
	// Now is the clock for the "received" status time; tests may replace it.
	Now func() time.Time
	// Replicas, when above 0, is how many replicas must hold a complaint
	// before its reference is shown (Redis WAIT, within ReplicaTimeout):
	// a failover to one of them then cannot lose it. Fewer acknowledgements
	// fail the submission with ErrNotReplicated; the caller hears the
	// apology, not a reference.
	Replicas       int
	ReplicaTimeout time.Duration
	// PINs, when set (the casework node's PIN keys), lets the gateway draw
	// the case ID and the PIN, show the PIN with the reference, and queue
	// only its keyed hash: the caller can then follow up on any gateway
	// (FollowUps). Without it no PIN is shown and no follow-up can succeed.
	PINs *casework.PINs
	// Threads, when set, makes every complaint queued, whatever its medium
	// (USSD, voice, SMS), remember its reference for the caller's later
	// SMS, in the same atomic step (SMSThreads): as where the cases are,
	// a caller's SMS then joins the case their call made.
	Threads bool
}

// ErrNotReplicated is returned (wrapped) by Submit when fewer than
// Replicas replicas acknowledged the complaint in time.
var ErrNotReplicated = errors.New("scaleout: complaint not acknowledged by enough Redis replicas")

// DefaultReplicaTimeout bounds the wait for replicas: well inside a USSD
// hop's time.
const DefaultReplicaTimeout = time.Second

// NewProducer queues on rdb under prefix.
func NewProducer(rdb *redis.Client, prefix string) *Producer {
	return &Producer{
		client:         rdb,
		ping:           func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		keys:           keys{prefix},
		Now:            time.Now,
		ReplicaTimeout: DefaultReplicaTimeout,
	}
}

// queue runs the queue script and, when Replicas is set, waits on the same
// connection (WAIT counts that connection's writes) for the replicas.
func (p *Producer) queue(ctx context.Context, keys []string, args ...any) ([]string, error) {
	return p.run(ctx, queueScript, keys, args...)
}

// run runs script and, when Replicas is set, waits on the same connection
// for the replicas to hold what it wrote.
func (p *Producer) run(ctx context.Context, script *redis.Script, keys []string, args ...any) ([]string, error) {
	if p.Replicas <= 0 {
		return script.Run(ctx, p.client, keys, args...).StringSlice()
	}
	conn := p.client.Conn()
	defer conn.Close()
	res, err := script.Run(ctx, conn, keys, args...).StringSlice()
	if err != nil {
		return nil, err
	}
	n, err := conn.Wait(ctx, p.Replicas, p.ReplicaTimeout).Result()
	if err != nil {
		return nil, fmt.Errorf("wait for replicas: %w", err)
	}
	if n < int64(p.Replicas) {
		return nil, fmt.Errorf("%w: %d of %d", ErrNotReplicated, n, p.Replicas)
	}
	return res, nil
}

// Submit validates in, reserves a fresh reference and appends the
// complaint to the stream, all in one atomic step, and returns once Redis
// has acknowledged it. A repeat with the same idempotency key returns the
// reference given the first time and queues nothing. An intake that
// already carries a Reference keeps it, or fails with ErrReferenceTaken.
// The receipt's case carries the reference and the intake's fields with
// StatusReceived; with PINs it also carries the case ID and, the first
// time only, the PIN to show.
func (p *Producer) Submit(ctx context.Context, in casework.Intake) (casework.Receipt, error) {
	now := p.Now()
	given := in.Reference != ""
	var pin string
	if p.PINs != nil {
		if in.ID == "" || in.PINHash != "" { // an ID alone was drawn for a sealed call-back number, bound to it
			in.ID = casework.NewID()
		}
		pin, in.PINHash = p.PINs.New(in.ID)
	}
	for range maxDraws {
		if !given {
			in.Reference = casework.NewReference()
		}
		if err := in.Validate(); err != nil {
			return casework.Receipt{}, fmt.Errorf("scaleout: submit: %w", err)
		}
		data, err := json.Marshal(in)
		if err != nil {
			return casework.Receipt{}, fmt.Errorf("scaleout: submit: encode intake: %w", err)
		}
		keys := []string{p.keys.idem(in.IdempotencyKey), p.keys.status(in.Reference), p.keys.stream()}
		args := []any{in.Reference, data, now.UTC().Format(time.RFC3339Nano), int(idemTTL / time.Second), string(StatusReceived),
			in.ID, in.PINHash}
		if p.Threads {
			th, err := json.Marshal(threadEntry{Reference: in.Reference, Language: in.Language, Created: now})
			if err != nil {
				return casework.Receipt{}, fmt.Errorf("scaleout: submit: encode thread: %w", err)
			}
			keys, args = append(keys, p.keys.thread(in.CallerKey)), append(args, th)
		}
		res, err := p.queue(ctx, keys, args...)
		if err != nil {
			return casework.Receipt{}, fmt.Errorf("scaleout: submit: queue: %w", err)
		}
		if len(res) != 2 {
			return casework.Receipt{}, fmt.Errorf("scaleout: submit: queue script returned %d values", len(res))
		}
		switch res[0] {
		case "new", "dup":
			c := casework.NewCase(in, "", res[1], now)
			c.Status = StatusReceived
			if res[0] == "dup" {
				// The first submission's PIN cannot be shown again (only
				// its hash exists), as in casework.Service.Submit.
				pin = ""
			} else {
				c.ID = in.ID
			}
			return casework.Receipt{Case: c, PIN: pin}, nil
		case "taken":
			if given {
				return casework.Receipt{}, fmt.Errorf("scaleout: submit: %w", casework.ErrReferenceTaken)
			}
		default:
			return casework.Receipt{}, fmt.Errorf("scaleout: submit: queue script returned %q", res[0])
		}
	}
	return casework.Receipt{}, fmt.Errorf("scaleout: submit: no free reference after %d draws", maxDraws)
}

// Check reports whether Redis answers (for /readyz).
func (p *Producer) Check(ctx context.Context) error {
	if err := p.ping(ctx); err != nil {
		return fmt.Errorf("scaleout: redis: %w", err)
	}
	return nil
}
