package scaleout

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/keystore"
)

// The casework node publishes the fingerprints of its keys (never a key)
// under keys.agreement(); a gateway compares its own before it serves, so
// that a gateway started with another keys directory is refused instead
// of showing PINs no one can check and making caller keys that match
// nothing.
func (k keys) agreement() string { return k.prefix + "keys" }

// PublishKeys records the fingerprints of the casework node's keys.
func PublishKeys(ctx context.Context, rdb redis.Cmdable, prefix string, fps []keystore.Fingerprint) error {
	if len(fps) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(fps))
	for _, f := range fps {
		args = append(args, f.Name, f.SHA256)
	}
	if err := rdb.HSet(ctx, keys{prefix}.agreement(), args...).Err(); err != nil {
		return fmt.Errorf("scaleout: publish key fingerprints: %w", err)
	}
	return nil
}

// CheckKeys returns an error naming every key of fps that the casework
// node holds under the same name with another secret. Keys the node has
// not published (it has not started yet, or a version it does not hold)
// are not an error.
func CheckKeys(ctx context.Context, rdb redis.Cmdable, prefix string, fps []keystore.Fingerprint) error {
	theirs, err := rdb.HGetAll(ctx, keys{prefix}.agreement()).Result()
	if err != nil {
		return fmt.Errorf("scaleout: read key fingerprints: %w", err)
	}
	var differ []string
	for _, f := range fps {
		if t, ok := theirs[f.Name]; ok && t != f.SHA256 {
			differ = append(differ, f.Name)
		}
	}
	if len(differ) > 0 {
		return fmt.Errorf("scaleout: the keys directory differs from the casework node's (%s): copy the casework node's keys directory", strings.Join(differ, ", "))
	}
	return nil
}
