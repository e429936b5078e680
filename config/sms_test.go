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
		// The provider's own fields are checked by its descriptor
		// (gateway/provider TestProviderChecks).
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
