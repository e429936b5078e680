package sessions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/internal/redistest"
)

func TestRedisStore(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	a := sessions.NewRedis(rdb, prefix)
	b := sessions.NewRedis(rdb, prefix) // another replica
	const key = "ussd/demo-at/ATUid_0123456789abcdef"

	if _, found, err := a.Load(ctx, key); found || err != nil {
		t.Fatalf("Load(missing) = found %v, %v", found, err)
	}
	if err := a.Save(ctx, key, []byte(`{"text":"1*2"}`), time.Minute); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, found, err := b.Load(ctx, key)
	if err != nil || !found || string(got) != `{"text":"1*2"}` {
		t.Fatalf("Load on another replica = %q, %v, %v", got, found, err)
	}

	keys, err := redistest.Keys(ctx, rdb, prefix)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys under prefix: %v, %v", keys, err)
	}
	for _, part := range []string{"demo-at", "ATUid", "0123456789abcdef"} {
		if strings.Contains(keys[0], part) {
			t.Errorf("Redis key %q holds %q from the session key", keys[0], part)
		}
	}
	if ttl := rdb.TTL(ctx, keys[0]).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL = %v, want up to a minute", ttl)
	}

	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, found, _ := a.Load(ctx, key); found {
		t.Error("Load after Delete found the session")
	}

	if err := a.Save(ctx, key, []byte("x"), 50*time.Millisecond); err != nil {
		t.Fatalf("Save: %v", err)
	}
	time.Sleep(150 * time.Millisecond)
	if _, found, _ := a.Load(ctx, key); found {
		t.Error("Load after the TTL found the session")
	}
}

func TestRedisStoreUnreachable(t *testing.T) {
	rdb := redistest.Unreachable(t)
	s := sessions.NewRedis(rdb, "nvtest:none:")
	ctx := context.Background()
	if _, _, err := s.Load(ctx, "k"); err == nil {
		t.Error("Load against a closed port: no error")
	}
	if err := s.Save(ctx, "k", []byte("v"), time.Minute); err == nil {
		t.Error("Save against a closed port: no error")
	}
	if _, err := s.LoadAll(ctx, "k", "l"); err == nil {
		t.Error("LoadAll against a closed port: no error")
	}
	if err := s.SaveAll(ctx, sessions.Write{Key: "k", Value: []byte("v"), TTL: time.Minute}, sessions.Write{Key: "l", Delete: true}); err == nil {
		t.Error("SaveAll against a closed port: no error")
	}
}

// The batch calls a hop uses (one round trip each) keep the contract of
// Load, Save and Delete, on Redis and in memory alike.
func TestBatches(t *testing.T) {
	rdb := redistest.Client(t)
	stores := map[string]interface {
		Load(context.Context, string) ([]byte, bool, error)
		Save(context.Context, string, []byte, time.Duration) error
		LoadAll(context.Context, ...string) ([][]byte, error)
		SaveAll(context.Context, ...sessions.Write) error
	}{
		"redis":  sessions.NewRedis(rdb, redistest.Prefix(t, rdb)),
		"memory": sessions.NewMemory(),
	}
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if err := s.Save(ctx, "old", []byte("stale"), time.Minute); err != nil {
				t.Fatal(err)
			}
			err := s.SaveAll(ctx,
				sessions.Write{Key: "sess", Value: []byte("S"), TTL: time.Minute},
				sessions.Write{Key: "old", Delete: true},
				sessions.Write{Key: "resume", Value: []byte("R"), TTL: 50 * time.Millisecond},
			)
			if err != nil {
				t.Fatalf("SaveAll: %v", err)
			}
			got, err := s.LoadAll(ctx, "sess", "old", "resume", "never")
			if err != nil {
				t.Fatalf("LoadAll: %v", err)
			}
			want := []string{"S", "", "R", ""}
			for i, w := range want {
				if string(got[i]) != w || (w == "") != (got[i] == nil) {
					t.Errorf("LoadAll[%d] = %q, want %q", i, got[i], w)
				}
			}
			time.Sleep(150 * time.Millisecond)
			if _, found, _ := s.Load(ctx, "resume"); found {
				t.Error("a batch write outlived its TTL")
			}
		})
	}
}

// A replica remembers what it wrote, and SaveIf writes only over that: over
// a value another replica wrote since, or a deleted one, it writes nothing
// and returns what Redis holds.
func TestRedisSaveIf(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx := context.Background()
	a := sessions.NewRedis(rdb, prefix)
	b := sessions.NewRedis(rdb, prefix) // another replica
	const key, side = "ussd/demo-at/ATUid_cas/k", "resume/ussd/k"
	save := func(v string) sessions.Write { return sessions.Write{Key: key, Value: []byte(v), TTL: time.Minute} }
	load := func(s *sessions.Redis, k string) string {
		v, _, err := s.Load(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}

	if err := a.Save(ctx, key, []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok := a.Remembered(key); !ok || string(v) != "v1" {
		t.Fatalf("a.Remembered = %q, %v, want v1", v, ok)
	}
	if _, ok := b.Remembered(key); ok {
		t.Fatal("b remembers a value it never wrote")
	}
	cur, err := a.SaveIf(ctx, []byte("v1"), save("v2"), sessions.Write{Key: side, Value: []byte("r"), TTL: time.Minute})
	if err != nil || cur != nil {
		t.Fatalf("SaveIf over what Redis holds = %v, %v", cur, err)
	}
	if got := load(b, key) + "," + load(b, side); got != "v2,r" {
		t.Fatalf("after SaveIf Redis holds %q, want v2,r", got)
	}
	if ttl := rdb.PTTL(ctx, keysUnder(t, rdb, prefix)[0]).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL after SaveIf = %v, want up to a minute", ttl)
	}

	if err := b.SaveAll(ctx, save("v3"), sessions.Write{Key: side, Delete: true}); err != nil {
		t.Fatal(err)
	}
	cur, err = a.SaveIf(ctx, []byte("v2"), save("v4"), sessions.Write{Key: side, Value: []byte("r4"), TTL: time.Minute})
	if err != nil || cur == nil || !cur.Found || string(cur.Value) != "v3" {
		t.Fatalf("SaveIf over an overtaken copy = %+v, %v, want v3 returned", cur, err)
	}
	if got := load(b, key) + "," + load(b, side); got != "v3," {
		t.Fatalf("a refused SaveIf wrote: Redis holds %q, want v3,", got)
	}
	if _, ok := a.Remembered(key); ok {
		t.Error("a still remembers its overtaken copy")
	}

	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	cur, err = b.SaveIf(ctx, []byte("v3"), save("v5"))
	if err != nil || cur == nil || cur.Found {
		t.Fatalf("SaveIf over a deleted key = %+v, %v, want not found", cur, err)
	}
	if got := load(a, key); got != "" {
		t.Fatalf("a refused SaveIf wrote %q", got)
	}
}

func keysUnder(t *testing.T, rdb *redis.Client, prefix string) []string {
	t.Helper()
	keys, err := redistest.Keys(context.Background(), rdb, prefix)
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys under prefix: %v, %v", keys, err)
	}
	return keys
}
