package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/outbox"
	"github.com/numerovert/hotline/outbox/outbound"
)

const phone = "+22376000001"

func sealer(t *testing.T, secrets ...[]byte) *outbox.Sealer {
	t.Helper()
	if len(secrets) == 0 {
		secrets = [][]byte{bytes.Repeat([]byte{1}, 32)}
	}
	s, err := outbox.NewSealer(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func open(t *testing.T, path string, s *outbox.Sealer, o outbox.Options) *outbox.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "outbox.db")
	}
	st, err := outbox.Open(path, s, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func msg(inbound string) *outbox.Message {
	return &outbox.Message{ID: outbox.ReplyID("demo-at", inbound), Channel: "demo-at", To: phone, From: "36061", Body: "Référence 1234 5678"}
}

func TestSealer(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old := sealer(t, k1)
	v, sealed := old.Seal([]byte(phone), []byte("id\x00ch"))
	if v != "k1" || bytes.Contains(sealed, []byte("76000001")) {
		t.Fatalf("version %q, sealed holds the number: %v", v, bytes.Contains(sealed, []byte("76000001")))
	}
	rotated := sealer(t, k1, k2)
	if v2, _ := rotated.Seal([]byte("x"), nil); v2 != "k2" {
		t.Errorf("rotated seals with %s, want k2", v2)
	}
	tests := []struct {
		name    string
		s       *outbox.Sealer
		version string
		sealed  []byte
		aad     string
		ok      bool
	}{
		{"same key", old, v, sealed, "id\x00ch", true},
		{"after rotation", rotated, v, sealed, "id\x00ch", true},
		{"moved to another record", old, v, sealed, "other\x00ch", false},
		{"key destroyed", sealer(t, k2), v, sealed, "id\x00ch", false},
		{"tampered", old, v, append(bytes.Clone(sealed[:len(sealed)-1]), sealed[len(sealed)-1]^1), "id\x00ch", false},
		{"truncated", old, v, sealed[:5], "id\x00ch", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Open(tt.version, tt.sealed, []byte(tt.aad))
			if tt.ok {
				if err != nil || string(got) != phone {
					t.Fatalf("Open = %q, %v", got, err)
				}
				return
			}
			if !errors.Is(err, outbox.ErrUnsealable) {
				t.Fatalf("err = %v, want ErrUnsealable", err)
			}
		})
	}
}

// UseKeys on a sealer in use (keys rotate outbox while serving): what is
// sealed from then on uses the new version, what was queued still opens.
func TestSealerUseKeys(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	s := sealer(t, k1)
	v, sealed := s.Seal([]byte(phone), []byte("id"))
	if err := s.UseKeys([]keystore.Key{{Version: "k1", Secret: k1}, {Version: "k2", Secret: k2}}); err != nil {
		t.Fatal(err)
	}
	if v2, _ := s.Seal([]byte(phone), []byte("id")); v2 != "k2" {
		t.Errorf("sealed with %s after UseKeys, want k2", v2)
	}
	if got, err := s.Open(v, sealed, []byte("id")); err != nil || string(got) != phone {
		t.Errorf("queued message after UseKeys: %v", err)
	}
	if err := s.UseKeys(nil); err == nil {
		t.Error("UseKeys with no key accepted")
	}
	if err := s.UseKeys([]keystore.Key{{Version: "k3", Secret: []byte("short")}}); err == nil {
		t.Error("UseKeys with a short key accepted")
	}
}

func TestHandledOnce(t *testing.T) {
	st := open(t, "", sealer(t), outbox.Options{})
	ctx := context.Background()
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first, err := st.Handled(ctx, "demo-at", "ATXid_1", msg("ATXid_1"))
			if err != nil {
				t.Error(err)
			}
			if first {
				firsts.Add(1)
			}
		}()
	}
	wg.Wait()
	if firsts.Load() != 1 {
		t.Errorf("%d deliveries of one message counted as first", firsts.Load())
	}
	if seen, _ := st.Seen(ctx, "demo-at", "ATXid_1"); !seen {
		t.Error("not seen after Handled")
	}
	if seen, _ := st.Seen(ctx, "demo-twilio", "ATXid_1"); seen {
		t.Error("a message id on another channel counts as seen")
	}
	list, _ := st.List(ctx)
	if len(list) != 1 || list[0].State != outbox.StatePending {
		t.Fatalf("outbox = %+v, want one pending", list)
	}
	if n, err := st.Len(ctx); n != 1 || err != nil {
		t.Errorf("Len = %d, %v; want 1", n, err)
	}
	to, body, err := st.Unseal(ctx, list[0].ID)
	if err != nil || to != phone || body != "Référence 1234 5678" {
		t.Errorf("Unseal = %q %q %v", to, body, err)
	}
}

func TestDedupeExpires(t *testing.T) {
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := open(t, "", sealer(t), outbox.Options{Now: c.Now, Dedupe: time.Hour})
	ctx := context.Background()
	st.Handled(ctx, "demo-at", "ATXid_1", nil)
	c.Add(30 * time.Minute)
	st.Sweep(ctx)
	if seen, _ := st.Seen(ctx, "demo-at", "ATXid_1"); !seen {
		t.Error("forgotten before the dedupe period")
	}
	c.Add(31 * time.Minute)
	st.Sweep(ctx)
	if seen, _ := st.Seen(ctx, "demo-at", "ATXid_1"); seen {
		t.Error("remembered after the dedupe period")
	}
}

// fakeSender fails the first `failures` sends, then accepts.
type fakeSender struct {
	mu        sync.Mutex
	failures  int
	permanent bool
	sent      []outbound.Message
	attempts  int
}

func (f *fakeSender) Send(ctx context.Context, m outbound.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.attempts <= f.failures {
		return "", &outbound.SendError{Code: "http 503", Permanent: f.permanent}
	}
	f.sent = append(f.sent, m)
	return "P" + m.ID, nil
}

func (f *fakeSender) snapshot() (int, []outbound.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts, append([]outbound.Message(nil), f.sent...)
}

func runWorker(t *testing.T, st *outbox.Store, s outbox.Sender) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	w := &outbox.Worker{Store: st, Senders: map[string]outbox.Sender{"demo-at": s}, Backoff: outbox.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}, Poll: 10 * time.Millisecond}
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWorkerRetriesThenDelivers(t *testing.T) {
	st := open(t, "", sealer(t), outbox.Options{})
	ctx := context.Background()
	f := &fakeSender{failures: 3}
	runWorker(t, st, f)
	st.Handled(ctx, "demo-at", "ATXid_1", msg("ATXid_1"))
	waitFor(t, "the send", func() bool { _, sent := f.snapshot(); return len(sent) == 1 })
	attempts, sent := f.snapshot()
	if attempts != 4 || sent[0].To != phone || sent[0].ID != outbox.ReplyID("demo-at", "ATXid_1") || sent[0].From != "36061" {
		t.Fatalf("attempts %d, sent %+v", attempts, sent)
	}
	waitFor(t, "state sent", func() bool {
		l, _ := st.List(ctx)
		return len(l) == 1 && l[0].State == outbox.StateSent && l[0].ProviderID == "P"+sent[0].ID
	})
	// The delivery report deletes the message and its sealed number.
	known, err := st.Report(ctx, "demo-at", "P"+sent[0].ID, true, time.Second)
	if !known || err != nil {
		t.Fatalf("Report = %v, %v", known, err)
	}
	if l, _ := st.List(ctx); len(l) != 0 {
		t.Errorf("outbox after delivery = %+v", l)
	}
	if n, err := st.Len(ctx); n != 0 || err != nil {
		t.Errorf("Len after delivery = %d, %v", n, err)
	}
}

func TestWorkerDropsPermanentFailures(t *testing.T) {
	st := open(t, "", sealer(t), outbox.Options{})
	f := &fakeSender{failures: 100, permanent: true}
	runWorker(t, st, f)
	st.Handled(context.Background(), "demo-at", "ATXid_1", msg("ATXid_1"))
	waitFor(t, "the drop", func() bool { l, _ := st.List(context.Background()); return len(l) == 0 })
	if attempts, _ := f.snapshot(); attempts != 1 {
		t.Errorf("attempts = %d, want 1", attempts)
	}
}

func TestWindowEnds(t *testing.T) {
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := open(t, "", sealer(t), outbox.Options{Now: c.Now, Window: time.Hour})
	ctx := context.Background()
	st.Handled(ctx, "demo-at", "ATXid_1", msg("ATXid_1"))
	id := outbox.ReplyID("demo-at", "ATXid_1")
	if dropped, err := st.Failed(ctx, id, "http 503", false, 10*time.Minute); dropped || err != nil {
		t.Fatalf("Failed within window = %v, %v", dropped, err)
	}
	if due, _ := st.Due(ctx, 10); len(due) != 0 {
		t.Errorf("due during backoff: %+v", due)
	}
	c.Add(10 * time.Minute)
	if due, _ := st.Due(ctx, 10); len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "http 503" {
		t.Errorf("due after backoff: %+v", due)
	}
	if dropped, _ := st.Failed(ctx, id, "http 503", false, 2*time.Hour); !dropped {
		t.Error("a retry past the window was kept")
	}
	// A message sent but never reported is swept at the window's end.
	st.Handled(ctx, "demo-at", "ATXid_2", msg("ATXid_2"))
	st.Sent(ctx, outbox.ReplyID("demo-at", "ATXid_2"), "Pz")
	c.Add(59 * time.Minute)
	if n, _ := st.Sweep(ctx); n != 0 {
		t.Errorf("swept %d before the window's end", n)
	}
	c.Add(2 * time.Minute)
	if n, _ := st.Sweep(ctx); n != 1 {
		t.Errorf("swept %d at the window's end, want 1", n)
	}
}

func TestReports(t *testing.T) {
	st := open(t, "", sealer(t), outbox.Options{})
	ctx := context.Background()
	id := outbox.ReplyID("demo-at", "ATXid_1")
	st.Handled(ctx, "demo-at", "ATXid_1", msg("ATXid_1"))

	// A failed delivery puts the message back in the queue.
	st.Sent(ctx, id, "P1")
	if known, _ := st.Report(ctx, "demo-at", "P1", false, 0); !known {
		t.Fatal("report not matched")
	}
	if due, _ := st.Due(ctx, 10); len(due) != 1 || due[0].ProviderID != "" {
		t.Fatalf("after failed report: %+v", due)
	}
	// A report on another channel, or for an unknown id, matches nothing.
	st.Sent(ctx, id, "P2")
	if known, _ := st.Report(ctx, "demo-twilio", "P2", true, 0); known {
		t.Error("report matched across channels")
	}
	// A delivery report that beats the send's commit is applied by Sent.
	st.Handled(ctx, "demo-at", "ATXid_2", msg("ATXid_2"))
	if known, _ := st.Report(ctx, "demo-at", "P3", true, 0); known {
		t.Error("early report matched")
	}
	st.Sent(ctx, outbox.ReplyID("demo-at", "ATXid_2"), "P3")
	l, _ := st.List(ctx)
	if len(l) != 1 || l[0].ID != id {
		t.Errorf("outbox = %+v, want only the first message", l)
	}
}

// A restart loses nothing, and the file never holds the number or the body.
func TestDurableAndSealed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	s := sealer(t)
	st, err := outbox.Open(path, s, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []string{"ATXid_1", "ATXid_2"} {
		st.Handled(ctx, "demo-at", id, msg(id))
	}
	st.Close()
	raw, _ := os.ReadFile(path)
	for _, needle := range []string{"76000001", "1234 5678", "Référence"} {
		if bytes.Contains(raw, []byte(needle)) {
			t.Errorf("outbox file holds %q in clear", needle)
		}
	}
	st = open(t, path, s, outbox.Options{})
	if due, _ := st.Due(ctx, 10); len(due) != 2 {
		t.Fatalf("after reopen: %d due, want 2", len(due))
	}
	f := &fakeSender{}
	runWorker(t, st, f)
	waitFor(t, "both sends", func() bool { _, sent := f.snapshot(); return len(sent) == 2 })
}

func TestBackoff(t *testing.T) {
	b := outbox.Backoff{Min: time.Second, Max: time.Minute}
	tests := []struct {
		attempts int
		lo, hi   time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{20, 30 * time.Second, time.Minute},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := b.Delay(tt.attempts)
			if d < tt.lo || d > tt.hi {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v]", tt.attempts, d, tt.lo, tt.hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Delay(%d) has no jitter", tt.attempts)
		}
	}
}
