package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/numerovert/hotline/internal/po"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/overlay"
)

// localesCmd runs `hotline locales export|import`: a locale's strings as
// gettext PO, the format translation teams' tools read and write.
func localesCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "export":
		fl := newFlags("locales export", stderr)
		dir := fl.String("locales", "", "locales directory (default: the ones built in)")
		lang := fl.String("lang", "", "the language to export, e.g. bm")
		format := fl.String("format", "po", "po (gettext)")
		data := fl.String("data", "", "with the language studio's edits kept in this data directory (server stopped)")
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		if *lang == "" || *format != "po" || fl.NArg() != 0 {
			return fmt.Errorf("locales export: want --lang and --format po: %w", errUsage)
		}
		cat, err := exportCatalog(*dir, *data)
		if err != nil {
			return err
		}
		return exportPO(stdout, cat, *lang)
	case "import":
		fl := newFlags("locales import", stderr)
		dir := fl.String("locales", "locales", "locales directory whose <lang>.yaml is updated")
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		if fl.NArg() != 1 {
			return fmt.Errorf("locales import: want one PO file: %w", errUsage)
		}
		return importPO(*dir, fl.Arg(0), stdout)
	}
	return errUsage
}

// exportCatalog is the locales of dir, with the studio's edits of
// dataDir when given: `locales export --data` then `locales import` puts
// them into the files.
func exportCatalog(dir, dataDir string) (*menus.Catalog, error) {
	if dataDir == "" {
		return loadCatalog(dir)
	}
	if _, err := os.Stat(filepath.Join(dataDir, overlay.File)); err != nil {
		return nil, fmt.Errorf("locales export: %s holds no studio edits: %w", dataDir, err)
	}
	st, err := overlay.Open(overlay.Options{DataDir: dataDir, Base: localesFS(dir)})
	if err != nil {
		return nil, fmt.Errorf("locales export: %w", err)
	}
	defer st.Close()
	return st.Catalog(), nil
}

// exportPO writes lang's strings: msgctxt the key, msgid the fallback's
// text, msgstr the translation ("" when none), fuzzy when it is not
// reviewed. Nothing in it changes from one run to the next.
func exportPO(w io.Writer, cat *menus.Catalog, lang string) error {
	entries, err := cat.Entries(lang)
	if err != nil {
		return fmt.Errorf("locales export: %w", err)
	}
	fb := cat.Fallback()
	f := po.File{
		Comments: []string{
			fmt.Sprintf("Numéro Vert hotline: %s (%s), translated from %s (%s).", cat.LanguageName(lang), lang, cat.LanguageName(fb), fb),
			"Import with `hotline locales import FILE`: it checks every screen still fits (menus lint).",
			"\"fuzzy\" marks a draft a native speaker has not checked yet: remove it once checked.",
			"Keep the words in braces ({reference}, {pin} ...) as they are; \\n starts a new line on the phone.",
		},
		Header: []po.Header{
			{Name: "Project-Id-Version", Value: "numerovert-hotline"},
			{Name: "Language", Value: lang},
			{Name: "MIME-Version", Value: "1.0"},
			{Name: "Content-Type", Value: "text/plain; charset=UTF-8"},
			{Name: "Content-Transfer-Encoding", Value: "8bit"},
			{Name: "X-Source-Language", Value: fb},
		},
	}
	for _, e := range entries {
		f.Entries = append(f.Entries, po.Entry{Context: e.Key, ID: e.Source, Str: e.Text, Fuzzy: e.Text != "" && !e.Reviewed})
	}
	if err := po.Write(w, f); err != nil {
		return fmt.Errorf("locales export: %w", err)
	}
	return nil
}

// importPO sets the strings of the PO file's language in dir/<lang>.yaml:
// each translated entry's text, reviewed unless fuzzy. An entry whose
// source changed since it was exported is kept unreviewed. The result is
// linted before it is written; anything lint counts as an error refuses
// the whole import.
func importPO(dir, file string, stdout io.Writer) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("locales import: %w", err)
	}
	f, err := po.Read(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("locales import: %s: %w", file, err)
	}
	cat, err := loadCatalog(dir)
	if err != nil {
		return err
	}
	lang := f.HeaderValue("Language")
	if !cat.HasLanguage(lang) {
		return fmt.Errorf("locales import: %s: header Language %q is not a locale of %s", file, lang, dir)
	}
	changes, notes, err := poChanges(cat, lang, f)
	if err != nil {
		return fmt.Errorf("locales import: %s: %w", file, err)
	}
	for _, n := range notes {
		fmt.Fprintf(stdout, "%s: %s\n", file, n)
	}
	name := lang + ".yaml"
	path := filepath.Join(dir, name)
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("locales import: %w", err)
	}
	entries, _ := cat.Entries(lang)
	order := make([]string, len(entries))
	for i, e := range entries {
		order[i] = e.Key
	}
	out, err := menus.EditLocale(src, order, changes)
	if err != nil {
		return fmt.Errorf("locales import: %s: %w", name, err)
	}
	if len(changes) == 0 {
		fmt.Fprintf(stdout, "%s: nothing to change\n", path)
		return nil
	}
	var errs []string
	for _, p := range menus.Lint(overlayFS{FS: os.DirFS(dir), name: name, data: out}) {
		if !p.Warning {
			errs = append(errs, filepath.Join(dir, p.File)+":"+strings.TrimPrefix(p.String(), p.File+":"))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("locales import: refused, %s would not lint (nothing written):\n%s", path, strings.Join(errs, "\n"))
	}
	if err := writeFileAtomic(path, out); err != nil {
		return fmt.Errorf("locales import: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %d string(s) changed\n", path, len(changes))
	return nil
}

// poChanges compares the PO file's entries with lang's strings.
func poChanges(cat *menus.Catalog, lang string, f po.File) (changes []menus.Change, notes []string, err error) {
	entries, err := cat.Entries(lang)
	if err != nil {
		return nil, nil, err
	}
	byKey := map[string]menus.Entry{}
	for _, e := range entries {
		byKey[e.Key] = e
	}
	seen := map[string]bool{}
	for _, pe := range f.Entries {
		cur, ok := byKey[pe.Context]
		switch {
		case !ok:
			return nil, nil, fmt.Errorf("unknown key (msgctxt) %q", pe.Context)
		case seen[pe.Context]:
			return nil, nil, fmt.Errorf("key %q given twice", pe.Context)
		}
		seen[pe.Context] = true
		if pe.Str == "" {
			continue // untranslated: what the file has stays
		}
		reviewed := !pe.Fuzzy
		if pe.ID != cur.Source {
			notes = append(notes, fmt.Sprintf("%s: the %s text changed since the export; imported as not reviewed", pe.Context, cat.Fallback()))
			reviewed = false
		}
		if pe.Str != cur.Text || reviewed != cur.Reviewed {
			changes = append(changes, menus.Change{Key: pe.Context, Text: pe.Str, Reviewed: reviewed})
		}
	}
	slices.SortStableFunc(changes, func(a, b menus.Change) int {
		return slices.IndexFunc(entries, func(e menus.Entry) bool { return e.Key == a.Key }) -
			slices.IndexFunc(entries, func(e menus.Entry) bool { return e.Key == b.Key })
	})
	return changes, notes, nil
}

// overlayFS is a locales directory with one file's content replaced: what
// the directory would be once that file is written. The menus loader reads
// files with fs.ReadFile, which uses ReadFile.
type overlayFS struct {
	fs.FS
	name string
	data []byte
}

func (o overlayFS) ReadFile(name string) ([]byte, error) {
	if name == o.name {
		return slices.Clone(o.data), nil
	}
	return fs.ReadFile(o.FS, name)
}

// writeFileAtomic replaces path with data (fsynced, then renamed over
// it), keeping its permissions.
func writeFileAtomic(path string, data []byte) error {
	return renameio.WriteFile(path, data, 0o644, renameio.WithExistingPermissions())
}
