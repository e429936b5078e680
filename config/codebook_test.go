package config_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/config"
)

// Officers read the codebook in their interface language: names[lang],
// else name, else the English name, else the id.
func TestCodebookNamesByLanguage(t *testing.T) {
	cb := "codebook:\n  - id: complaint\n    names: {fr: Plainte, en: Complaint}\n    categories:\n" +
		"      - id: site\n        names: {fr: Site de distribution, en: Distribution site}\n        codes:\n" +
		"          - {id: distance, name: Too far, names: {fr: Trop loin}}\n" +
		"          - {id: waiting, names: {en: Long waiting}}\n" +
		"          - {id: bare}\n"
	cfg, err := config.Parse("x.yaml", []byte(base+"teams:\n"+fallback+cb))
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := cfg.Category("site")
	codes := cat.Codes
	for _, tc := range []struct{ got, want string }{
		{cfg.Codebook[0].NameIn("fr"), "Plainte"},
		{cfg.Codebook[0].NameIn("en"), "Complaint"},
		{cat.NameIn("fr"), "Site de distribution"},
		{cat.NameIn("en"), "Distribution site"},
		{cat.NameIn("bm"), "Distribution site"}, // no name: English
		{codes[0].NameIn("fr"), "Trop loin"},
		{codes[0].NameIn("en"), "Too far"}, // name before names.en
		{codes[1].NameIn("fr"), "Long waiting"},
		{codes[2].NameIn("fr"), "bare"},
	} {
		if tc.got != tc.want {
			t.Errorf("name = %q, want %q", tc.got, tc.want)
		}
	}
	_, err = config.Parse("x.yaml", []byte(base+"teams:\n"+fallback+strings.Replace(cb, "{fr: Trop loin}", "{French: Trop loin}", 1)))
	if err == nil || !strings.Contains(err.Error(), `x.yaml:9: code distance: names: "French" is not a language code`) {
		t.Errorf("a names key that is no language: %v", err)
	}
}

// Every category and code of the demo has its name in both
// interface languages, so neither shows the other's words.
func TestShippedCodebooksNameEveryCategoryInBothLanguages(t *testing.T) {
	demo, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	for _, ft := range demo.Codebook {
		for _, cat := range ft.Categories {
			fr, en := cat.NameIn("fr"), cat.NameIn("en")
			if fr == en && cat.ID != "question" || fr == cat.ID || cat.Names["fr"] == "" || cat.Names["en"] == "" {
				t.Errorf("demo category %s: fr %q, en %q", cat.ID, fr, en)
			}
			for _, c := range cat.Codes {
				if c.Names["fr"] == "" || c.Names["en"] == "" {
					t.Errorf("demo code %s/%s lacks a French or English name", cat.ID, c.ID)
				}
			}
		}
	}
}
