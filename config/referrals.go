package config

import (
	"maps"
	"slices"
	"strings"
)

// Referral is one service of the referral directory: where a caller who
// reported sexual abuse can get help today (medical care, psychosocial
// support, legal aid, safe shelter), told at the end of the report with
// the services nearest their cercle. Name, Offers and Reach are per
// language code (fr is the fallback and must be there). Reach is how to
// reach it: a public service number, a place, its days. It is public
// information; never put a person's private number here.
type Referral struct {
	ID       string            `yaml:"id"`
	Places   []string          `yaml:"places"` // region or cercle P-codes it serves
	National bool              `yaml:"national"`
	Name     map[string]string `yaml:"name"`
	Offers   map[string]string `yaml:"offers"`
	Reach    map[string]string `yaml:"reach"`
	line     int
}

// Line is the line of the service in its file, 0 when built in code.
func (r Referral) Line() int { return r.line }

// ReferralsFor lists the services for a case's place, nearest first: those
// naming the cercle, then the region, then national ones (the order the
// caller heard them in, and the case page shows).
func (c *Config) ReferralsFor(region, cercle string) []Referral {
	var near, mid, far []Referral
	for _, r := range c.Referrals {
		switch {
		case cercle != "" && slices.Contains(r.Places, cercle):
			near = append(near, r)
		case region != "" && slices.Contains(r.Places, region):
			mid = append(mid, r)
		case r.National:
			far = append(far, r)
		}
	}
	return slices.Concat(near, mid, far)
}

// Text is m in lang, else in French (the fallback every service has).
func (r Referral) Text(m map[string]string, lang string) string {
	if v := strings.TrimSpace(m[lang]); v != "" {
		return v
	}
	return strings.TrimSpace(m["fr"])
}

// checkReferrals checks each service's id, places and texts (that its
// P-codes are in places.csv is CheckPlaces' part).
func (cfg *Config) checkReferrals(p *problems) {
	seen := map[string]bool{}
	for _, r := range cfg.Referrals {
		switch {
		case !ident.MatchString(r.ID) || seen[r.ID]:
			p.at(r.line, "referral id %q is empty, malformed or used twice", r.ID)
		case r.National == (len(r.Places) > 0):
			p.at(r.line, "referral %q: give either places (region or cercle P-codes) or national: true", r.ID)
		case strings.TrimSpace(r.Name["fr"]) == "" || strings.TrimSpace(r.Reach["fr"]) == "":
			p.at(r.line, "referral %q needs name.fr and reach.fr (French fills any language without its own text)", r.ID)
		}
		seen[r.ID] = true
		for _, pc := range r.Places {
			if !pcode.MatchString(pc) {
				p.at(r.line, "referral %q: %q is not a region or cercle P-code (ML07, ML0701)", r.ID, pc)
			}
		}
		for _, m := range []map[string]string{r.Name, r.Offers, r.Reach} {
			for _, l := range slices.Sorted(maps.Keys(m)) {
				if !langCode.MatchString(l) {
					p.at(r.line, "referral %q: %q is not a language code (bm, fr, ff, taq, ses, en)", r.ID, l)
				}
			}
		}
	}
}
