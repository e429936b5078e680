package scaleout_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/recordings"
	"github.com/numerovert/hotline/scaleout"
)

// A 3 MB voice message put on a gateway's handoff reaches the casework
// node's recordings store in several chunks, opens there with the same
// keys, is never in clear in Redis, and leaves no chunk behind; a message
// sealed with another key is dropped, not stored.
func TestRecordingHandoff(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	keys := []keystore.Key{{Version: "k1", Secret: bytes.Repeat([]byte{7}, 32)}}
	store, err := recordings.OpenWithKeys(filepath.Join(t.TempDir(), "recordings.db"), keys)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sealer, err := recordings.NewSealer(keys)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := recordings.NewSealer([]keystore.Key{{Version: "k1", Secret: bytes.Repeat([]byte{8}, 32)}})

	voice := bytes.Repeat([]byte("RIFF-caller-voice-"), 3<<20/18)
	gw := scaleout.NewRecordingHandoff(rdb, prefix, sealer)
	if err := gw.Put(ctx, "rec1", voice); err != nil {
		t.Fatal(err)
	}
	if err := scaleout.NewRecordingHandoff(rdb, prefix, other).Put(ctx, "rec2", voice[:100]); err != nil {
		t.Fatal(err)
	}
	if err := gw.Put(ctx, "big", make([]byte, recordings.MaxSize+1)); err == nil {
		t.Fatal("a recording over 8 MB was queued")
	}
	keysNow, _ := redistest.Keys(ctx, rdb, prefix)
	chunks := 0
	for _, k := range keysNow {
		if strings.Contains(k, ":rec:rec1:") {
			chunks++
		}
		v, _ := rdb.Dump(ctx, k).Result()
		if strings.Contains(v, "caller-voice") {
			t.Errorf("key %s holds the voice in clear", k)
		}
	}
	if chunks < 3*(1<<20)/scaleout.ChunkSize {
		t.Fatalf("%d chunks for 3 MB, want at least %d", chunks, 3*(1<<20)/scaleout.ChunkSize)
	}
	if has, err := gw.Has(ctx, "rec1"); err != nil || !has {
		t.Fatalf("Has while queued = %v, %v", has, err)
	}

	c := scaleout.NewRecordingConsumer(rdb, prefix, store, "casework", quiet)
	c.Block = 50 * time.Millisecond
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { c.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	eventually(t, "the recording stored by casework", func() bool {
		has, _ := store.Has(ctx, "rec1")
		return has
	})
	got, err := store.Get(ctx, "rec1")
	if err != nil || !bytes.Equal(got, voice) {
		t.Fatalf("Get = %d bytes, %v; want the %d bytes put", len(got), err, len(voice))
	}
	eventually(t, "the chunks deleted", func() bool {
		n, _ := rdb.Exists(ctx, prefix+"rec:rec1:0", prefix+"rec:rec2:0").Result()
		return n == 0
	})
	if has, _ := store.Has(ctx, "rec2"); has {
		t.Fatal("a recording sealed with another key was stored")
	}
	if has, err := gw.Has(ctx, "rec1"); err != nil || !has {
		t.Fatalf("Has after casework kept it = %v, %v", has, err)
	}
}

// A message delivered to a casework node that crashed under another
// consumer name is taken over and stored.
func TestRecordingClaimedFromCrashedConsumer(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	keys := []keystore.Key{{Version: "k1", Secret: bytes.Repeat([]byte{7}, 32)}}
	store, err := recordings.OpenWithKeys(filepath.Join(t.TempDir(), "recordings.db"), keys)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sealer, _ := recordings.NewSealer(keys)
	if err := scaleout.NewRecordingHandoff(rdb, prefix, sealer).Put(ctx, "rec1", []byte("RIFF-voice")); err != nil {
		t.Fatal(err)
	}
	if err := rdb.XGroupCreateMkStream(ctx, prefix+"recordings", scaleout.Group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: scaleout.Group, Consumer: "old-node", Streams: []string{prefix + "recordings", ">"}, Count: 1, Block: -1}).Err(); err != nil {
		t.Fatal(err) // delivered to old-node, which then "crashes"
	}
	c := scaleout.NewRecordingConsumer(rdb, prefix, store, "casework", quiet)
	c.Block, c.ClaimIdle = 20*time.Millisecond, 50*time.Millisecond
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { c.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	eventually(t, "the pending message claimed and stored", func() bool {
		got, err := store.Get(ctx, "rec1")
		return err == nil && string(got) == "RIFF-voice"
	})
}
