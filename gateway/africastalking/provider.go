package africastalking

import (
	"net/http"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/provider"
)

// BaseURL is Africa's Talking's API for SMS (sms.base_url overrides it).
const BaseURL = "https://api.africastalking.com"

// Provider describes Africa's Talking: USSD, SMS and voice, none of its
// callbacks signed (its channels need allow_from).
var Provider = provider.Descriptor{
	Name:     "africastalking",
	Unsigned: true,
	USSD:     USSD{},
	SMS: &provider.SMSKind{
		Secret: func(sc config.SMS) (string, config.Secret) { return "sms.api_key", sc.APIKey },
		Check: func(sc config.SMS) []string {
			if sc.Username == "" {
				return []string{"sms.username is required for africastalking"}
			}
			return nil
		},
		New: func(ch config.Channel, key string, client *http.Client) (provider.SMS, provider.Sender) {
			sc := ch.SMS
			base := sc.BaseURL
			if base == "" {
				base = BaseURL
			}
			return SMS{}, Sender{BaseURL: base, Username: sc.Username, APIKey: key, Client: client}
		},
	},
	Voice: &provider.VoiceKind{
		// Only needed when AT asks for credentials on recordings.
		Secret:         func(v config.Voice) (string, config.Secret) { return "voice.api_key", v.APIKey },
		SecretOptional: true,
		Check:          func(config.Voice) []string { return nil },
		New:            func(_ config.Channel, key string) provider.Voice { return Voice{APIKey: key} },
		RecordingHosts: []string{".africastalking.com"},
		APIHosts:       []string{"voice.africastalking.com"},
		NewCaller: func(ch config.Channel, key string, client *http.Client) provider.Caller {
			c := Caller{BaseURL: VoiceBaseURL, APIKey: key, Client: client}
			if cb := ch.Voice.CallBack; cb != nil {
				c.Username = cb.Username
				if cb.BaseURL != "" {
					c.BaseURL = cb.BaseURL
				}
			}
			return c
		},
	},
}
