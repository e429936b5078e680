package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus/overlay"
)

// TestLocalesPORoundTrip: a PO export imported unchanged changes nothing
// and exports byte for byte the same; an edited one sets texts and
// reviewed marks (fuzzy is "not reviewed"), puts a new key beside its
// related keys, and exports what it imported.
func TestLocalesPORoundTrip(t *testing.T) {
	// Tamasheq's copy lacks one string (every shipped locale has them all),
	// so that the import below can put a new key in.
	dir := copyLocales(t, func(name, text string) string {
		if name != "taq.yaml" {
			return text
		}
		return strings.Replace(text, "  category.feedback: {text: \"Tanǝmmert\", reviewed: false}\n", "", 1)
	})
	export := func(lang string) string {
		t.Helper()
		code, out, errb := runCLI(t, "locales", "export", "--locales", dir, "--lang", lang, "--format", "po")
		if code != 0 {
			t.Fatalf("export %s: exit %d: %s", lang, code, errb)
		}
		return out
	}
	importPO := func(text string) (int, string) {
		t.Helper()
		file := filepath.Join(t.TempDir(), "in.po")
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errb := runCLI(t, "locales", "import", "--locales", dir, file)
		return code, out + errb
	}
	for _, lang := range []string{"bm", "ff", "ses", "taq", "fr", "en"} {
		before, _ := os.ReadFile(filepath.Join(dir, lang+".yaml"))
		first := export(lang)
		if code, out := importPO(first); code != 0 || !strings.Contains(out, "nothing to change") {
			t.Fatalf("%s: import of the export: exit %d: %s", lang, code, out)
		}
		if after, _ := os.ReadFile(filepath.Join(dir, lang+".yaml")); string(after) != string(before) {
			t.Errorf("%s: importing its own export changed %s.yaml", lang, lang)
		}
		if again := export(lang); again != first {
			t.Errorf("%s: export → import → export differs", lang)
		}
	}

	// Tamasheq: a reviewed text for a string it has, a draft of one it
	// lacks, and a checked mark removed from nothing.
	po := export("taq")
	po = strings.Replace(po, "#, fuzzy\nmsgctxt \"nav.back\"\nmsgid \"Retour\"\nmsgstr \"Ǝqqǝl\"",
		"msgctxt \"nav.back\"\nmsgid \"Retour\"\nmsgstr \"Ǝqqǝl ǝnnar\"", 1)
	po = strings.Replace(po, "msgctxt \"category.feedback\"\nmsgid \"Merci, suggestion\"\nmsgstr \"\"",
		"#, fuzzy\nmsgctxt \"category.feedback\"\nmsgid \"Merci, suggestion\"\nmsgstr \"Tamǝẓla\"", 1)
	if code, out := importPO(po); code != 0 || !strings.Contains(out, "2 string(s) changed") {
		t.Fatalf("import of an edited PO: exit %d: %s", code, out)
	}
	taq, _ := os.ReadFile(filepath.Join(dir, "taq.yaml"))
	for _, want := range []string{
		"  nav.back: {text: \"Ǝqqǝl ǝnnar\", reviewed: true}\n",
		// after the nearest key before it that the file has
		"  category.question: {text: \"Ǝssǝstǝn\", reviewed: false}\n  category.feedback: {text: \"Tamǝẓla\", reviewed: false}\n",
	} {
		if !strings.Contains(string(taq), want) {
			t.Errorf("taq.yaml lacks %q:\n%s", want, taq)
		}
	}
	if again := export("taq"); again != po {
		t.Errorf("the export after an import is not what was imported")
	}

	// A text that breaks a screen is refused, saying where, and nothing is written.
	long := strings.Replace(po, "msgstr \"Ma d-ijrăn?\"", "msgstr \""+strings.Repeat("Ma d-ijrăn? ", 30)+"\"", 1)
	code, out := importPO(long)
	if code == 0 || !strings.Contains(out, "taq.yaml") || !strings.Contains(out, `screen "category"`) {
		t.Errorf("import of a too long text: exit %d: %s", code, out)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "taq.yaml")); string(now) != string(taq) {
		t.Error("a refused import wrote the file")
	}

	// What gettext's own tools make of the export imports as it is.
	if _, err := exec.LookPath("msgcat"); err == nil {
		file := filepath.Join(t.TempDir(), "bm.po")
		os.WriteFile(file, []byte(export("bm")), 0o600)
		canon, err := exec.Command("msgcat", "--width=40", file).Output()
		if err != nil {
			t.Fatalf("msgcat: %v", err)
		}
		if code, out := importPO(string(canon)); code != 0 || !strings.Contains(out, "nothing to change") {
			t.Errorf("import of msgcat's rewrap: exit %d: %s", code, out)
		}
	}
}

// The studio's edits in a data directory go out with `locales export
// --data` and into the files with `locales import`.
func TestLocalesExportWithStudioEdits(t *testing.T) {
	dir := copyLocales(t, func(_, text string) string { return text })
	data := t.TempDir()
	st, err := overlay.Open(overlay.Options{DataDir: data, Base: os.DirFS(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(context.Background(), "tina", "bm", "home.prompt", "I bɛ mun fɛ?", true); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errb := runCLI(t, "locales", "export", "--locales", dir, "--data", data, "--lang", "bm", "--format", "po")
	if code != 0 || !strings.Contains(out, "msgctxt \"home.prompt\"\nmsgid \"Que voulez-vous faire?\"\nmsgstr \"I bɛ mun fɛ?\"") {
		t.Fatalf("export --data: exit %d: %s\n%s", code, errb, out)
	}
	file := filepath.Join(t.TempDir(), "bm.po")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errb := runCLI(t, "locales", "import", "--locales", dir, file); code != 0 {
		t.Fatalf("import: %s", errb)
	}
	bm, _ := os.ReadFile(filepath.Join(dir, "bm.yaml"))
	if !strings.Contains(string(bm), `home.prompt: {text: "I bɛ mun fɛ?", reviewed: true}`) {
		t.Errorf("bm.yaml after import lacks the studio's edit")
	}
	if code, _, errb := runCLI(t, "locales", "export", "--locales", dir, "--data", t.TempDir(), "--lang", "bm"); code == 0 || !strings.Contains(errb, "no studio edits") {
		t.Errorf("export --data of an empty directory: exit %d: %s", code, errb)
	}
}
