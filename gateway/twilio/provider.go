package twilio

import (
	"net/http"
	"strings"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/provider"
)

// BaseURL is Twilio's REST API (sms.base_url overrides it).
const BaseURL = "https://api.twilio.com"

// Provider describes Twilio: SMS and voice, every callback signed with the
// account's auth token against the channel's public URL.
var Provider = provider.Descriptor{
	Name: "twilio",
	SMS: &provider.SMSKind{
		Secret: func(sc config.SMS) (string, config.Secret) { return "sms.auth_token", sc.AuthToken },
		Check: func(sc config.SMS) []string {
			return needs(sc.AccountSID, sc.PublicURL, "sms")
		},
		New: func(ch config.Channel, token string, client *http.Client) (provider.SMS, provider.Sender) {
			sc := ch.SMS
			base := sc.BaseURL
			if base == "" {
				base = BaseURL
			}
			s := Sender{BaseURL: base, AccountSID: sc.AccountSID, AuthToken: token, Client: client}
			if sc.PublicURL != "" {
				s.StatusCallback = strings.TrimRight(sc.PublicURL, "/") + "/c/" + ch.ID + "/sms/status"
			}
			return SMS{AuthToken: token, PublicURL: sc.PublicURL}, s
		},
	},
	Voice: &provider.VoiceKind{
		Secret: func(v config.Voice) (string, config.Secret) { return "voice.auth_token", v.AuthToken },
		Check:  func(v config.Voice) []string { return needs(v.AccountSID, v.PublicURL, "voice") },
		New: func(ch config.Channel, token string) provider.Voice {
			return Voice{AccountSID: ch.Voice.AccountSID, AuthToken: token, PublicURL: ch.Voice.PublicURL}
		},
		RecordingHosts: []string{"api.twilio.com", ".twilio.com"},
		APIHosts:       []string{"api.twilio.com"},
		NewCaller: func(ch config.Channel, token string, client *http.Client) provider.Caller {
			base := BaseURL
			if cb := ch.Voice.CallBack; cb != nil && cb.BaseURL != "" {
				base = cb.BaseURL
			}
			return Caller{BaseURL: base, AccountSID: ch.Voice.AccountSID, AuthToken: token, Client: client}
		},
		ScreensDial: true,
	},
}

// needs lists what a Twilio section lacks: the account, and the public
// URL its signatures are checked against.
func needs(accountSID, publicURL, section string) []string {
	var problems []string
	if accountSID == "" {
		problems = append(problems, section+".account_sid is required for twilio")
	}
	if publicURL == "" {
		problems = append(problems, section+".public_url is required for twilio: its signatures are checked against it")
	}
	return problems
}
