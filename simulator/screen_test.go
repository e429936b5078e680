package simulator_test

import (
	"testing"

	"github.com/numerovert/hotline/simulator"
)

func TestScreenKey(t *testing.T) {
	s := simulator.Screen{Text: "Choix invalide.\nDans quel cercle?\n1 Youwarou\n2 Autre/je ne sais pas\n8 Précédent\n0 Retour"}
	for label, want := range map[string]string{"Youwarou": "1", "Autre/je ne sais pas": "2", "Précédent": "8", "Retour": "0"} {
		if got, ok := s.Key(label); !ok || got != want {
			t.Errorf("Key(%q) = %q, %v; want %q", label, got, ok, want)
		}
	}
	if _, ok := s.Key("Dans quel cercle?"); ok {
		t.Error("a prompt line is not an option")
	}
	if _, ok := s.Key("Mopti"); ok {
		t.Error("found an option that is not on the screen")
	}
}
