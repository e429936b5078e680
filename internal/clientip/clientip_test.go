package clientip_test

import (
	"net/netip"
	"testing"

	"github.com/numerovert/hotline/internal/clientip"
)

func TestResolve(t *testing.T) {
	proxies := clientip.Trusted{netip.MustParsePrefix("10.0.0.0/8")}
	a := netip.MustParseAddr
	tests := []struct {
		name    string
		peer    string
		xff     []string
		want    string
		trusted bool
	}{
		{"direct client ignores the header", "203.0.113.9", []string{"127.0.0.1"}, "203.0.113.9", false},
		{"one proxy", "10.0.0.2", []string{"198.51.100.7"}, "198.51.100.7", true},
		// The client wrote 127.0.0.1 itself; our proxy appended the peer it saw.
		{"forged first hop is skipped", "10.0.0.2", []string{"127.0.0.1, 198.51.100.7"}, "198.51.100.7", true},
		{"two of our proxies", "10.0.0.2", []string{"127.0.0.1, 198.51.100.7, 10.0.0.3"}, "198.51.100.7", true},
		{"several headers", "10.0.0.2", []string{"127.0.0.1", "198.51.100.7"}, "198.51.100.7", true},
		{"no header: the proxy itself", "10.0.0.2", nil, "10.0.0.2", true},
		{"garbage hop stops the walk", "10.0.0.2", []string{"127.0.0.1, nonsense"}, "10.0.0.2", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, trusted := proxies.Resolve(a(tt.peer), tt.xff...)
			if got != a(tt.want) || trusted != tt.trusted {
				t.Errorf("Resolve = %v, %v; want %v, %v", got, trusted, tt.want, tt.trusted)
			}
		})
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{"192.0.2.1": "192.0.2.1/32", "192.0.2.9/24": "192.0.2.0/24", "::1": "::1/128"} {
		p, err := clientip.ParsePrefix(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	if _, err := clientip.ParsePrefix("example.org"); err == nil {
		t.Error("a host name was accepted")
	}
}
