package scaleout_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/outbox"
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

// replyLife is one SMS reply's whole life in an outbox: the inbound
// message handled with its reply queued, taken by the sender, accepted by
// the provider, reported delivered.
func replyLife(b *testing.B, q outbox.Queue, i int) {
	ctx := context.Background()
	in := fmt.Sprintf("ATXid_%d", i)
	id := outbox.ReplyID("demo-at", in)
	if _, err := q.Handled(ctx, "demo-at", in, &outbox.Message{ID: id, Channel: "demo-at", To: "+22376000001", From: "36061", Body: "Reference 1234 5678"}); err != nil {
		b.Fatal(err)
	}
	if _, err := q.Due(ctx, 16); err != nil {
		b.Fatal(err)
	}
	if _, _, err := q.Unseal(ctx, id); err != nil {
		b.Fatal(err)
	}
	if err := q.Sent(ctx, id, "p-"+id); err != nil {
		b.Fatal(err)
	}
	if _, err := q.Report(ctx, "demo-at", "p-"+id, true, time.Minute); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOutboxReplyRedis is a reply's life in the gateways' outbox in
// Redis; BenchmarkOutboxReplyBolt the same in the bbolt outbox of the
// embedded mode (fsynced commits), for the ratio.
func BenchmarkOutboxReplyRedis(b *testing.B) {
	rdb := redistest.Client(b)
	q := scaleout.NewOutbox(rdb, redistest.Prefix(b, rdb), testSealer(b))
	for i := 0; b.Loop(); i++ {
		replyLife(b, q, i)
	}
}

func BenchmarkOutboxReplyBolt(b *testing.B) {
	q, err := outbox.Open(filepath.Join(b.TempDir(), "outbox.db"), testSealer(b), outbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	for i := 0; b.Loop(); i++ {
		replyLife(b, q, i)
	}
}
