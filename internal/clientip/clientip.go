// Package clientip finds the address a request really came from.
//
// Only a trusted proxy's X-Forwarded-For is believed, and it is read from
// the right: each proxy appends the peer it saw, so the rightmost entries
// are the ones our own proxies wrote and the first untrusted entry from
// the right is the client as our outermost proxy saw it. The leftmost
// entry, which Fiber's c.IP() returns with proxy headers enabled, is
// whatever the client chose to send and must never decide anything.
package clientip

import (
	"net/netip"
	"strings"
)

// Trusted is a set of proxy networks whose forwarding headers are believed.
type Trusted []netip.Prefix

// Contains reports whether a is one of the trusted proxies.
func (t Trusted) Contains(a netip.Addr) bool {
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the client address of a request whose TCP peer is peer
// and whose X-Forwarded-For header values are xff (one or more headers),
// and whether the peer was a trusted proxy. A malformed hop stops the walk
// at the last address that could be read, never at one past it.
func (t Trusted) Resolve(peer netip.Addr, xff ...string) (netip.Addr, bool) {
	peer = peer.Unmap()
	if !t.Contains(peer) {
		return peer, false
	}
	var hops []string
	for _, h := range xff {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !t.Contains(client) {
			break
		}
	}
	return client, true
}

// ParsePrefix reads an address ("192.0.2.1") or a CIDR ("192.0.2.0/24").
func ParsePrefix(v string) (netip.Prefix, error) {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "/") {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return netip.Prefix{}, err
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}
