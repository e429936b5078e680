package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/storetest"
)

func open(t testing.TB, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) casework.Store {
		return open(t, filepath.Join(t.TempDir(), "hotline.db"))
	})
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "hotline.db")
	s := open(t, path)
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	for _, tc := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {path, 0o600}} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tc.want {
			t.Errorf("%s: mode %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hotline.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var want []casework.Case
	for i := range 5 {
		c, _, err := storetest.Create(ctx, s, storetest.Intake("key-a", i))
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		want = append(want, c)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, path)
	var got []casework.Case
	if err := s.Each(ctx, func(c casework.Case) error { got = append(got, c); return nil }); err != nil {
		t.Fatalf("Each: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("after reopen: %d cases, want %d", len(got), len(want))
	}
	for i := range want {
		if d := storetest.SameCase(got[i], want[i]); d != "" {
			t.Errorf("case %d after reopen: %s", i, d)
		}
		c, err := s.ByReference(ctx, want[i].Reference)
		if err != nil {
			t.Fatalf("ByReference after reopen: %v", err)
		}
		if d := storetest.SameCase(c, want[i]); d != "" {
			t.Errorf("ByReference after reopen: %s", d)
		}
	}
	// Indexes survive too: idempotency and the creation sequence.
	again, _, err := storetest.Create(ctx, s, storetest.Intake("key-a", 0))
	if err != nil {
		t.Fatalf("Submit after reopen: %v", err)
	}
	if again.ID != want[0].ID {
		t.Errorf("resubmission after reopen made case %s, want %s", again.ID, want[0].ID)
	}
	next, _, err := storetest.Create(ctx, s, storetest.Intake("key-a", 99))
	if err != nil {
		t.Fatalf("Submit after reopen: %v", err)
	}
	list, err := s.ByCallerKey(ctx, "key-a")
	if err != nil {
		t.Fatalf("ByCallerKey: %v", err)
	}
	if len(list) != 6 || list[5].ID != next.ID {
		t.Errorf("ByCallerKey after reopen: %d cases, last should be the newest", len(list))
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hotline.db")
	open(t, path)
	s, err := boltstore.Open(path)
	if err == nil {
		_ = s.Close()
		t.Fatal("second Open succeeded, want a lock error")
	}
	if !errors.Is(err, boltstore.ErrLocked) {
		t.Errorf("second Open: err = %v, want ErrLocked", err)
	}
}

func TestEachPages(t *testing.T) {
	// More cases than one page of Each, to cross page boundaries. Submitted
	// concurrently so that batching keeps the test fast.
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "hotline.db"))
	const n = 600
	ids := make(map[string]bool, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, _, err := storetest.Create(ctx, s, storetest.Intake(fmt.Sprintf("key-%d", i%3), i))
			if err != nil {
				t.Errorf("Submit: %v", err)
				return
			}
			mu.Lock()
			ids[c.ID] = true
			mu.Unlock()
		})
	}
	wg.Wait()

	seen := make(map[string]bool, n)
	err := s.Each(ctx, func(c casework.Case) error {
		if !ids[c.ID] || seen[c.ID] {
			return fmt.Errorf("case %s unknown or repeated", c.ID)
		}
		seen[c.ID] = true
		return nil
	})
	if err != nil || len(seen) != n {
		t.Fatalf("Each: %v after %d cases, want %d", err, len(seen), n)
	}
}

func benchmarkStore(b *testing.B) *boltstore.Store {
	return open(b, filepath.Join(b.TempDir(), "hotline.db"))
}

// BenchmarkSubmitSerial is one caller at a time: one fsync per case.
func BenchmarkSubmitSerial(b *testing.B) {
	s := benchmarkStore(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, _, err := storetest.Create(ctx, s, storetest.Intake("key-bench", i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkSubmitParallel is many callers at once: DB.Batch shares fsyncs,
// so its ns/op should be a fraction of BenchmarkSubmitSerial's.
func BenchmarkSubmitParallel(b *testing.B) {
	s := benchmarkStore(b)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(16) // callers are I/O-bound; simulate a crowd, not GOMAXPROCS
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := storetest.Create(ctx, s, storetest.Intake("key-bench", int(n.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestPreferencesContract(t *testing.T) {
	storetest.RunPreferences(t, func(t *testing.T) storetest.PreferencesStore {
		return open(t, filepath.Join(t.TempDir(), "hotline.db"))
	})
}

// TestLanguageSurvivesReopen: a returning caller is remembered across restarts.
func TestLanguageSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hotline.db")
	s := open(t, path)
	if err := s.SetLanguage(context.Background(), "k1:abcd", "taq"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	if lang, ok, err := s.Language(context.Background(), "k1:abcd"); err != nil || !ok || lang != "taq" {
		t.Errorf("after reopen: %q, %v, %v", lang, ok, err)
	}
}

func TestInfoContract(t *testing.T) {
	storetest.RunInfo(t, func(t *testing.T) storetest.InfoStore {
		return open(t, filepath.Join(t.TempDir(), "hotline.db"))
	})
}
