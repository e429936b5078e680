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
