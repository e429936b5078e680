package menus

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/numerovert/hotline/menus/gsm7"
)

// Catalog is a loaded locales directory: the menu tree, the places and the
// strings of every language. It is immutable once loaded.
type Catalog struct {
	tree     *tree
	places   *places
	locales  []*locale // menu order
	byCode   map[string]*locale
	fallback *locale   // fills every gap; the language screen is shown in it
	services Directory // the referral directory (WithServices); nil: none
	// voiceCercles: the deployment's cercles, offered first on a call's
	// region question (WithVoiceCercles).
	voiceCercles []string
}

// Load parses tree.yaml, places.csv and every <lang>.yaml in fsys (root of
// the locales dir). It fails on any error Lint would report, except screens
// too long for a medium (Lint checks those against USSD).
func Load(fsys fs.FS) (*Catalog, error) {
	s := read(fsys)
	var errs []string
	for _, p := range s.problems {
		if !p.Warning {
			errs = append(errs, p.String())
		}
	}
	if n := len(errs); n > 0 {
		const max = 10
		more := ""
		if len(errs) > max {
			more = fmt.Sprintf("\n(and %d more)", len(errs)-max)
			errs = errs[:max]
		}
		return nil, fmt.Errorf("menus: load locales: %d error(s):\n%s%s", n, strings.Join(errs, "\n"), more)
	}
	return newCatalog(s, s.locales), nil
}

func newCatalog(s *source, locales []*locale) *Catalog {
	c := &Catalog{tree: s.tree, places: s.places, locales: locales, byCode: map[string]*locale{}}
	for _, l := range locales {
		c.byCode[l.code] = l
	}
	c.fallback = c.byCode[s.tree.fallback]
	if c.fallback == nil && len(locales) > 0 {
		c.fallback = locales[0]
	}
	return c
}

// Place is an administrative area of places.csv, by its OCHA P-code, or a
// locality of the deployment (WithLocalities).
type Place struct {
	Code   string
	Name   string
	Level  int    // 1 région, 2 cercle, 3 commune or distribution site
	Parent string // the region of a cercle, the cercle of a locality
}

// WithLocalities is c with the deployment's communes or distribution sites
// (level 3: an ADM3 P-code where the organisation has one, else its own
// code) under their cercles, for the optional place question below the
// cercle (a level-3 place node). A cercle with none skips that question.
func (c *Catalog) WithLocalities(ls []Place) (*Catalog, error) {
	pl := &places{regions: c.places.regions, children: maps.Clone(c.places.children), byCode: maps.Clone(c.places.byCode)}
	for _, l := range ls {
		parent, ok := pl.byCode[l.Parent]
		switch {
		case !ok || parent.level != 2:
			return nil, fmt.Errorf("menus: locality %q: %q is not a cercle of places.csv", l.Code, l.Parent)
		case l.Code == "" || strings.TrimSpace(l.Name) == "":
			return nil, fmt.Errorf("menus: locality %q in %s needs a code and a name", l.Code, l.Parent)
		case pl.byCode[l.Code].code != "":
			return nil, fmt.Errorf("menus: locality code %q is used twice", l.Code)
		}
		p := place{code: l.Code, name: strings.TrimSpace(l.Name), parent: l.Parent, level: 3}
		pl.byCode[p.code] = p
		pl.children[p.parent] = append(slices.Clip(pl.children[p.parent]), p)
	}
	out := *c
	out.places = pl
	return &out, nil
}

// Places lists places.csv, the one reading of it: each region followed by
// its cercles, in file order, each cercle followed by its localities
// (WithLocalities).
func (c *Catalog) Places() []Place {
	var out []Place
	for _, r := range c.places.regions {
		out = append(out, Place{Code: r.code, Name: r.name, Level: 1})
		for _, ce := range c.places.children[r.code] {
			out = append(out, Place{Code: ce.code, Name: ce.name, Level: 2, Parent: r.code})
			for _, l := range c.places.children[ce.code] {
				out = append(out, Place{Code: l.code, Name: l.name, Level: 3, Parent: ce.code})
			}
		}
	}
	return out
}

// PlaceCodes is the set of every P-code in places.csv.
func (c *Catalog) PlaceCodes() map[string]bool {
	known := map[string]bool{}
	for _, p := range c.Places() {
		known[p.Code] = true
	}
	return known
}

// Choices lists the values a caller can choose for answer field, from
// every choice node that stores it, in menu order: the categories the
// codebook must hold (config.CheckChoices), the assistance types.
func (c *Catalog) Choices(field string) []string {
	var out []string
	for _, n := range c.tree.nodes {
		if n.Kind != kindChoice || n.Field != field {
			continue
		}
		for _, o := range n.Options {
			if !slices.Contains(out, o.Value) {
				out = append(out, o.Value)
			}
		}
	}
	return out
}

// Languages returns the locale codes in menu order (by callers' demand).
func (c *Catalog) Languages() []string {
	out := make([]string, len(c.locales))
	for i, l := range c.locales {
		out[i] = l.code
	}
	return out
}

// HasLanguage reports whether lang is a loaded locale code.
func (c *Catalog) HasLanguage(lang string) bool {
	_, ok := c.byCode[lang]
	return ok
}

// LanguageName returns the language named in itself ("Français"), or "".
func (c *Catalog) LanguageName(lang string) string {
	if l := c.byCode[lang]; l != nil {
		return l.name
	}
	return ""
}

// TTS returns the BCP-47 language of a text-to-speech voice for lang (its
// file's `tts:`, a voice espeak-ng and the providers have), or "" when
// none speaks it: its strings without a recording are then heard as the
// fallback's recording or speech.
func (c *Catalog) TTS(lang string) string {
	if l := c.byCode[lang]; l != nil {
		return l.tts
	}
	return ""
}

// Spelling returns lang's GSM-7 spelling (its file's `gsm7:`), for text
// written outside the menus (SMS replies); nil folds generically.
func (c *Catalog) Spelling(lang string) *gsm7.Spelling {
	if l := c.byCode[lang]; l != nil {
		return l.spelling
	}
	return nil
}

// Text returns the string key in lang, falling back to the fallback
// language (tree.yaml `fallback:`), then to the key itself.
func (c *Catalog) Text(lang, key string) string {
	if l := c.byCode[lang]; l != nil {
		if s, ok := l.strings[key]; ok {
			return s
		}
	}
	if c.fallback != nil {
		if s, ok := c.fallback.strings[key]; ok {
			return s
		}
	}
	return key
}

// Fallback returns the code of the language that fills the gaps of the
// others and in which a caller with no known language first sees the menu.
func (c *Catalog) Fallback() string { return c.fallback.code }

// defaultLocale is the fallback language.
func (c *Catalog) defaultLocale() *locale { return c.fallback }
