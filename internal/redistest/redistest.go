// Package redistest gives tests a connection to the real Redis at
// REDIS_URL (default redis://127.0.0.1:6379) and a key prefix of their
// own, removed when the test ends.
//
// When Redis does not answer, the test is skipped, except under CI=true,
// where it fails: CI must not pass by testing nothing.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is where these machines run Redis.
const DefaultURL = "redis://127.0.0.1:6379"

// URL returns REDIS_URL, or DefaultURL when it is unset.
func URL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Client returns a client for URL(), closed at the end of the test, or
// skips (fails under CI=true) when Redis does not answer.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s is required under CI=true: %v", URL(), err)
		}
		t.Skipf("Redis at %s not answering (%v); set REDIS_URL or start redis-server", URL(), err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Prefix returns a fresh key prefix ("nvtest:<random>:") and registers a
// cleanup that deletes every key under it.
func Prefix(t testing.TB, rdb *redis.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "nvtest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if n, err := Clean(ctx, rdb, prefix); err != nil {
			t.Errorf("clean Redis prefix %s: %v (%d deleted)", prefix, err, n)
		}
	})
	return prefix
}

// Keys lists the keys under prefix.
func Keys(ctx context.Context, rdb *redis.Client, prefix string) ([]string, error) {
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

// Clean deletes every key under prefix and reports how many it deleted.
func Clean(ctx context.Context, rdb *redis.Client, prefix string) (int, error) {
	keys, err := Keys(ctx, rdb, prefix)
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	return len(keys), rdb.Del(ctx, keys...).Err()
}

// Unreachable returns a client for a local port nothing listens on.
func Unreachable(t testing.TB) *redis.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
