package menus_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/numerovert/hotline/menus"
)

// shippedFS copies the shipped locales into memory so tests can break them.
func shippedFS(t *testing.T) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	entries, err := os.ReadDir("../locales")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() { // locales/audio/: recordings, not menus
			continue
		}
		b, err := os.ReadFile("../locales/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		fsys[e.Name()] = &fstest.MapFile{Data: b}
	}
	return fsys
}

// lineOf is the 1-based line of the first occurrence of sub in text.
func lineOf(t *testing.T, text, sub string) int {
	t.Helper()
	i := strings.Index(text, sub)
	if i < 0 {
		t.Fatalf("%q not found", sub)
	}
	return strings.Count(text[:i], "\n") + 1
}

// TestLintShipped allows one kind of finding: a string a locale lists
// under `awaiting:` (callers see the fallback's text). Even under --strict.
func TestLintShipped(t *testing.T) {
	for _, p := range menus.Strict(menus.Lint(os.DirFS("../locales"))) {
		if !p.Warning || !strings.HasPrefix(p.Msg, "missing string") || !strings.Contains(p.Msg, "awaiting") {
			t.Errorf("%s", p)
		}
	}
}

// TestStrictFailsOnAGap: a shipped locale that lacks a string a caller
// reaches passes plain lint with a warning and fails --strict, unless the
// locale lists the key under `awaiting:`.
func TestStrictFailsOnAGap(t *testing.T) {
	const entry = "  followup.none:\n    text: \"An ma foyi"
	for _, tt := range []struct {
		name     string
		awaiting string // the `awaiting:` line added to bm.yaml
		strict   bool   // --strict reports an error
		msg      string // then in the problem about followup.none
	}{
		{"a gap", "", true, "missing string \"followup.none\" (callers see the fr text; draft it, or list it under `awaiting:`); --strict"},
		{"an awaited gap", "awaiting: [followup.none]\n", false, `missing string "followup.none", awaiting`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := shippedFS(t)
			bm := string(fsys["bm.yaml"].Data)
			i := strings.Index(bm, entry)
			if i < 0 {
				t.Fatalf("bm.yaml lacks %q", entry)
			}
			end := i + strings.Index(bm[i:], "reviewed: false\n") + len("reviewed: false\n")
			bm = bm[:i] + bm[end:]
			bm = strings.Replace(bm, "strings:\n", tt.awaiting+"strings:\n", 1)
			fsys["bm.yaml"] = &fstest.MapFile{Data: []byte(bm)}

			plain := menus.Lint(fsys)
			for _, p := range plain {
				if !p.Warning && !strings.Contains(p.File, "taq") {
					t.Errorf("plain lint: %s", p)
				}
			}
			var errs, found []menus.Problem
			for _, p := range menus.Strict(plain) {
				if !p.Warning {
					errs = append(errs, p)
				}
				if p.File == "bm.yaml" && strings.Contains(p.Msg, tt.msg) {
					found = append(found, p)
				}
			}
			if len(found) != 1 || found[0].Warning == tt.strict {
				t.Errorf("want one problem %q with error=%v; got %v", tt.msg, tt.strict, found)
			}
			if tt.strict != (len(errs) > 0) {
				t.Errorf("strict errors: %v", errs)
			}
		})
	}
}

// TestAwaitingKeptTrue: an `awaiting:` entry that is translated since, or
// that the tree does not use, is pointed out so the list stays true.
func TestAwaitingKeptTrue(t *testing.T) {
	fsys := shippedFS(t)
	bm := strings.Replace(string(fsys["bm.yaml"].Data), "strings:\n", "awaiting: [nav.back, nav.sauter]\nstrings:\n", 1)
	fsys["bm.yaml"] = &fstest.MapFile{Data: []byte(bm)}
	want := map[string]bool{`awaiting "nav.back", which is translated`: false, `awaiting "nav.sauter", which tree.yaml does not use`: false}
	for _, p := range menus.Strict(menus.Lint(fsys)) {
		for w := range want {
			if p.File == "bm.yaml" && strings.Contains(p.Msg, w) && p.Warning && p.Line == lineOf(t, bm, "awaiting:") {
				want[w] = true
			}
		}
	}
	for w, ok := range want {
		if !ok {
			t.Errorf("no warning %q", w)
		}
	}
}

func TestLintBroken(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		old, new string // replace the first old with new in file
		at       string // the problem is on the line of the first `at` in the new text
		msg      string // part of the message
		warning  bool
	}{
		{"missing node", "tree.yaml", "    next: region\n", "    next: regoin\n", "next: regoin", `missing node "regoin"`, false},
		{"missing start node", "tree.yaml", "start: language", "start: langue", "start: langue", `missing node "langue"`, false},
		{"unreachable node", "tree.yaml", "  - id: end\n", "  - id: orphan\n    kind: end\n    prompt: end.prompt\n\n  - id: end\n",
			"id: orphan", `"orphan" is unreachable`, false},
		{"skips on a required text node", "tree.yaml", "    optional: true                 # 1 skips it\n", "", "{value: skip,", "only an optional text node lists skips", false},
		{"dead end node", "tree.yaml", "    next: contact\n", "\n", "id: detail", `dead end: node "detail"`, false},
		{"dead end option", "tree.yaml", "    next: detail\n", "\n", "{value: cash", `dead end: option "cash"`, false},
		{"duplicate option value", "tree.yaml", "{value: fraud,", "{value: distribution,", "{value: distribution, label: category.fraud",
			`duplicate option value "distribution"`, false},
		{"duplicate option label", "tree.yaml", "label: category.fraud}", "label: category.distribution}", "{value: fraud",
			`duplicate option label "category.distribution"`, false},
		{"duplicate node id", "tree.yaml", "  - id: cercle\n", "  - id: region\n", "id: region\n    kind: place\n    level: 2",
			`duplicate node id "region"`, false},
		{"unknown kind", "tree.yaml", "kind: text", "kind: texte", "kind: texte", `unknown kind "texte"`, false},
		{"unknown tree field", "tree.yaml", "    optional: true", "    optionnal: true", "optionnal", `unknown field "optionnal"`, false},
		{"submit not to an end node", "tree.yaml", "action: submit, next: end_protection}", "action: submit, next: detail}", "action: submit, next: detail}",
			"must have `next:` an end node", false},
		// A call reads no place page over menus.MaxVoiceWords (15) words.
		{"voice place question too long", "en.yaml", `region.prompt: {text: "Which region?"`,
			`region.prompt: {text: "In which of the regions of Mali do you live with your family now?"`, "region.prompt", "voice: region page 1 says", false},
		{"tree YAML syntax error", "tree.yaml", "    next: region\n", "    next: region\n   oops: [\n", "oops", "YAML syntax error", false},
		// A gap in any locale but the fallback shows the French text: a warning.
		{"missing string", "en.yaml", "  nav.skip: {text: \"Skip\", reviewed: true}\n", "", "strings:", `missing string "nav.skip" (callers see the fr text`, true},
		{"missing string in the fallback", "fr.yaml", "  nav.skip: {text: \"Passer\", reviewed: false}\n", "", "strings:", `missing string "nav.skip"`, false},
		{"fallback without a file", "tree.yaml", "fallback: fr", "fallback: xx", "fallback: xx", `fallback locale "xx" has no file`, false},
		{"reserved node id", "tree.yaml", "  - id: end\n", "  - id: \"@end\"\n", "@end", "the engine's own", false},
		{"gsm7 letter already GSM-7", "bm.yaml", "gsm7: {", "gsm7: {é: e, ", "gsm7:", `"é" is already GSM-7`, false},
		{"gsm7 spelling not GSM-7", "bm.yaml", "ɛ: è", "ɛ: ê", "gsm7:", "not GSM-7", false},
		{"unknown string key", "fr.yaml", "  nav.skip:", "  nav.sauter: Sauter\n  nav.skip:", "nav.sauter", `unknown string key "nav.sauter"`, true},
		{"duplicate string key", "fr.yaml", "  nav.next: {", "  nav.back: Retour\n  nav.next: {", "nav.back: Retour", `duplicate string key "nav.back"`, false},
		{"locale YAML syntax error", "fr.yaml", `{text: "Question", reviewed: true}`, `{text: "Question", reviewed: true`, `"Question"`, "YAML syntax error", false},
		{"locale YAML syntax error, unclosed quote", "en.yaml", `{text: "Food", reviewed: true}`, `"Food`, `"Food`, "YAML syntax error", false},
		{"string neither text nor mapping", "en.yaml", `{text: "Food", reviewed: true}`, `[Food]`, `[Food]`, `"assistance.food": expected text`, false},
		{"unknown placeholder", "en.yaml", "Reference: {reference}.", "Reference: {ref}.", "{ref}", "unknown placeholder {ref}", false},
		{"language does not match file", "en.yaml", "language: en", "language: fr", "language: fr", "does not match", false},
		{"screen over USSD limit", "fr.yaml", "Pas besoin de donner des noms.", strings.Repeat("Pas besoin de donner des noms. ", 6),
			"detail.prompt:", `screen "detail"`, false},
		{"list item too long to page", "en.yaml", `{text: "School meals"`, `{text: "` + strings.Repeat("School meals ", 15) + `"`,
			"assistance.prompt:", `screen "assistance"`, false},
		{"short list split over pages", "en.yaml", `{text: "Health", reviewed: true}`, `{text: "Health care at a clinic, at a hospital or at home, for all of the family here", reviewed: true}`,
			"assistance.prompt:", "split over 2 pages", true},
		{"too long in UCS-2 and in the GSM-7 spelling", "fr.yaml", "Écrivez en bref", "Écrivez en bref, ça aide, " + strings.Repeat("a", 110),
			"detail.prompt:", `screen "detail" in the GSM-7 spelling is`, false},
		{"answer template too long for the follow-up answer", "en.yaml", "It was passed to the programme team.", strings.Repeat("It was passed to the programme team. ", 4),
			"answer.thanks:", `screen "followup_answer" (answer template thanks)`, false},
		{"cercle with unknown parent", "places.csv", "2,ML0508,Youwarou,ML05", "2,ML0508,Youwarou,ML55", "Youwarou", `parent "ML55" is not a region`, false},
		{"duplicate pcode", "places.csv", "2,ML0508,Youwarou,ML05", "2,ML0507,Youwarou,ML05", "ML0507,Youwarou", "duplicate pcode ML0507", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := shippedFS(t)
			text := string(fsys[tt.file].Data)
			if !strings.Contains(text, tt.old) {
				t.Fatalf("%s lacks %q", tt.file, tt.old)
			}
			text = strings.Replace(text, tt.old, tt.new, 1)
			fsys[tt.file] = &fstest.MapFile{Data: []byte(text)}
			want := tt.file + ":" + strconv.Itoa(lineOf(t, text, tt.at)) + ": "
			problems := menus.Lint(fsys)
			found := false
			for _, p := range problems {
				if strings.HasPrefix(p.String(), want) && strings.Contains(p.Msg, tt.msg) && p.Warning == tt.warning {
					found = true
				}
			}
			if !found {
				t.Errorf("want %s…%s (warning=%v); got:", want, tt.msg, tt.warning)
				for _, p := range problems {
					t.Logf("  %s", p)
				}
			}
			_, err := menus.Load(fsys)
			errs := 0
			for _, p := range problems {
				if !p.Warning && !strings.Contains(p.Msg, "USSD max") && !strings.HasPrefix(p.Msg, "voice: ") { // a medium's limit: Lint's, not Load's
					errs++
				}
			}
			if (err != nil) != (errs > 0) {
				t.Errorf("Load error = %v with %d load errors", err, errs)
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    menus.Problem
		want string
	}{
		{menus.Problem{File: "fr.yaml", Line: 12, Msg: "missing string"}, "fr.yaml:12: missing string"},
		{menus.Problem{File: "en.yaml", Line: 3, Msg: "unknown key", Warning: true}, "en.yaml:3: warning: unknown key"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q; want %q", got, tt.want)
		}
	}
}

func TestAddingALanguageIsOneFile(t *testing.T) {
	fsys := shippedFS(t)
	en := string(fsys["en.yaml"].Data)
	xx := strings.NewReplacer("language: en", "language: xx", "name: English", "name: Xish", "order: 6", "order: 7").Replace(en)
	fsys["xx.yaml"] = &fstest.MapFile{Data: []byte(xx)}
	for _, p := range menus.Lint(fsys) {
		if p.File == "xx.yaml" {
			t.Errorf("lint: %s", p)
		}
	}
	c, err := menus.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Languages(), ","); got != "bm,fr,ff,taq,ses,en,xx" {
		t.Errorf("Languages() = %s", got)
	}
	e := menus.NewEngine(c, menus.FitsUSSD)
	tr := e.Step(e.Begin("").State, "7")
	if tr.State.Lang != "xx" || tr.State.Node != "home" {
		t.Errorf("choosing the new language: %+v", tr.State)
	}
}
