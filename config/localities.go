package config

import (
	"regexp"
	"strings"
)

// Locality is a commune or distribution site below a cercle, asked after
// the cercle where the deployment lists some for it (locales/tree.yaml,
// the level-3 place node): a case MEAL can act on names the site, not
// only the cercle. Code is the OCHA COD-AB ADM3 P-code where the
// organisation has it (ML070101: the cercle's P-code and two digits),
// else the organisation's own code (ansongo-ville).
type Locality struct {
	Code   string `yaml:"code"`
	Name   string `yaml:"name"`
	Cercle string `yaml:"cercle"` // the cercle's P-code (ML0701)
	line   int
}

// Line is the line of the locality in its file, 0 when built in code.
func (l Locality) Line() int { return l.line }

var (
	adm3Code     = regexp.MustCompile(`^ML[0-9]{6}$`)
	cercleCode   = regexp.MustCompile(`^ML[0-9]{4}$`)
	localityCode = regexp.MustCompile(`^(ML[0-9]{6}|[a-z0-9][a-z0-9_-]{0,63})$`)
)

// checkLocalities checks each locality's code, name and cercle (that the
// cercle is in places.csv is CheckPlaces' part).
func (cfg *Config) checkLocalities(p *problems) {
	seen := map[string]bool{}
	for _, l := range cfg.Localities {
		switch {
		case !localityCode.MatchString(l.Code) || seen[l.Code]:
			p.at(l.line, "locality code %q is empty, malformed or used twice (an ADM3 P-code like ML070101, or lower-case letters, digits, - and _)", l.Code)
		case !cercleCode.MatchString(l.Cercle):
			p.at(l.line, "locality %q: cercle %q is not a cercle P-code (ML0701)", l.Code, l.Cercle)
		case adm3Code.MatchString(l.Code) && !strings.HasPrefix(l.Code, l.Cercle):
			p.at(l.line, "locality %q: an ADM3 P-code starts with its cercle's, not %q", l.Code, l.Cercle)
		case strings.TrimSpace(l.Name) == "":
			p.at(l.line, "locality %q has no name", l.Code)
		}
		seen[l.Code] = true
	}
}

// LocalityCercle is the cercle of the file's locality code, and whether
// code is one: teams and programmes may cover a commune or site.
func (cfg *Config) LocalityCercle(code string) (string, bool) {
	for _, l := range cfg.Localities {
		if l.Code == code {
			return l.Cercle, true
		}
	}
	return "", false
}

// LocalityName is the name of the file's locality code, "" when code is
// none (not asked, "unknown", or no longer listed).
func (cfg *Config) LocalityName(code string) string {
	for _, l := range cfg.Localities {
		if l.Code == code {
			return l.Name
		}
	}
	return ""
}
