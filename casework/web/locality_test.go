package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/web"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

// The queue filters by commune or site where the deployment lists some.
func TestQueueFiltersByLocality(t *testing.T) {
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	var ls []menus.Place
	for _, l := range demo.Localities {
		ls = append(ls, menus.Place{Code: l.Code, Name: l.Name, Level: 3, Parent: l.Cercle})
	}
	if cat, err = cat.WithLocalities(ls); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *web.Options) { o.Catalog = cat })
	refs := map[string]string{}
	for i, site := range []string{"tessit", "ouattagouna", casework.Unknown} {
		r, err := e.svc.Submit(context.Background(), casework.Intake{
			IdempotencyKey: fmt.Sprintf("test/site-%d", i), CallerKey: "k1:site", Channel: "demo-at", Medium: "ussd",
			Language: "fr", Category: "exclusion", Region: "ML07", Cercle: "ML0701", Locality: site, Assistance: "food",
		})
		if err != nil {
			t.Fatal(err)
		}
		refs[site] = casework.FormatReference(r.Case.Reference)
	}
	officer := e.login(t, "ibrahim")
	_, body := officer.get("/meal/queue")
	if !strings.Contains(body, `name="locality"`) || !strings.Contains(body, "Tessit (Ansongo)") {
		t.Fatalf("queue has no commune/site filter:\n%s", body)
	}
	_, body = officer.get("/meal/queue?locality=tessit")
	if !strings.Contains(body, refs["tessit"]) || strings.Contains(body, refs["ouattagouna"]) || strings.Contains(body, refs[casework.Unknown]) {
		t.Errorf("filtered by Tessit, the queue shows:\n%s", body)
	}
}
