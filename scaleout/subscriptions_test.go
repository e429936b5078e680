package scaleout_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/scaleout"
	"github.com/numerovert/hotline/subscribers"
)

// Subscription changes queued by gateways reach the casework node's file
// in the order they were made, whichever gateway took them: a STOP after
// a subscription deletes it, a subscription after a STOP keeps it; each
// entry leaves Redis once applied, and Redis never holds the number; a
// request sealed with another key is dropped, not applied.
func TestSubscriptionsReachCaseworkInOrder(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	key := []keystore.Key{{Version: "k1", Secret: []byte(strings.Repeat("s", keystore.Size))}}
	store, err := subscribers.OpenWithKeys(filepath.Join(t.TempDir(), "subscribers.db"), key)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sealer, err := subscribers.NewRequestSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	gwA, gwB := scaleout.NewSubscriptions(rdb, prefix, sealer), scaleout.NewSubscriptions(rdb, prefix, sealer)
	const (
		stays   = "+22376000171" // subscribes on A
		leaves  = "+22376000172" // subscribes on A, STOP on B
		returns = "+22376000173" // STOP on B, then subscribes on A
	)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(gwA.Subscribe(ctx, stays, "fr", "ML05", "ML0507", "demo-at"))
	must(gwA.Subscribe(ctx, leaves, "fr", "ML05", "ML0507", "demo-at"))
	_, err = gwB.Unsubscribe(ctx, returns)
	must(err)
	_, err = gwB.Unsubscribe(ctx, leaves)
	must(err)
	must(gwA.Subscribe(ctx, returns, "bm", "ML05", "", "demo-at"))
	other, _ := subscribers.NewRequestSealer([]keystore.Key{{Version: "k1", Secret: []byte(strings.Repeat("o", keystore.Size))}})
	must(scaleout.NewSubscriptions(rdb, prefix, other).Subscribe(ctx, "+22376000174", "fr", "ML05", "", "demo-at"))

	keys, err := redistest.Keys(ctx, rdb, prefix)
	must(err)
	for _, k := range keys {
		dump, _ := rdb.Dump(ctx, k).Result()
		for _, n := range []string{stays, leaves, returns, "+22376000174"} {
			if strings.Contains(k+dump, n[1:]) || strings.Contains(k+dump, n[4:]) {
				t.Errorf("Redis key %s holds %s", k, n)
			}
		}
	}

	c := scaleout.NewSubscriptionConsumer(rdb, prefix, store, nil)
	n, err := c.ApplyPending(ctx)
	must(err)
	if n != 5 {
		t.Errorf("applied %d changes, want 5 (the foreign one dropped)", n)
	}
	if l := rdb.XLen(ctx, prefix+"subscribers:requests").Val(); l != 0 {
		t.Errorf("%d applied changes left in Redis", l)
	}
	got := map[string]subscribers.Subscriber{}
	_, err = store.Each(ctx, func(subscribers.Subscriber) bool { return true }, func(s subscribers.Subscriber, number string) error {
		got[number] = s
		return nil
	})
	must(err)
	if len(got) != 2 || got[stays].Cercle != "ML0507" || got[returns].Lang != "bm" {
		t.Errorf("subscribers after the changes: %+v; want %s (ML0507) and %s (bm)", got, stays, returns)
	}
	if n, err := c.ApplyPending(ctx); n != 0 || err != nil {
		t.Errorf("applying again: %d, %v", n, err)
	}
}
