package provider_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/twilio"
)

var list = provider.List{africastalking.Provider, twilio.Provider}

const fallback = "teams:\n  - {id: meal, kind: meal, national: true, supervisor: s}\n"

// Each provider checks its own fields, with the channel's file:line; an
// unknown provider and an unsigned one without allow_from are refused.
func TestProviderChecks(t *testing.T) {
	for name, tt := range map[string]struct{ channel, want string }{
		"unknown provider":  {"    provider: orange\n", `x.yaml:2: channel "chan-x": unknown provider "orange" (known: africastalking, twilio)`},
		"unsigned, no list": {"    provider: africastalking\n", `x.yaml:2: channel "chan-x": allow_from is required: africastalking signs nothing`},
		"at username":       {"    provider: africastalking\n    allow_from: [192.0.2.0/24]\n    sms: {api_key: {env: K}}\n", "sms.username is required for africastalking"},
		"literal token":     {"    provider: twilio\n    sms: {account_sid: AC1, public_url: https://x.example, auth_token: {demo: real-token}}\n", `sms.auth_token: a literal (demo:) value must start with "demo-"`},
		"two sources":       {"    provider: twilio\n    sms: {account_sid: AC1, public_url: https://x.example, auth_token: {env: A, file: b}}\n", "exactly one"},
		"no sid":            {"    provider: twilio\n    sms: {public_url: https://x.example, auth_token: {env: A}}\n", "sms.account_sid is required for twilio"},
		"path in file":      {"    provider: twilio\n    sms: {account_sid: AC1, public_url: https://x.example, auth_token: {file: ../x}}\n", "plain name"},
		"sms public url":    {"    provider: twilio\n    sms: {account_sid: AC1, auth_token: {env: TW}}\n", "sms.public_url is required for twilio"},
		"voice public url":  {"    provider: twilio\n    voice: {account_sid: AC1, auth_token: {env: TW}}\n", "voice.public_url is required for twilio"},
		"voice token":       {"    provider: twilio\n    voice: {account_sid: AC1, public_url: https://x.example}\n", "voice.auth_token: give exactly one"},
	} {
		cfg, err := config.Parse("x.yaml", []byte("channels:\n  - id: chan-x\n    country: ML\n"+tt.channel+fallback))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := list.Check(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
	// Africa's Talking's voice key is optional; the demo passes.
	ok := "    provider: africastalking\n    allow_from: [192.0.2.0/24]\n    voice: {recording_hosts: [127.0.0.1]}\n"
	cfg, err := config.Parse("x.yaml", []byte("channels:\n  - id: chan-x\n    country: ML\n"+ok+fallback))
	if err != nil {
		t.Fatal(err)
	}
	demo, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*config.Config{cfg, demo} {
		if err := list.Check(c); err != nil {
			t.Errorf("%s: %v", c.Source, err)
		}
	}
}
