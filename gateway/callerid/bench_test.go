package callerid_test

import (
	"bytes"
	"testing"

	"github.com/numerovert/hotline/gateway/callerid"
)

// BenchmarkKey is what the gateway pays per hop to rate-limit by caller:
// libphonenumber parsing, then one HMAC-SHA256.
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
