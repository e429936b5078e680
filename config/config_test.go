package config_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

func TestDemoIsValid(t *testing.T) {
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	ch, ok := cfg.Channel("demo-at")
	if !ok || ch.Provider != "africastalking" || ch.Country != "ML" {
		t.Errorf("demo-at = %+v, %v", ch, ok)
	}
}

func TestErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no provider", "channels:\n  - id: abcdef\n    country: ML\n", "x.yaml:2: channel \"abcdef\": provider is required"},
		{"short id", "channels:\n  - id: ab\n    provider: africastalking\n    country: ML\n", "x.yaml:2: channel id \"ab\""},
		{"duplicate id", "channels:\n  - {id: abcdef, provider: africastalking, country: ML, allow_from: [192.0.2.0/24]}\n  - {id: abcdef, provider: africastalking, country: ML, allow_from: [192.0.2.0/24]}\n", "x.yaml:3: channel id \"abcdef\" is used twice"},
		{"bad country", "channels:\n  - {id: abcdef, provider: africastalking, country: Mali}\n", "x.yaml:2: channel \"abcdef\": country"},
		{"chief as recipient", "channels:\n  - {id: abcdef, provider: africastalking, country: ML, allow_from: [192.0.2.0/24]}\nteams:\n  - id: chief\n    kind: community_leader\n", "x.yaml:4: team \"chief\" has kind \"community_leader\": only independent functions"},
		{"no channels", "teams: []\n", "x.yaml:1: no channels"},
		{"syntax", "channels: [\n", "x.yaml: yaml:"},
		{"unknown field type", "channels: 3\n", "x.yaml: yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("x.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

const base = "channels:\n  - {id: abcdef, provider: africastalking, country: ML, allow_from: [192.0.2.0/24]}\n"

const fallback = "  - {id: meal, kind: meal, national: true, supervisor: s}\n"

func TestTeamsAndCodebookErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no fallback", base + "teams:\n  - {id: m, kind: meal, places: [ML01], supervisor: s}\n", "x.yaml:1: no national MEAL team without conflict exclusions"},
		{"conflicted fallback is no fallback", base + "programmes:\n  - {id: p, organisation: O}\nteams:\n  - {id: m, kind: meal, national: true, supervisor: s, exclude: {programmes: [p]}}\n", "no national MEAL team without conflict"},
		{"SEA to MEAL", base + "teams:\n" + fallback + "codebook:\n  - id: s\n    categories:\n      - {id: sea, recipients: [meal]}\n", "x.yaml:8: category \"sea\" (sexual exploitation and abuse) may only reach PSEA focal points"},
		{"SEA with no PSEA team", base + "teams:\n" + fallback + "codebook:\n  - id: s\n    categories:\n      - {id: sea}\n", "x.yaml:8: category \"sea\" has no fallback"},
		{"committee as recipient kind", base + "teams:\n" + fallback + "codebook:\n  - id: s\n    categories:\n      - {id: x, recipients: [committee]}\n", "recipient kind \"committee\" is not an independent function"},
		{"implementing team", base + "teams:\n" + fallback + "  - {id: ops, kind: implementing, national: true, supervisor: s}\n", "x.yaml:5: team \"ops\" has kind \"implementing\""},
		{"no supervisor", base + "teams:\n  - {id: meal, kind: meal, national: true}\n", "x.yaml:4: team \"meal\" has no supervisor"},
		{"bad P-code", base + "teams:\n" + fallback + "  - {id: m2, kind: meal, places: [Mopti], supervisor: s}\n", "x.yaml:5: team \"m2\": \"Mopti\" is not a Mali region or cercle P-code"},
		{"no places", base + "teams:\n" + fallback + "  - {id: m2, kind: meal, supervisor: s}\n", "team \"m2\" covers no place"},
		{"unknown category", base + "teams:\n" + fallback + "  - {id: m2, kind: meal, national: true, supervisor: s, categories: [nope]}\n", "team \"m2\" handles unknown category \"nope\""},
		{"unknown programme", base + "teams:\n" + fallback + "  - {id: m2, kind: meal, national: true, supervisor: s, exclude: {programmes: [nope]}}\n", "excludes unknown programme \"nope\""},
		{"sensitive must be named", base + "teams:\n" + fallback + "codebook:\n  - id: s\n    categories:\n      - {id: fraud, sensitive: true}\n", "category \"fraud\" has no fallback"},
		{"bad duration", base + "teams:\n" + fallback + "codebook:\n  - id: s\n    categories:\n      - {id: x, resolve: 3 weeks}\n", "want hours (72h) or days (30d)"},
		{"ack after resolve", base + "teams:\n" + fallback + "codebook:\n  - id: s\n    categories:\n      - {id: x, acknowledge: 10d, resolve: 2d}\n", "x.yaml:8: category \"x\": acknowledge deadline is later"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("x.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestCategoryDefaults(t *testing.T) {
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id                      string
		ack, resolve, retention time.Duration
		priority                string
		recipients              []string
		typ                     string
	}{
		{"sea", 24 * time.Hour, 72 * time.Hour, 730 * 24 * time.Hour, "high", []string{"psea"}, "sensitive"},
		{"fraud", 24 * time.Hour, 72 * time.Hour, 365 * 24 * time.Hour, "high", []string{"meal"}, "sensitive"},
		{"exclusion", 72 * time.Hour, 30 * 24 * time.Hour, 365 * 24 * time.Hour, "normal", []string{"meal", "protection"}, "complaint"},
		{"feedback", 72 * time.Hour, 30 * 24 * time.Hour, 180 * 24 * time.Hour, "low", []string{"meal", "protection"}, "feedback"},
	}
	for _, tc := range tests {
		c, ok := cfg.Category(tc.id)
		if !ok {
			t.Fatalf("demo lacks category %s", tc.id)
		}
		if time.Duration(c.Acknowledge) != tc.ack || time.Duration(c.Resolve) != tc.resolve || time.Duration(c.Retention) != tc.retention ||
			c.Priority != tc.priority || !slices.Equal(c.Recipients, tc.recipients) || c.Type != tc.typ {
			t.Errorf("%s = %+v", tc.id, c)
		}
	}
}

func TestCheckPlaces(t *testing.T) {
	cfg, err := config.Parse("x.yaml", []byte(base+"teams:\n"+fallback+"  - {id: m2, kind: meal, places: [ML01, ML0199], supervisor: s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.CheckPlaces(map[string]bool{"ML01": true})
	if err == nil || !strings.Contains(err.Error(), "x.yaml:5: team \"m2\": unknown P-code \"ML0199\"") || strings.Contains(err.Error(), "\"ML01\"") {
		t.Errorf("CheckPlaces = %v", err)
	}
}

func TestDemoPlacesExist(t *testing.T) {
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	known := catalog.PlaceCodes()
	if len(known) < 60 {
		t.Fatalf("read %d P-codes from places.csv", len(known))
	}
	if err := cfg.CheckPlaces(known); err != nil {
		t.Error(err)
	}
}

func TestAllowFrom(t *testing.T) {
	for name, tt := range map[string]struct{ yaml, want string }{
		"not a network": {"channels:\n  - {id: abcdef, provider: twilio, country: ML, allow_from: [example.org]}\n", `allow_from: "example.org"`},
	} {
		if _, err := config.Parse("x.yaml", []byte(tt.yaml+"teams:\n"+fallback)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", name, err, tt.want)
		}
	}
	cfg, err := config.Parse("x.yaml", []byte("channels:\n  - {id: abcdef, provider: africastalking, country: ML, allow_from: [192.0.2.0/24, \"2001:db8::1\"]}\nteams:\n"+fallback))
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := cfg.Channel("abcdef")
	for addr, want := range map[string]bool{"192.0.2.77": true, "::ffff:192.0.2.77": true, "2001:db8::1": true, "198.51.100.1": false, "127.0.0.1": false} {
		if got := ch.AllowsSource(netip.MustParseAddr(addr)); got != want {
			t.Errorf("AllowsSource(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestUsesDemoSecrets(t *testing.T) {
	demo, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	if !demo.UsesDemoSecrets() {
		t.Error("the demo config's published credentials were not seen")
	}
	for i := range demo.Channels {
		demo.Channels[i].SMS, demo.Channels[i].Voice = nil, nil
	}
	if demo.UsesDemoSecrets() {
		t.Error("a config without demo: secrets was taken for the demo")
	}
}
