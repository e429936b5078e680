package scaleout

import (
	"context"
	"crypto/sha1" // names a key as Lua's redis.sha1hex does; it protects no secret
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/outbox"
)

// Outbox is the SMS outbox of gateway replicas, in Redis: any gateway
// takes an inbound message once (the dedupe marks are shared), queues its
// reply sealed with the outbox key (AES-256-GCM, the same format as the
// bbolt outbox), and each reply is sent by one gateway at a time: Due
// leases the records it returns for Lease, so the other gateways' workers
// skip them. A gateway that dies mid-send leaves its lease to run out and
// another sends the message again, under the same outbox id (the
// providers' idempotency key).
//
// Keys hold the prefix and a fixed name, an outbox id (a hash of the
// channel and the provider's message id), or a SHA-1 of a channel id and
// a provider id; never a number. Every record expires with its window
// (24 h) even if no worker runs; marks expire after the dedupe period.
// The scripts name keys they derive from ids, so this needs one Redis
// (or Sentinel), not Redis Cluster.
type Outbox struct {
	rdb    *redis.Client
	keys   keys
	sealer *outbox.Sealer
	notify chan struct{}

	// Window is how long a reply is tried (default outbox.DefaultWindow).
	Window time.Duration
	// Dedupe is how long a handled inbound message is remembered.
	Dedupe time.Duration
	// Lease is how long a record Due returned is left to its worker.
	Lease time.Duration
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

var _ outbox.Queue = (*Outbox)(nil)

// earlyReportTTL bounds how long a report that beat its send is kept.
const earlyReportTTL = time.Hour

// DefaultLease outlives a send (providers' timeouts are 10 s) by far.
const DefaultLease = 2 * time.Minute

// NewOutbox keeps the outbox on rdb under prefix, sealing with sealer.
func NewOutbox(rdb *redis.Client, prefix string, sealer *outbox.Sealer) *Outbox {
	return &Outbox{rdb: rdb, keys: keys{prefix}, sealer: sealer, notify: make(chan struct{}, 1),
		Window: outbox.DefaultWindow, Dedupe: outbox.DefaultDedupe, Lease: DefaultLease, Now: time.Now}
}

func (k keys) outMsgPrefix() string { return k.prefix + "outbox:msg:" }
func (k keys) outMsg(id string) string {
	return k.outMsgPrefix() + id
}
func (k keys) outDue() string         { return k.prefix + "outbox:due" }
func (k keys) outAll() string         { return k.prefix + "outbox:all" }
func (k keys) outProvPrefix() string  { return k.prefix + "outbox:prov:" }
func (k keys) outEarlyPrefix() string { return k.prefix + "outbox:early:" }

// outPair names a (channel, id) pair inside a key without the channel's
// URL token or the id: redis.sha1hex in the scripts makes the same.
func outPair(channel, id string) string {
	sum := sha1.Sum([]byte(channel + "\x00" + id))
	return hex.EncodeToString(sum[:])
}

// inbound marks hide the channel token as the idempotency keys do.
func (k keys) outInbound(channel, inboundID string) string {
	return k.prefix + "outbox:in:" + outPair(channel, inboundID)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// handledScript marks an inbound message and queues its reply.
//
//	KEYS[1] inbound mark, KEYS[2] record, KEYS[3] due, KEYS[4] all
//	ARGV[1] reply id ("" for none), ARGV[2] dedupe TTL (ms), ARGV[3] channel,
//	ARGV[4] from, ARGV[5] now (ms), ARGV[6] deadline (ms), ARGV[7] key version, ARGV[8] sealed
var handledScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1] == '' and '-' or ARGV[1], 'NX', 'PX', ARGV[2]) == false then return 0 end
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], 'channel', ARGV[3], 'from', ARGV[4], 'state', 'pending', 'attempts', 0,
    'created', ARGV[5], 'deadline', ARGV[6], 'provider', '', 'lasterr', '', 'kv', ARGV[7], 'sealed', ARGV[8])
  redis.call('PEXPIREAT', KEYS[2], ARGV[6] + 60000)
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
end
return 1
`)

// Seen reports whether the inbound message was handled (on any gateway).
func (o *Outbox) Seen(ctx context.Context, channel, inboundID string) (bool, error) {
	n, err := o.rdb.Exists(ctx, o.keys.outInbound(channel, inboundID)).Result()
	if err != nil {
		return false, fmt.Errorf("scaleout: outbox seen: %w", err)
	}
	return n == 1, nil
}

// Handled marks the inbound message handled and queues reply, in one
// step: of two gateways handling the same message, one queues.
func (o *Outbox) Handled(ctx context.Context, channel, inboundID string, reply *outbox.Message) (bool, error) {
	now := o.Now()
	args := []any{"", o.Dedupe.Milliseconds(), "", "", ms(now), ms(now.Add(o.Window)), "", ""}
	id := "none"
	if reply != nil {
		kv, sealed, err := o.sealer.SealReply(reply)
		if err != nil {
			return false, err
		}
		id = reply.ID
		args[0], args[2], args[3], args[6], args[7] = reply.ID, reply.Channel, reply.From, kv, sealed
	}
	n, err := handledScript.Run(ctx, o.rdb,
		[]string{o.keys.outInbound(channel, inboundID), o.keys.outMsg(id), o.keys.outDue(), o.keys.outAll()}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("scaleout: outbox handled: %w", err)
	}
	if n == 1 && reply != nil {
		select {
		case o.notify <- struct{}{}:
		default:
		}
	}
	return n == 1, nil
}

// Notify receives a value after this process queued a reply.
func (o *Outbox) Notify() <-chan struct{} { return o.notify }

// dueScript leases the due records to the caller: their next attempt moves
// Lease ahead, out of every other worker's reach.
//
//	KEYS[1] due; ARGV[1] now (ms), ARGV[2] limit, ARGV[3] lease (ms), ARGV[4] record key prefix
var dueScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', ARGV[4] .. id, 'channel', 'from', 'attempts', 'created', 'deadline', 'lasterr')
  if not f[1] then
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('ZADD', KEYS[1], ARGV[1] + ARGV[3], id)
    table.insert(out, {id, f[1], f[2], f[3], f[4], f[5], f[6]})
  end
end
return out
`)

// Due leases up to limit due records to this process for Lease.
func (o *Outbox) Due(ctx context.Context, limit int) ([]outbox.Record, error) {
	now := o.Now()
	res, err := dueScript.Run(ctx, o.rdb, []string{o.keys.outDue()},
		ms(now), limit, o.Lease.Milliseconds(), o.keys.outMsgPrefix()).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scaleout: outbox due: %w", err)
	}
	out := make([]outbox.Record, 0, len(res))
	for _, row := range res {
		f, ok := row.([]any)
		if !ok || len(f) != 7 {
			return nil, fmt.Errorf("scaleout: outbox due: unexpected script reply")
		}
		str := func(i int) string { s, _ := f[i].(string); return s }
		num := func(i int) int64 { n, _ := strconv.ParseInt(str(i), 10, 64); return n }
		out = append(out, outbox.Record{
			ID: str(0), Channel: str(1), From: str(2), State: outbox.StatePending, Attempts: int(num(3)),
			Created: time.UnixMilli(num(4)).UTC(), Deadline: time.UnixMilli(num(5)).UTC(),
			NextAttempt: now.UTC(), LastError: str(6),
		})
	}
	return out, nil
}

// NextDue is when the earliest pending record (leased ones included) falls due.
func (o *Outbox) NextDue(ctx context.Context) (time.Time, bool, error) {
	zs, err := o.rdb.ZRangeWithScores(ctx, o.keys.outDue(), 0, 0).Result()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("scaleout: outbox next due: %w", err)
	}
	if len(zs) == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(int64(zs[0].Score)), true, nil
}

// Len is how many messages wait to be sent or confirmed, on all gateways.
func (o *Outbox) Len(ctx context.Context) (int, error) {
	n, err := o.rdb.ZCard(ctx, o.keys.outAll()).Result()
	if err != nil {
		return 0, fmt.Errorf("scaleout: outbox len: %w", err)
	}
	return int(n), nil
}

// Unseal returns a record's number and body, for the length of one send.
func (o *Outbox) Unseal(ctx context.Context, id string) (to, body string, err error) {
	f, err := o.rdb.HMGet(ctx, o.keys.outMsg(id), "channel", "kv", "sealed").Result()
	if err != nil {
		return "", "", fmt.Errorf("scaleout: outbox unseal %s: %w", id, err)
	}
	channel, _ := f[0].(string)
	kv, _ := f[1].(string)
	sealed, _ := f[2].(string)
	if channel == "" {
		return "", "", fmt.Errorf("scaleout: outbox unseal %s: %w", id, outbox.ErrNotFound)
	}
	to, body, err = o.sealer.OpenReply(id, channel, kv, []byte(sealed))
	if err != nil {
		return "", "", fmt.Errorf("scaleout: outbox unseal %s: %w", id, err)
	}
	return to, body, nil
}

// sentScript records a send, or deletes the record at once when its
// delivery report came first.
//
//	KEYS[1] record, KEYS[2] due, KEYS[3] all
//	ARGV[1] id, ARGV[2] provider id, ARGV[3] provider index prefix, ARGV[4] early report prefix
var sentScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'channel', 'deadline')
if not f[1] then return -1 end
redis.call('ZREM', KEYS[2], ARGV[1])
local pair = redis.sha1hex(f[1] .. '\0' .. ARGV[2])
local early = ARGV[4] .. pair
if redis.call('GET', early) == '1' then
  redis.call('DEL', early, KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'sent', 'provider', ARGV[2], 'lasterr', '')
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('SET', ARGV[3] .. pair, ARGV[1], 'PXAT', f[2] + 60000)
return 1
`)

// Sent records that the provider accepted record id as providerID.
func (o *Outbox) Sent(ctx context.Context, id, providerID string) error {
	n, err := sentScript.Run(ctx, o.rdb, []string{o.keys.outMsg(id), o.keys.outDue(), o.keys.outAll()},
		id, providerID, o.keys.outProvPrefix(), o.keys.outEarlyPrefix()).Int()
	if err != nil {
		return fmt.Errorf("scaleout: outbox sent %s: %w", id, err)
	}
	if n < 0 {
		return fmt.Errorf("scaleout: outbox sent %s: %w", id, outbox.ErrNotFound)
	}
	return nil
}

// failedScript records a failed attempt; it returns 1 when the record is
// dropped (permanent, or past its window), 0 when it is queued again.
//
//	KEYS[1] record, KEYS[2] due, KEYS[3] all
//	ARGV[1] id, ARGV[2] code, ARGV[3] permanent (0/1), ARGV[4] next attempt (ms)
var failedScript = redis.NewScript(`
local deadline = redis.call('HGET', KEYS[1], 'deadline')
if not deadline then return -1 end
if ARGV[3] == '1' or tonumber(ARGV[4]) > tonumber(deadline) then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 1
end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'lasterr', ARGV[2], 'state', 'pending')
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 0
`)

// Failed records a failed attempt (see outbox.Store.Failed).
func (o *Outbox) Failed(ctx context.Context, id, code string, permanent bool, backoff time.Duration) (bool, error) {
	perm := 0
	if permanent {
		perm = 1
	}
	n, err := failedScript.Run(ctx, o.rdb, []string{o.keys.outMsg(id), o.keys.outDue(), o.keys.outAll()},
		id, code, perm, ms(o.Now().Add(backoff))).Int()
	if err != nil {
		return false, fmt.Errorf("scaleout: outbox failed %s: %w", id, err)
	}
	if n < 0 {
		return false, fmt.Errorf("scaleout: outbox failed %s: %w", id, outbox.ErrNotFound)
	}
	return n == 1, nil
}

// dropScript deletes a record and its indexes.
//
//	KEYS[1] record, KEYS[2] due, KEYS[3] all; ARGV[1] id, ARGV[2] provider index prefix
var dropScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'channel', 'provider')
if f[1] and f[2] and f[2] ~= '' then redis.call('DEL', ARGV[2] .. redis.sha1hex(f[1] .. '\0' .. f[2])) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`)

// Drop deletes a record whatever its state (an unreadable seal).
func (o *Outbox) Drop(ctx context.Context, id string) error {
	err := dropScript.Run(ctx, o.rdb, []string{o.keys.outMsg(id), o.keys.outDue(), o.keys.outAll()}, id, o.keys.outProvPrefix()).Err()
	if err != nil {
		return fmt.Errorf("scaleout: outbox drop %s: %w", id, err)
	}
	return nil
}

// reportScript applies a delivery report: 0 unknown (kept a while as an
// early report), 1 deleted, 2 queued again.
//
//	KEYS[1] provider index, KEYS[2] early report, KEYS[3] due, KEYS[4] all
//	ARGV[1] delivered (0/1), ARGV[2] now (ms), ARGV[3] retry (ms), ARGV[4] record prefix, ARGV[5] early TTL (ms)
var reportScript = redis.NewScript(`
local id = redis.call('GET', KEYS[1])
if not id then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[5])
  return 0
end
redis.call('DEL', KEYS[1])
local rec = ARGV[4] .. id
local deadline = redis.call('HGET', rec, 'deadline')
if not deadline then return 0 end
local next = tonumber(ARGV[2]) + tonumber(ARGV[3])
if ARGV[1] == '1' or next > tonumber(deadline) then
  redis.call('DEL', rec)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
  return 1
end
redis.call('HSET', rec, 'state', 'pending', 'provider', '', 'lasterr', 'delivery failed')
redis.call('ZADD', KEYS[3], next, id)
return 2
`)

// Report applies a delivery report (see outbox.Store.Report), whichever
// gateway sent the message.
func (o *Outbox) Report(ctx context.Context, channel, providerID string, delivered bool, retry time.Duration) (bool, error) {
	d := 0
	if delivered {
		d = 1
	}
	pair := outPair(channel, providerID)
	n, err := reportScript.Run(ctx, o.rdb,
		[]string{o.keys.outProvPrefix() + pair, o.keys.outEarlyPrefix() + pair, o.keys.outDue(), o.keys.outAll()},
		d, ms(o.Now()), retry.Milliseconds(), o.keys.outMsgPrefix(), earlyReportTTL.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("scaleout: outbox report: %w", err)
	}
	if n == 2 {
		select {
		case o.notify <- struct{}{}:
		default:
		}
	}
	return n > 0, nil
}

// sweepScript deletes the records past their window (Redis has expired
// most already; this clears the indexes and a provider index left).
//
//	KEYS[1] all, KEYS[2] due; ARGV[1] now (ms), ARGV[2] record prefix, ARGV[3] provider index prefix
var sweepScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', ARGV[2] .. id, 'channel', 'provider')
  if f[1] and f[2] and f[2] ~= '' then redis.call('DEL', ARGV[3] .. redis.sha1hex(f[1] .. '\0' .. f[2])) end
  redis.call('DEL', ARGV[2] .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #ids
`)

// Sweep drops the messages past their window. Inbound marks and early
// reports expire in Redis by themselves.
func (o *Outbox) Sweep(ctx context.Context) (int, error) {
	n, err := sweepScript.Run(ctx, o.rdb, []string{o.keys.outAll(), o.keys.outDue()},
		ms(o.Now()), o.keys.outMsgPrefix(), o.keys.outProvPrefix()).Int()
	if err != nil {
		return 0, fmt.Errorf("scaleout: outbox sweep: %w", err)
	}
	return n, nil
}

// listPage is how many records List reads per round trip.
const listPage = 500

// List returns every record waiting to be sent or confirmed, on all
// gateways, oldest deadline first, as outbox.Store.List does for the bbolt
// outbox (`hotline outbox list`): ids, channels, states and times, never
// the sealed number or text, which it does not read.
func (o *Outbox) List(ctx context.Context) ([]outbox.Record, error) {
	var out []outbox.Record
	for start := int64(0); ; start += listPage {
		ids, err := o.rdb.ZRange(ctx, o.keys.outAll(), start, start+listPage-1).Result()
		if err != nil {
			return nil, fmt.Errorf("scaleout: outbox list: %w", err)
		}
		if len(ids) == 0 {
			return out, nil
		}
		fields := make([]*redis.SliceCmd, len(ids))
		due := make([]*redis.FloatCmd, len(ids))
		if _, err := o.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range ids {
				fields[i] = p.HMGet(ctx, o.keys.outMsg(id), "channel", "from", "state", "attempts", "created", "deadline", "provider", "lasterr")
				due[i] = p.ZScore(ctx, o.keys.outDue(), id)
			}
			return nil
		}); err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("scaleout: outbox list: %w", err)
		}
		for i, id := range ids {
			f := fields[i].Val()
			str := func(j int) string { s, _ := f[j].(string); return s }
			num := func(j int) int64 { n, _ := strconv.ParseInt(str(j), 10, 64); return n }
			if len(f) != 8 || str(0) == "" {
				continue // expired or delivered since the range was read
			}
			r := outbox.Record{
				ID: id, Channel: str(0), From: str(1), State: str(2), Attempts: int(num(3)),
				Created: time.UnixMilli(num(4)).UTC(), Deadline: time.UnixMilli(num(5)).UTC(),
				ProviderID: str(6), LastError: str(7),
			}
			if next, err := due[i].Result(); err == nil {
				r.NextAttempt = time.UnixMilli(int64(next)).UTC()
			}
			out = append(out, r)
		}
		if len(ids) < listPage {
			return out, nil
		}
	}
}
