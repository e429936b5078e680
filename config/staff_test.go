package config_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/config"
)

// voice.staff holds staff keys only: a pasted phone number is refused
// without being quoted back, and each error names its line.
func TestStaffList(t *testing.T) {
	const key = "s1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	cfg, err := config.Parse("x.yaml", []byte(base+"teams:\n"+fallback+"voice:\n  staff:\n    - {name: Awa, keys: ["+key+"], lang: bm}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Voice.Staff) != 1 || cfg.Voice.Staff[0].Name != "Awa" || cfg.Voice.Staff[0].Keys[0] != key {
		t.Errorf("staff = %+v", cfg.Voice.Staff)
	}
	for _, tc := range []struct{ staff, want string }{
		{"    - {name: Awa, keys: [\"+22376000071\"]}\n", `x.yaml:7: voice.staff "Awa": "(hidden: looks like a number)" is not a staff key`},
		{"    - {name: Awa}\n", `x.yaml:7: voice.staff "Awa": no keys`},
		{"    - {name: Awa, keys: [" + key + "]}\n    - {name: Awa, keys: [" + key + "]}\n", `x.yaml:8: voice.staff: name "Awa" is empty or used twice`},
	} {
		_, err := config.Parse("x.yaml", []byte(base+"teams:\n"+fallback+"voice:\n  staff:\n"+tc.staff))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "76000071") {
			t.Errorf("%q: %v; want %q", tc.staff, err, tc.want)
		}
	}
}
