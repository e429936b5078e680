package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The codebook: type → category → code, what a case is coded with, and
// each category's handling rules (recipients, priority, deadlines,
// retention).

// FeedbackType is the top of the IFRC-style coding hierarchy:
// type → category → code.
type FeedbackType struct {
	ID         string     `yaml:"id"`
	Name       string     `yaml:"name"`
	Names      Names      `yaml:"names"`
	Categories []Category `yaml:"categories"`
}

// Names are a codebook entry's names for officers, by the web view's
// interface language (`names: {fr: …, en: …}`). `name`, when given, is
// used where a language has none; then the English name.
type Names map[string]string

// In is the name in lang: names[lang], else name, else names.en, else id.
func (n Names) In(lang, name, id string) string {
	for _, v := range []string{n[lang], name, n["en"]} {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return id
}

// NameIn is the type's name in the officer's language lang.
func (t FeedbackType) NameIn(lang string) string { return t.Names.In(lang, t.Name, t.ID) }

// Category is what a caller chooses in the menu (or an officer recodes
// to), with its handling rules.
type Category struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Names Names  `yaml:"names"`
	// Type is filled from the enclosing FeedbackType.
	Type  string `yaml:"-"`
	Codes []Code `yaml:"codes"`
	// Sensitive cases (abuse, staff misconduct) get short deadlines and
	// go only to teams that name the category.
	Sensitive bool `yaml:"sensitive"`
	// Recipients are the team kinds that may receive the category.
	// Default: meal and protection; always exactly psea for "sea".
	Recipients []string `yaml:"recipients"`
	// Priority is high, normal or low; default high when sensitive.
	Priority    string   `yaml:"priority"`
	Acknowledge Duration `yaml:"acknowledge"`
	Resolve     Duration `yaml:"resolve"`
	// Retention is how long after closing the free text, contact details
	// and caller key are kept.
	Retention Duration `yaml:"retention"`
	line      int
}

// Code is the finest level of coding.
type Code struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Names Names  `yaml:"names"`
}

// NameIn is the category's name in the officer's language lang.
func (cat Category) NameIn(lang string) string { return cat.Names.In(lang, cat.Name, cat.ID) }

// NameIn is the code's name in the officer's language lang.
func (c Code) NameIn(lang string) string { return c.Names.In(lang, c.Name, c.ID) }

// SEA is the category of sexual exploitation and abuse: only PSEA focal
// points may receive it, whatever the file says.
const SEA = "sea"

// Defaults for categories that do not set their own.
const (
	DefaultSensitiveAcknowledge = 24 * time.Hour
	DefaultSensitiveResolve     = 72 * time.Hour
	DefaultAcknowledge          = 72 * time.Hour
	DefaultResolve              = 30 * 24 * time.Hour
	DefaultRetention            = 365 * 24 * time.Hour
)

// Priorities lists the valid category priorities.
var Priorities = []string{"high", "normal", "low"}

// Category returns the category with id from the codebook.
func (c *Config) Category(id string) (Category, bool) {
	for _, t := range c.Codebook {
		for _, cat := range t.Categories {
			if cat.ID == id {
				return cat, true
			}
		}
	}
	return Category{}, false
}

// fillCategories fills each category's defaults, checks it, and returns
// the categories by id.
func (cfg *Config) fillCategories(p *problems) map[string]*Category {
	categories := map[string]*Category{}
	for i := range cfg.Codebook {
		ft := &cfg.Codebook[i]
		ft.Names.check(p, cat0(ft), "type "+ft.ID)
		for j := range ft.Categories {
			cat := &ft.Categories[j]
			cat.Type = ft.ID
			if !ident.MatchString(cat.ID) || categories[cat.ID] != nil {
				p.at(cat.line, "category id %q is empty, malformed or used twice", cat.ID)
			}
			categories[cat.ID] = cat
			cat.fill(p)
		}
	}
	return categories
}

// fill sets a category's recipients, priority and deadlines where the
// file leaves them out, and checks them and its codes.
func (cat *Category) fill(p *problems) {
	if cat.ID == SEA {
		cat.Sensitive = true
		if len(cat.Recipients) > 0 && !slices.Equal(cat.Recipients, []string{"psea"}) {
			p.at(cat.line, "category %q (sexual exploitation and abuse) may only reach PSEA focal points: set recipients to [psea] or leave it out", cat.ID)
		}
		cat.Recipients = []string{"psea"}
	}
	if len(cat.Recipients) == 0 {
		cat.Recipients = []string{"meal", "protection"}
	}
	for _, k := range cat.Recipients {
		if !contains(ValidKinds, k) {
			p.at(cat.line, "category %q: recipient kind %q is not an independent function (%s); community leaders, distribution committees and implementing teams never receive cases", cat.ID, k, strings.Join(ValidKinds, ", "))
		}
	}
	if cat.Priority == "" {
		cat.Priority = map[bool]string{false: "normal", true: "high"}[cat.Sensitive]
	}
	if !contains(Priorities, cat.Priority) {
		p.at(cat.line, "category %q: priority %q (want %s)", cat.ID, cat.Priority, strings.Join(Priorities, ", "))
	}
	ack, resolve := DefaultAcknowledge, DefaultResolve
	if cat.Sensitive {
		ack, resolve = DefaultSensitiveAcknowledge, DefaultSensitiveResolve
	}
	orDefault(&cat.Acknowledge, ack)
	orDefault(&cat.Resolve, resolve)
	orDefault(&cat.Retention, DefaultRetention)
	if cat.Acknowledge > cat.Resolve {
		p.at(cat.line, "category %q: acknowledge deadline is later than resolve deadline", cat.ID)
	}
	cat.Names.check(p, cat.line, "category "+cat.ID)
	codes := map[string]bool{}
	for _, c := range cat.Codes {
		if !ident.MatchString(c.ID) || codes[c.ID] {
			p.at(cat.line, "category %q: code id %q is empty, malformed or used twice", cat.ID, c.ID)
		}
		codes[c.ID] = true
		c.Names.check(p, cat.line, "code "+c.ID)
	}
}

// cat0 is the line of a type's first category, where its problems are
// reported (a type has no line of its own).
func cat0(ft *FeedbackType) int {
	if len(ft.Categories) == 0 {
		return 1
	}
	return ft.Categories[0].line
}

// check reports a names key that is no language code (fr, en, bm).
func (n Names) check(p *problems, line int, what string) {
	for lang := range n {
		if !langCode.MatchString(lang) {
			p.at(line, "%s: names: %q is not a language code (fr, en)", what, lang)
		}
	}
}

var langCode = regexp.MustCompile(`^[a-z]{2,3}$`)

func orDefault(d *Duration, v time.Duration) {
	if *d == 0 {
		*d = Duration(v)
	}
}

// CheckCategories reports every category the caller's menu offers
// (menus.Catalog.Choices("category")) that the codebook lacks: such a case
// would reach the national MEAL fallback uncoded, whatever its kind.
// The codebook may hold more (categories officers recode to). A config
// with no codebook at all passes: it codes nothing.
func (cfg *Config) CheckCategories(menu []string) error {
	if len(cfg.Codebook) == 0 {
		return nil // no coding at all: every case goes uncoded to the MEAL fallback, on purpose
	}
	var errs []error
	for _, id := range menu {
		if _, ok := cfg.Category(id); !ok {
			errs = append(errs, fmt.Errorf("%s: codebook: no category %q, which the caller's menu offers (locales/tree.yaml)", cfg.Source, id))
		}
	}
	return errors.Join(errs...)
}
