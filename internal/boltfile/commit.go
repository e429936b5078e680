package boltfile

import (
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// maxGroup bounds how many writes share one commit (bbolt's own
// MaxBatchSize default), so that one commit's transaction stays small.
const maxGroup = 1000

// Committer is a group commit with no timer, replacing bbolt's DB.Batch.
//
// DB.Batch starts every group with a MaxBatchDelay timer (10 ms by default)
// and commits when it fires: a lone caller always waits it out, and on a
// disk whose fsync takes 0.1 ms that wait is most of a submission's time.
// Committer commits a write as soon as no commit is running, and while one
// runs it gathers every write that arrives into the next commit. A lone
// write waits for its own commit only; concurrent writes share one fsync.
//
// Update returns only after the commit that holds fn is fsynced. Its
// semantics are DB.Batch's: fn may run more than once (when another write
// of its group fails, the group is retried without it), so it must have no
// effect outside the transaction; a failing fn gets its own error and does
// not fail the others.
type Committer struct {
	db *bolt.DB

	mu      sync.Mutex
	pending []*write
	running bool // a goroutine is committing; it takes pending when done
}

type write struct {
	fn   func(*bolt.Tx) error
	done chan error
	// recovered holds a panic of fn, re-raised in the caller's goroutine.
	recovered any
}

// NewCommitter returns the group committer of db. One per file: two
// committers on one file would serialise on bbolt's writer lock anyway.
func NewCommitter(db *bolt.DB) *Committer {
	return &Committer{db: db}
}

// Update runs fn in a read-write transaction shared with the writes
// pending at the time, and returns fn's error or the commit's once the
// transaction is committed and fsynced.
func (c *Committer) Update(fn func(*bolt.Tx) error) error {
	w := &write{fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.pending = append(c.pending, w)
	lead := !c.running
	c.running = true
	c.mu.Unlock()
	if lead {
		// No commit is running: this caller commits what is pending
		// itself, with no hand-over to another goroutine, and leaves the
		// writes that arrived meanwhile to a goroutine of their own.
		c.commit(c.take())
		c.mu.Lock()
		if len(c.pending) > 0 {
			go c.loop()
		} else {
			c.running = false
		}
		c.mu.Unlock()
	}
	err := <-w.done
	if w.recovered != nil {
		panic(w.recovered)
	}
	return err
}

// take removes and returns up to maxGroup pending writes, oldest first.
func (c *Committer) take() []*write {
	c.mu.Lock()
	defer c.mu.Unlock()
	group := c.pending
	if len(group) > maxGroup {
		group = group[:maxGroup:maxGroup]
	}
	c.pending = c.pending[len(group):]
	if len(c.pending) == 0 {
		c.pending = nil
	}
	return group
}

// loop commits groups until nothing is pending, then lets the next writer
// lead.
func (c *Committer) loop() {
	for {
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.commit(c.take())
	}
}

// failed marks the write of a group whose fn failed, and its error.
type failed struct {
	index int
	err   error
}

func (f *failed) Error() string { return fmt.Sprintf("write %d of the group failed", f.index) }

// commit runs group in one transaction. A write whose fn fails gets that
// error and leaves the group; the rest are retried in a new transaction.
func (c *Committer) commit(group []*write) {
	for len(group) > 0 {
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, w := range group {
				if err := run(w, tx); err != nil {
					return &failed{index: i, err: err}
				}
			}
			return nil
		})
		var f *failed
		if errors.As(err, &f) {
			group[f.index].done <- f.err
			group = append(group[:f.index:f.index], group[f.index+1:]...)
			continue
		}
		for _, w := range group {
			w.done <- err
		}
		return
	}
}

// run calls w.fn, turning a panic into an error for the group and keeping
// it for w's caller.
func run(w *write, tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.recovered = r
			err = fmt.Errorf("boltfile: batched write panicked: %v", r)
		}
	}()
	return w.fn(tx)
}
