package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/locales"
)

// copyLocales writes the shipped locale files (not the audio) into a
// temporary directory, with edit applied to each file's text.
func copyLocales(t *testing.T, edit func(name, text string) string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := locales.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := locales.FS.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), []byte(edit(e.Name(), string(b))), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestMenusLintStrict: the shipped locales pass `menus lint --strict`; a
// locale that lacks a string callers reach passes plain lint (callers see
// the French text) and fails --strict, naming the file and the key.
func TestMenusLintStrict(t *testing.T) {
	if code, out, errb := runCLI(t, "menus", "lint", "--strict"); code != 0 {
		t.Fatalf("shipped locales: exit %d\n%s%s", code, out, errb)
	}
	dir := copyLocales(t, func(name, text string) string {
		if name != "ff.yaml" {
			return text
		}
		return strings.Replace(text, "  contact.yes: {text: \"Eey\", reviewed: false}\n", "", 1)
	})
	if code, out, errb := runCLI(t, "menus", "lint", dir); code != 0 {
		t.Fatalf("plain lint of a gap: exit %d\n%s%s", code, out, errb)
	}
	code, out, _ := runCLI(t, "menus", "lint", "--strict", dir)
	want := filepath.Join(dir, "ff.yaml") + `:9: missing string "contact.yes"`
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("--strict with a gap: exit %d, want 1 and %q in:\n%s", code, want, out)
	}
}
