package menus_test

import (
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
)

var shipped = sync.OnceValues(func() (*menus.Catalog, error) {
	return menus.Load(os.DirFS("../locales"))
})

func engine(t testing.TB) (*menus.Engine, *menus.Catalog) {
	t.Helper()
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	return menus.NewEngine(c, menus.FitsUSSD), c
}

// walk plays inputs from Begin(lang), failing on any invalid-choice notice.
// walk plays inputs from Begin(lang). It answers the home screen ("make a
// complaint or follow one?") with "make a complaint" whenever it lands
// there, so the inputs are the complaint's own; followUp tests the rest.
func walk(t *testing.T, e *menus.Engine, lang string, inputs ...string) menus.Turn {
	t.Helper()
	tr := complain(t, e, e.Begin(lang))
	for i, in := range inputs {
		if tr.Screen.End {
			t.Fatalf("input %d %q: session already ended", i, in)
		}
		tr = e.Step(tr.State, in)
		if tr.Screen.Notice != "" {
			t.Fatalf("input %d %q on %s: unexpected notice %q", i, in, tr.State.Node, tr.Screen.Notice)
		}
		if i < len(inputs)-1 {
			tr = complain(t, e, tr)
		}
	}
	return tr
}

// pickPlace presses the key of the place named label on tr's list,
// paging on (9) until it is offered: the pages differ by medium (USSD by
// screen fit, a call by spoken words).
func pickPlace(t *testing.T, e *menus.Engine, tr menus.Turn, label string) menus.Turn {
	t.Helper()
	for range 12 {
		for _, o := range tr.Screen.Options {
			if o.Label == label {
				return e.Step(tr.State, o.Key)
			}
		}
		tr = e.Step(tr.State, menus.KeyNext)
	}
	t.Fatalf("%q is not offered on %s", label, tr.State.Node)
	return tr
}

// atHome begins a session in lang on the home screen: on a call, past
// the short voice path's offer (2: the menu).
func atHome(e *menus.Engine, lang string) menus.Turn {
	tr := e.Begin(lang)
	if tr.State.Node == "voice_short" {
		tr = e.Step(tr.State, "2")
	}
	return tr
}

// complain chooses "make a complaint" when tr is the home screen (on a
// call, past the short voice path's offer).
func complain(t *testing.T, e *menus.Engine, tr menus.Turn) menus.Turn {
	t.Helper()
	if tr.State.Node == "voice_short" {
		tr = e.Step(tr.State, "2")
	}
	if tr.State.Node != "home" {
		return tr
	}
	next := e.Step(tr.State, "1")
	if next.State.Node != "category" {
		t.Fatalf("home: 1 led to %q, want the first complaint question", next.State.Node)
	}
	return next
}

func TestLanguages(t *testing.T) {
	e, c := engine(t)
	// By callers' demand (docs/translators.md): Bambara, then French, the
	// language most USSD readers read, then Fulfulde, Tamasheq, Songhay;
	// English is for staff and tests.
	want := []string{"bm", "fr", "ff", "taq", "ses", "en"}
	if got := c.Languages(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Languages() = %v; want %v", got, want)
	}
	if c.Fallback() != "fr" {
		t.Errorf("Fallback() = %q; want fr", c.Fallback())
	}
	s := e.Begin("").Screen
	names := []string{"Bamanankan", "Français", "Fulfulde", "Tămašăq", "Koyraboro senni", "English"}
	if s.Node != "language" || len(s.Options) != len(names) || s.Lang != "fr" {
		t.Fatalf("language screen = %+v", s)
	}
	for i, o := range s.Options {
		// Six names and a prompt do not fit in 80 UCS-2 characters: the
		// screen is in the GSM-7 spelling, each name in its own.
		want := gsm7.Fold(strings.NewReplacer("ă", "a", "š", "sh").Replace(names[i]))
		if o.Key != strconv.Itoa(i+1) || o.Label != want || !s.GSM7 {
			t.Errorf("option %d = %+v; want %s (GSM-7 spelling of %s)", i, o, want, names[i])
		}
		if c.LanguageName(want) == "" && c.LanguageName(c.Languages()[i]) != names[i] {
			t.Errorf("%s names itself %q; want %q", c.Languages()[i], c.LanguageName(c.Languages()[i]), names[i])
		}
	}
	for _, o := range s.Options {
		if o.Key == menus.KeyBack {
			t.Errorf("language screen offers back")
		}
	}
}

func TestWalkComplaint(t *testing.T) {
	e, _ := engine(t)
	tests := []struct {
		name   string
		lang   string
		inputs []string
		want   menus.Submission
	}{
		{
			name: "french, Youwarou on the second page, detail with star",
			lang: "",
			// fr, exclusion, Mopti, next page, Youwarou, food, detail, no contact, no call-back, send
			inputs: []string{"2", "1", "5", "9", "1", "2", "Le chef * a pris 5000 F", "1", "1", "1"},
			want: menus.Submission{Lang: "fr", Answers: map[string]string{
				"category": "exclusion", "region": "ML05", "cercle": "ML0508", "assistance": "food", "detail": "Le chef * a pris 5000 F",
				"callback": "no",
			}},
		},
		{
			name: "english chosen on the language screen, unknown cercle, detail skipped",
			lang: "",
			// en, sea, next page, Menaka, other cercle, school meals, skip, send
			inputs: []string{"6", "4", "9", "3", "5", "5", "1", "1"},
			want: menus.Submission{Lang: "en", Answers: map[string]string{
				"category": "sea", "region": "ML10", "cercle": "unknown", "assistance": "school_meals", "detail": "",
				"callback": "no", // skipping the detail with 1 declines the call-back offered beside it
			}},
		},
		{
			name: "english known to the gateway, unknown region skips the cercle",
			lang: "en",
			// thanks on the second page of categories, unknown region (second page), cash
			inputs: []string{"9", "4", "9", "4", "1", "  Thank you for the food  ", "2", " 1 "},
			want: menus.Submission{Lang: "en", Answers: map[string]string{
				"category": "feedback", "region": "unknown", "cercle": "unknown", "assistance": "cash", "detail": "Thank you for the food",
				"callback": "yes", // asked after a typed detail
			}},
		},
		{
			name:   "french, every category value reachable: distribution in Bamako",
			lang:   "fr",
			inputs: []string{"2", "9", "2", "1", "6", "1", "1"},
			want: menus.Submission{Lang: "fr", Answers: map[string]string{
				"category": "distribution", "region": "ML09", "cercle": "ML0901", "assistance": "health", "detail": "",
				"callback": "no",
			}},
		},
		{
			name: "french, call-back asked for beside the detail (2), not asked again",
			lang: "fr",
			// exclusion, Mopti, Djenné, food, skip + call-back, no contact, send
			inputs: []string{"1", "5", "1", "2", "2", "1", "1"},
			want: menus.Submission{Lang: "fr", Answers: map[string]string{
				"category": "exclusion", "region": "ML05", "cercle": "ML0501", "assistance": "food", "detail": "", "callback": "yes",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := walk(t, e, tt.lang, tt.inputs...)
			if tr.Submit == nil {
				t.Fatalf("no submission; on %s: %q", tr.State.Node, menus.USSDText(tr.Screen))
			}
			if !reflect.DeepEqual(*tr.Submit, tt.want) {
				t.Errorf("submission = %+v\nwant %+v", *tr.Submit, tt.want)
			}
			// Nothing the caller said stays in the state, except the place on a
			// sexual abuse report's end (it names the nearest services).
			kept := maps.Clone(tr.State.Answers)
			if tt.want.Answers["category"] == "sea" {
				delete(kept, "region")
				delete(kept, "cercle")
			}
			if !tr.Screen.End || len(kept) != 0 {
				t.Errorf("after submit: screen End=%v, answers kept %v", tr.Screen.End, tr.State.Answers)
			}
			// The gateway stored it: the end screen shows the reference.
			done := e.Submitted(tr.State, "12345678")
			if !done.Screen.End || !strings.Contains(done.Screen.Prompt, "1234 5678") || done.Screen.Lang != tt.want.Lang {
				t.Errorf("end screen = %+v", done.Screen)
			}
			if again := e.Step(done.State, "0"); !reflect.DeepEqual(again.Screen, done.Screen) {
				t.Errorf("input on the end screen changed it: %+v", again.Screen)
			}
			if got := e.Screen(done.State); !reflect.DeepEqual(got, done.Screen) {
				t.Errorf("Screen(end state) = %+v", got)
			}
		})
	}
}

func TestEndScreenWording(t *testing.T) {
	e, _ := engine(t)
	tests := []struct{ lang, saved, team string }{
		{"fr", "enregistrée", "équipe indépendante"},
		{"en", "saved", "independent team"},
	}
	for _, tt := range tests {
		s := e.Submitted(menus.State{Lang: tt.lang}, "87654321").Screen
		for _, want := range []string{tt.saved, tt.team, "8765 4321"} {
			if !strings.Contains(s.Prompt, want) {
				t.Errorf("%s end screen %q lacks %q", tt.lang, s.Prompt, want)
			}
		}
	}
}

func TestInvalidKey(t *testing.T) {
	e, c := engine(t)
	tests := []struct {
		name  string
		lang  string
		setup []string // from Begin(lang)
		input string
	}{
		{"language: out of range", "", nil, "7"},
		{"language: back", "", nil, "0"},
		{"language: empty", "", nil, ""},
		{"category: letter", "fr", nil, "a"},
		{"category: two digits", "en", nil, "12"},
		{"category page 1: no previous page", "fr", nil, "8"},
		{"category page 2: no next page", "en", []string{"9"}, "9"},
		{"region page 1: no previous page", "en", []string{"1"}, "8"},
		{"region page 2: past the last item", "fr", []string{"1", "9"}, "5"},
		{"assistance: one page, no next", "fr", []string{"1", "9", "4"}, "9"},
		{"detail: one character", "en", []string{"1", "9", "4", "1"}, "x"},
		{"detail: unknown command", "fr", []string{"1", "9", "4", "1"}, "5"},
		{"detail: blank", "fr", []string{"1", "9", "4", "1"}, "   "},
		{"confirm: 3", "en", []string{"1", "9", "4", "1", "1"}, "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := walk(t, e, tt.lang, tt.setup...)
			after := e.Step(before.State, tt.input)
			if !reflect.DeepEqual(after.State, before.State) {
				t.Errorf("state changed:\n%+v\n%+v", before.State, after.State)
			}
			lang := before.Screen.Lang
			if want := c.Text(lang, "notice.invalid"); after.Screen.Notice != want || want == "" {
				t.Errorf("notice = %q; want %q", after.Screen.Notice, want)
			}
			after.Screen.Notice = ""
			if !reflect.DeepEqual(after.Screen, before.Screen) {
				t.Errorf("screen changed:\n%+v\n%+v", before.Screen, after.Screen)
			}
			if after.Submit != nil {
				t.Errorf("invalid input submitted")
			}
		})
	}
	if en, fr := c.Text("en", "notice.invalid"), c.Text("fr", "notice.invalid"); en == fr {
		t.Errorf("invalid notice not localised: %q", en)
	}
}

func TestBack(t *testing.T) {
	e, _ := engine(t)
	tests := []struct {
		name     string
		lang     string
		inputs   []string // ends with "0"
		wantNode string
		wantPage int
		wantAns  map[string]string
	}{
		{"category back to home", "", []string{"1", "0"}, "home", 0, nil},
		{"category back to home when the gateway knew it", "en", []string{"0"}, "home", 0, nil},
		{"region back to category clears it", "fr", []string{"3", "0"}, "category", 0, nil},
		{"cercle back to region", "fr", []string{"3", "5", "0"}, "region", 0, map[string]string{"category": "fraud"}},
		{"assistance back to the cercle page answered", "fr", []string{"3", "5", "9", "1", "0"}, "cercle", 1,
			map[string]string{"category": "fraud", "region": "ML05"}},
		{"skipped cercle: back to region page 2, region and cercle cleared", "en", []string{"3", "9", "4", "0"}, "region", 1,
			map[string]string{"category": "fraud"}},
		{"detail back to assistance", "en", []string{"3", "9", "4", "2", "0"}, "assistance", 0,
			map[string]string{"category": "fraud", "region": "unknown", "cercle": "unknown"}},
		{"confirm back to detail clears it", "fr", []string{"3", "9", "4", "2", "du texte", "0"}, "detail", 0,
			map[string]string{"category": "fraud", "region": "unknown", "cercle": "unknown", "assistance": "food"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := walk(t, e, tt.lang, tt.inputs...)
			if tr.State.Node != tt.wantNode || tr.State.Page != tt.wantPage || tr.Screen.Node != tt.wantNode {
				t.Errorf("after back: node %s page %d; want %s page %d", tr.State.Node, tr.State.Page, tt.wantNode, tt.wantPage)
			}
			if len(tr.State.Answers)+len(tt.wantAns) > 0 && !maps.Equal(tr.State.Answers, tt.wantAns) {
				t.Errorf("answers = %v; want %v", tr.State.Answers, tt.wantAns)
			}
		})
	}
}

func optionLabels(s menus.Screen) []string {
	var out []string
	for _, o := range s.Options {
		out = append(out, o.Key+" "+o.Label)
	}
	return out
}

func TestPaging(t *testing.T) {
	e, _ := engine(t)
	tests := []struct {
		name   string
		lang   string
		inputs []string
		want   []string
	}{
		{"regions page 1", "fr", []string{"1"},
			[]string{"1 Kayes", "2 Koulikoro", "3 Sikasso", "4 Segou", "5 Mopti", "6 Tombouctou", "7 Gao", "9 Suivant", "0 Retour"}},
		{"regions page 2", "fr", []string{"1", "9"},
			[]string{"1 Kidal", "2 Bamako", "3 Menaka", "4 Autre/je ne sais pas", "8 Précédent", "0 Retour"}},
		{"regions back to page 1", "en", []string{"1", "9", "8"},
			[]string{"1 Kayes", "2 Koulikoro", "3 Sikasso", "4 Segou", "5 Mopti", "6 Tombouctou", "7 Gao", "9 Next", "0 Back"}},
		{"Mopti cercles page 1", "fr", []string{"1", "5"},
			[]string{"1 Bandiagara", "2 Bankass", "3 Djenne", "4 Douentza", "5 Koro", "6 Mopti", "7 Tenenkou", "9 Suivant", "0 Retour"}},
		{"Mopti cercles page 2", "en", []string{"1", "5", "9"},
			[]string{"1 Youwarou", "2 Other/don't know", "8 Previous", "0 Back"}},
		{"Mopti cercles page 2 and back", "en", []string{"1", "5", "9", "8"},
			[]string{"1 Bandiagara", "2 Bankass", "3 Djenne", "4 Douentza", "5 Koro", "6 Mopti", "7 Tenenkou", "9 Next", "0 Back"}},
		{"Bamako: one cercle, no paging", "fr", []string{"1", "9", "2"},
			[]string{"1 Bamako", "2 Autre/je ne sais pas", "0 Retour"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := walk(t, e, tt.lang, tt.inputs...)
			if got := optionLabels(tr.Screen); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options = %q\nwant %q", got, tt.want)
			}
		})
	}
	// Every Mopti cercle can be chosen.
	for i, code := range []string{"ML0501", "ML0502", "ML0503", "ML0504", "ML0505", "ML0506", "ML0507", "ML0508"} {
		in := []string{"1", "5"}
		if i < 7 {
			in = append(in, string(rune('1'+i)))
		} else {
			in = append(in, "9", "1")
		}
		if tr := walk(t, e, "fr", in...); tr.State.Answers["cercle"] != code || tr.State.Node != "assistance" {
			t.Errorf("cercle %d: state %+v; want %s", i+1, tr.State, code)
		}
	}
}

func TestFreeText(t *testing.T) {
	e, _ := engine(t)
	atDetail := walk(t, e, "fr", "1", "9", "4", "1")
	if s := atDetail.Screen; !s.FreeText || !strings.Contains(s.Prompt, "noms") {
		t.Fatalf("detail screen = %+v; want free text saying names are not needed", s)
	}
	if en := walk(t, e, "en", "1", "9", "4", "1").Screen; !strings.Contains(en.Prompt, "names") {
		t.Errorf("english detail prompt %q does not say names are not needed", en.Prompt)
	}
	long := strings.Repeat("é*", 100)
	tests := []struct {
		name, input, want string
	}{
		{"star kept", "a*b*c", "a*b*c"},
		{"two characters", "ok", "ok"},
		{"trimmed", "  il * a pris  ", "il * a pris"},
		{"two digits are text", "12", "12"},
		{"capped at 160 runes", long, string([]rune(long)[:160])},
		{"control characters become spaces", "a\nb\tc", "a b c"},
		{"decomposed accents are composed", "re\u0301el", "réel"},
		{"skip", menus.KeySkip, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := e.Step(atDetail.State, tt.input)
			// Left out of the assistance: the optional contact question is next.
			if tr.State.Node != "contact" {
				t.Fatalf("node = %s (notice %q); want contact", tr.State.Node, tr.Screen.Notice)
			}
			if got, ok := tr.State.Answers["detail"]; !ok || got != tt.want {
				t.Errorf("detail = %q; want %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(tr.State.Answers["detail"]); n > 160 {
				t.Errorf("detail has %d runes", n)
			}
			if !menus.FitsUSSD(tr.Screen) {
				t.Errorf("summary does not fit USSD: %q", menus.USSDText(tr.Screen))
			}
		})
	}
}

func TestSummary(t *testing.T) {
	e, _ := engine(t)
	tests := []struct {
		name   string
		lang   string
		inputs []string
		want   []string
	}{
		{"french summary", "fr", []string{"4", "5", "4", "1", "un agent a demandé", "1"},
			[]string{"Abus sexuel d'un agent", "Douentza (Mopti)", "Argent", "un agent a demandé"}},
		{"english summary without detail", "en", []string{"9", "3", "9", "4", "7", "1"},
			[]string{"Question", "Other/don't know", "Water, shelter, other", "none"}},
		{"long detail outside GSM-7 is folded and cut for display", "fr",
			[]string{"2", "1", "1", "1", strings.Repeat("reçu ", 40), "1"}, []string{"recu recu", "..."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := walk(t, e, tt.lang, tt.inputs...)
			if tr.State.Node != "confirm" {
				t.Fatalf("node %s", tr.State.Node)
			}
			for _, w := range tt.want {
				if !strings.Contains(tr.Screen.Prompt, w) {
					t.Errorf("summary %q lacks %q", tr.Screen.Prompt, w)
				}
			}
			if !menus.FitsUSSD(tr.Screen) {
				t.Errorf("summary does not fit USSD: %q", menus.USSDText(tr.Screen))
			}
		})
	}
	// The stored detail keeps its letters.
	tr := walk(t, e, "fr", "2", "1", "1", "1", "reçu rien", "1", "1")
	if tr.Submit == nil || tr.Submit.Answers["detail"] != "reçu rien" {
		t.Errorf("submission = %+v", tr.Submit)
	}
}

func TestCancel(t *testing.T) {
	e, c := engine(t)
	tr := walk(t, e, "en", "2", "5", "2", "3")
	tr = e.Step(e.Step(tr.State, "1").State, "2") // skip detail, then cancel
	if tr.Submit != nil || tr.State.Node != "home" || len(tr.State.Answers) != 0 || tr.State.Lang != "en" {
		t.Fatalf("after cancel: %+v", tr.State)
	}
	if tr.Screen.Notice != c.Text("en", "notice.cancelled") {
		t.Errorf("notice = %q", tr.Screen.Notice)
	}
	if back := e.Step(tr.State, "0"); back.State.Node != "language" {
		t.Errorf("back after cancel went to %s", back.State.Node)
	}
}

func TestStateJSONRoundTrip(t *testing.T) {
	e, _ := engine(t)
	tr := e.Begin("")
	for _, in := range []string{"2", "1", "3", "5", "9", "1", "2", "texte *", "0", "un détail", "1"} {
		b, err := json.Marshal(tr.State)
		if err != nil {
			t.Fatal(err)
		}
		var st menus.State
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		if got := e.Screen(st); !reflect.DeepEqual(got, e.Screen(tr.State)) {
			t.Fatalf("screen differs after JSON round trip of %s", b)
		}
		tr = e.Step(st, in)
	}
	if tr.State.Node != "confirm" || tr.State.Answers["detail"] != "un détail" {
		t.Errorf("state = %+v", tr.State)
	}
}

func TestStaleState(t *testing.T) {
	e, _ := engine(t)
	tests := []struct {
		name string
		st   menus.State
		want string
	}{
		{"unknown node", menus.State{Lang: "fr", Node: "gone"}, "home"},
		{"unknown language", menus.State{Lang: "xx", Node: "region"}, "language"},
		{"page out of range is clamped", menus.State{Lang: "en", Node: "region", Page: 7, Back: []menus.Frame{{Node: "language"}, {Node: "category"}}}, "region"},
		{"cercle without a region offers other only", menus.State{Lang: "fr", Node: "cercle", Back: []menus.Frame{{Node: "language"}}}, "cercle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := e.Screen(tt.st); s.Node != tt.want {
				t.Errorf("Screen node = %s; want %s", s.Node, tt.want)
			}
			if tr := e.Step(tt.st, "x"); tr.Screen.Node != tt.want {
				t.Errorf("Step screen node = %s; want %s", tr.Screen.Node, tt.want)
			}
		})
	}
}

func TestStepDoesNotMutateInput(t *testing.T) {
	e, _ := engine(t)
	tr := walk(t, e, "fr", "1", "5")
	st := tr.State
	ans, back := maps.Clone(st.Answers), append([]menus.Frame(nil), st.Back...)
	for _, in := range []string{"1", "0", "9", "x"} {
		e.Step(st, in)
	}
	if !maps.Equal(st.Answers, ans) || !reflect.DeepEqual(st.Back, back) {
		t.Errorf("Step mutated its input state")
	}
}

func BenchmarkStep(b *testing.B) {
	e, _ := engine(b)
	st := e.Begin("fr").State
	st = e.Step(st, "1").State // at region
	for b.Loop() {
		tr := e.Step(st, "5")
		_ = e.Step(tr.State, "9")
	}
}

// TestConcurrentUse walks complaints from many goroutines on one Engine
// (run with -race).
func TestConcurrentUse(t *testing.T) {
	e, _ := engine(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			tr := e.Begin([]string{"", "fr", "en"}[g%3])
			for _, in := range []string{"2", "1", "9", "3", "1", "4", "x", "texte *", "0", "1", "1"} {
				tr = e.Step(tr.State, in)
			}
		})
	}
	wg.Wait()
}
