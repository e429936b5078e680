package menus_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/menus"
)

// withDemoLocalities is the shipped catalogue with the demo deployment's
// communes and sites (config/demo.yaml), as `hotline serve` builds it.
func withDemoLocalities(t testing.TB) *menus.Catalog {
	t.Helper()
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	var ls []menus.Place
	for _, l := range cfg.Localities {
		ls = append(ls, menus.Place{Code: l.Code, Name: l.Name, Level: 3, Parent: l.Cercle})
	}
	out, err := c.WithLocalities(ls)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Below the cercle the caller picks the commune or site where the
// deployment lists some; "other / I don't know" and cercles with none go
// straight on to the assistance.
func TestLocalityBelowTheCercle(t *testing.T) {
	c := withDemoLocalities(t)
	e := menus.NewEngine(c, menus.FitsUSSD)
	// fr, complaint, not on the list, Mopti, Ténenkou
	tr := walk(t, e, "", "2", "1", "5", "7")
	if tr.State.Node != "locality" || !strings.Contains(menus.USSDText(tr.Screen), "Quelle commune ou quel site?") {
		t.Fatalf("after Ténenkou: %s %q", tr.State.Node, menus.USSDText(tr.Screen))
	}
	if got := optionLabels(tr.Screen); strings.Join(got, "|") != "1 Ténenkou|2 Diafarabé|3 Toguéré-Coumbé|4 Autre/je ne sais pas|0 Retour" {
		t.Errorf("localities of Ténenkou = %v", got)
	}
	tr = walk(t, e, "", "2", "1", "5", "7", "2", "2", "1", "1")
	if tr.State.Node != "confirm" || !strings.Contains(tr.Screen.Prompt, "Diafarabé (Tenenkou)") {
		t.Errorf("summary: %s %q", tr.State.Node, tr.Screen.Prompt)
	}
	if sub := e.Step(tr.State, "1").Submit; sub == nil || sub.Answers["locality"] != "diafarabe" || sub.Answers["cercle"] != "ML0507" {
		t.Errorf("submission = %+v", sub)
	}
	// Other / I don't know.
	if tr := walk(t, e, "", "2", "1", "5", "7", "4"); tr.State.Node != "assistance" || tr.State.Answers["locality"] != "unknown" {
		t.Errorf("other: %s %v", tr.State.Node, tr.State.Answers)
	}
	// Bandiagara has none: no question, and back goes to the cercle.
	tr = walk(t, e, "", "2", "1", "5", "1")
	if tr.State.Node != "assistance" {
		t.Fatalf("Bandiagara: on %s", tr.State.Node)
	}
	if back := e.Step(tr.State, "0"); back.State.Node != "cercle" {
		t.Errorf("back from the assistance went to %s", back.State.Node)
	}
	// Without localities in the deployment the question is never asked.
	plain, _ := engine(t)
	if tr := walk(t, plain, "", "2", "1", "5", "7"); tr.State.Node != "assistance" {
		t.Errorf("no localities: after Ténenkou on %s", tr.State.Node)
	}
	// By voice too, with a short prompt (at most 15 spoken words).
	ear := e.ForTheEar()
	if tr := pickPlace(t, ear, pickPlace(t, ear, walk(t, ear, "", "2", "1"), "Mopti"), "Tenenkou"); tr.State.Node != "locality" {
		t.Errorf("voice: after Ténenkou on %s", tr.State.Node)
	}
	for _, lang := range c.Languages() {
		if n := len(strings.Fields(c.Text(lang, "locality.prompt"))); n > 15 {
			t.Errorf("%s locality.prompt: %d words", lang, n)
		}
	}
}

func TestWithLocalitiesRefusesWhatItCannotPlace(t *testing.T) {
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	for name, ls := range map[string][]menus.Place{
		"unknown cercle": {{Code: "x", Name: "X", Parent: "ML0799"}},
		"a region":       {{Code: "x", Name: "X", Parent: "ML07"}},
		"no name":        {{Code: "x", Parent: "ML0701"}},
		"twice":          {{Code: "x", Name: "X", Parent: "ML0701"}, {Code: "x", Name: "Y", Parent: "ML0702"}},
		"a P-code taken": {{Code: "ML0701", Name: "X", Parent: "ML0701"}},
	} {
		if _, err := c.WithLocalities(ls); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(c.Places()) != len(withDemoLocalities(t).Places())-10 {
		t.Error("WithLocalities changed the catalogue it was called on")
	}
}
