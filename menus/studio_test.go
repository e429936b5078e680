package menus_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

func TestPreviewIsTheScreen(t *testing.T) {
	c, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Preview("fr", "home.prompt")
	if p.Node != "home" || !strings.Contains(p.Text, c.Text("fr", "home.prompt")) || !strings.Contains(p.Text, "\n1 ") {
		t.Fatalf("preview %+v", p)
	}
	if p.Encoding != "GSM-7" || p.Max != 182 || p.Left != p.Max-p.Used || p.Used < len(c.Text("fr", "home.prompt")) {
		t.Fatalf("measure %+v", p)
	}
	// A string no screen shows as prompt or label is measured alone.
	if v := c.Preview("bm", "voice.goodbye"); v.Node != "" || v.Text != c.Text("bm", "voice.goodbye") {
		t.Fatalf("voice line %+v", v)
	}
}

func TestOverlayFSReplacesOnlyWhatItNames(t *testing.T) {
	o := menus.OverlayFS(locales.FS, map[string][]byte{"bm.yaml": []byte("language: bm\n")})
	if b, _ := fs.ReadFile(o, "bm.yaml"); string(b) != "language: bm\n" {
		t.Fatalf("bm.yaml: %q", b)
	}
	want, _ := fs.ReadFile(locales.FS, "fr.yaml")
	if b, _ := fs.ReadFile(o, "fr.yaml"); string(b) != string(want) {
		t.Fatal("fr.yaml changed")
	}
	if st, err := fs.Stat(o, "bm.yaml"); err != nil || st.Size() != int64(len("language: bm\n")) {
		t.Fatalf("stat: %v %v", st, err)
	}
	names, _ := fs.Glob(o, "*.yaml")
	base, _ := fs.Glob(locales.FS, "*.yaml")
	if strings.Join(names, ",") != strings.Join(base, ",") {
		t.Fatalf("listing %v, want %v", names, base)
	}
}
