// Package sessions keeps short-lived conversation state (a USSD session, a
// call) between a provider's hops, keyed by an opaque string.
//
// Values are opaque bytes that already hold no phone number. This package
// must never log keys or values.
package sessions

import (
	"context"
	"sync"
	"time"
)

// Memory is an in-process store with per-entry expiry, for the embedded
// single-gateway mode. A restart forgets live sessions; callers then
// resume by replay (see the gateway) or start again.
type Memory struct {
	mu      sync.Mutex
	entries map[string]entry
	now     func() time.Time
}

type entry struct {
	value   []byte
	expires time.Time
}

// NewMemory returns an empty store. Expired entries are dropped by Sweep,
// which Run calls periodically.
func NewMemory() *Memory {
	return &Memory{entries: make(map[string]entry), now: time.Now}
}

// Load returns the value under key, if present and not expired.
func (m *Memory) Load(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || !m.now().Before(e.expires) {
		return nil, false, nil
	}
	return e.value, true, nil
}

// Save stores value under key for ttl.
func (m *Memory) Save(_ context.Context, key string, value []byte, ttl time.Duration) error {
	m.mu.Lock()
	m.entries[key] = entry{value: value, expires: m.now().Add(ttl)}
	m.mu.Unlock()
	return nil
}

// LoadAll returns the value under each key, nil where absent or expired.
func (m *Memory) LoadAll(_ context.Context, keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for i, k := range keys {
		if e, ok := m.entries[k]; ok && now.Before(e.expires) {
			out[i] = e.value
		}
	}
	return out, nil
}

// SaveAll applies ws in order, all under one lock.
func (m *Memory) SaveAll(_ context.Context, ws ...Write) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for _, w := range ws {
		if w.Delete {
			delete(m.entries, w.Key)
			continue
		}
		m.entries[w.Key] = entry{value: w.Value, expires: now.Add(w.TTL)}
	}
	return nil
}

// Delete removes key.
func (m *Memory) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.entries, key)
	m.mu.Unlock()
	return nil
}

// Len reports how many entries are held, expired ones included until the
// next sweep.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// Sweep drops expired entries.
func (m *Memory) Sweep() {
	now := m.now()
	m.mu.Lock()
	for k, e := range m.entries {
		if !now.Before(e.expires) {
			delete(m.entries, k)
		}
	}
	m.mu.Unlock()
}

// Run sweeps every interval until ctx ends.
func (m *Memory) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Sweep()
		}
	}
}
