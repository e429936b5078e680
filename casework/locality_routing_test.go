package casework_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
)

// A team may cover a commune or distribution site (a locality of the
// config): cases from there go to it first; a programme delivered at a
// site makes a team that excludes it step aside for cases from that site,
// and from its cercle when the caller did not say which site.
func TestRouteByLocality(t *testing.T) {
	demo, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	cfg := *demo
	cfg.Teams = []config.Team{
		{ID: "meal-national", Kind: "meal", National: true, Supervisor: "s",
			Categories: []string{"exclusion", "inclusion", "distribution", "site", "fraud", "conduct", "safety", "question", "feedback"}},
		{ID: "psea", Kind: "psea", National: true, Categories: []string{config.SEA}, Supervisor: "s"},
		{ID: "protection", Kind: "protection", National: true, Categories: []string{"safety"}, Supervisor: "s"},
		{ID: "meal-tessit", Kind: "meal", Places: []string{"tessit"}, Supervisor: "s", Exclude: config.Exclusions{Programmes: []string{"cash-tessit"}}},
		{ID: "meal-gao", Kind: "meal", Places: []string{"ML07"}, Supervisor: "s"},
	}
	cfg.Programmes = []config.Programme{{ID: "cash-tessit", Organisation: "Partner T", Assistance: []string{"cash"}, Places: []string{"tessit"}}}
	cfg.Localities = []config.Locality{{Code: "tessit", Name: "Tessit", Cercle: "ML0701"}, {Code: "ansongo", Name: "Ansongo", Cercle: "ML0701"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, locality, assistance, team, rule string
	}{
		{"food in Tessit: the site's team", "tessit", "food", "meal-tessit", "locality tessit"},
		{"cash in Tessit: the site's team is tied to the programme there", "tessit", "cash", "meal-gao", "passed over for conflict of interest: meal-tessit"},
		{"another site of the cercle: the region's team", "ansongo", "food", "meal-gao", "region ML07"},
		{"site not said: the cercle's team, not the site's", casework.Unknown, "food", "meal-gao", "region ML07"},
		{"cash, site not said: the region's team", "", "cash", "meal-gao", "region ML07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := casework.Route(&cfg, "distribution", "ML07", "ML0701", tt.locality, tt.assistance)
			if err != nil {
				t.Fatal(err)
			}
			if r.Team != tt.team || !strings.Contains(r.Rule, tt.rule) {
				t.Errorf("routed to %s (%s); want %s with %q", r.Team, r.Rule, tt.team, tt.rule)
			}
			// Cash from Tessit, or from somewhere in its cercle, may be
			// about the programme delivered there; elsewhere it is not.
			maybe := tt.assistance == "cash" && tt.locality != "ansongo"
			if got := slices.Contains(r.Programmes, "cash-tessit"); got != maybe {
				t.Errorf("programmes %v: cash-tessit counted %v, want %v", r.Programmes, got, maybe)
			}
		})
	}

	bad := cfg
	bad.Teams = append([]config.Team{{ID: "meal-tesit", Kind: "meal", Places: []string{"tesit"}, Supervisor: "s"}}, cfg.Teams...)
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `"tesit" is not a Mali region or cercle P-code`) {
		t.Errorf("a team covering an unknown site: err = %v", err)
	}
}
