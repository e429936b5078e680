package casework_test

import (
	"context"
	"testing"

	"github.com/numerovert/hotline/casework"
)

// Counts by commune or site under the cercle: a site's 3 cases are hidden,
// and so is a second cell of the same cercle, or the cercle's count minus
// the other sites would give the 3. With only small cells hidden it would.
func TestPlaceCountsHideTheCellTheCercleTotalWouldGive(t *testing.T) {
	f := fixtureMem(t)
	file := func(cercle, locality string, n int) {
		for range n {
			in := f.intake("k1:p", "exclusion", casework.RegionOf(cercle), cercle, "food")
			in.Locality = locality
			f.submit(t, in)
		}
	}
	file("ML0701", "ansongo", 6)
	file("ML0701", "ouattagouna", 7)
	file("ML0701", "talataye", 5)
	file("ML0701", "tessit", 3)
	file("ML0701", "unknown", 6)
	file("ML0702", "", 5) // another cercle of the region: the cercle line needs no help
	// Other regions' small counts, so that the grid (regions × categories)
	// can protect them without hiding ML07's total.
	file("ML0901", "", 3)
	file("ML0401", "", 2)
	at := func(r casework.Report, cercle, locality string) casework.Count {
		for _, s := range r.ByPlace {
			if s.Region == "ML07" && s.Cercle == cercle && s.Locality == locality {
				return s.Counts[0]
			}
		}
		t.Fatalf("no row %s/%s in %+v", cercle, locality, r.ByPlace)
		return casework.Count{}
	}
	for _, primaryOnly := range []bool{true, false} {
		r, err := f.svc.Report(context.Background(), casework.ReportOptions{Weeks: 1, Regions: mali, PrimaryOnly: primaryOnly})
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := at(r, "ML0701", "").Value(); !ok || n != 27 {
			t.Fatalf("Ansongo cercle: %v, want 27 shown", at(r, "ML0701", ""))
		}
		if n, ok := at(r, casework.Other, "").Value(); !ok || n != 5 {
			t.Errorf("the region's other cercles: %v, want 5 shown", at(r, casework.Other, ""))
		}
		if !at(r, "ML0701", "tessit").Suppressed() {
			t.Fatal("Tessit's 3 cases are shown")
		}
		shown := 0
		for _, l := range []string{"ansongo", "ouattagouna", "talataye", casework.Other} {
			if n, ok := at(r, "ML0701", l).Value(); ok {
				shown += n
			}
		}
		derived := 27 - shown
		if primaryOnly && derived != 3 {
			t.Fatalf("with small cells only, 27 minus the shown sites is %d, want Tessit's 3 (the attack)", derived)
		}
		if !primaryOnly && derived == 3 {
			t.Error("Tessit's 3 cases can be worked out from the cercle's count minus the other cells")
		}
	}
}
