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

// Attempts is the sliding-window attempt counter for callers of other
// packages (the web view's sign-in). Take checks and charges in one step,
// before the costly check it guards, so parallel guesses cannot all pass
// the check before any of them is counted.
type Attempts = attempts

// NewAttempts allows max attempts per subject in each window.
func NewAttempts(max int, window time.Duration) *Attempts { return newAttempts(max, window) }

// Take charges one attempt to every subject and returns true, or returns
// false and charges nothing when any subject has used up its attempts.
func (a *attempts) Take(now time.Time, subjects ...string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range subjects {
		if len(a.recent(s, now)) >= a.max {
			return false
		}
	}
	for _, s := range subjects {
		a.seen[s] = append(a.recent(s, now), now)
	}
	if now.Sub(a.sweep) >= a.window {
		a.sweep = now
		for s := range a.seen {
			a.recent(s, now)
		}
	}
	return true
}

// Refund gives back the latest attempt charged to every subject (the
// attempt succeeded, or never reached the check it paid for).
func (a *attempts) Refund(subjects ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range subjects {
		if ts := a.seen[s]; len(ts) > 1 {
			a.seen[s] = ts[:len(ts)-1]
		} else {
			delete(a.seen, s)
		}
	}
}

// Count is how many attempts subject has in the window now.
func (a *attempts) Count(now time.Time, subject string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.recent(subject, now))
}
