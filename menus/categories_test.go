package menus_test

import (
	"slices"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// Sexual abuse and a share taken are on the first screen of categories in
// every language, on USSD (paged by fit) and by voice (7 a page), so a
// caller who cannot read hears or pages the fewest options for them; and
// the common complaints keep their keys (1, 2), which the README tour and
// field guides use.
func TestSensitiveOnFirstPage(t *testing.T) {
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	first := []string{"exclusion", "distribution", "fraud", "sea"}
	if got := c.Choices("category"); len(got) < len(first) || !slices.Equal(got[:len(first)], first) {
		t.Fatalf("categories = %v, want them to start %v", got, first)
	}
	for name, e := range map[string]*menus.Engine{"ussd": menus.NewEngine(c, menus.FitsUSSD), "voice": menus.NewEngine(c, nil).ForTheEar()} {
		for _, lang := range c.Languages() {
			tr := complain(t, e, e.Begin(lang))
			for i, value := range first {
				next := e.Step(tr.State, string(rune('1'+i)))
				if got := next.State.Answers["category"]; got != value {
					t.Errorf("%s %s: key %d on the first page chose %q, want %q; page: %q", name, lang, i+1, got, value, menus.USSDText(tr.Screen))
				}
			}
		}
	}
}

// A typical complaint (a commune of Ténenkou, in Mopti, food, no detail)
// takes at most ten key presses on USSD from a phone whose language is not
// remembered, whatever the language and the category: the language, "make
// a complaint", paging to the category, region, cercle, commune (the demo
// deployment lists some for Ténenkou), the assistance, skip, the contact
// question where asked, send (issue 14).
func TestTypicalComplaintWithinTenKeys(t *testing.T) {
	c := withDemoLocalities(t)
	e := menus.NewEngine(c, menus.FitsUSSD)
	most := 0
	for _, lang := range c.Languages() {
		for _, category := range c.Choices("category") {
			presses := 0
			tr := e.Begin("")
			tr = press(t, e, tr, func(s menus.State) bool { return s.Lang == lang }, &presses)
			tr = e.Step(tr.State, "1") // make a complaint
			presses++
			for _, a := range []struct{ field, value string }{{"category", category}, {"region", "ML05"}, {"cercle", "ML0507"}, {"locality", "toguere-coumbe"}, {"assistance", "food"}} {
				tr = press(t, e, tr, func(s menus.State) bool { return s.Answers[a.field] == a.value }, &presses)
			}
			for tr.Submit == nil && !tr.Screen.End && presses < 20 {
				// The summary names the longest commune of the demo.
				if !menus.FitsUSSD(tr.Screen) {
					t.Errorf("%s %s: %s does not fit USSD: %q", lang, category, tr.State.Node, menus.USSDText(tr.Screen))
				}
				tr = e.Step(tr.State, "1") // skip the detail, no contact, send
				presses++
			}
			if tr.Submit == nil || tr.Submit.Answers["category"] != category {
				t.Fatalf("%s %s: no submission after %d presses, on %s", lang, category, presses, tr.State.Node)
			}
			if presses > 10 {
				t.Errorf("%s %s: %d key presses, want at most 10", lang, category, presses)
			}
			most = max(most, presses)
		}
	}
	t.Logf("at most %d key presses", most)
}

// press chooses, on the current list, the option whose step satisfies ok,
// paging forward with 9 until it shows; each key typed counts.
func press(t *testing.T, e *menus.Engine, tr menus.Turn, ok func(menus.State) bool, presses *int) menus.Turn {
	t.Helper()
	for range 20 {
		for _, o := range tr.Screen.Options {
			if o.Key == menus.KeyNext || o.Key == menus.KeyPrev || o.Key == menus.KeyBack {
				continue
			}
			if next := e.Step(tr.State, o.Key); ok(next.State) && next.State.Node != tr.State.Node {
				*presses++
				return next
			}
		}
		*presses++
		tr = e.Step(tr.State, menus.KeyNext)
	}
	t.Fatalf("no option found on %s", tr.State.Node)
	return tr
}
