// Package sip is the voice provider for a SIP trunk: an operator's toll-free
// line delivered as SIP, or a GSM-to-SIP gateway holding local SIM cards
// (docs/sip.md). The hotline answers the trunk's INVITEs itself (diago and
// sipgo), plays the prompt recordings as G.711 (PCMU or PCMA, 20 ms frames),
// reads keys (RFC 4733 events and SIP INFO), records voice messages, and
// walks each call through the gateway's one voice engine
// (provider.CallSteps, gateway.Server.CallStep), so sessions, submission,
// follow-up and limits are those of every other voice channel.
//
// Must never: log, return in an error, or keep anywhere a caller's number
// (the From / P-Asserted-Identity user part goes to CallStep, which hashes
// it at once) or a voice message; answer a call from an address outside
// the channel's allow_from; send the trunk password anywhere but the
// configured registrar's digest challenge.
package sip

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/turn"
)

// Provider is the `provider: sip` descriptor. Unsigned: SIP trunks sign
// nothing, so every channel lists allow_from (the trunk's or gateway's
// addresses), checked on every INVITE.
var Provider = provider.Descriptor{
	Name:     "sip",
	Unsigned: true,
	Voice: &provider.VoiceKind{
		Secret:         func(v config.Voice) (string, config.Secret) { return "voice.password", v.Password },
		SecretOptional: true,
		Check:          Check,
		New:            func(config.Channel, string) provider.Voice { return httpRefused{} },
		Listen:         Listen,
	},
}

// Defaults.
const (
	defaultRTPPorts = "10000-10999"
	defaultExpiry   = 300 * time.Second
)

// Check lists what a sip channel's voice section lacks or gets wrong; the
// config check prints each with the channel's file:line.
func Check(v config.Voice) []string {
	var problems []string
	if _, err := listenAddr(v.Listen); err != nil {
		problems = append(problems, err.Error())
	}
	if _, _, err := portRange(v.RTPPorts); err != nil {
		problems = append(problems, err.Error())
	}
	if v.ExternalIP != "" {
		if _, err := netip.ParseAddr(v.ExternalIP); err != nil {
			problems = append(problems, fmt.Sprintf("voice.external_ip: %q is not an IP address", v.ExternalIP))
		}
	}
	switch {
	case v.Registrar == "" && (v.Username != "" || !v.Password.IsZero()):
		problems = append(problems, "voice.username and voice.password are for registration: give voice.registrar too (or remove them for an IP-authenticated trunk)")
	case v.Registrar != "":
		if _, err := registrarAddr(v.Registrar); err != nil {
			problems = append(problems, err.Error())
		}
		if v.Username == "" || v.Password.IsZero() {
			problems = append(problems, "voice.registrar needs voice.username and voice.password (env or file)")
		}
	}
	if v.RegisterExpiry < 0 || (v.RegisterExpiry > 0 && v.RegisterExpiry < 60*time.Second) {
		problems = append(problems, "voice.register_expiry must be at least 60s")
	}
	if v.PublicURL != "" || len(v.RecordingHosts) > 0 || len(v.APIHosts) > 0 {
		problems = append(problems, "voice.public_url, recording_hosts and api_hosts are for HTTP providers: a SIP call's audio stays in the hotline")
	}
	return problems
}

// listenAddr reads voice.listen, a UDP host:port with an IP literal.
func listenAddr(s string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, errors.New("voice.listen is required: the UDP address:port SIP is answered on (e.g. 0.0.0.0:5060)")
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("voice.listen: %q is not an IP:port", s)
	}
	return ap, nil
}

// portRange reads voice.rtp_ports, "first-last" (default 10000-10999):
// each call takes an even port and the next one (RTCP).
func portRange(s string) (first, last int, err error) {
	if s == "" {
		s = defaultRTPPorts
	}
	a, b, ok := strings.Cut(s, "-")
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return 0, 0, fmt.Errorf("voice.rtp_ports: %q is not a range like 10000-10999", s)
	case first < 1024 || last > 65535 || last-first < 3:
		return 0, 0, fmt.Errorf("voice.rtp_ports: %q must be within 1024-65535 and hold at least two calls", s)
	case first%2 != 0:
		return 0, 0, fmt.Errorf("voice.rtp_ports: %q must start on an even port (RTP even, RTCP odd)", s)
	}
	return first, last, nil
}

// registrarAddr reads voice.registrar: "host", "host:port" or a sip: URI.
func registrarAddr(s string) (string, error) {
	h := strings.TrimPrefix(s, "sip:")
	if h == "" || strings.ContainsAny(h, "/@ ;") {
		return "", fmt.Errorf("voice.registrar: %q is not a host, host:port or sip:host", s)
	}
	if _, _, err := net.SplitHostPort(h); err != nil {
		if strings.Contains(h, ":") {
			return "", fmt.Errorf("voice.registrar: %q is not a host, host:port or sip:host", s)
		}
		h = net.JoinHostPort(h, "5060")
	}
	return h, nil
}

// httpRefused is the channel's HTTP side: a SIP channel takes no voice
// callbacks, so /c/{channel}/voice refuses every request (403).
type httpRefused struct{}

var errNoHTTP = errors.New("a SIP channel takes no voice callbacks")

func (httpRefused) Authenticate(string, func(string) string, string, []byte) error { return errNoHTTP }
func (httpRefused) ParseCall(string, []byte) (turn.Call, error) {
	return turn.Call{}, &turn.BadRequest{Reason: "sip channel"}
}
func (httpRefused) Render(turn.VoiceReply) (string, []byte) { return "text/plain", nil }
func (httpRefused) Authorize(*http.Request)                 {}
