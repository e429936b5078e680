package gateway

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/gateway/sessions"
)

// countingSessions counts the writes to resume records.
type countingSessions struct {
	*sessions.Memory
	mu     sync.Mutex
	writes int
}

func (c *countingSessions) count(key string) {
	if strings.HasPrefix(key, "resume/") {
		c.mu.Lock()
		c.writes++
		c.mu.Unlock()
	}
}

func (c *countingSessions) Save(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	c.count(key)
	return c.Memory.Save(ctx, key, v, ttl)
}

func (c *countingSessions) Delete(ctx context.Context, key string) error {
	c.count(key)
	return c.Memory.Delete(ctx, key)
}

func (c *countingSessions) SaveAll(ctx context.Context, ws ...sessions.Write) error {
	for _, w := range ws {
		c.count(w.Key)
	}
	return c.Memory.SaveAll(ctx, ws...)
}

func (c *countingSessions) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.writes
	c.writes = 0
	return n
}

// A hop writes the caller's resume record only when what it would keep
// changes: not before the first answer, not on a wrong key; and the record
// kept is still offered back on the next call.
func TestResumeRecordWrittenOnlyWhenItChanges(t *testing.T) {
	store := &countingSessions{Memory: sessions.NewMemory()}
	ts := newTestServerWith(t, &Limits{}, memstore.New(), func(o *Options) { o.Sessions = store })
	steps := []struct {
		text   string
		writes int
	}{
		{"", 0},           // a new session, no record to clear (the dial read it)
		{"1", 0},          // language: nothing to keep yet
		{"1*1", 0},        // make a complaint: still nothing
		{"1*1*1", 1},      // the first answer is kept
		{"1*1*1*99", 0},   // a wrong key changes nothing
		{"1*1*1*99", 0},   // nor does its retry
		{"1*1*1*99*1", 1}, // the next answer is kept
	}
	for _, st := range steps {
		if code, body := ts.hop(t, testChannel, "s-resume", testPhone, st.text); code != 200 || !strings.HasPrefix(body, "CON ") {
			t.Fatalf("hop %q: %d %q", st.text, code, body)
		}
		if got := store.take(); got != st.writes {
			t.Errorf("hop %q wrote the resume record %d times, want %d", st.text, got, st.writes)
		}
	}
	// The caller drops and dials again: the kept answers are offered.
	_, fresh := ts.hop(t, testChannel, "s-other", "+22376000043", "")
	_, again := ts.hop(t, testChannel, "s-again", testPhone, "")
	if again == fresh {
		t.Errorf("the returning caller got the first screen, not the resume offer: %q", again)
	}
}
