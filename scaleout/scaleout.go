// Package scaleout runs the hotline as several stateless gateway replicas
// and one casework node, joined by Redis (see "Storage and scale" in the
// design):
//
//   - a gateway's Producer queues each confirmed complaint on a Redis
//     Stream, with a reference drawn at the gateway and reserved in Redis,
//     and returns only once Redis has acknowledged the append;
//   - the casework node's Consumer reads the stream with a consumer group,
//     stores each complaint under that reference (idempotently), then
//     acknowledges it, and recovers entries left pending by a crash;
//   - a Mirror keeps each case's public status in Redis, so any gateway
//     can answer "what happened to my complaint?" without casework.
//
// Redis keys never hold a phone number, a caller key or a message: they are
// the prefix plus a fixed name, a reference, or a SHA-256 of a key that
// holds the channel token. Stream entries hold the Intake (caller key
// included) as values, as bbolt does. Nothing here logs an entry's content.
package scaleout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix when none is configured.
const DefaultPrefix = "nv:"

// Group is the consumer group of the casework node on the intake stream.
const Group = "casework"

// keys names every Redis key this package uses.
type keys struct{ prefix string }

func (k keys) stream() string           { return k.prefix + "intake" }
func (k keys) dead() string             { return k.prefix + "intake:dead" }
func (k keys) status(ref string) string { return k.prefix + "case:" + ref }

// idem hides the idempotency key, which holds the channel token.
func (k keys) idem(key string) string {
	sum := sha256.Sum256([]byte(key))
	return k.prefix + "idem:" + hex.EncodeToString(sum[:16])
}

// Dial returns a client for a redis:// or rediss:// URL with timeouts
// short enough for a USSD hop (aggregators give up after about 10 s). It
// does not connect: a gateway starts while Redis is down, reports not
// ready, and recovers by itself when Redis returns. The URL may hold a
// password: callers must not log it.
//
// password, when not empty, replaces any password in the URL: it comes
// from $REDIS_PASSWORD or --redis-password-file, because a URL given on
// the command line is readable by every user of the machine (ps).
func Dial(rawURL, password string) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// ParseURL errors may quote the URL; keep the password out.
		return nil, fmt.Errorf("scaleout: --redis is not a valid redis:// URL")
	}
	if password != "" {
		opt.Password = password
	}
	opt.DialTimeout = time.Second
	opt.ReadTimeout = 2 * time.Second
	opt.WriteTimeout = 2 * time.Second
	opt.PoolTimeout = 3 * time.Second
	opt.MaxRetries = 1
	return redis.NewClient(opt), nil
}
