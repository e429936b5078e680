package menus_test

import (
	"testing"

	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

// The catalogue is the one reading of places.csv: config checks and the
// web view take their places from it, each region before its cercles.
func TestCataloguePlaces(t *testing.T) {
	c, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	places := c.Places()
	regions, region := 0, ""
	for _, p := range places {
		switch p.Level {
		case 1:
			regions, region = regions+1, p.Code
			if p.Parent != "" {
				t.Errorf("region %+v has a parent", p)
			}
		case 2:
			if p.Parent != region {
				t.Errorf("cercle %+v listed under region %s", p, region)
			}
		default:
			t.Errorf("place %+v: level %d", p, p.Level)
		}
	}
	if regions < 8 || len(places) < 60 {
		t.Errorf("%d places, %d regions", len(places), regions)
	}
	codes := c.PlaceCodes()
	if !codes["ML05"] || !codes["ML0507"] || codes["ML0599"] || len(codes) != len(places) {
		t.Errorf("PlaceCodes: %d codes for %d places; Mopti %v, Ténenkou %v", len(codes), len(places), codes["ML05"], codes["ML0507"])
	}
	for _, p := range places {
		if p.Code == "ML0507" && (p.Name != "Tenenkou" || p.Parent != "ML05") {
			t.Errorf("Ténenkou: %+v", p)
		}
	}
}
