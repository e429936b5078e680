package scaleout_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/outbox"
	"github.com/numerovert/hotline/outbox/outbound"
	"github.com/numerovert/hotline/scaleout"
)

// countingSender counts the sends of each outbox id.
type countingSender struct {
	mu    sync.Mutex
	sends map[string]int
	fail  int // fail this many first sends of each id
}

func (s *countingSender) Send(_ context.Context, m outbound.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends[m.ID]++
	if s.sends[m.ID] <= s.fail {
		return "", &outbound.SendError{Code: "503"}
	}
	return "prov-" + m.ID, nil
}

func (s *countingSender) count(id string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.sends[id] }

func testSealer(t testing.TB) *outbox.Sealer {
	t.Helper()
	s, err := outbox.NewSealer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runOutboxWorker(t *testing.T, q outbox.Queue, s outbox.Sender) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &outbox.Worker{Store: q, Senders: map[string]outbox.Sender{"demo-at": s}, Logger: quiet,
		Backoff: outbox.Backoff{Min: 20 * time.Millisecond, Max: 50 * time.Millisecond}, Poll: 20 * time.Millisecond}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// Two gateways' outboxes on one Redis, each with its worker, and every
// inbound message handled on both: each reply is queued once and sent
// once (one retry after a 503 included), delivery reports taken by either
// gateway empty the queue, and no form of any number is in Redis.
func TestOutboxTwoGateways(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	a := scaleout.NewOutbox(rdb, prefix, testSealer(t))
	b := scaleout.NewOutbox(rdb, prefix, testSealer(t))
	sender := &countingSender{sends: map[string]int{}, fail: 1}
	runOutboxWorker(t, a, sender)
	runOutboxWorker(t, b, sender)

	const n = 20
	var ids []string
	for i := range n {
		inbound := fmt.Sprintf("ATXid_%d", i)
		id := outbox.ReplyID("demo-at", inbound)
		ids = append(ids, id)
		m := &outbox.Message{ID: id, Channel: "demo-at", To: fmt.Sprintf("+2237600%04d", i), From: "36061", Body: fmt.Sprintf("Reference 1234 %04d", i)}
		var wg sync.WaitGroup
		firsts := make([]bool, 2)
		for j, q := range []*scaleout.Outbox{a, b} {
			wg.Go(func() {
				var err error
				if firsts[j], err = q.Handled(ctx, "demo-at", inbound, m); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if firsts[0] == firsts[1] {
			t.Fatalf("message %d: first = %v on both gateways, want exactly one", i, firsts)
		}
		if seen, err := b.Seen(ctx, "demo-at", inbound); err != nil || !seen {
			t.Fatalf("Seen = %v, %v", seen, err)
		}
	}
	eventually(t, "every reply sent after one retry", func() bool {
		for _, id := range ids {
			if sender.count(id) < 2 {
				return false
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond) // room for a second worker's duplicate
	for _, id := range ids {
		if c := sender.count(id); c != 2 {
			t.Errorf("%s sent %d times, want 2 (one 503, one accepted)", id, c)
		}
	}
	scanForNumbers(t, rdb, prefix, "22376000", "76000")
	if l, _ := a.Len(ctx); l != n {
		t.Fatalf("Len = %d, want %d before reports", l, n)
	}
	for i, id := range ids {
		q := []*scaleout.Outbox{a, b}[i%2]
		if known, err := q.Report(ctx, "demo-at", "prov-"+id, true, time.Minute); err != nil || !known {
			t.Fatalf("Report = %v, %v", known, err)
		}
	}
	if l, _ := b.Len(ctx); l != 0 {
		t.Fatalf("Len = %d after delivery reports, want 0", l)
	}
	keys, _ := redistest.Keys(ctx, rdb, prefix)
	for _, k := range keys {
		if strings.Contains(k, "outbox:msg:") || strings.Contains(k, "outbox:prov:") {
			t.Errorf("key %s left after delivery", k)
		}
	}
}

// A failed delivery report queues the message again; a report before the
// send's record is applied when the send is recorded; the window's end
// drops the message with its sealed number.
func TestOutboxReportsAndWindow(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	now := time.Now()
	q := scaleout.NewOutbox(rdb, prefix, testSealer(t))
	q.Now = func() time.Time { return now }
	m := func(in string) *outbox.Message {
		return &outbox.Message{ID: outbox.ReplyID("demo-at", in), Channel: "demo-at", To: "+22376000001", Body: "b"}
	}
	for _, in := range []string{"x1", "x2", "x3"} {
		if _, err := q.Handled(ctx, "demo-at", in, m(in)); err != nil {
			t.Fatal(err)
		}
	}
	due, err := q.Due(ctx, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("Due = %v, %v", due, err)
	}
	if again, _ := q.Due(ctx, 10); len(again) != 0 {
		t.Fatalf("leased records given again: %v", again)
	}
	to, body, err := q.Unseal(ctx, due[0].ID)
	if err != nil || to != "+22376000001" || body != "b" {
		t.Fatalf("Unseal = %q, %q, %v", to, body, err)
	}
	x1, x2 := m("x1").ID, m("x2").ID
	// x1: sent, then reported failed: due again after the retry.
	if err := q.Sent(ctx, x1, "p1"); err != nil {
		t.Fatal(err)
	}
	if known, err := q.Report(ctx, "demo-at", "p1", false, time.Second); err != nil || !known {
		t.Fatalf("Report = %v, %v", known, err)
	}
	now = now.Add(2 * time.Second)
	if due, _ := q.Due(ctx, 10); len(due) != 1 || due[0].ID != x1 || due[0].Attempts != 1 {
		t.Fatalf("after a failed report Due = %+v", due)
	}
	// x2: delivered report first, then the send: deleted.
	if known, _ := q.Report(ctx, "demo-at", "p2", true, time.Second); known {
		t.Fatal("early report matched")
	}
	if err := q.Sent(ctx, x2, "p2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.Unseal(ctx, x2); err == nil {
		t.Fatal("x2 kept after its early delivered report")
	}
	// The window ends: everything goes.
	now = now.Add(outbox.DefaultWindow + time.Minute)
	if n, err := q.Sweep(ctx); err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2", n, err)
	}
	if l, _ := q.Len(ctx); l != 0 {
		t.Fatalf("Len = %d after the window", l)
	}
	if dropped, err := q.Failed(ctx, x1, "x", false, time.Second); err == nil || dropped {
		t.Fatalf("Failed on a swept record = %v, %v", dropped, err)
	}
}

// scanForNumbers fails when a key or a value under prefix holds one of
// the digit strings.
func scanForNumbers(t *testing.T, rdb *redis.Client, prefix string, digits ...string) {
	t.Helper()
	ctx := context.Background()
	keys, err := redistest.Keys(ctx, rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		dump, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			continue // expired meanwhile
		}
		for _, d := range digits {
			if strings.Contains(k, d) || strings.Contains(dump, d) {
				t.Errorf("Redis key %s holds %q", k, d)
			}
		}
	}
}

// TestOutboxList: the Redis outbox lists what waits, on every gateway, in
// the bbolt outbox's record form, with states and attempts as they change
// and never the sealed number or text; a delivered reply leaves the list.
func TestOutboxList(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	q := scaleout.NewOutbox(rdb, prefix, testSealer(t))
	now := time.Now().Truncate(time.Millisecond)
	q.Now = func() time.Time { return now }
	if list, err := q.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("empty outbox: %v, %v", list, err)
	}
	var ids []string
	for i := range 3 {
		id := outbox.ReplyID("demo-at", fmt.Sprintf("ATXid_list%d", i))
		ids = append(ids, id)
		m := &outbox.Message{ID: id, Channel: "demo-at", To: fmt.Sprintf("+2237600%04d", 70+i), From: "36061", Body: "Reference 1234 5678"}
		if _, err := q.Handled(ctx, "demo-at", fmt.Sprintf("ATXid_list%d", i), m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.Failed(ctx, ids[1], "503", false, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := q.Sent(ctx, ids[2], "prov-2"); err != nil {
		t.Fatal(err)
	}
	list, err := q.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]outbox.Record{}
	for _, r := range list {
		got[r.ID] = r
		if s := fmt.Sprintf("%+v", r); strings.Contains(s, "76000070") || strings.Contains(s, "76000071") || strings.Contains(s, "5678") {
			t.Errorf("a listed record holds a number or text: %s", s)
		}
	}
	want := []outbox.Record{
		{ID: ids[0], Channel: "demo-at", From: "36061", State: outbox.StatePending, Created: now.UTC(), Deadline: now.Add(outbox.DefaultWindow).UTC(), NextAttempt: now.UTC()},
		{ID: ids[1], Channel: "demo-at", From: "36061", State: outbox.StatePending, Attempts: 1, Created: now.UTC(), Deadline: now.Add(outbox.DefaultWindow).UTC(), NextAttempt: now.Add(time.Minute).UTC(), LastError: "503"},
		{ID: ids[2], Channel: "demo-at", From: "36061", State: outbox.StateSent, Attempts: 1, Created: now.UTC(), Deadline: now.Add(outbox.DefaultWindow).UTC(), ProviderID: "prov-2"},
	}
	if len(list) != len(want) {
		t.Fatalf("listed %d records, want %d: %+v", len(list), len(want), list)
	}
	for _, w := range want {
		if g := got[w.ID]; g != w {
			t.Errorf("record %s:\n got %+v\nwant %+v", w.ID, g, w)
		}
	}
	if _, err := q.Report(ctx, "demo-at", "prov-2", true, time.Minute); err != nil {
		t.Fatal(err)
	}
	if list, err := q.List(ctx); err != nil || len(list) != 2 {
		t.Errorf("after the delivery report: %d records, %v; want 2", len(list), err)
	}
}
