package config_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

func TestLocalities(t *testing.T) {
	for name, tt := range map[string]struct{ yaml, want string }{
		"bad code":             {"  - {code: Diafarabé, name: D, cercle: ML0507}\n", `x.yaml:6: locality code "Diafarabé" is empty, malformed`},
		"twice":                {"  - {code: d, name: D, cercle: ML0507}\n  - {code: d, name: E, cercle: ML0507}\n", `x.yaml:7: locality code "d"`},
		"a region, not cercle": {"  - {code: d, name: D, cercle: ML05}\n", `locality "d": cercle "ML05" is not a cercle P-code`},
		"P-code of another":    {"  - {code: ML070101, name: Ansongo, cercle: ML0507}\n", `an ADM3 P-code starts with its cercle's`},
		"no name":              {"  - {code: d, cercle: ML0507}\n", `locality "d" has no name`},
	} {
		_, err := config.Parse("x.yaml", []byte(base+"teams:\n"+fallback+"localities:\n"+tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
	cfg, err := config.Parse("x.yaml", []byte(base+"teams:\n"+fallback+"localities:\n  - {code: ML070101, name: Ansongo, cercle: ML0701}\n  - {code: x, name: X, cercle: ML0799}\n"))
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckPlaces(catalog.PlaceCodes()); err == nil || !strings.Contains(err.Error(), `x.yaml:7: locality "x": unknown P-code "ML0799"`) || strings.Contains(err.Error(), "ML0701\"") {
		t.Errorf("CheckPlaces = %v", err)
	}
}
