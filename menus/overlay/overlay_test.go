package overlay_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/overlay"
)

func open(t *testing.T, dir string) *overlay.Store {
	t.Helper()
	s, err := overlay.Open(overlay.Options{DataDir: dir, Base: locales.FS})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// home is the Bambara home screen as USSD shows it (in the GSM-7
// spelling: the promise line above makes it too long for UCS-2).
func home(c *menus.Catalog) string {
	e := menus.NewEngine(c, menus.FitsUSSD)
	return menus.USSDText(e.Begin("bm").Screen)
}

func TestSaveIsLiveHistoryAndRevert(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	before := s.Catalog()
	shipped := before.Text("bm", "home.prompt")
	var seen *menus.Catalog
	s.OnChange(func(c *menus.Catalog) { seen = c })

	ch, err := s.Save(ctx, "awa", "bm", "home.prompt", "I bɛ mun fɛ?", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Catalog().Text("bm", "home.prompt"); got != "I bɛ mun fɛ?" {
		t.Fatalf("live catalogue: %q", got)
	}
	if seen != s.Catalog() || !strings.Contains(home(seen), "I bè mun fè?") {
		t.Fatalf("subscriber did not get the new catalogue: %q", home(seen))
	}
	if before.Text("bm", "home.prompt") != shipped {
		t.Fatal("the old catalogue changed under a session in flight")
	}
	if ch.Old.Text != shipped || !ch.Old.Shipped || ch.By != "awa" || ch.At.IsZero() {
		t.Fatalf("change: %+v", ch)
	}

	rev, err := s.Save(ctx, "moussa", "bm", "home.prompt", "I bɛ mun fɛ?", true)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Action != overlay.ActionReview {
		t.Fatalf("action %q, want review", rev.Action)
	}
	es, _ := s.Catalog().Entries("bm")
	for _, e := range es {
		if e.Key == "home.prompt" && !e.Reviewed {
			t.Fatal("reviewed mark not in the catalogue")
		}
	}

	// Persisted: a new process sees the edit.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	if got := s.Catalog().Text("bm", "home.prompt"); got != "I bɛ mun fɛ?" {
		t.Fatalf("after reopen: %q", got)
	}
	h, err := s.History("bm", "home.prompt")
	if err != nil || len(h) != 2 || h[0].By != "moussa" || h[1].By != "awa" {
		t.Fatalf("history %+v %v", h, err)
	}

	// Reverting the first edit brings back the shipped text.
	r, err := s.Revert(ctx, "admin", h[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Catalog().Text("bm", "home.prompt"); got != shipped || r.Revert != h[1].ID || r.Action != overlay.ActionRevert {
		t.Fatalf("after revert: %q %+v", got, r)
	}
	if ed, _ := s.Edits("bm"); len(ed) != 0 {
		t.Fatalf("edits left after reverting to the shipped text: %v", ed)
	}
	// And reverting the revert gives the edit back.
	if _, err := s.Revert(ctx, "admin", r.ID); err != nil {
		t.Fatal(err)
	}
	if got := s.Catalog().Text("bm", "home.prompt"); got != "I bɛ mun fɛ?" {
		t.Fatalf("after revert of revert: %q", got)
	}
	if _, err := s.Revert(ctx, "admin", 999); !errors.Is(err, overlay.ErrNotFound) {
		t.Fatalf("unknown change: %v", err)
	}
}

func TestSaveRefusesWhatBreaksAScreen(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	before := s.Catalog()
	cases := []struct {
		name, key, text, reason string
	}{
		{"too long for USSD", "home.prompt", strings.Repeat("ɛ", 200), "USSD max"},
		{"lost placeholder", "end.prompt", "A sɛbɛnna. Jaabi {days} tile kɔnɔ.", "{reference}"},
		{"unknown placeholder", "home.prompt", "I b'a fɛ ka {nobody} kɛ?", "unknown placeholder {nobody}"},
		{"empty", "home.prompt", "  ", "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Save(ctx, "awa", "bm", c.key, c.text, false)
			var r *overlay.RefusedError
			if !errors.As(err, &r) || !strings.Contains(r.Error(), c.reason) {
				t.Fatalf("err %v, want a refusal naming %q", err, c.reason)
			}
			if s.Catalog() != before {
				t.Fatal("a refused save changed the catalogue")
			}
		})
	}
	if h, _ := s.History("", ""); len(h) != 0 {
		t.Fatalf("refused saves left history: %+v", h)
	}
	if _, err := s.Save(ctx, "awa", "bm", "no.such.key", "x", false); !errors.Is(err, overlay.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := s.Save(ctx, "awa", "xx", "home.prompt", "x", false); !errors.Is(err, overlay.ErrNotFound) {
		t.Fatalf("unknown language: %v", err)
	}
}

func TestSaveFillsAMissingString(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	// A key the shipped file has and one borrowed from French both work;
	// the edited file keeps loading with the rest of the catalogue.
	if _, err := s.Save(context.Background(), "awa", "taq", "home.prompt", "Ma tăṛa ad teǧǝd?", false); err != nil {
		t.Fatal(err)
	}
	if got := s.Catalog().Text("taq", "home.prompt"); got != "Ma tăṛa ad teǧǝd?" {
		t.Fatalf("%q", got)
	}
}

func BenchmarkSave(b *testing.B) {
	s, err := overlay.Open(overlay.Options{DataDir: b.TempDir(), Base: locales.FS})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; b.Loop(); i++ {
		text := "I b'a fɛ ka mun kɛ?"
		if i%2 == 1 {
			text = "I bɛ mun fɛ?"
		}
		if _, err := s.Save(context.Background(), "awa", "bm", "home.prompt", text, false); err != nil {
			b.Fatal(err)
		}
	}
}

// A new release whose locales no longer take an edit (here: it dropped
// a language) starts all the same, without that edit, and keeps the rest.
func TestOpenLeavesOutAnEditThatNoLongerFits(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if _, err := s.Save(context.Background(), "awa", "taq", "home.prompt", "Ma tăṛa ad teǧǝd?", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(context.Background(), "awa", "bm", "home.prompt", "I bɛ mun fɛ?", false); err != nil {
		t.Fatal(err)
	}
	s.Close()
	release := fstest.MapFS{}
	_ = fs.WalkDir(locales.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != "taq.yaml" {
			b, _ := fs.ReadFile(locales.FS, p)
			release[p] = &fstest.MapFile{Data: b}
		}
		return nil
	})
	s2, err := overlay.Open(overlay.Options{DataDir: dir, Base: release})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s2.Close()
	if got := s2.Catalog().Text("bm", "home.prompt"); got != "I bɛ mun fɛ?" {
		t.Errorf("the edit that still fits was left out: %q", got)
	}
	if h, _ := s2.History("taq", ""); len(h) != 1 {
		t.Errorf("the left-out edit's history: %+v", h)
	}
}
