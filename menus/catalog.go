package menus

import (
	"fmt"
	"io/fs"
	"strings"
)

// Catalog is a loaded locales directory: the menu tree, the places and the
// strings of every language. It is immutable once loaded.
type Catalog struct {
	tree    *tree
	places  *places
	locales []*locale // menu order; the first is the default language
	byCode  map[string]*locale
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
	return c
}

// Languages returns the locale codes in menu order (the first is the default).
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

// Text returns the string key in lang, falling back to the default
// language, then to the key itself.
func (c *Catalog) Text(lang, key string) string {
	if l := c.byCode[lang]; l != nil {
		if s, ok := l.strings[key]; ok {
			return s
		}
	}
	if len(c.locales) > 0 {
		if s, ok := c.locales[0].strings[key]; ok {
			return s
		}
	}
	return key
}

// PlaceName returns the name of a region or cercle P-code ("ML05" → "Mopti").
func (c *Catalog) PlaceName(pcode string) (string, bool) {
	p, ok := c.places.byCode[pcode]
	return p.name, ok
}

// defaultLocale is the first language in menu order.
func (c *Catalog) defaultLocale() *locale { return c.locales[0] }
