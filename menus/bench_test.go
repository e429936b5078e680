package menus_test

import (
	"testing"

	"github.com/numerovert/hotline/menus"
)

// BenchmarkUSSDRenderFit is what every hop pays after the engine step:
// the screen as USSD text, measured against the 182-septet budget.
func BenchmarkUSSDRenderFit(b *testing.B) {
	e, _ := engine(b)
	st := e.Step(e.Begin("fr").State, "1").State // the region list, the longest screen
	s := e.Screen(st)
	for b.Loop() {
		if !menus.FitsUSSD(s) || menus.USSDText(s) == "" {
			b.Fatal("screen does not fit")
		}
	}
}
