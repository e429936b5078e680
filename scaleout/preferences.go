package scaleout

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
)

func (k keys) prefs() string { return k.prefix + "prefs:language" }

// Preferences keeps each caller's remembered language in one Redis hash
// (caller key → language), so that every gateway replica serves a returning
// caller in the language they asked to be remembered, whichever replica
// took the call that remembered it. It holds caller keys (keyed hashes),
// never a number, like the embedded store's prefs bucket.
//
// Fallback, when set, answers a caller Redis does not know: a node that
// moved from the embedded mode to scale-out keeps the languages its bbolt
// file remembered. Writes go to Redis only.
type Preferences struct {
	rdb      redis.Cmdable
	keys     keys
	Fallback casework.Preferences
	closed   atomic.Bool
}

var _ casework.Preferences = (*Preferences)(nil)

// NewPreferences keeps languages under prefix.
func NewPreferences(rdb redis.Cmdable, prefix string) *Preferences {
	return &Preferences{rdb: rdb, keys: keys{prefix}}
}

// SetLanguage implements casework.Preferences.
func (p *Preferences) SetLanguage(ctx context.Context, callerKey, lang string) error {
	if err := casework.ValidatePreference(callerKey, lang); err != nil {
		return fmt.Errorf("scaleout: set language: %w", err)
	}
	if p.closed.Load() {
		return fmt.Errorf("scaleout: set language: %w", casework.ErrClosed)
	}
	if err := p.rdb.HSet(ctx, p.keys.prefs(), callerKey, lang).Err(); err != nil {
		return fmt.Errorf("scaleout: set language: %w", err)
	}
	return nil
}

// Language implements casework.Preferences.
func (p *Preferences) Language(ctx context.Context, callerKey string) (string, bool, error) {
	if p.closed.Load() {
		return "", false, fmt.Errorf("scaleout: language: %w", casework.ErrClosed)
	}
	lang, err := p.rdb.HGet(ctx, p.keys.prefs(), callerKey).Result()
	switch {
	case err == nil:
		return lang, true, nil
	case !errors.Is(err, redis.Nil):
		return "", false, fmt.Errorf("scaleout: language: %w", err)
	case p.Fallback != nil:
		return p.Fallback.Language(ctx, callerKey)
	}
	return "", false, nil
}

// Close makes later calls fail with casework.ErrClosed; the Redis client
// belongs to the caller and stays open.
func (p *Preferences) Close() error {
	p.closed.Store(true)
	return nil
}
