package gateway

import (
	"fmt"
	"testing"
)

// BenchmarkUSSDSession is one whole complaint through the Fiber app in
// memory (no network): eight hops, the last one a store commit (memstore,
// so no fsync). It is the gateway's own cost per session.
func BenchmarkUSSDSession(b *testing.B) {
	ts := newTestServer(b, &Limits{})
	texts := []string{"", "1", "1*1", "1*1*2", "1*1*2*1", "1*1*2*1*1", "1*1*2*1*1*1", "1*1*2*1*1*1*1", "1*1*2*1*1*1*1*1"}
	i := 0
	for b.Loop() {
		sid := fmt.Sprintf("ATUid_%d", i)
		phone := fmt.Sprintf("+2237600%04d", i%10_000)
		for _, text := range texts {
			if code, body := ts.hop(b, testChannel, sid, phone, text); code != 200 {
				b.Fatalf("hop %q: %d %s", text, code, body)
			}
		}
		i++
	}
	b.ReportMetric(float64(len(texts)), "hops/op")
}
