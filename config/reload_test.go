package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/numerovert/hotline/config"
)

// editN parses demo.yaml with old replaced by new n times (-1: all).
func editN(t *testing.T, demo []byte, old, new string, n int) *config.Config {
	t.Helper()
	text := string(demo)
	if !strings.Contains(text, old) {
		t.Fatalf("demo.yaml has no %q", old)
	}
	next, err := config.Parse("demo.yaml", []byte(strings.Replace(text, old, new, n)))
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// A running server takes new teams, places and deadlines, but refuses a
// change of its channels or the loss of a category its menus offer.
func TestCheckReload(t *testing.T) {
	demo, err := os.ReadFile("demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	running, err := config.Parse("demo.yaml", demo)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) *config.Config { return editN(t, demo, old, new, 1) }
	for name, next := range map[string]*config.Config{
		"same":         running,
		"places":       edit("    places: [ML05]\n", "    places: [ML05, ML04]\n"),
		"lines moved":  edit("teams:\n", "# a comment\n\nteams:\n"),
		"team renamed": edit("name: MEAL Mopti (Partner A office)", "name: MEAL Mopti"),
	} {
		if err := running.CheckReload(next); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, tt := range map[string]struct {
		next *config.Config
		want string
	}{
		"sender":   {edit(`from: "+22376000900"`, `from: "+22376000901"`), `demo.yaml:41: channel "demo-twilio" changed; channels change only at a restart`},
		"category": {editN(t, demo, "exclusion", "exclusion-2", -1), `category "exclusion" is gone`},
	} {
		err := running.CheckReload(tt.next)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
}
