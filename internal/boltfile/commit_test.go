package boltfile_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/numerovert/hotline/internal/boltfile"
)

var bucket = []byte("b")

func open(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := boltfile.Open(filepath.Join(t.TempDir(), "x.db"), bucket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func put(k string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(k), []byte("v")) }
}

func get(t *testing.T, db *bolt.DB, k string) bool {
	t.Helper()
	var found bool
	_ = db.View(func(tx *bolt.Tx) error { found = tx.Bucket(bucket).Get([]byte(k)) != nil; return nil })
	return found
}

// In a synctest bubble the clock moves only when every goroutine waits on
// something in the bubble, such as a timer: the time a lone write takes
// there is exactly the timer time it waited.
func loneWriteWaits(t *testing.T, update func(*bolt.DB, func(*bolt.Tx) error) error) time.Duration {
	var waited time.Duration
	synctest.Test(t, func(t *testing.T) {
		db := open(t)
		start := time.Now()
		if err := update(db, put("lone")); err != nil {
			t.Fatal(err)
		}
		waited = time.Since(start)
		if !get(t, db, "lone") {
			t.Fatal("the lone write is not there")
		}
	})
	return waited
}

func TestLoneWriteWaitsNoTimer(t *testing.T) {
	waited := loneWriteWaits(t, func(db *bolt.DB, fn func(*bolt.Tx) error) error {
		return boltfile.NewCommitter(db).Update(fn)
	})
	if waited != 0 {
		t.Errorf("a lone write waited %v of timer time, want none", waited)
	}
}

// The measure above can fail: bbolt's own DB.Batch makes a lone write wait
// its MaxBatchDelay, which is what Committer replaces.
func TestBoltBatchMakesALoneWriteWait(t *testing.T) {
	waited := loneWriteWaits(t, func(db *bolt.DB, fn func(*bolt.Tx) error) error { return db.Batch(fn) })
	if waited < 10*time.Millisecond {
		t.Errorf("DB.Batch waited %v, want at least its 10 ms MaxBatchDelay (has bbolt changed?)", waited)
	}
}

func TestConcurrentWritesEachGetTheirOwnError(t *testing.T) {
	db := open(t)
	c := boltfile.NewCommitter(db)
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k := fmt.Sprintf("k%03d", i)
			errs[i] = c.Update(func(tx *bolt.Tx) error {
				if i%7 == 0 {
					_ = tx.Bucket(bucket).Put([]byte(k), []byte("must be rolled back"))
					return fmt.Errorf("refused %d", i)
				}
				return put(k)(tx)
			})
		})
	}
	wg.Wait()
	for i := range n {
		k := fmt.Sprintf("k%03d", i)
		if i%7 == 0 {
			if errs[i] == nil || errs[i].Error() != fmt.Sprintf("refused %d", i) {
				t.Errorf("write %d: err %v, want its own refusal", i, errs[i])
			}
			if get(t, db, k) {
				t.Errorf("write %d failed but its put was committed", i)
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("write %d: %v (poisoned by another write's failure?)", i, errs[i])
		}
		if !get(t, db, k) {
			t.Errorf("write %d succeeded but is not in the file", i)
		}
	}
}

func TestWritesShareCommitsUnderConcurrency(t *testing.T) {
	db := open(t)
	c := boltfile.NewCommitter(db)
	var mu sync.Mutex
	txs := map[int]bool{}
	var wg sync.WaitGroup
	const n = 300
	for i := range n {
		wg.Go(func() {
			err := c.Update(func(tx *bolt.Tx) error {
				id := tx.ID()
				tx.OnCommit(func() { mu.Lock(); txs[id] = true; mu.Unlock() })
				return put(fmt.Sprint(i))(tx)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(txs) >= n {
		t.Errorf("%d writes took %d commits; want them grouped", n, len(txs))
	}
	t.Logf("%d writes in %d commits", n, len(txs))
}

func TestPanicReachesOnlyItsCaller(t *testing.T) {
	db := open(t)
	c := boltfile.NewCommitter(db)
	var wg sync.WaitGroup
	var recovered any
	wg.Go(func() {
		defer func() { recovered = recover() }()
		_ = c.Update(func(*bolt.Tx) error { panic("boom") })
	})
	wg.Go(func() {
		if err := c.Update(put("fine")); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if recovered != "boom" {
		t.Errorf("recovered %v, want the write's own panic", recovered)
	}
	if !get(t, db, "fine") {
		t.Error("the other write was lost")
	}
}

func TestCommitErrorReachesEveryWrite(t *testing.T) {
	db := open(t)
	c := boltfile.NewCommitter(db)
	db.Close()
	if err := c.Update(put("x")); !errors.Is(err, berrors.ErrDatabaseNotOpen) {
		t.Errorf("err %v, want the database's own error", err)
	}
}
