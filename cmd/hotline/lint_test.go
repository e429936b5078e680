package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/numerovert/hotline/locales"
)

// copyLocales writes the shipped locale files (not the audio) into a
// temporary directory, with edit applied to each file's text (name
// relative to the directory: "bm.yaml").
func copyLocales(t *testing.T, edit func(name, text string) string) string {
	t.Helper()
	dir := t.TempDir()
	names, err := fs.Glob(locales.FS, "*.*")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(locales.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(edit(name, string(b))), 0o600); err != nil {
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
	ff, _ := os.ReadFile(filepath.Join(dir, "ff.yaml"))
	line := strings.Count(string(ff[:strings.Index(string(ff), "\nstrings:")+1]), "\n") + 1 // the gap is reported at `strings:`
	want := filepath.Join(dir, "ff.yaml") + ":" + strconv.Itoa(line) + `: missing string "contact.yes"`
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("--strict with a gap: exit %d, want 1 and %q in:\n%s", code, want, out)
	}

	// A menu language without SMS replies: its callers' SMS are answered
	// in French, an error under --strict.
	dir = copyLocales(t, func(name, text string) string {
		if name != "ses.yaml" {
			return text
		}
		return text[:strings.Index(text, "\nsms:\n")+1]
	})
	code, out, _ = runCLI(t, "menus", "lint", "--strict", dir)
	if want := filepath.Join(dir, "ses.yaml") + ":0: no `sms:` section: no SMS replies in ses"; code != 1 || !strings.Contains(out, want) {
		t.Errorf("--strict without ses.yaml's sms: exit %d, want 1 and %q in:\n%s", code, want, out)
	}
}
