package callerid_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/numerovert/hotline/gateway/callerid"
)

// BenchmarkKey is what the gateway pays per hop to rate-limit by caller: a
// repeated number is found in the memo by one HMAC of a per-process secret;
// the first hop of a number also pays libphonenumber and the key's HMAC
// (BenchmarkKeyFirst).
func BenchmarkKey(b *testing.B) {
	kr := callerid.New(bytes.Repeat([]byte{1}, 32))
	for _, tc := range []struct{ name, raw string }{
		{"e164", "+22376000001"},
		{"national", "76 00 00 01"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				kr.Key(tc.raw, "ML")
			}
		})
	}
}

// BenchmarkKeyFirst is a number's first hop: parsing and hashing.
func BenchmarkKeyFirst(b *testing.B) {
	kr := callerid.New(bytes.Repeat([]byte{1}, 32))
	i := 0
	for b.Loop() {
		i++
		kr.Key(fmt.Sprintf("+2237600%04d", i%10_000), "ML")
	}
}
