package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
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

// The dashboard counts cases by commune or site under each cercle the
// deployment lists them for, in the officer's language, with the same
// suppression: Diafarabé's 3 cases are hidden, and so is another cell of
// Ténenkou, or the cercle's count minus the other sites would give them.
// The exports carry the same places, codes and names.
func TestDashboardByCommuneOrSite(t *testing.T) {
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
	n := 0
	file := func(region, cercle, locality string, cases int) {
		for range cases {
			n++
			if _, err := e.svc.Submit(context.Background(), casework.Intake{
				IdempotencyKey: fmt.Sprintf("test/place-%d", n), CallerKey: "k1:place", Channel: "demo-at", Medium: "ussd",
				Language: "fr", Category: "exclusion", Region: region, Cercle: cercle, Locality: locality, Assistance: "food",
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	file("ML05", "ML0507", "tenenkou", 7)
	file("ML05", "ML0507", "diafarabe", 3)
	file("ML05", "ML0507", "toguere-coumbe", 6)
	file("ML05", "ML0507", casework.Unknown, 5)
	file("ML05", "ML0501", "", 5)
	file("ML09", "ML0901", "", 3) // small counts elsewhere, which the grid protects without ML05's total
	file("ML04", "ML0401", "", 2)

	row := func(body, level, name string) []string {
		m := regexp.MustCompile(`<tr class="level` + level + `"><th scope="row">` + regexp.QuoteMeta(name) + `</th>((?:<td>[^<]*</td>)+)</tr>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s row %q on the dashboard:\n%s", level, name, body)
		}
		return regexp.MustCompile(`<td>([^<]*)</td>`).FindAllString(m[1], -1)
	}
	last := func(cells []string) string {
		return strings.TrimSuffix(strings.TrimPrefix(cells[len(cells)-1], "<td>"), "</td>")
	}
	v := e.login(t, "vera")
	resp, body := v.get("/meal/dashboard?weeks=2")
	if resp.StatusCode != 200 || !strings.Contains(body, "Cas par semaine, par cercle et par commune ou site") {
		t.Fatalf("dashboard %d has no table by commune or site:\n%s", resp.StatusCode, body)
	}
	if got := last(row(body, "0", "Mopti")); got != "26" {
		t.Errorf("Mopti this week: %q, want 26", got)
	}
	if got := last(row(body, "1", "Tenenkou")); got != "21" {
		t.Errorf("Ténenkou cercle this week: %q, want 21", got)
	}
	if got := last(row(body, "1", "Autres cercles de la région, ou non précisé")); got != "5" {
		t.Errorf("Mopti's other cercles: %q, want 5", got)
	}
	if got := last(row(body, "2", "Diafarabé")); got != casework.Suppressed {
		t.Errorf("Diafarabé's 3 cases show as %q", got)
	}
	sum, hidden := 0, 0
	for _, site := range []string{"Ténenkou", "Toguéré-Coumbé", "Autres communes ou sites, ou non précisé"} {
		got := last(row(body, "2", site))
		if got == casework.Suppressed {
			hidden++
			continue
		}
		k, err := strconv.Atoi(got)
		if err != nil {
			t.Fatalf("%s: %q", site, got)
		}
		sum += k
	}
	if hidden == 0 || 21-sum == 3 {
		t.Errorf("Ténenkou's other sites all shown (sum %d): its count minus them gives Diafarabé's 3", sum)
	}

	_, hxl := v.get("/meal/export/hxl.csv?weeks=1")
	var sites int
	for _, l := range strings.Split(hxl, "\n") {
		if strings.Contains(l, ",locality,ML05,") {
			sites++
		}
		if strings.Contains(l, ",locality,ML05,") && strings.Contains(l, ",diafarabe,") && !strings.HasSuffix(l, ",,yes,ML0507,diafarabe,Diafarabé") {
			t.Errorf("Diafarabé's line: %s", l)
		}
	}
	if sites != 4 { // three sites and the rest
		t.Errorf("%d locality lines for Mopti in the HXL export, want 4:\n%s", sites, hxl)
	}
	if !strings.Contains(hxl, ",cercle,ML05,,,,21,no,ML0507,,") {
		t.Errorf("no Ténenkou cercle line of 21:\n%s", hxl)
	}

	_, cases := e.login(t, "fanta").get("/meal/export/cases.csv")
	if !strings.HasPrefix(cases, "reference,created_at,channel,medium,language,caller_category,feedback_type,category,code,sensitive,priority,region_pcode,cercle_pcode,locality_code,locality_name,") ||
		!strings.Contains(cases, ",ML05,ML0507,diafarabe,Diafarabé,food,") {
		t.Errorf("the case export has no commune or site:\n%s", cases)
	}
}
