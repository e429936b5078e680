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
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/numerovert/hotline/internal/clientip"
)

//go:embed demo.yaml
var demo []byte

// DemoName is the name Load reports for the embedded demo configuration.
const DemoName = "demo.yaml (embedded demo)"

// Config is a validated deployment.
type Config struct {
	Source     string
	Channels   []Channel      `yaml:"channels"`
	Teams      []Team         `yaml:"teams"`
	Programmes []Programme    `yaml:"programmes"`
	Codebook   []FeedbackType `yaml:"codebook"`
	Localities []Locality     `yaml:"localities"`
	Referrals  []Referral     `yaml:"referrals"` // referrals.go: services told at the end of a sexual abuse report
	Voice      VoiceStaff     `yaml:"voice"`     // staff.go: who may record prompts by phone
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
	SMS *SMS `yaml:"sms"`
	// Voice, when present, enables /c/{ID}/voice (see voice.go).
	Voice *Voice `yaml:"voice"`
	// AllowFrom lists the networks (CIDRs or addresses) the provider
	// calls from. Every callback of the channel from elsewhere is refused
	// with 403 before anything is read. Required for providers that sign
	// nothing (Africa's Talking), whose only other credential is the URL
	// token; docs/threat-model.md says how to find a provider's ranges.
	AllowFrom []string `yaml:"allow_from"`
	sources   []netip.Prefix
	line      int
}

// Line is the line of the channel in its file, 0 when built in code.
func (ch Channel) Line() int { return ch.line }

// AllowsSource reports whether a callback from addr may reach the
// channel: addr is in AllowFrom, or AllowFrom is empty (a signed provider
// whose operator chose no list).
func (ch Channel) AllowsSource(addr netip.Addr) bool {
	if len(ch.AllowFrom) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range ch.sources {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Team is a group that receives cases. Only independent functions may
// receive cases; see ValidKinds.
type Team struct {
	ID           string `yaml:"id"`
	Name         string `yaml:"name"`
	Kind         string `yaml:"kind"`
	Organisation string `yaml:"organisation"`
	// National teams cover all of Mali. A national team with no
	// exclusions is the fallback that makes every case land somewhere.
	National bool `yaml:"national"`
	// Places are the region or cercle P-codes the team covers, or codes of
	// the file's localities (a commune or site: routed there first).
	Places []string `yaml:"places"`
	// Categories the team handles. Empty means every category its kind
	// may receive, except sensitive ones, which a team must name.
	Categories []string `yaml:"categories"`
	// Exclude lists what the team implements or is tied to, whose cases
	// it must never receive (conflict of interest).
	Exclude Exclusions `yaml:"exclude"`
	// Supervisor receives the team's overdue cases (an officer id).
	Supervisor string `yaml:"supervisor"`
	// OfficeHours are when its on-duty officers take live calls
	// (officehours.go); none: the team takes no live call.
	OfficeHours *OfficeHours `yaml:"office_hours"`
	line        int
}

// Exclusions are a team's conflicts of interest.
type Exclusions struct {
	Programmes    []string `yaml:"programmes"`
	Organisations []string `yaml:"organisations"`
}

// Empty reports whether the team has no conflict of interest declared.
func (e Exclusions) Empty() bool { return len(e.Programmes) == 0 && len(e.Organisations) == 0 }

// Line is the line of the team in its file, 0 when built in code.
func (t Team) Line() int { return t.line }

// Handles reports whether the team takes cases of category cat, given the
// kinds cat may reach. Sensitive categories must be named by the team.
func (t Team) Handles(cat Category) bool {
	if !contains(cat.Recipients, t.Kind) {
		return false
	}
	if len(t.Categories) == 0 {
		return !cat.Sensitive
	}
	return contains(t.Categories, cat.ID)
}

// Programme is a piece of assistance delivered by an organisation. A case
// is tied to every programme whose assistance and places it could be
// about; teams excluded from any of them never receive it.
type Programme struct {
	ID           string   `yaml:"id"`
	Name         string   `yaml:"name"`
	Organisation string   `yaml:"organisation"`
	Assistance   []string `yaml:"assistance"` // empty: any
	Places       []string `yaml:"places"`     // region or cercle P-codes, or localities; empty: all of Mali
	line         int
}

// Duration is a time.Duration written in YAML as Go durations ("72h") or
// whole days ("30d").
type Duration time.Duration

// UnmarshalYAML reads "30d" or any time.ParseDuration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads "30d" or a time.ParseDuration string; it must be
// positive.
func ParseDuration(s string) (time.Duration, error) {
	var v time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("duration %q: want hours (72h) or days (30d)", s)
		}
		v = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if v, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("duration %q: want hours (72h) or days (30d)", s)
		}
	}
	if v <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return v, nil
}

// Team returns the team with id.
func (c *Config) Team(id string) (Team, bool) {
	for _, t := range c.Teams {
		if t.ID == id {
			return t, true
		}
	}
	return Team{}, false
}

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
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Validate fills defaults and checks the configuration, reporting every
// problem with Source and line. Parse calls it; code that builds a Config
// by hand (tests) calls it too. It guarantees that routing always finds a
// team: every category has a national team without conflicts of interest
// that may receive it, and a national MEAL team without conflicts exists
// for categories nobody configured.
func (cfg *Config) Validate() error {
	p := &problems{source: cfg.Source}
	cfg.checkChannels(p)
	programmes := cfg.checkProgrammes(p)
	categories := cfg.fillCategories(p)
	cfg.checkTeams(p, programmes, categories)
	cfg.checkFallbacks(p)
	cfg.checkLocalities(p)
	cfg.checkReferrals(p)
	cfg.checkStaff(p)
	return errors.Join(p.errs...)
}

// problems collects Validate's findings, each with the file and line.
type problems struct {
	source string
	errs   []error
}

func (p *problems) at(line int, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.source, line, fmt.Sprintf(format, args...)))
}

func (cfg *Config) checkChannels(p *problems) {
	seen := map[string]bool{}
	for i := range cfg.Channels {
		ch := &cfg.Channels[i]
		switch {
		case !channelID.MatchString(ch.ID):
			p.at(ch.line, "channel id %q must be 6 to 64 letters, digits, '-' or '_'", ch.ID)
		case seen[ch.ID]:
			p.at(ch.line, "channel id %q is used twice", ch.ID)
		}
		seen[ch.ID] = true
		if ch.Provider == "" {
			p.at(ch.line, "channel %q: provider is required", ch.ID)
		}
		if !countryCode.MatchString(ch.Country) {
			p.at(ch.line, "channel %q: country must be an ISO 3166 code such as ML, got %q", ch.ID, ch.Country)
		}
		for _, list := range [][]string{ch.parseSources(), validateVoice(*ch), validateSMS(*ch), validateCallBack(*ch)} {
			for _, msg := range list {
				p.at(ch.line, "channel %q: %s", ch.ID, msg)
			}
		}
	}
	if len(cfg.Channels) == 0 {
		p.at(1, "no channels: add at least one under 'channels:'")
	}
}

// checkProgrammes returns the programme ids.
func (cfg *Config) checkProgrammes(p *problems) map[string]bool {
	programmes := map[string]bool{}
	for _, pr := range cfg.Programmes {
		if !ident.MatchString(pr.ID) || programmes[pr.ID] {
			p.at(pr.line, "programme id %q is empty, malformed or used twice", pr.ID)
		}
		programmes[pr.ID] = true
		if strings.TrimSpace(pr.Organisation) == "" {
			p.at(pr.line, "programme %q has no organisation: conflicts of interest are declared against it", pr.ID)
		}
		for _, pc := range pr.Places {
			if _, local := cfg.LocalityCercle(pc); !pcode.MatchString(pc) && !local {
				p.at(pr.line, "programme %q: %q is not a Mali region or cercle P-code (ML01, ML0101) nor a locality of this file", pr.ID, pc)
			}
		}
	}
	return programmes
}

func (cfg *Config) checkTeams(p *problems, programmes map[string]bool, categories map[string]*Category) {
	teams := map[string]bool{}
	for _, t := range cfg.Teams {
		if t.ID == "" || teams[t.ID] {
			p.at(t.line, "team id %q is empty or used twice", t.ID)
		}
		teams[t.ID] = true
		if !contains(ValidKinds, t.Kind) {
			p.at(t.line, "team %q has kind %q: only independent functions (%s) may receive cases, never community leaders, distribution committees or implementing teams", t.ID, t.Kind, strings.Join(ValidKinds, ", "))
		}
		if strings.TrimSpace(t.Supervisor) == "" {
			p.at(t.line, "team %q has no supervisor: overdue cases are escalated to them", t.ID)
		}
		if !t.National && len(t.Places) == 0 {
			p.at(t.line, "team %q covers no place: list region or cercle P-codes under places, or set national: true", t.ID)
		}
		for _, pc := range t.Places {
			if _, local := cfg.LocalityCercle(pc); !pcode.MatchString(pc) && !local {
				p.at(t.line, "team %q: %q is not a Mali region or cercle P-code (ML01, ML0101) nor a locality of this file", t.ID, pc)
			}
		}
		for _, c := range t.Categories {
			if categories[c] == nil {
				p.at(t.line, "team %q handles unknown category %q", t.ID, c)
			}
		}
		for _, pr := range t.Exclude.Programmes {
			if !programmes[pr] {
				p.at(t.line, "team %q excludes unknown programme %q", t.ID, pr)
			}
		}
		for _, msg := range t.OfficeHours.Validate() {
			p.at(t.line, "team %q: %s", t.ID, msg)
		}
	}
}

// checkFallbacks makes sure routing always finds a team: a national team
// without exclusions (a conflicted fallback could be excluded from a case)
// for MEAL and for every category.
func (cfg *Config) checkFallbacks(p *problems) {
	hasFallback := func(ok func(Team) bool) bool {
		return slices.ContainsFunc(cfg.Teams, func(t Team) bool { return t.National && t.Exclude.Empty() && ok(t) })
	}
	if !hasFallback(func(t Team) bool { return t.Kind == "meal" }) {
		p.at(1, "no national MEAL team without conflict exclusions: one is needed as the fallback for every case (add a team with kind: meal, national: true and no exclude)")
	}
	for _, ft := range cfg.Codebook {
		for _, cat := range ft.Categories {
			if !hasFallback(func(t Team) bool { return t.Handles(cat) }) {
				how := "list it under its categories"
				if !cat.Sensitive {
					how = "leave its categories empty or list it"
				}
				p.at(cat.line, "category %q has no fallback: add a national team of kind %s with no exclude, and %s", cat.ID, strings.Join(cat.Recipients, " or "), how)
			}
		}
	}
}

// CheckPlaces reports every P-code in teams and programmes that is not in
// known (menus.Catalog.PlaceCodes: the codes of locales/places.csv), with
// file:line.
func (cfg *Config) CheckPlaces(known map[string]bool) error {
	var errs []error
	check := func(what, id string, line int, places []string) {
		for _, pc := range places {
			if _, local := cfg.LocalityCercle(pc); !known[pc] && !local {
				errs = append(errs, fmt.Errorf("%s:%d: %s %q: unknown P-code %q", cfg.Source, line, what, id, pc))
			}
		}
	}
	for _, t := range cfg.Teams {
		check("team", t.ID, t.line, t.Places)
	}
	for _, p := range cfg.Programmes {
		check("programme", p.ID, p.line, p.Places)
	}
	for _, l := range cfg.Localities {
		check("locality", l.Code, l.line, []string{l.Cercle})
	}
	for _, r := range cfg.Referrals {
		check("referral", r.ID, r.line, r.Places)
	}
	return errors.Join(errs...)
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
	ident       = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	pcode       = regexp.MustCompile(`^ML[0-9]{2}([0-9]{2})?$`)
	channelID   = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
)

func contains(list []string, s string) bool { return slices.Contains(list, s) }

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
			case key == "programmes" && j < len(cfg.Programmes):
				cfg.Programmes[j].line = item.Line
			case key == "localities" && j < len(cfg.Localities):
				cfg.Localities[j].line = item.Line
			case key == "referrals" && j < len(cfg.Referrals):
				cfg.Referrals[j].line = item.Line
			case key == "voice" && j%2 == 0 && item.Value == "staff" && j+1 < len(val.Content):
				cfg.recordStaffLines(val.Content[j+1])
			case key == "codebook" && j < len(cfg.Codebook) && item.Kind == yaml.MappingNode:
				for k := 0; k+1 < len(item.Content); k += 2 {
					if item.Content[k].Value != "categories" {
						continue
					}
					for n, c := range item.Content[k+1].Content {
						if n < len(cfg.Codebook[j].Categories) {
							cfg.Codebook[j].Categories[n].line = c.Line
						}
					}
				}
			}
		}
	}
}

// parseSources reads AllowFrom into the prefixes AllowsSource checks.
func (ch *Channel) parseSources() []string {
	var problems []string
	ch.sources = nil
	for _, v := range ch.AllowFrom {
		p, err := clientip.ParsePrefix(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("allow_from: %q is not an address or CIDR", v))
			continue
		}
		ch.sources = append(ch.sources, p)
	}
	return problems
}
