// Package kannel speaks to Kannel (kannel.org), the open-source SMS
// gateway NGOs run in front of an operator's SMPP bind or a USB GSM modem:
// where no aggregator serves the country (Africa's Talking does not serve
// Mali), it is how texts reach the hotline.
//
// Kannel's smsbox calls the hotline with GET: its get-url carries each
// message, its dlr-url each delivery report (the fields are in the query
// string; see docs/kannel.md for the exact URLs). Replies leave through its
// sendsms interface, posted as text/plain with the recipient in the
// X-Kannel-To header, so that no number is ever part of a URL this side
// writes. Kannel signs nothing: a kannel channel must list allow_from.
//
// This package must never log, store or echo a number, a message text or
// the sendsms password; its refusals are fixed strings.
package kannel

import (
	"net/http"
	"strings"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/provider"
)

// Provider describes Kannel: SMS only, callbacks unsigned (allow_from).
var Provider = provider.Descriptor{
	Name:     "kannel",
	Unsigned: true,
	SMS: &provider.SMSKind{
		Secret: func(sc config.SMS) (string, config.Secret) { return "sms.password", sc.Password },
		Check:  check,
		New: func(ch config.Channel, password string, client *http.Client) (provider.SMS, provider.Sender) {
			sc := ch.SMS
			return SMS{}, Sender{
				BaseURL:   sc.BaseURL,
				Username:  sc.Username,
				Password:  password,
				SMSC:      sc.SMSC,
				ReportURL: strings.TrimRight(sc.PublicURL, "/") + "/c/" + ch.ID + "/sms/status",
				Client:    client,
			}
		},
		GET: true,
	},
}

func check(sc config.SMS) []string {
	var problems []string
	if sc.BaseURL == "" {
		problems = append(problems, "sms.base_url is required for kannel: its smsbox's sendsms address (e.g. http://127.0.0.1:13013)")
	}
	if sc.Username == "" {
		problems = append(problems, "sms.username is required for kannel: its sendsms-user")
	}
	if sc.PublicURL == "" {
		problems = append(problems, "sms.public_url is required for kannel: where its smsbox reaches the hotline with delivery reports")
	}
	return problems
}
