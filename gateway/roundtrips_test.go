package gateway

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/internal/redistest"
)

// roundTrips counts the client's round trips to Redis: a command, or a
// whole pipeline.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !setup(cmd) {
			r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && !setup(cmds[0]) {
			r.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

var _ redis.Hook = (*roundTrips)(nil)

// setup is a new connection's handshake, not a hop's work.
func setup(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "client", "select":
		return true
	}
	return false
}

// unbatched hides a store's batch calls, as a store without them would.
type unbatched struct{ SessionStore }

// The load tool's whole complaint (dial, then 1 nine times, the last a
// submission) on the Redis session store: no hop makes more than two
// round trips (its read, then its session and resume writes together),
// and the whole session makes fewer than one key at a time would.
func TestRedisHopRoundTrips(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	count := &roundTrips{}
	rdb.AddHook(count)
	session := func(t *testing.T, store SessionStore, sid string) (total int64) {
		ts := newTestServerWith(t, &Limits{}, memstore.New(), func(o *Options) { o.Sessions = store })
		text := ""
		for i := range 10 {
			before := count.n.Load()
			code, body := ts.hop(t, testChannel, sid, testPhone, text)
			if code != 200 {
				t.Fatalf("hop %q: %d %q", text, code, body)
			}
			n := count.n.Load() - before
			if _, batched := store.(sessionBatcher); batched && n > 2 {
				t.Errorf("hop %d (%q) made %d round trips to Redis, want at most 2", i, text, n)
			}
			total += n
			if i == 9 {
				if !strings.HasPrefix(body, "END ") {
					t.Fatalf("the tenth hop is not the end screen: %q", body)
				}
			}
			text = strings.TrimPrefix(text+"*1", "*")
		}
		return total
	}
	store := sessions.NewRedis(rdb, prefix)
	batched := session(t, store, "ATUid_rt1")
	one := session(t, unbatched{store}, "ATUid_rt2")
	t.Logf("round trips per session: %d batched, %d one key at a time", batched, one)
	if batched >= one {
		t.Errorf("batched session made %d round trips, one key at a time %d", batched, one)
	}
}

// BenchmarkUSSDSessionRedis is BenchmarkUSSDSession on the Redis session
// store: the gateway's own cost per session, and its round trips.
func BenchmarkUSSDSessionRedis(b *testing.B) {
	rdb := redistest.Client(b)
	count := &roundTrips{}
	rdb.AddHook(count)
	ts := newTestServerWith(b, &Limits{}, memstore.New(), func(o *Options) { o.Sessions = sessions.NewRedis(rdb, redistest.Prefix(b, rdb)) })
	texts := []string{"", "1", "1*1", "1*1*2", "1*1*2*1", "1*1*2*1*1", "1*1*2*1*1*1", "1*1*2*1*1*1*1", "1*1*2*1*1*1*1*1"}
	i := 0
	count.n.Store(0)
	for b.Loop() {
		sid := "ATUid_b" + time.Now().Format("150405.000000") + string(rune('a'+i%26))
		for _, text := range texts {
			if code, body := ts.hop(b, testChannel, sid, "+22376001234", text); code != 200 {
				b.Fatalf("hop %q: %d %s", text, code, body)
			}
		}
		i++
	}
	b.ReportMetric(float64(count.n.Load())/float64(i), "roundtrips/op")
}

// Two gateways on one Redis, the hops of one session spread over them as a
// balancer without affinity does: every screen is the one a lone gateway
// shows. A hop on the gateway that served the session's previous hop makes
// one round trip (its write, conditional on the session it remembers);
// a gateway whose copy the other has overtaken takes what Redis holds
// (two). The confirmation is stored from Redis's session, never from a
// copy, and its retry on the other gateway gets the same reference and
// makes no second case.
func TestRedisGatewaysOvertakeEachOther(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	count := &roundTrips{}
	rdb.AddHook(count)
	cases := memstore.New()
	gateway := func() *testServer {
		return newTestServerWith(t, &Limits{}, cases, func(o *Options) { o.Sessions = sessions.NewRedis(rdb, prefix) })
	}
	a, b := gateway(), gateway()
	alone := newTestServer(t, &Limits{})
	via := []*testServer{a, a, a, b, b, a, a, b, a, a}
	wantTrips := []int64{2, 1, 1, 2, 1, 2, 1, 2, 2, 2}
	text, last := "", ""
	for i, gw := range via {
		_, want := alone.hop(t, testChannel, "ATUid_two", testPhone, text)
		before := count.n.Load()
		code, got := gw.hop(t, testChannel, "ATUid_two", testPhone, text)
		if n := count.n.Load() - before; n != wantTrips[i] {
			t.Errorf("hop %d (%q) made %d round trips to Redis, want %d", i, text, n, wantTrips[i])
		}
		if code != 200 {
			t.Fatalf("hop %d (%q): %d %q", i, text, code, got)
		}
		if i < len(via)-1 && got != want {
			t.Errorf("hop %d (%q) shows %q, a lone gateway %q", i, text, got, want)
		}
		last = text
		text = strings.TrimPrefix(text+"*1", "*")
		if i == len(via)-1 {
			if !strings.HasPrefix(got, "END ") || !strings.HasPrefix(want, "END ") {
				t.Fatalf("the last hop is not the end screen: %q (alone %q)", got, want)
			}
			if _, again := b.hop(t, testChannel, "ATUid_two", testPhone, last); again != got {
				t.Errorf("the confirmation's retry on the other gateway shows %q, the first %q", again, got)
			}
		}
	}
	if n := caseCount(t, cases); n != 1 {
		t.Errorf("%d cases stored, want 1", n)
	}
}
