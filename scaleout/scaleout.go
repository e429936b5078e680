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
//     can answer "what happened to my complaint?" without casework;
//   - an Outbox keeps the gateways' SMS replies, numbers sealed, each sent
//     by one gateway (outbox.go);
//   - a RecordingHandoff carries voice messages, sealed on the gateway,
//     to the casework node's RecordingConsumer (recordings.go).
//
// Redis keys never hold a phone number, a caller key or a message: they are
// the prefix plus a fixed name, a reference, an opaque id (outbox and
// recording ids are hashes), or a SHA-256 (SHA-1 where a Lua script must
// make the same name) of a key that holds the channel token. Stream entries hold the Intake (caller key
// included) as values, as bbolt does. Nothing here logs an entry's content.
package scaleout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
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
// A URL with a master_name parameter names Redis Sentinels instead of one
// server, in go-redis's form
// (redis://sentinel1:26379/0?master_name=hotline&addr=sentinel2:26379&addr=sentinel3:26379):
// the client asks the sentinels for the current primary and follows a
// failover by itself. Commands in flight while the primary is down fail
// (the caller hears the apology); none is retried onto the new primary
// blindly (MaxRetries 1, as for one server).
//
// password, when not empty, replaces any password in the URL (of the
// Redis servers, not of the sentinels): it comes from $REDIS_PASSWORD or
// --redis-password-file, because a URL given on the command line is
// readable by every user of the machine (ps).
func Dial(rawURL, password string) (*redis.Client, error) {
	if u, err := url.Parse(rawURL); err == nil && u.Query().Has("master_name") {
		return dialSentinel(rawURL, password)
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// ParseURL errors may quote the URL; keep the password out.
		return nil, fmt.Errorf("scaleout: --redis is not a valid redis:// URL")
	}
	if password != "" {
		opt.Password = password
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = hopTimeouts()
	opt.MaxRetries = 1
	opt.Protocol = wireProtocol(opt.Protocol)
	return redis.NewClient(opt), nil
}

func dialSentinel(rawURL, password string) (*redis.Client, error) {
	opt, err := redis.ParseFailoverURL(rawURL)
	if err != nil || opt.MasterName == "" {
		return nil, fmt.Errorf("scaleout: --redis is not a valid Sentinel URL (redis://host:port/db?master_name=NAME&addr=host:port…)")
	}
	if password != "" {
		opt.Password = password
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = hopTimeouts()
	opt.MaxRetries = 1
	opt.Protocol = wireProtocol(opt.Protocol)
	return redis.NewFailoverClient(opt), nil
}

// wireProtocol is RESP2 unless the URL asks for another (?protocol=3).
// The hotline uses nothing of RESP3 (no client-side cache, no push
// messages), and go-redis on RESP3 checks every connection for pending
// push notifications before each command: in a load run's profile that
// was 7 % of the gateway's CPU, a read syscall per command for nothing.
func wireProtocol(fromURL int) int {
	if fromURL == 0 {
		return 2
	}
	return fromURL
}

// hopTimeouts are dial, read, write and pool timeouts that leave a USSD
// hop time to answer with the apology.
func hopTimeouts() (dial, read, write, pool time.Duration) {
	return time.Second, 2 * time.Second, 2 * time.Second, 3 * time.Second
}
