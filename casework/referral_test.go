package casework_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/numerovert/hotline/casework"
)

// An officer of the case's team records where the caller was referred:
// a directory service, once, in the audit trail by its public id; nothing
// else is taken, and nobody outside the team can do it.
func TestReferRecordsADirectoryService(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.open(t))
			ctx := context.Background()
			sea := f.submit(t, f.intake("k1:a", "sea", "ML07", "ML0701", "food")).Case
			psea := casework.Actor{ID: "focal-1", Team: "psea-focal"}
			meal := casework.Actor{ID: "officer-1", Team: "meal-national"}

			if _, err := f.svc.Refer(ctx, meal, sea.ID, "csref-ansongo"); !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("MEAL referring a SEA case: err = %v, want ErrForbidden", err)
			}
			if _, err := f.svc.Refer(ctx, psea, sea.ID, "the chief's cousin, 7600 0000"); err == nil {
				t.Error("a service outside the directory was taken")
			}
			for range 2 {
				if _, err := f.svc.Refer(ctx, psea, sea.ID, "csref-ansongo"); err != nil {
					t.Fatalf("Refer: %v", err)
				}
			}
			c, err := f.svc.Refer(ctx, psea, sea.ID, "vbg-national")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.ReferredTo, []string{"csref-ansongo", "vbg-national"}) {
				t.Errorf("ReferredTo = %v", c.ReferredTo)
			}
			ev, err := f.svc.Audit(ctx, psea, sea.ID)
			if err != nil {
				t.Fatal(err)
			}
			var referred []string
			for _, e := range ev {
				if e.Action == casework.ActionReferred {
					referred = append(referred, e.Actor+" "+e.Detail)
				}
			}
			if !slices.Equal(referred, []string{"focal-1 to csref-ansongo", "focal-1 to vbg-national"}) {
				t.Errorf("audit of referrals = %q", referred)
			}
			if v, err := f.svc.View(ctx, psea, sea.ID); err != nil || !slices.Equal(v.ReferredTo, c.ReferredTo) {
				t.Errorf("stored case: %v, %v", v.ReferredTo, err)
			}
		})
	}
}
