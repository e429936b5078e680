package gateway

import (
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/callerid"
)

// RateLimit is a token bucket: Burst hops at once, refilled at PerSecond.
// PerSecond ≤ 0 means no limit.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// Limits bounds how fast callbacks are accepted. A refused callback gets a
// 429 with a short reason and changes no state: no session is loaded or
// saved, no case is submitted.
type Limits struct {
	// Channel is per channel, so that one leaked channel token flooded
	// with forged callbacks cannot starve the other channels.
	Channel RateLimit
	// Caller is per caller key (the keyed hash, never the number), so that
	// one handset, or one number forged over and over, cannot flood the
	// casework queue. A person filing a complaint needs about 8 hops a
	// minute; the burst lets them file two or three back to back.
	Caller RateLimit
	// MaxCallers bounds the caller buckets held in memory. Past it the
	// oldest idle buckets are forgotten, which only makes the limit more
	// lenient for those callers, never stricter.
	MaxCallers int
}

// DefaultLimits are sized for a radio announcement on one channel (ten
// thousand callers within a minute is about 1,300 hops/s) with room to spare,
// and for a person, not a script, on each caller key.
var DefaultLimits = Limits{
	Channel:    RateLimit{PerSecond: 2000, Burst: 4000},
	Caller:     RateLimit{PerSecond: 0.5, Burst: 30},
	MaxCallers: 100_000,
}

// tooMany is the 429 a refused callback gets; the reason names the limit,
// never the caller or the channel.
func tooMany(reason string) error {
	return fiber.NewError(fiber.StatusTooManyRequests, reason)
}

// arrival is one callback to admit: the channel it came in on, its medium
// (ussd, sms, voice) and the caller's number when it carries one.
type arrival struct {
	medium string
	phone  string // empty for notices with no caller (delivery reports)
	// callerKey, when the handler has it already, is phone's caller key
	// (computed here otherwise).
	callerKey string
	// first marks the first hop of a USSD session, counted as started.
	first bool
}

// key is the arrival's caller key.
func (a arrival) key(k *callerid.Keyring, country string) string {
	if a.callerKey != "" {
		return a.callerKey
	}
	return k.Key(a.phone, country)
}

// admit is the one admission path of every callback, whatever its medium
// or provider: the channel's bucket, then the caller's, before anything
// is loaded or saved. The caller key is computed here for the length of
// this call; it is neither logged nor returned. Where the callback came
// from was checked earlier still, by channel (allow_from).
func (s *Server) admit(ch config.Channel, a arrival) error {
	if !s.channelLimit.allow(ch.ID) {
		s.metrics.refused(ch, "rate_limited_channel")
		return tooMany("rate limit: channel")
	}
	if a.phone != "" && s.callerLimit.enabled() && !s.callerLimit.allow(a.key(s.keyring, ch.Country)) {
		s.metrics.refused(ch, "rate_limited_caller")
		return tooMany("rate limit: caller")
	}
	if a.first {
		s.metrics.sessionStarted(ch)
	}
	return nil
}

// limiter holds one token bucket per key. Memory is bounded by keeping two
// generations of buckets: when the current one is full it becomes the
// previous one and the older is dropped. A key in use is moved into the
// current generation, so only idle keys are forgotten.
type limiter struct {
	rate RateLimit
	max  int // buckets per generation
	now  func() time.Time

	mu        sync.Mutex
	cur, prev map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(r RateLimit, maxKeys int, now func() time.Time) *limiter {
	if maxKeys < 2 {
		maxKeys = 2
	}
	if now == nil {
		now = time.Now
	}
	return &limiter{rate: r, max: maxKeys / 2, now: now, cur: map[string]*bucket{}}
}

func (l *limiter) enabled() bool { return l.rate.PerSecond > 0 }

// allow takes one token from key's bucket, reporting whether there was one.
func (l *limiter) allow(key string) bool {
	if !l.enabled() {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.cur[key]
	if !ok {
		if b, ok = l.prev[key]; ok {
			delete(l.prev, key)
		} else {
			b = &bucket{tokens: float64(l.rate.Burst), last: now}
		}
		if len(l.cur) >= l.max {
			l.prev, l.cur = l.cur, make(map[string]*bucket, len(l.cur))
		}
		l.cur[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(float64(l.rate.Burst), b.tokens+elapsed*l.rate.PerSecond)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// size reports how many buckets are held.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cur) + len(l.prev)
}
