//go:build !race

// The exhaustive walk runs without the race detector: it is one goroutine
// stepping the engine millions of times (381,511 states on the shipped tree),
// which takes about 40 s plainly and over 500 s under -race, where the race
// detector has nothing to find. `make test` runs it in a plain `go test` of its
// own; TestConcurrentUse keeps the engine under -race.

package menus_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// TestEveryScreenFitsUSSD explores every state reachable through the public
// API (all keys, two kinds of detail) and checks each screen, including the
// invalid-choice notice and the end screen.
func TestEveryScreenFitsUSSD(t *testing.T) {
	e, c := engine(t)
	inputs := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
		strings.Repeat("Texte reçu avec des ɛ et des ’ ", 6)}
	seen := map[string]bool{}
	var queue []menus.State
	push := func(tr menus.Turn) {
		if !menus.FitsUSSD(tr.Screen) {
			t.Fatalf("%s/%s does not fit USSD:\n%s", tr.Screen.Lang, tr.Screen.Node, menus.USSDText(tr.Screen))
		}
		b, _ := json.Marshal(tr.State)
		if !seen[string(b)] {
			seen[string(b)] = true
			queue = append(queue, tr.State)
		}
	}
	push(e.Begin(""))
	for _, l := range c.Languages() {
		push(e.Begin(l))
		push(e.Submitted(menus.State{Lang: l}, "12345678"))
	}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		for _, in := range inputs {
			tr := e.Step(st, in)
			if tr.Submit != nil {
				if !menus.FitsUSSD(tr.Screen) {
					t.Fatalf("could-not-save screen does not fit")
				}
				continue // the end screen is checked above
			}
			push(tr)
		}
	}
	t.Logf("%d states", len(seen))
	if len(seen) < 1000 {
		t.Errorf("explored only %d states", len(seen))
	}
}
