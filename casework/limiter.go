package casework

import (
	"sync"
	"time"
)

// attempts counts wrong follow-up attempts per subject (a caller key or a
// reference) in a sliding window. It lives in memory: a restart forgets
// it, which an attacker cannot cause. Subjects are kept only while they
// have attempts in the window.
type attempts struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	seen   map[string][]time.Time
	sweep  time.Time
}

func newAttempts(max int, window time.Duration) *attempts {
	return &attempts{max: max, window: window, seen: map[string][]time.Time{}}
}

func (a *attempts) recent(subject string, now time.Time) []time.Time {
	ts := a.seen[subject]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= a.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(a.seen, subject)
	} else {
		a.seen[subject] = ts
	}
	return ts
}

// blocked reports whether any subject has used up its attempts.
func (a *attempts) blocked(now time.Time, subjects ...string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range subjects {
		if len(a.recent(s, now)) >= a.max {
			return true
		}
	}
	return false
}

// fail counts one wrong attempt against every subject.
func (a *attempts) fail(now time.Time, subjects ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range subjects {
		a.seen[s] = append(a.recent(s, now), now)
	}
	if now.Sub(a.sweep) >= a.window {
		a.sweep = now
		for s := range a.seen {
			a.recent(s, now)
		}
	}
}
