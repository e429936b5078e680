package casework_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
)

var (
	propRegions    = []string{"ML01", "ML05", "ML07"}
	propCercles    = []string{"ML0101", "ML0102", "ML0501", "ML0701"}
	propOrgs       = []string{"NGO A", "NGO B", "Partner C"}
	propAssistance = []string{"cash", "food", "health"}
	// propLocalities: communes or sites (config localities) by cercle.
	propLocalities = map[string]string{"loc-a": "ML0101", "loc-b": "ML0701", "loc-c": "ML0701"}
)

// genConfig draws a random deployment: programmes, teams with random
// places, categories and conflict exclusions, and a codebook. The fallback
// teams are left out at random, so some drawn configs are invalid.
func genConfig(t *rapid.T) *config.Config {
	cfg := &config.Config{Source: "rapid.yaml", Channels: []config.Channel{{ID: "rapid-ch", Provider: "africastalking", Country: "ML", AllowFrom: []string{"127.0.0.1"}}}}
	for code, cercle := range propLocalities {
		cfg.Localities = append(cfg.Localities, config.Locality{Code: code, Name: code, Cercle: cercle})
	}
	places := append(append(slices.Clone(propRegions), propCercles...), "loc-a", "loc-b", "loc-c")
	nProg := rapid.IntRange(0, 4).Draw(t, "programmes")
	for i := range nProg {
		cfg.Programmes = append(cfg.Programmes, config.Programme{
			ID:           fmt.Sprintf("p%d", i),
			Organisation: rapid.SampledFrom(propOrgs).Draw(t, "org"),
			Assistance:   rapid.SliceOfNDistinct(rapid.SampledFrom(propAssistance), 0, 2, rapid.ID).Draw(t, "assistance"),
			Places:       rapid.SliceOfNDistinct(rapid.SampledFrom(places), 0, 2, rapid.ID).Draw(t, "places"),
		})
	}
	cats := []config.Category{
		{ID: "exclusion"},
		{ID: "fraud", Sensitive: true, Recipients: []string{"meal"}},
		{ID: config.SEA},
		{ID: "safety", Sensitive: rapid.Bool().Draw(t, "safety sensitive"), Recipients: []string{"protection", "meal"}},
	}
	cfg.Codebook = []config.FeedbackType{{ID: "t", Categories: cats}}
	catIDs := []string{"exclusion", "fraud", config.SEA, "safety"}
	nTeams := rapid.IntRange(0, 7).Draw(t, "teams")
	for i := range nTeams {
		team := config.Team{
			ID:           fmt.Sprintf("team%d", i),
			Kind:         rapid.SampledFrom(config.ValidKinds).Draw(t, "kind"),
			Organisation: rapid.SampledFrom(propOrgs).Draw(t, "team org"),
			National:     rapid.Bool().Draw(t, "national"),
			Places:       rapid.SliceOfNDistinct(rapid.SampledFrom(places), 1, 3, rapid.ID).Draw(t, "team places"),
			Categories:   rapid.SliceOfNDistinct(rapid.SampledFrom(catIDs), 0, 3, rapid.ID).Draw(t, "team categories"),
			Supervisor:   "sup",
		}
		if nProg > 0 && rapid.Bool().Draw(t, "excludes programmes") {
			team.Exclude.Programmes = []string{fmt.Sprintf("p%d", rapid.IntRange(0, nProg-1).Draw(t, "excluded programme"))}
		}
		if rapid.Bool().Draw(t, "excludes organisations") {
			team.Exclude.Organisations = []string{rapid.SampledFrom(propOrgs).Draw(t, "excluded org")}
		}
		cfg.Teams = append(cfg.Teams, team)
	}
	if rapid.IntRange(0, 9).Draw(t, "meal fallback") > 0 {
		cfg.Teams = append(cfg.Teams, config.Team{ID: "meal-fallback", Kind: "meal", National: true, Categories: []string{"exclusion", "fraud", "safety"}, Supervisor: "sup"})
	}
	if rapid.IntRange(0, 9).Draw(t, "psea fallback") > 0 {
		cfg.Teams = append(cfg.Teams, config.Team{ID: "psea-fallback", Kind: "psea", National: true, Categories: []string{config.SEA}, Supervisor: "sup"})
	}
	// Shuffle so the fallback is not always last.
	perm := rapid.Permutation(cfg.Teams).Draw(t, "team order")
	cfg.Teams = perm
	return cfg
}

// conflictedWith is the property's own, independent statement of a
// conflict: the team excludes a programme (or its organisation) that
// delivers this assistance where the case may be.
func conflictedWith(cfg *config.Config, team config.Team, region, cercle, locality, assistance string) bool {
	for _, p := range cfg.Programmes {
		if len(p.Assistance) > 0 && !slices.Contains(p.Assistance, assistance) {
			continue
		}
		where := len(p.Places) == 0 || region == casework.Unknown
		for _, pl := range p.Places {
			if lc, ok := propLocalities[pl]; ok {
				// A site: the case's, or maybe the case's when it did not say.
				if pl == locality || (locality == casework.Unknown && (lc == cercle || (cercle == casework.Unknown && strings.HasPrefix(lc, region)))) {
					where = true
				}
				continue
			}
			if pl == region || pl == cercle || (cercle == casework.Unknown && strings.HasPrefix(pl, region)) {
				where = true
			}
		}
		if where && (slices.Contains(team.Exclude.Programmes, p.ID) || slices.Contains(team.Exclude.Organisations, p.Organisation)) {
			return true
		}
	}
	return false
}

func TestRouteProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := genConfig(t)
		if err := cfg.Validate(); err != nil {
			// Only a missing fallback may make these configs invalid.
			if !strings.Contains(err.Error(), "fallback") {
				t.Fatalf("unexpected validation error: %v", err)
			}
			return
		}
		for range 20 {
			region := rapid.SampledFrom(append(slices.Clone(propRegions), casework.Unknown)).Draw(t, "region")
			cercle := casework.Unknown
			if region != casework.Unknown && rapid.Bool().Draw(t, "cercle known") {
				var inRegion []string
				for _, c := range propCercles {
					if strings.HasPrefix(c, region) {
						inRegion = append(inRegion, c)
					}
				}
				cercle = rapid.SampledFrom(inRegion).Draw(t, "cercle")
			}
			locality := casework.Unknown
			var sites []string
			for code, c := range propLocalities {
				if c == cercle {
					sites = append(sites, code)
				}
			}
			if len(sites) > 0 && rapid.Bool().Draw(t, "locality known") {
				slices.Sort(sites)
				locality = rapid.SampledFrom(sites).Draw(t, "locality")
			}
			category := rapid.SampledFrom([]string{"exclusion", "fraud", config.SEA, "safety", "not-in-codebook"}).Draw(t, "category")
			assistance := rapid.SampledFrom(propAssistance).Draw(t, "case assistance")

			r, err := casework.Route(cfg, category, region, cercle, locality, assistance)
			if err != nil {
				t.Fatalf("valid config, no route for %s in %s/%s: %v", category, region, cercle, err)
			}
			team, ok := cfg.Team(r.Team)
			if !ok {
				t.Fatalf("routed to unknown team %q", r.Team)
			}
			if conflictedWith(cfg, team, region, cercle, locality, assistance) {
				t.Fatalf("case (%s, %s/%s/%s, %s) routed to %s, which is excluded by conflict of interest (rule %q)", category, region, cercle, locality, assistance, team.ID, r.Rule)
			}
			if category == config.SEA && team.Kind != "psea" {
				t.Fatalf("SEA routed to %s team %s", team.Kind, team.ID)
			}
			if cat, ok := cfg.Category(category); ok && !team.Handles(cat) {
				t.Fatalf("category %s routed to %s, which does not handle it", category, team.ID)
			}
			if category == "fraud" && team.Kind != "meal" {
				t.Fatalf("staff fraud routed to a %s team", team.Kind)
			}
			if r.Rule == "" {
				t.Fatal("no rule recorded")
			}
		}
	})
}

func TestRouteUnvalidatedConfigFailsClosed(t *testing.T) {
	cfg := &config.Config{Teams: []config.Team{{ID: "x", Kind: "meal", Places: []string{"ML01"}}}}
	if _, err := casework.Route(cfg, "anything", "ML05", casework.Unknown, "", "cash"); !errors.Is(err, casework.ErrNoRoute) {
		t.Errorf("err = %v, want ErrNoRoute", err)
	}
}
