package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Voice is a channel's voice settings. Credentials are Secrets, as for SMS.
type Voice struct {
	// PublicURL is the scheme and host the provider calls us at: Play
	// URLs of the prompts and callback URLs start with it, and Twilio signs
	// it. Empty: the scheme and host of each request.
	PublicURL string `yaml:"public_url"`
	// RecordingHosts are the only hosts a voice message is fetched from
	// (a host, or ".example.org" for any host under it). Africa's Talking
	// signs nothing, so without this a forged callback could make the
	// gateway fetch any URL. Default: the provider's own domains.
	RecordingHosts []string `yaml:"recording_hosts"`
	// DownloadTimeout bounds fetching one voice message (default 8 s,
	// inside the providers' 10-15 s callback budget).
	DownloadTimeout time.Duration `yaml:"download_timeout"`

	// Africa's Talking: the API key sent when fetching recordings.
	APIKey Secret `yaml:"api_key"`
	// Twilio: the account signs webhooks and opens recordings.
	AccountSID string `yaml:"account_sid"`
	AuthToken  Secret `yaml:"auth_token"`
}

// DefaultRecordingHosts are where each provider keeps recordings.
var DefaultRecordingHosts = map[string][]string{
	"africastalking": {".africastalking.com"},
	"twilio":         {"api.twilio.com", ".twilio.com"},
}

// Hosts returns the recording hosts for provider, the defaults when none
// are configured.
func (v Voice) Hosts(provider string) []string {
	if len(v.RecordingHosts) > 0 {
		return v.RecordingHosts
	}
	return DefaultRecordingHosts[provider]
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
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, "/:@ ") {
			problems = append(problems, fmt.Sprintf("voice.recording_hosts: %q is not a host name", h))
		}
	}
	if v.DownloadTimeout < 0 {
		problems = append(problems, "voice.download_timeout must be positive")
	}
	switch ch.Provider {
	case "africastalking":
		if !v.APIKey.IsZero() {
			if err := v.APIKey.validate("voice.api_key"); err != nil {
				problems = append(problems, err.Error())
			}
		}
	case "twilio":
		if v.AccountSID == "" {
			problems = append(problems, "voice.account_sid is required for twilio")
		}
		if err := v.AuthToken.validate("voice.auth_token"); err != nil {
			problems = append(problems, err.Error())
		}
	}
	return problems
}
