package scaleout_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/casework/storetest"
	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/scaleout"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// intake is a valid intake whose idempotency key, like the gateway's,
// holds the channel token and the provider session id.
func intake(n int) casework.Intake {
	in := storetest.Intake(fmt.Sprintf("k1:caller-%d", n%5), n)
	in.IdempotencyKey = fmt.Sprintf("demo-at/ATUid_%032x", n)
	return in
}

// runConsumer runs a consumer until the test ends.
func runConsumer(t *testing.T, c *scaleout.Consumer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(t *testing.T, s casework.Store) int {
	t.Helper()
	n := 0
	if err := s.Each(context.Background(), func(casework.Case) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProducerQueuesOnceAndHidesKeys(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	p := scaleout.NewProducer(rdb, prefix)
	if err := p.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}

	in := intake(1)
	first, err := p.Submit(ctx, in)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if ref, ok := casework.ParseReference(first.Case.Reference); !ok || ref != first.Case.Reference {
		t.Fatalf("reference %q is not 8 digits", first.Case.Reference)
	}
	if first.Case.Status != scaleout.StatusReceived {
		t.Errorf("status %q, want %q", first.Case.Status, scaleout.StatusReceived)
	}
	// A retried confirmation, on this replica or another, gets the same
	// reference and queues nothing more.
	again, err := scaleout.NewProducer(rdb, prefix).Submit(ctx, in)
	if err != nil || again.Case.Reference != first.Case.Reference {
		t.Fatalf("repeat = %q, %v; want %q", again.Case.Reference, err, first.Case.Reference)
	}
	if n := rdb.XLen(ctx, prefix+"intake").Val(); n != 1 {
		t.Errorf("stream holds %d entries, want 1", n)
	}
	ps, err := scaleout.NewMirror(rdb, prefix).Lookup(ctx, casework.FormatReference(first.Case.Reference))
	if err != nil || ps.Status != scaleout.StatusReceived || ps.Updated.IsZero() {
		t.Errorf("Lookup = %+v, %v; want received", ps, err)
	}

	keys, err := redistest.Keys(ctx, rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if found := anyOf(k, "demo-at", "ATUid", "k1:", "caller", in.Detail); found != "" {
			t.Errorf("Redis key %q holds %q", k, found)
		}
	}

	bad := intake(2)
	bad.Category = ""
	if _, err := p.Submit(ctx, bad); !errors.Is(err, casework.ErrInvalidIntake) {
		t.Errorf("invalid intake: err = %v, want ErrInvalidIntake", err)
	}
	taken := intake(3)
	taken.Reference = first.Case.Reference
	if _, err := p.Submit(ctx, taken); !errors.Is(err, casework.ErrReferenceTaken) {
		t.Errorf("taken reference: err = %v, want ErrReferenceTaken", err)
	}
	if n := rdb.XLen(ctx, prefix+"intake").Val(); n != 1 {
		t.Errorf("refused intakes queued: stream holds %d entries, want 1", n)
	}
}

func anyOf(s string, subs ...string) string {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return sub
		}
	}
	return ""
}

// Concurrent replicas queue; one consumer stores every complaint under
// the reference the caller was shown, mirrors its status and leaves the
// stream empty.
func TestConsumerStoresUnderGatewayReferences(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	store := memstore.New()

	const n = 60
	refs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := scaleout.NewProducer(rdb, prefix)
			r, err := p.Submit(ctx, intake(i))
			if err != nil {
				t.Errorf("Submit %d: %v", i, err)
			}
			refs[i] = r.Case.Reference
		})
	}
	wg.Wait()

	runConsumer(t, scaleout.NewConsumer(rdb, prefix, caseworktest.Service(t, store, nil), "casework-1", quiet))
	eventually(t, "all cases stored", func() bool { return count(t, store) == n })

	mirror := scaleout.NewMirror(rdb, prefix)
	for i, ref := range refs {
		c, err := store.ByReference(ctx, ref)
		if err != nil {
			t.Fatalf("reference %s shown for intake %d is not stored: %v", ref, i, err)
		}
		if c.Detail != intake(i).Detail || c.CallerKey != intake(i).CallerKey {
			t.Errorf("case %s holds another intake: %+v", ref, c)
		}
		eventually(t, "status mirrored", func() bool {
			ps, err := mirror.Lookup(ctx, ref)
			return err == nil && ps.Status == casework.StatusNew
		})
	}
	eventually(t, "stream emptied", func() bool { return rdb.XLen(ctx, prefix+"intake").Val() == 0 })
	pend, err := rdb.XPending(ctx, prefix+"intake", scaleout.Group).Result()
	if err != nil || pend.Count != 0 {
		t.Errorf("pending after consumption: %+v, %v", pend, err)
	}
}

// A node that crashed after reading (and perhaps storing) entries but
// before acknowledging them: on restart its pending entries are read
// again, entries pending under another consumer name are claimed, and an
// entry delivered twice still makes one case.
func TestConsumerRecoversPendingOnce(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	store := memstore.New()
	p := scaleout.NewProducer(rdb, prefix)
	stream := prefix + "intake"

	var refs []string
	for i := range 4 {
		r, err := p.Submit(ctx, intake(i))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r.Case.Reference)
	}
	if err := rdb.XGroupCreateMkStream(ctx, stream, scaleout.Group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	// "casework-1" read two entries and stored the first before dying;
	// "old-name" read the other two and never came back.
	readAs := func(name string, count int64) []redis.XMessage {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: scaleout.Group, Consumer: name, Streams: []string{stream, ">"}, Count: count, Block: -1}).Result()
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Messages
	}
	mine := readAs("casework-1", 2)
	readAs("old-name", 2)
	var in casework.Intake
	if err := jsonUnmarshal(mine[0].Values["intake"], &in); err != nil {
		t.Fatal(err)
	}
	if _, err := caseworktest.Service(t, store, nil).Submit(ctx, in); err != nil {
		t.Fatal(err)
	}
	// The same entry also arrives twice in the stream.
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: mine[0].Values}).Err(); err != nil {
		t.Fatal(err)
	}

	c := scaleout.NewConsumer(rdb, prefix, caseworktest.Service(t, store, nil), "casework-1", quiet)
	c.ClaimIdle = 50 * time.Millisecond
	time.Sleep(60 * time.Millisecond)
	runConsumer(t, c)
	eventually(t, "stream drained", func() bool {
		pend, err := rdb.XPending(ctx, stream, scaleout.Group).Result()
		return err == nil && pend.Count == 0 && rdb.XLen(ctx, stream).Val() == 0
	})
	if n := count(t, store); n != 4 {
		t.Fatalf("%d cases, want 4 (one per complaint)", n)
	}
	for _, ref := range refs {
		if _, err := store.ByReference(ctx, ref); err != nil {
			t.Errorf("reference %s: %v", ref, err)
		}
	}
}

// flakyStore fails to create cases while down is set, like a full disk.
type flakyStore struct {
	casework.Store
	down atomic.Bool
}

func (f *flakyStore) Create(ctx context.Context, key string, c casework.Case, events []casework.Event) (casework.Case, bool, error) {
	if f.down.Load() {
		return casework.Case{}, false, errors.New("disk full")
	}
	return f.Store.Create(ctx, key, c, events)
}

// A store failure leaves entries pending; they are stored once the store
// recovers. An entry that can never be a case goes to the dead-letter
// stream instead of blocking the others.
func TestConsumerStoreFailureAndPoison(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	store := &flakyStore{Store: memstore.New()}
	store.down.Store(true)
	stream := prefix + "intake"

	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: map[string]any{"v": "1", "ref": "12345678", "intake": "{not json"}}).Err(); err != nil {
		t.Fatal(err)
	}
	r, err := scaleout.NewProducer(rdb, prefix).Submit(ctx, intake(1))
	if err != nil {
		t.Fatal(err)
	}
	runConsumer(t, scaleout.NewConsumer(rdb, prefix, caseworktest.Service(t, store, nil), "casework-1", quiet))
	eventually(t, "poison entry dead-lettered", func() bool { return rdb.XLen(ctx, prefix+"intake:dead").Val() == 1 })
	time.Sleep(300 * time.Millisecond)
	if n := count(t, store); n != 0 {
		t.Fatalf("%d cases while the store is down", n)
	}
	if pend := rdb.XPending(ctx, stream, scaleout.Group).Val(); pend == nil || pend.Count != 1 {
		t.Fatalf("pending while the store is down: %+v, want 1 entry", pend)
	}
	store.down.Store(false)
	eventually(t, "case stored after recovery", func() bool {
		_, err := store.ByReference(ctx, r.Case.Reference)
		return err == nil
	})
	eventually(t, "stream drained", func() bool { return rdb.XLen(ctx, stream).Val() == 0 })
}

func TestMirrorResyncAndLookup(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	store := memstore.New()
	var refs []string
	for i := range 3 {
		r, err := caseworktest.Service(t, store, nil).Submit(ctx, intake(i))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r.Case.Reference)
	}
	m := scaleout.NewMirror(rdb, prefix)
	if _, err := m.Lookup(ctx, refs[0]); !errors.Is(err, casework.ErrNotFound) {
		t.Fatalf("Lookup before resync: %v, want ErrNotFound", err)
	}
	if n, err := m.Resync(ctx, store); err != nil || n != 3 {
		t.Fatalf("Resync = %d, %v", n, err)
	}
	for _, ref := range refs {
		if ps, err := m.Lookup(ctx, ref); err != nil || ps.Status != casework.StatusNew {
			t.Errorf("Lookup(%s) = %+v, %v", ref, ps, err)
		}
	}
	if err := m.Publish(ctx, refs[1], scaleout.PublicStatus{Status: "closed", Updated: time.Now(), Response: "Votre plainte a été traitée."}); err != nil {
		t.Fatal(err)
	}
	if ps, err := m.Lookup(ctx, refs[1]); err != nil || ps.Status != "closed" || ps.Response != "Votre plainte a été traitée." {
		t.Errorf("Lookup after Publish = %+v, %v", ps, err)
	}
	if _, err := m.Lookup(ctx, "not a ref"); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("Lookup(garbage): %v, want ErrNotFound", err)
	}
}

func TestUnreachableRedis(t *testing.T) {
	rdb := redistest.Unreachable(t)
	p := scaleout.NewProducer(rdb, "nvtest:none:")
	ctx := context.Background()
	if err := p.Check(ctx); err == nil {
		t.Error("Check: no error")
	}
	if _, err := p.Submit(ctx, intake(1)); err == nil {
		t.Error("Submit: no error")
	}
}

// An officer's answer reaches the mirror through the service's change
// hook: status and response, never the complaint.
func TestMirrorFollowsChanges(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	m := scaleout.NewMirror(rdb, prefix)
	store := memstore.New()
	changed := make(chan casework.Case, 8)
	svc := caseworktest.ServiceWith(t, store, func(o *casework.Options) {
		o.OnChange = func(c casework.Case) { changed <- c }
	})
	publish := func() {
		t.Helper()
		select {
		case c := <-changed:
			if err := m.PublishCase(ctx, c); err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no change reported")
		}
	}
	in := intake(1)
	r, err := svc.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	publish()
	ref := r.Case.Reference
	got, err := m.Lookup(ctx, ref)
	if err != nil || got.Status != casework.StatusNew || got.Response != "" || got.CallerKey != in.CallerKey {
		t.Fatalf("before an answer: %+v, %v", got, err)
	}
	officer := casework.Actor{ID: "o", Team: r.Case.Team}
	for _, step := range []func() (casework.Case, error){
		func() (casework.Case, error) { return svc.Assign(ctx, officer, r.Case.ID, "o") },
		func() (casework.Case, error) { return svc.Start(ctx, officer, r.Case.ID) },
		func() (casework.Case, error) {
			return svc.Resolve(ctx, officer, r.Case.ID, map[string]string{in.Language: "Votre nom est remis sur la liste."})
		},
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
		publish()
	}
	got, err = m.Lookup(ctx, ref)
	if err != nil || got.Status != casework.StatusResolved || got.Response != "Votre nom est remis sur la liste." {
		t.Errorf("after the answer: %+v, %v", got, err)
	}
	if _, err := m.Lookup(ctx, "19999999"); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("unknown reference: %v, want ErrNotFound", err)
	}
}

// With Replicas set, a complaint no replica acknowledged is refused (the
// caller hears the apology, not a reference), and so is its retry. The
// test Redis has no replicas; the Sentinel failover test in e2e covers the
// case where one does.
func TestProducerWaitsForReplicas(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	if n := rdb.Wait(ctx, 1, 10*time.Millisecond).Val(); n != 0 {
		t.Skipf("the test Redis has %d replicas; this test needs none", n)
	}
	p := scaleout.NewProducer(rdb, prefix)
	p.Replicas, p.ReplicaTimeout = 1, 50*time.Millisecond
	in := intake(1)
	for _, try := range []string{"first", "retry"} {
		r, err := p.Submit(ctx, in)
		if !errors.Is(err, scaleout.ErrNotReplicated) {
			t.Fatalf("%s: Submit = %q, %v; want ErrNotReplicated", try, r.Case.Reference, err)
		}
	}
	// The same producer without the requirement takes it, once.
	p.Replicas = 0
	if _, err := p.Submit(ctx, in); err != nil {
		t.Fatalf("Replicas 0: %v", err)
	}
	if n := rdb.XLen(ctx, prefix+"intake").Val(); n != 1 {
		t.Errorf("stream holds %d entries, want 1", n)
	}
}

// A gateway with the PIN keys shows a PIN with the reference; the caller
// then follows up on any gateway with reference and PIN, before and after
// the casework node has stored the case, and the same PIN works on the
// casework node itself. Wrong attempts count across gateways.
func TestFollowUpOnAnyGateway(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	pins, err := casework.NewPINs(caseworktest.Keys())
	if err != nil {
		t.Fatal(err)
	}
	p := scaleout.NewProducer(rdb, prefix)
	p.PINs = pins
	in := intake(1)
	r, err := p.Submit(ctx, in)
	if err != nil || len(r.PIN) != 4 {
		t.Fatalf("Submit = PIN %q, %v; want a 4-digit PIN", r.PIN, err)
	}
	if again, err := p.Submit(ctx, in); err != nil || again.PIN != "" || again.Case.Reference != r.Case.Reference {
		t.Errorf("repeat = %q PIN %q, %v; want the same reference and no PIN", again.Case.Reference, again.PIN, err)
	}
	ref := casework.FormatReference(r.Case.Reference)
	gatewayA, gatewayB := scaleout.NewFollowUps(rdb, prefix, pins), scaleout.NewFollowUps(rdb, prefix, pins)
	callerKeys := []string{in.CallerKey}

	a, err := gatewayB.FollowUp(ctx, callerKeys, ref, r.PIN)
	if err != nil || a.Status != casework.PublicReceived || a.Response != "" {
		t.Fatalf("queued, on another gateway: %+v, %v; want received", a, err)
	}
	for _, bad := range [][2]string{{ref, wrongPIN(r.PIN)}, {"19999999", r.PIN}, {"12", r.PIN}, {ref, ""}} {
		if _, err := gatewayA.FollowUp(ctx, []string{"k1:someone-else"}, bad[0], bad[1]); !errors.Is(err, casework.ErrNoMatch) {
			t.Errorf("FollowUp(%q, %q) = %v, want ErrNoMatch", bad[0], bad[1], err)
		}
	}

	store := memstore.New()
	mirror := scaleout.NewMirror(rdb, prefix)
	svc := caseworktest.ServiceWith(t, store, func(o *casework.Options) {
		o.OnChange = func(c casework.Case) { _ = mirror.PublishCase(ctx, c) }
	})
	runConsumer(t, scaleout.NewConsumer(rdb, prefix, svc, "casework-1", quiet))
	eventually(t, "case stored", func() bool { return count(t, store) == 1 })
	stored, err := store.ByReference(ctx, r.Case.Reference)
	if err != nil || stored.ID != r.Case.ID {
		t.Fatalf("stored case %q, %v; want the gateway's ID %q", stored.ID, err, r.Case.ID)
	}
	if a, err := svc.FollowUp(ctx, callerKeys, ref, r.PIN); err != nil || a.Status != casework.PublicReceived {
		t.Errorf("the gateway's PIN on the casework node: %+v, %v", a, err)
	}
	officer := casework.Actor{ID: "o", Team: stored.Team}
	if _, err := svc.Assign(ctx, officer, stored.ID, "o"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Start(ctx, officer, stored.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Resolve(ctx, officer, stored.ID, map[string]string{in.Language: "Votre nom est remis sur la liste."}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "answer on a gateway", func() bool {
		a, err := gatewayA.FollowUp(ctx, callerKeys, ref, r.PIN)
		return err == nil && a.Status == casework.PublicAnswered && a.Response == "Votre nom est remis sur la liste."
	})

	// Five wrong PINs for the reference (one above, four here), spread
	// over two gateways, lock it on both, the right PIN included.
	for i := range casework.DefaultMaxAttempts - 1 {
		g := []*scaleout.FollowUps{gatewayA, gatewayB}[i%2]
		if _, err := g.FollowUp(ctx, []string{fmt.Sprintf("k1:guesser-%d", i)}, ref, wrongPIN(r.PIN)); !errors.Is(err, casework.ErrNoMatch) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	for _, g := range []*scaleout.FollowUps{gatewayA, gatewayB} {
		if _, err := g.FollowUp(ctx, callerKeys, ref, r.PIN); !errors.Is(err, casework.ErrTooManyAttempts) {
			t.Errorf("after 5 wrong PINs: %v, want ErrTooManyAttempts", err)
		}
	}
	keys, err := redistest.Keys(ctx, rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if found := anyOf(k, r.Case.Reference, in.CallerKey, "guesser", r.PIN); found != "" && !strings.HasSuffix(k, "case:"+r.Case.Reference) {
			t.Errorf("Redis key %q holds %q", k, found)
		}
	}
}

func wrongPIN(pin string) string {
	if pin == "0000" {
		return "0001"
	}
	return "0000"
}
