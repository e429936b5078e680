package config_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/config"
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
		{"unknown provider", "channels:\n  - id: abcdef\n    provider: orange\n    country: ML\n", "x.yaml:2: channel \"abcdef\": unknown provider"},
		{"short id", "channels:\n  - id: ab\n    provider: africastalking\n    country: ML\n", "x.yaml:2: channel id \"ab\""},
		{"duplicate id", "channels:\n  - {id: abcdef, provider: africastalking, country: ML}\n  - {id: abcdef, provider: africastalking, country: ML}\n", "x.yaml:3: channel id \"abcdef\" is used twice"},
		{"bad country", "channels:\n  - {id: abcdef, provider: africastalking, country: Mali}\n", "x.yaml:2: channel \"abcdef\": country"},
		{"chief as recipient", "channels:\n  - {id: abcdef, provider: africastalking, country: ML}\nteams:\n  - id: chief\n    kind: community_leader\n", "x.yaml:4: team \"chief\" has kind \"community_leader\": only independent functions"},
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
