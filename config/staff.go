package config

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// VoiceStaff is the deployment-wide voice settings that belong to no
// channel: the staff who may record prompts by phone (issue 13).
type VoiceStaff struct {
	// Staff are recognised by their caller key on any voice channel: a
	// staff caller hears "0: record prompts" before the language menu;
	// nobody else ever hears it.
	Staff []Staff `yaml:"staff"`
}

// Staff is one person allowed to record prompts by phone. The config
// holds no number: Keys are the staff keys `hotline prompts staff-key
// --number N` prints (a hash of the keyed caller key, so it needs the keys
// directory and matches nothing in the cases).
type Staff struct {
	// Name is written in the studio's history as the recording's author.
	Name string `yaml:"name"`
	// Keys are staff keys, "s1:…", one per phone (and per caller-key
	// version: after `hotline keys rotate callerid`, add the new one).
	Keys []string `yaml:"keys"`
	// Lang is the language the staff menu speaks (default: the fallback).
	Lang string `yaml:"lang"`
	line int
}

// Line is the line of the staff entry in its file, 0 when built in code.
func (s Staff) Line() int { return s.line }

var staffKey = regexp.MustCompile(`^s[0-9]+:[A-Za-z0-9_-]{43}$`)

// IsStaffKey reports whether k is written as a staff key.
func IsStaffKey(k string) bool { return staffKey.MatchString(k) }

func (cfg *Config) checkStaff(p *problems) {
	names := map[string]bool{}
	for _, s := range cfg.Voice.Staff {
		name := strings.TrimSpace(s.Name)
		if name == "" || names[name] {
			p.at(s.line, "voice.staff: name %q is empty or used twice (it signs the recordings made by phone)", s.Name)
		}
		names[name] = true
		if len(s.Keys) == 0 {
			p.at(s.line, "voice.staff %q: no keys (run `hotline prompts staff-key --number N` and paste what it prints)", s.Name)
		}
		for _, k := range s.Keys {
			if !IsStaffKey(k) {
				p.at(s.line, "voice.staff %q: %q is not a staff key (never a phone number: run `hotline prompts staff-key`)", s.Name, redactKey(k))
			}
		}
	}
}

// redactKey keeps a malformed key out of error messages when it could be
// a phone number pasted by mistake.
func redactKey(k string) string {
	if strings.ContainsAny(k, "0123456789") && len(k) < 20 {
		return "(hidden: looks like a number)"
	}
	return k
}

// recordStaffLines copies each voice.staff entry's line from the YAML tree.
func (cfg *Config) recordStaffLines(list *yaml.Node) {
	for n, st := range list.Content {
		if n < len(cfg.Voice.Staff) {
			cfg.Voice.Staff[n].line = st.Line
		}
	}
}
