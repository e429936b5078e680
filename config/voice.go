package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Voice is a channel's voice settings. Credentials are Secrets, as for SMS.
type Voice struct {
	// PublicURL is the scheme and host the provider calls us at: Play
	// URLs of the prompts and callback URLs start with it, and Twilio's
	// signatures are checked against it (required for Twilio). Empty (other
	// providers): the scheme and host of each request.
	PublicURL string `yaml:"public_url"`
	// RecordingHosts are the only hosts a voice message is fetched from:
	// "host" (https on 443), "host:port", or ".example.org" for any host
	// under it on 443; plain http only to a loopback address (the demo).
	// Africa's Talking signs nothing, so without this a forged callback
	// could make the gateway fetch any URL. Default: the provider's own
	// domains.
	RecordingHosts []string `yaml:"recording_hosts"`
	// APIHosts are the provider's own API hosts ("host" or "host:port"),
	// the only ones its credentials are sent to when fetching a voice
	// message. Default: the provider's API host.
	APIHosts []string `yaml:"api_hosts"`
	// DownloadTimeout bounds fetching one voice message (default 8 s,
	// inside the providers' 10-15 s callback budget).
	DownloadTimeout time.Duration `yaml:"download_timeout"`

	// Africa's Talking: the API key sent when fetching recordings.
	APIKey Secret `yaml:"api_key"`
	// Twilio: the account signs webhooks and opens recordings.
	AccountSID string `yaml:"account_sid"`
	AuthToken  Secret `yaml:"auth_token"`

	// CallBack, when present, lets officers call back callers who asked
	// for it, through this channel's provider (callback.go).
	CallBack *CallBack `yaml:"callback"`
	// CallBackOnMissedCall: every call is rejected at once (no charge to
	// the caller) and the hotline calls back with the voice menu, at its
	// own cost, at most MissedCallsPerDay times per caller a day (default
	// 2). Needs callback (its `from` is the number called from) and an
	// SMS channel's outbox, which queues the sealed numbers.
	CallBackOnMissedCall bool `yaml:"callback_on_missed_call"`
	MissedCallsPerDay    int  `yaml:"missed_calls_per_day"`
	// SIP (provider sip, gateway/sip; docs/sip.md): the hotline answers
	// the trunk's calls itself. Listen is the UDP host:port for SIP;
	// RTPPorts the media port range ("10000-10999", even start); ExternalIP
	// the address the trunk reaches us at when behind NAT (put in SDP and
	// Contact). Without Registrar the trunk is IP-authenticated (allow_from);
	// with it the hotline registers as Username with Password.
	Listen     string `yaml:"listen"`
	RTPPorts   string `yaml:"rtp_ports"`
	ExternalIP string `yaml:"external_ip"`
	Registrar  string `yaml:"registrar"`
	Username   string `yaml:"username"`
	Password   Secret `yaml:"password"`
	// TTS (SIP): voice the prompts that have no recording (place names,
	// languages not yet recorded) with espeak-ng and sox where installed.
	// Default true; false skips them (each synthesis costs CPU once, then
	// is kept in memory).
	TTS *bool `yaml:"tts"`
	// RegisterExpiry is the registration's asked lifetime (default 300 s);
	// it is renewed before it ends.
	RegisterExpiry time.Duration `yaml:"register_expiry"`
}

// CredentialHosts returns the hosts the provider's credentials may be
// sent to: voice.api_hosts, else the provider's defaults.
func (v Voice) CredentialHosts(defaults []string) []string {
	if len(v.APIHosts) > 0 {
		return v.APIHosts
	}
	return defaults
}

// Hosts returns the recording hosts: voice.recording_hosts, else the
// provider's defaults.
func (v Voice) Hosts(defaults []string) []string {
	if len(v.RecordingHosts) > 0 {
		return v.RecordingHosts
	}
	return defaults
}

func validateVoice(ch Channel) []string {
	v := ch.Voice
	if v == nil {
		return nil
	}
	var problems []string
	if v.PublicURL != "" {
		p, err := url.Parse(v.PublicURL)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			problems = append(problems, "voice.public_url must be an http(s) URL")
		}
	}
	for _, h := range v.RecordingHosts {
		if !hostPort(h, true) {
			problems = append(problems, fmt.Sprintf("voice.recording_hosts: %q is not a host, host:port or .domain", h))
		}
	}
	for _, h := range v.APIHosts {
		if !hostPort(h, false) {
			problems = append(problems, fmt.Sprintf("voice.api_hosts: %q is not a host or host:port", h))
		}
	}
	if v.DownloadTimeout < 0 {
		problems = append(problems, "voice.download_timeout must be positive")
	}
	return problems
}

// hostPort reports whether h is "host" or "host:port" (and, with
// domains, ".domain"), with no scheme, path or credentials.
func hostPort(h string, domains bool) bool {
	if strings.TrimSpace(h) == "" || strings.ContainsAny(h, "/@ ") {
		return false
	}
	if strings.HasPrefix(h, ".") {
		return domains && !strings.Contains(h, ":")
	}
	if host, port, err := net.SplitHostPort(h); err == nil {
		n, err := strconv.Atoi(port)
		return host != "" && err == nil && n > 0 && n < 65536
	}
	return !strings.Contains(h, ":") || strings.HasPrefix(h, "[")
}
