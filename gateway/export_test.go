package gateway

import (
	"testing"

	"github.com/numerovert/hotline/config"
)

// testConfig is the demo configuration whose channels also accept the
// in-process test client: Fiber's App.Test connects from 0.0.0.0, which no
// allow_from of the demo lists.
func testConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Channels {
		if len(cfg.Channels[i].AllowFrom) > 0 {
			cfg.Channels[i].AllowFrom = append(cfg.Channels[i].AllowFrom, "0.0.0.0")
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestConfig is testConfig for the package's external tests.
var TestConfig = testConfig
