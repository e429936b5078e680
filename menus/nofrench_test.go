package menus_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/numerovert/hotline/menus"
)

// frenchTexts are the pieces of the fr catalogue a screen could show, each
// string cut at its placeholders ("Plainte {reference}: {status}" gives
// "Plainte"), except the strings of keys the language awaits (`awaiting:`:
// knowingly left to French), which it returns apart.
func frenchTexts(t *testing.T, awaiting []string) (french, allowed []string) {
	t.Helper()
	b, err := os.ReadFile("../locales/fr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var fr struct {
		Strings map[string]struct{ Text string } `yaml:"strings"`
	}
	if err := yaml.Unmarshal(b, &fr); err != nil {
		t.Fatal(err)
	}
	for key, s := range fr.Strings {
		if slices.Contains(awaiting, key) {
			allowed = append(allowed, s.Text)
			continue
		}
		for _, piece := range regexp.MustCompile(`\{[^{}]*\}`).Split(s.Text, -1) {
			if piece = strings.Trim(piece, " .:\n"); len([]rune(piece)) >= 2 {
				french = append(french, piece)
			}
		}
	}
	return french, allowed
}

var wordRE = map[string]*regexp.Regexp{} // frenchIn's, by word; the tests using it are not parallel

// frenchIn returns the French pieces found in one text a caller sees: a
// long piece anywhere in it, a short one ("Oui", "six", "Plainte") as a
// whole word, since it may be part of a word of another language.
// The allowed (awaited) texts are taken out first.
func frenchIn(text string, french, allowed []string) []string {
	for _, a := range allowed {
		text = strings.ReplaceAll(text, a, "")
	}
	var found []string
	for _, f := range french {
		if len([]rune(f)) >= 8 && strings.Contains(text, f) {
			found = append(found, f)
			continue
		}
		re, ok := wordRE[f]
		if !ok {
			re = regexp.MustCompile(`(^|[^\pL'-])` + regexp.QuoteMeta(f) + `($|[^\pL'-])`)
			wordRE[f] = re
		}
		if re.MatchString(text) {
			found = append(found, f)
		}
	}
	return found
}

// session walks one caller of lang through the whole hotline after the
// language screen: every screen of a complaint of exclusion (the longest
// path: contact asked), with a wrong key once, the end screen with a PIN,
// then a follow-up answered with every status, and one that finds nothing.
// It calls see with each screen, the PIN to read on it, and the state.
func session(t *testing.T, e *menus.Engine, lang string, see func(menus.State, menus.Screen, string)) {
	t.Helper()
	show := func(tr menus.Turn) menus.Turn {
		see(tr.State, tr.Screen, tr.State.PIN)
		return tr
	}
	var key string
	for i, l := range e.Begin("").Screen.Options {
		if e.Step(e.Begin("").State, l.Key).State.Lang == lang {
			key = e.Begin("").Screen.Options[i].Key
		}
	}
	if key == "" {
		t.Fatalf("no key for %s on the language screen", lang)
	}
	home := show(e.Step(e.Begin("").State, key))
	if home.State.Node == "voice_short" { // a call: the short voice path first
		short := show(e.Step(home.State, "1"))
		short = show(e.Step(short.State, menus.VoiceMessage))
		if sent := e.Step(short.State, "1"); sent.Submit != nil {
			show(e.Confirmed(sent.State, menus.Receipt{Reference: "12345678", PIN: "4321", AnswerDays: 14}))
		} else {
			t.Fatalf("%s: the short voice path sent nothing from %s", lang, short.State.Node)
		}
		home = show(e.Step(home.State, "2"))
	}
	show(e.Step(home.State, "7")) // a wrong key: the notice
	tr := show(e.Step(home.State, "1"))
	for steps := 0; !tr.Screen.End; steps++ {
		if steps > 20 {
			t.Fatalf("%s: no end after 20 steps, at %s", lang, tr.State.Node)
		}
		in := "1"
		switch {
		case tr.Screen.FreeText && tr.State.Node == "detail":
			in = menus.VoiceMessage // what a voice caller's detail is; typed text is the caller's own words
		case tr.Screen.FreeText:
			in = "Awa Traoré" // typed by the caller: a name or a village
		case tr.State.Node == "contact":
			in = "2" // yes: the name and the village are asked too
		}
		next := e.Step(tr.State, in)
		if next.Submit != nil {
			next = e.Confirmed(next.State, menus.Receipt{Reference: "12345678", PIN: "4321", AnswerDays: 14})
		}
		tr = show(next)
	}
	if tr.State.Reference != "12345678" {
		t.Fatalf("%s: the complaint ended at %s without a reference", lang, tr.State.Node)
	}

	ask := show(e.Step(atHome(e, lang).State, "2"))
	pin := show(e.Step(ask.State, "12345678"))
	looked := e.Step(pin.State, "4321")
	if looked.Lookup == nil {
		t.Fatalf("%s: no lookup after the PIN", lang)
	}
	for _, status := range []string{"received", "in_progress", "answered", "closed"} {
		show(e.LookedUp(looked.State, menus.LookupResult{Outcome: menus.LookupFound, Reference: "12345678", Status: status}))
	}
	show(e.LookedUp(looked.State, menus.LookupResult{Outcome: menus.LookupNoMatch}))

	// The information line (issue 15): Mopti, Ténenkou, the topics, a page
	// (staff's text: digits here), nothing approved, the SMS news choice.
	info := show(e.Step(atHome(e, lang).State, "3"))
	for _, place := range []string{"Mopti", "Tenenkou"} {
		info = show(pickPlace(t, e, info, place))
	}
	asked := e.Step(info.State, "1")
	if asked.Info == nil {
		t.Fatalf("%s: no information request from the topics", lang)
	}
	show(e.InfoShown(asked.State, "12/03 - 8:00"))
	show(e.InfoShown(asked.State, ""))
	for _, o := range info.Screen.Options {
		if o.Key == menus.KeyNext { // the topics' second page, with "SMS news"
			info = show(e.Step(info.State, menus.KeyNext))
		}
	}
}

// TestNoFrenchInAnySession: a Bambara, Fulfulde, Songhay or Tamasheq caller
// sees and hears no French string anywhere in a complaint or a follow-up,
// on USSD and on a call (the words the voice prompts say), except strings
// the language lists under `awaiting:`.
func TestNoFrenchInAnySession(t *testing.T) {
	e, c := engine(t)
	ear := menus.NewEngine(c, nil).ForTheEar()
	_, cov := menus.Report(os.DirFS("../locales"))
	for _, lang := range []string{"bm", "ff", "ses", "taq"} {
		var awaiting []string
		for _, cv := range cov {
			if cv.Lang == lang {
				awaiting = cv.Awaiting
			}
		}
		french, allowed := frenchTexts(t, awaiting)
		t.Run(lang+"/ussd", func(t *testing.T) {
			screens := 0
			session(t, e, lang, func(st menus.State, s menus.Screen, _ string) {
				screens++
				if s.Lang != lang {
					t.Errorf("%s: screen in %q", st.Node, s.Lang)
				}
				// Each option label on its own line, without its key.
				parts := []string{s.Notice, s.Prompt}
				for _, o := range s.Options {
					parts = append(parts, o.Label)
				}
				if f := frenchIn(strings.Join(parts, "\n"), french, allowed); len(f) > 0 {
					t.Errorf("%s shows French %q:\n%s", st.Node, f, menus.USSDText(s))
				}
			})
			if screens < 15 {
				t.Errorf("only %d screens walked", screens)
			}
		})
		t.Run(lang+"/voice", func(t *testing.T) {
			clips := 0
			session(t, ear, lang, func(st menus.State, s menus.Screen, pin string) {
				for _, cl := range ear.Voice(st, s, pin).Clips {
					clips++
					if cl.Lang != lang && cl.Key != "" {
						t.Errorf("%s: clip %s/%s", st.Node, cl.Lang, cl.Key)
					}
					if f := frenchIn(cl.Text, french, allowed); len(f) > 0 {
						t.Errorf("%s says French %q (clip %s)", st.Node, f, cl.Key)
					}
				}
			})
			if clips < 100 {
				t.Errorf("only %d clips spoken", clips)
			}
		})
	}
}
