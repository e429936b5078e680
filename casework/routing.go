package casework

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/numerovert/hotline/config"
)

// ErrNoRoute is returned (wrapped) by Route when no team may receive a
// case. A configuration that passed config.Validate never produces it.
var ErrNoRoute = errors.New("casework: no team may receive this case")

// Routing is the decision that gave a case to a team.
type Routing struct {
	Team string
	// Rule says why, in words an auditor can check against the config.
	Rule string
	// Programmes are the programmes the case may be about (by assistance
	// and place); teams excluded from any of them were passed over.
	Programmes []string
}

// Route picks the one team that receives a case of category about
// assistance in region/cercle/locality ("unknown" or "" when the caller
// did not say; locality is a commune or site of config `localities`).
// Among teams whose kind may receive the category, that handle it and that
// have no conflict of interest with any programme the case may be about,
// it takes one covering the locality, else the cercle, else the region,
// else a national team; at each level the category's recipient kinds are tried
// in the order listed, and teams in config order. A category missing from the codebook
// goes to a national MEAL team with no exclusions. cfg must be validated.
func Route(cfg *config.Config, category, region, cercle, locality, assistance string) (Routing, error) {
	region, cercle = normalisePlace(region, cercle)
	if strings.TrimSpace(locality) == "" {
		locality = Unknown
	}
	progs := programmesFor(cfg, region, cercle, locality, assistance)
	var ids []string
	for _, p := range progs {
		ids = append(ids, p.ID)
	}
	conflicted := func(t config.Team) bool {
		for _, p := range progs {
			if slices.Contains(t.Exclude.Programmes, p.ID) || slices.Contains(t.Exclude.Organisations, p.Organisation) {
				return true
			}
		}
		return false
	}
	var passedOver []string
	note := func() string {
		if len(passedOver) == 0 {
			return ""
		}
		return "; passed over for conflict of interest: " + strings.Join(passedOver, ", ")
	}

	cat, known := cfg.Category(category)
	if known {
		levels := []struct {
			name  string
			match func(config.Team) bool
		}{
			{"locality " + locality, func(t config.Team) bool { return locality != Unknown && slices.Contains(t.Places, locality) }},
			{"cercle " + cercle, func(t config.Team) bool { return cercle != Unknown && slices.Contains(t.Places, cercle) }},
			{"region " + region, func(t config.Team) bool { return region != Unknown && slices.Contains(t.Places, region) }},
			{"national", func(t config.Team) bool { return t.National }},
		}
		for _, lv := range levels {
			if t, ok := pickTeam(cfg, cat, lv.match, conflicted, &passedOver); ok {
				return Routing{
					Team:       t.ID,
					Rule:       fmt.Sprintf("category %s to kinds %s; %s covered by %s team %s%s", cat.ID, strings.Join(cat.Recipients, "/"), lv.name, t.Kind, t.ID, note()),
					Programmes: ids,
				}, nil
			}
		}
		return Routing{}, fmt.Errorf("%w: category %s", ErrNoRoute, cat.ID)
	}
	for _, t := range cfg.Teams {
		if t.Kind == "meal" && t.National && t.Exclude.Empty() {
			return Routing{
				Team:       t.ID,
				Rule:       fmt.Sprintf("category %s is not in the codebook; national MEAL fallback team %s", category, t.ID),
				Programmes: ids,
			}, nil
		}
	}
	return Routing{}, fmt.Errorf("%w: category not in the codebook and no national MEAL fallback", ErrNoRoute)
}

// pickTeam is the first team, by the category's recipient kinds in order
// then config order, that match accepts and that handles cat; a team
// conflicted out is added to passedOver once and skipped.
func pickTeam(cfg *config.Config, cat config.Category, match, conflicted func(config.Team) bool, passedOver *[]string) (config.Team, bool) {
	for _, kind := range cat.Recipients {
		for _, t := range cfg.Teams {
			if t.Kind != kind || !match(t) || !t.Handles(cat) {
				continue
			}
			if !conflicted(t) {
				return t, true
			}
			if !slices.Contains(*passedOver, t.ID) {
				*passedOver = append(*passedOver, t.ID)
			}
		}
	}
	return config.Team{}, false
}

// normalisePlace maps "" to Unknown and fills the region from a known
// cercle (a cercle P-code starts with its region's).
func normalisePlace(region, cercle string) (string, string) {
	if strings.TrimSpace(region) == "" {
		region = Unknown
	}
	if strings.TrimSpace(cercle) == "" {
		cercle = Unknown
	}
	if region == Unknown && len(cercle) == 6 {
		region = cercle[:4]
	}
	return region, cercle
}

// programmesFor lists the programmes a case may be about. When the caller
// did not say where, every programme of that assistance counts: a team
// must not judge a programme it may be tied to.
func programmesFor(cfg *config.Config, region, cercle, locality, assistance string) []config.Programme {
	var out []config.Programme
	for _, p := range cfg.Programmes {
		if len(p.Assistance) > 0 && !slices.Contains(p.Assistance, assistance) {
			continue
		}
		if placeMatches(cfg, p.Places, region, cercle, locality) {
			out = append(out, p)
		}
	}
	return out
}

func placeMatches(cfg *config.Config, places []string, region, cercle, locality string) bool {
	if len(places) == 0 || region == Unknown {
		return true
	}
	for _, p := range places {
		if lc, ok := cfg.LocalityCercle(p); ok {
			// A commune or site: the caller's, or one of their cercle
			// (or region) when they did not say which.
			if p == locality || (locality == Unknown && (lc == cercle || (cercle == Unknown && strings.HasPrefix(lc, region)))) {
				return true
			}
			continue
		}
		switch {
		case p == region, p == cercle:
			return true
		case len(p) == 6 && cercle == Unknown && p[:4] == region:
			return true // a cercle of the caller's region, and we do not know which
		}
	}
	return false
}
