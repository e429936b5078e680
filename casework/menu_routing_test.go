package casework_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

// Where each complaint a caller can pick lands with the demo deployment
// (config/demo.yaml): Partner A implements cash in Mopti (ML05) and has a
// MEAL office there; Partner B delivers food in the north; Demo NGO's own
// teams are independent of both. docs/casework.md has the same table.
func TestCallerCategoriesRouting(t *testing.T) {
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                                 string
		category, region, cercle, assistance string
		team                                 string
		passedOver                           string // a conflicted team the rule must name
	}{
		// A leader, committee member or agent took a share of cash in
		// Ténenkou: never Partner A's own MEAL office, like staff fraud.
		{"share taken, Partner A's cash", "fraud", "ML05", "ML0507", "cash", "meal-national", ""},
		{"share taken, food in Gao", "fraud", "ML07", "ML0701", "food", "meal-national", ""},
		{"staff behaviour", "conduct", "ML05", "ML0507", "cash", "meal-national", ""},
		// Relatives of a leader on the cash list in Mopti: Partner A's
		// office could take inclusion errors, but not about its own cash.
		{"wrong people on Partner A's list", "inclusion", "ML05", "ML0507", "cash", "meal-national", "meal-mopti"},
		{"wrong people on a food list in Mopti", "inclusion", "ML05", "ML0507", "food", "meal-mopti", ""},
		{"left off the list, place unknown", "exclusion", "unknown", "unknown", "cash", "meal-national", ""},
		{"site far and unsafe in Ansongo", "site", "ML07", "ML0701", "food", "meal-north", ""},
		{"wrong amount in Goundam", "distribution", "ML06", "ML0602", "food", "meal-north", ""},
		{"sexual abuse", "sea", "ML05", "ML0507", "cash", "psea-focal", ""},
		{"sexual abuse, no place", "sea", "unknown", "unknown", "other", "psea-focal", ""},
		{"question", "question", "ML07", "ML0701", "vouchers", "meal-north", ""},
		{"thanks", "feedback", "ML05", "ML0501", "nutrition", "meal-mopti", ""},
		// No longer on the caller's menu, but officers recode to it.
		{"safety, recoded by an officer", "safety", "ML05", "ML0507", "cash", "protection-national", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := casework.Route(cfg, tt.category, tt.region, tt.cercle, "", tt.assistance)
			if err != nil {
				t.Fatal(err)
			}
			if r.Team != tt.team {
				t.Fatalf("%s went to %s, want %s (%s)", tt.category, r.Team, tt.team, r.Rule)
			}
			if tt.passedOver != "" && !strings.Contains(r.Rule, "passed over for conflict of interest: "+tt.passedOver) {
				t.Errorf("rule %q does not say %s was passed over", r.Rule, tt.passedOver)
			}
			team, _ := cfg.Team(r.Team)
			for _, id := range r.Programmes {
				for _, p := range cfg.Programmes {
					if p.ID == id && p.Organisation == team.Organisation {
						t.Errorf("%s went to %s, of %s, which delivers %s", tt.category, team.ID, team.Organisation, p.ID)
					}
				}
			}
		})
	}
}

// Every category a caller can pick is coded in the codebooks we ship, so
// no menu choice reaches an officer uncoded, and the menu offers the
// assistance types the web view and the reports know.
func TestMenuChoicesMatchCodebookAndAssistance(t *testing.T) {
	catalog, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"exclusion", "distribution", "fraud", "sea", "inclusion", "site", "conduct", "question", "feedback"}
	if got := catalog.Choices("category"); !slices.Equal(got, want) {
		t.Errorf("menu categories = %v, want %v", got, want)
	}
	if got := catalog.Choices("assistance"); !slices.Equal(got, casework.Assistance) {
		t.Errorf("menu assistance = %v, casework.Assistance = %v", got, casework.Assistance)
	}
	demo, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.CheckCategories(catalog.Choices("category")); err != nil {
		t.Error(err)
	}
	// A codebook without one of them is refused, naming it.
	old, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	old.Codebook = []config.FeedbackType{{ID: "complaint", Categories: []config.Category{{ID: "exclusion"}, {ID: "distribution"}}}}
	err = old.CheckCategories(catalog.Choices("category"))
	if err == nil || !strings.Contains(err.Error(), `no category "site"`) || strings.Contains(err.Error(), `"exclusion"`) {
		t.Errorf("CheckCategories = %v", err)
	}
}
