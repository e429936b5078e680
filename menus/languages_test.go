package menus_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
)

// key returns the key of the option labelled label on s, failing if absent.
func key(t *testing.T, s menus.Screen, label string) string {
	t.Helper()
	for _, o := range s.Options {
		if o.Label == label {
			return o.Key
		}
	}
	t.Fatalf("no option %q on %s/%s: %q", label, s.Lang, s.Node, optionLabels(s))
	return ""
}

func TestReturningCallerChangesLanguage(t *testing.T) {
	e, c := engine(t)
	tests := []struct{ lang, label string }{
		{"bm", "Kan"}, {"fr", "Langue"}, {"ff", "Ɗemngal"}, {"en", "Language"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			first := e.Begin(tt.lang)
			if first.Screen.Node != "home" || first.Screen.Lang != tt.lang {
				t.Fatalf("remembered %s: first screen %s/%s", tt.lang, first.Screen.Lang, first.Screen.Node)
			}
			// One key, named in the caller's language, leads to the languages.
			label := tt.label
			if first.Screen.GSM7 {
				label = gsm7.Fold(strings.ReplaceAll(label, "Ɗ", "D"))
			}
			k := key(t, first.Screen, label)
			if k != menus.KeyBack {
				t.Errorf("change-language key = %q; want %q", k, menus.KeyBack)
			}
			langs := e.Step(first.State, k)
			if langs.Screen.Node != "language" || len(langs.Screen.Options) != len(c.Languages()) {
				t.Fatalf("after %q: %+v", k, langs.Screen)
			}
			en := e.Step(langs.State, "6")
			if en.State.Lang != "en" || en.Screen.Node != "home" {
				t.Errorf("picking English: %+v", en.State)
			}
		})
	}
	// Deeper screens keep the plain back label.
	if s := walk(t, e, "fr", "1").Screen; key(t, s, "Retour") != menus.KeyBack {
		t.Errorf("region screen lacks Retour")
	}
}

func TestResume(t *testing.T) {
	e, c := engine(t)
	// A Bambara caller dropped on the detail screen.
	dropped := walk(t, e, "bm", "3", "5", "6", "2")
	if dropped.State.Node != "detail" {
		t.Fatalf("setup: at %s", dropped.State.Node)
	}
	saved, ok := e.Resumable(dropped.State)
	if !ok || !reflect.DeepEqual(saved, dropped.State) {
		t.Fatalf("Resumable(detail) = %+v, %v", saved, ok)
	}
	for _, tt := range []struct {
		name string
		st   menus.State
	}{
		{"no answer yet", e.Begin("bm").State},
		{"language screen", e.Begin("").State},
		{"submitted", e.Submitted(menus.State{Lang: "bm"}, "12345678").State},
	} {
		if _, ok := e.Resumable(tt.st); ok {
			t.Errorf("%s: resumable", tt.name)
		}
	}

	// Redial, remembered language French: the offer is in Bambara, the
	// language of the report.
	offer := e.BeginResume("fr", saved)
	if offer.Screen.Node != menus.NodeResume || offer.Screen.Lang != "bm" || len(offer.Screen.Options) != 2 {
		t.Fatalf("offer = %+v", offer.Screen)
	}
	if again, ok := e.Resumable(offer.State); !ok || !reflect.DeepEqual(again, saved) {
		t.Errorf("dropping on the offer must keep the report: %+v %v", again, ok)
	}
	if bad := e.Step(offer.State, "7"); bad.Screen.Notice != c.Text("bm", "notice.invalid") || bad.State.Node != menus.NodeResume {
		t.Errorf("invalid key on offer: %+v", bad.Screen)
	}

	cont := e.Step(offer.State, menus.KeyContinue)
	// The choices come back silently (marked replayed), nothing else.
	if cont.Screen.Node != "detail" || cont.State.Node != saved.Node || !reflect.DeepEqual(cont.State.Back, saved.Back) ||
		len(cont.State.Answers) != len(saved.Answers)+1 {
		t.Fatalf("continue: %+v", cont.State)
	}
	done := e.Step(e.Step(cont.State, menus.KeySkip).State, "1")
	want := map[string]string{"category": "fraud", "region": "ML05", "cercle": "ML0506", "assistance": "food", "detail": "", "callback": "no"}
	if done.Submit == nil || done.Submit.Lang != "bm" || !reflect.DeepEqual(done.Submit.Answers, want) {
		t.Errorf("submission after continue = %+v", done.Submit)
	}

	restart := e.Step(offer.State, menus.KeyRestart)
	if restart.State.Node != "home" || len(restart.State.Answers) != 0 || restart.State.Lang != "bm" {
		t.Errorf("start again: %+v", restart.State)
	}
	if _, ok := e.Resumable(restart.State); ok {
		t.Errorf("starting again must drop the old report")
	}

	// Nothing to resume (stale or empty state): a plain start.
	for _, st := range []menus.State{{}, {Lang: "bm", Node: "gone", Answers: map[string]string{"x": "y"}}, {Lang: "xx", Node: "detail", Answers: map[string]string{"x": "y"}}} {
		if tr := e.BeginResume("ff", st); tr.Screen.Node != "home" || tr.Screen.Lang != "ff" {
			t.Errorf("BeginResume(ff, %+v) = %s/%s", st, tr.Screen.Lang, tr.Screen.Node)
		}
	}
}

// TestSpellingByFit: a screen keeps its proper spelling when it fits in 80
// UCS-2 characters and is shown in the locale's GSM-7 spelling when only
// that fits in 182.
func TestSpellingByFit(t *testing.T) {
	e, _ := engine(t)
	tests := []struct {
		name   string
		lang   string
		inputs []string
		gsm7   bool
		want   string // in the screen text
	}{
		// The detail screen also offers the call-back (#16): too long for UCS-2.
		{"bambara detail screen with the call-back offer is spelled è", "bm", []string{"3", "9", "4", "2"}, true, "Mògò tògò fò man kan."},
		{"short bambara screen keeps ɛ", "bm", []string{"1", "5", "1", "2", "1", "2"}, false, "I tɔgɔ:"},
		{"long bambara list is spelled è", "bm", nil, true, "Mun kèra?"},
		{"fulfulde ɗ → d", "ff", nil, true, "Ko hondum wadi?"},
		{"songhay š → sh in the summary", "ses", []string{"2", "9", "4", "1", "1"}, true, "Ni shenni:"},
		{"french GSM-7 screen is never spelled", "fr", []string{"1"}, false, "Dans quelle région?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := walk(t, e, tt.lang, tt.inputs...).Screen
			text := menus.USSDText(s)
			if s.GSM7 != tt.gsm7 || !strings.Contains(text, tt.want) || !menus.FitsUSSD(s) {
				t.Errorf("GSM7=%v (want %v), fits=%v, text:\n%s\nwant %q", s.GSM7, tt.gsm7, menus.FitsUSSD(s), text, tt.want)
			}
			if s.GSM7 && !gsm7.IsGSM7(text) {
				t.Errorf("spelled screen is not GSM-7:\n%s", text)
			}
			if !s.GSM7 && gsm7.UTF16Len(text) > gsm7.MaxUSSDUCS2 && !gsm7.IsGSM7(text) {
				t.Errorf("proper spelling over 80 UCS-2 characters")
			}
		})
	}
}

// TestThrowawayLocale is the promise that adding a language is one file:
// a new locale written to a temporary copy of the locales directory lints
// clean, and a complaint walks through it, with the French text where it
// has no string yet.
func TestThrowawayLocale(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locales")
	if err := os.CopyFS(dir, os.DirFS("../locales")); err != nil {
		t.Fatal(err)
	}
	xx := `language: xx
name: Xɛkan
order: 7
gsm7: {ɛ: è}
strings:
  category.prompt: {text: "Xɛ kɛra?", reviewed: true}
  category.fraud: "Xɛ wari"
  assistance.food: {text: "Xɛ dumuni", reviewed: false}
  confirm.send: {text: "Xɛ ci", reviewed: true}
`
	if err := os.WriteFile(filepath.Join(dir, "xx.yaml"), []byte(xx), 0o600); err != nil {
		t.Fatal(err)
	}
	problems, cov := menus.Report(os.DirFS(dir))
	for _, p := range problems {
		if !p.Warning {
			t.Errorf("lint: %s", p)
		}
	}
	var got *menus.Coverage
	for i := range cov {
		if cov[i].Lang == "xx" {
			got = &cov[i]
		}
	}
	if got == nil || got.Translated != 4 || got.Reviewed != 2 || len(got.Missing) != got.Strings-4 || len(got.Screens) == 0 {
		t.Fatalf("coverage of xx = %+v", got)
	}

	c, err := menus.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	e := menus.NewEngine(c, menus.FitsUSSD)
	tr := e.Begin("")
	// Long screens are in the GSM-7 spelling the file declares.
	spelt := func(s menus.Screen, text string) string {
		if s.GSM7 {
			return strings.ReplaceAll(text, "ɛ", "è")
		}
		return text
	}
	tr = e.Step(tr.State, key(t, tr.Screen, "Xèkan"))
	tr = e.Step(tr.State, "1") // home: make a complaint (French: no xx string)
	if tr.Screen.Prompt != spelt(tr.Screen, "Xɛ kɛra?") {
		t.Errorf("xx prompt = %q", tr.Screen.Prompt)
	}
	for _, label := range []string{"Xɛ wari", "Mopti", "Douentza", "Xɛ dumuni"} {
		tr = e.Step(tr.State, key(t, tr.Screen, spelt(tr.Screen, label)))
	}
	if !strings.Contains(tr.Screen.Prompt, "Écrivez") { // French: no xx string
		t.Errorf("detail prompt %q; want the French fallback", tr.Screen.Prompt)
	}
	tr = e.Step(tr.State, "a pris ma carte")
	tr = e.Step(tr.State, "1") // no call-back (French: no xx string)
	tr = e.Step(tr.State, key(t, tr.Screen, spelt(tr.Screen, "Xɛ ci")))
	want := map[string]string{"category": "fraud", "region": "ML05", "cercle": "ML0504", "assistance": "food", "detail": "a pris ma carte", "callback": "no"}
	if tr.Submit == nil || tr.Submit.Lang != "xx" || !reflect.DeepEqual(tr.Submit.Answers, want) {
		t.Errorf("submission = %+v", tr.Submit)
	}
}

func TestCoverageShipped(t *testing.T) {
	_, cov := menus.Report(os.DirFS("../locales"))
	if len(cov) != 6 {
		t.Fatalf("coverage of %d locales", len(cov))
	}
	for _, c := range cov {
		if c.Translated+len(c.Missing) != c.Strings || c.Reviewed > c.Translated || len(c.Screens) == 0 {
			t.Errorf("%s: %+v", c.Lang, c)
		}
		if c.Fallback != (c.Lang == "fr") || (c.Lang == "fr" && len(c.Missing) > 0) {
			t.Errorf("%s: fallback %v, missing %v", c.Lang, c.Fallback, c.Missing)
		}
		t.Logf("%-4s %2d/%d translated, %2d reviewed, %2d/%d screens in GSM-7 spelling",
			c.Lang, c.Translated, c.Strings, c.Reviewed, len(c.GSM7), len(c.Screens))
	}
}
