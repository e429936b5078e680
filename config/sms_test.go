package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/config"
)

func TestSMSSettings(t *testing.T) {
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	tw, ok := cfg.Channel("demo-twilio")
	if !ok || tw.Provider != "twilio" || tw.SMS == nil || !tw.SMS.AuthToken.IsDemo() {
		t.Fatalf("demo-twilio = %+v", tw)
	}
	t.Setenv("HOTLINE_TEST_TOKEN", " tok-from-env \n")
	keys := t.TempDir()
	if err := os.WriteFile(filepath.Join(keys, "twilio-token"), []byte("tok-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	resolve := []struct {
		s    config.Secret
		want string
		ok   bool
	}{
		{config.Secret{Env: "HOTLINE_TEST_TOKEN"}, "tok-from-env", true},
		{config.Secret{Env: "HOTLINE_TEST_UNSET"}, "", false},
		{config.Secret{File: "twilio-token"}, "tok-from-file", true},
		{config.Secret{File: "missing"}, "", false},
		{config.Secret{Demo: "demo-x"}, "demo-x", true},
	}
	for _, tt := range resolve {
		got, err := tt.s.Resolve(keys)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Resolve(%+v) = %q, %v", tt.s, got, err)
		}
		if err != nil && strings.Contains(err.Error(), "tok-") {
			t.Errorf("error quotes a secret: %v", err)
		}
	}

	bad := []struct{ name, yaml, want string }{
		{"literal token", "auth_token: {demo: real-token}\n      account_sid: AC1", `must start with "demo-"`},
		{"two sources", "auth_token: {env: A, file: b}\n      account_sid: AC1", "exactly one"},
		{"no sid", "auth_token: {env: A}", "account_sid is required"},
		{"path in file", "auth_token: {file: ../x}\n      account_sid: AC1", "plain name"},
		{"bad url", "auth_token: {env: A}\n      account_sid: AC1\n      base_url: ftp://x", "base_url"},
	}
	for _, tt := range bad {
		doc := "channels:\n  - id: chan-twilio\n    provider: twilio\n    country: ML\n    sms:\n      " + tt.yaml + "\n"
		_, err := config.Parse("x.yaml", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "x.yaml:2:") {
			t.Errorf("%s: err = %v, want %q at x.yaml:2", tt.name, err, tt.want)
		}
	}
}

func TestTwilioNeedsPublicURL(t *testing.T) {
	for _, section := range []string{
		"    sms: {account_sid: AC1, auth_token: {env: TW}}\n",
		"    voice: {account_sid: AC1, auth_token: {env: TW}}\n",
	} {
		y := "channels:\n  - id: abcdef\n    provider: twilio\n    country: ML\n" + section + "teams:\n  - {id: meal, kind: meal, national: true, supervisor: s}\n"
		if _, err := config.Parse("x.yaml", []byte(y)); err == nil || !strings.Contains(err.Error(), "public_url is required for twilio") {
			t.Errorf("%s: error = %v", strings.TrimSpace(section), err)
		}
	}
}
