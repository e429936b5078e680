// Package config loads the operator's deployment file: the channels that
// aggregators call and the teams that receive cases.
//
// Errors name the file and line, so an operator in a field office can fix a
// typo without reading Go. The demo configuration ships inside the binary
// and is used when no file is given.
//
// This package must never hold secrets other than channel ids (which act as
// unguessable URL tokens in production) and must never log them. Provider
// credentials are only named here (an environment variable or a file in the
// keys directory) and read by Secret.Resolve at startup; the one exception
// is the demo's published "demo-…" values.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed demo.yaml
var demo []byte

// DemoName is the name Load reports for the embedded demo configuration.
const DemoName = "demo.yaml (embedded demo)"

// Config is a validated deployment.
type Config struct {
	Source   string
	Channels []Channel `yaml:"channels"`
	Teams    []Team    `yaml:"teams"`
}

// Channel is one endpoint an aggregator calls: /c/{ID}/ussd.
type Channel struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Provider string `yaml:"provider"`
	// Country is the ISO 3166 region used to read numbers sent without a
	// country code.
	Country string `yaml:"country"`
	// SMS, when present, enables /c/{ID}/sms (see sms.go).
	SMS  *SMS `yaml:"sms"`
	line int
}

// Team is a group that receives cases. Only independent functions may
// receive cases; see ValidKinds.
type Team struct {
	ID           string `yaml:"id"`
	Name         string `yaml:"name"`
	Kind         string `yaml:"kind"`
	Organisation string `yaml:"organisation"`
	line         int
}

// Providers lists the aggregator wire formats the gateway speaks.
var Providers = []string{"africastalking", "twilio"}

// ValidKinds lists the team kinds allowed to receive cases: functions
// independent of the people a complaint may be about.
var ValidKinds = []string{"meal", "psea", "protection"}

// Demo returns the embedded demo configuration.
func Demo() (*Config, error) { return Parse(DemoName, demo) }

// Load reads and validates the file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Parse validates a configuration read from name.
func Parse(name string, data []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cfg := &Config{Source: name}
	if err := root.Decode(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	recordLines(&root, cfg)
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}
	seen := map[string]bool{}
	for _, ch := range cfg.Channels {
		switch {
		case !channelID.MatchString(ch.ID):
			fail(ch.line, "channel id %q must be 6 to 64 letters, digits, '-' or '_'", ch.ID)
		case seen[ch.ID]:
			fail(ch.line, "channel id %q is used twice", ch.ID)
		}
		seen[ch.ID] = true
		if !contains(Providers, ch.Provider) {
			fail(ch.line, "channel %q: unknown provider %q (known: %s)", ch.ID, ch.Provider, strings.Join(Providers, ", "))
		}
		if !countryCode.MatchString(ch.Country) {
			fail(ch.line, "channel %q: country must be an ISO 3166 code such as ML, got %q", ch.ID, ch.Country)
		}
		for _, p := range validateSMS(ch) {
			fail(ch.line, "channel %q: %s", ch.ID, p)
		}
	}
	if len(cfg.Channels) == 0 {
		fail(1, "no channels: add at least one under 'channels:'")
	}
	teams := map[string]bool{}
	for _, t := range cfg.Teams {
		if t.ID == "" || teams[t.ID] {
			fail(t.line, "team id %q is empty or used twice", t.ID)
		}
		teams[t.ID] = true
		if !contains(ValidKinds, t.Kind) {
			fail(t.line, "team %q has kind %q: only independent functions (%s) may receive cases, never community leaders, distribution committees or implementing teams", t.ID, t.Kind, strings.Join(ValidKinds, ", "))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Channel returns the channel with id.
func (c *Config) Channel(id string) (Channel, bool) {
	for _, ch := range c.Channels {
		if ch.ID == id {
			return ch, true
		}
	}
	return Channel{}, false
}

var (
	channelID   = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
)

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// recordLines copies each list item's line number from the YAML tree, so
// validation errors can point at it.
func recordLines(root *yaml.Node, cfg *Config) {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, val := doc.Content[i].Value, doc.Content[i+1]
		for j, item := range val.Content {
			switch {
			case key == "channels" && j < len(cfg.Channels):
				cfg.Channels[j].line = item.Line
			case key == "teams" && j < len(cfg.Teams):
				cfg.Teams[j].line = item.Line
			}
		}
	}
}
