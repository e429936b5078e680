package scaleout_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/scaleout"
)

// BenchmarkProducerSubmit measures one gateway queuing complaints
// concurrently (the reference is shown when this returns).
func BenchmarkProducerSubmit(b *testing.B) {
	rdb := redistest.Client(b)
	prefix := redistest.Prefix(b, rdb)
	p := scaleout.NewProducer(rdb, prefix)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(16) // many callers confirming at once
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			if _, err := p.Submit(ctx, intake(i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkConsumeIntoBolt measures how fast the casework node drains a
// backlog (after an outage) into a real, fsynced bbolt file.
func BenchmarkConsumeIntoBolt(b *testing.B) {
	rdb := redistest.Client(b)
	prefix := redistest.Prefix(b, rdb)
	ctx := context.Background()
	p := scaleout.NewProducer(rdb, prefix)
	for i := range b.N {
		if _, err := p.Submit(ctx, intake(i)); err != nil {
			b.Fatal(err)
		}
	}
	store, err := boltstore.Open(filepath.Join(b.TempDir(), "hotline.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	b.ResetTimer()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = scaleout.NewConsumer(rdb, prefix, caseworktest.Service(b, store, nil), "bench", quiet).Run(ctx)
	}()
	for rdb.XLen(ctx, prefix+"intake").Val() > 0 {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
}
