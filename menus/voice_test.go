package menus_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

func keysOf(v menus.VoicePrompt) []string {
	var out []string
	for _, c := range v.Clips {
		out = append(out, c.Lang+"/"+c.Key)
	}
	return out
}

func TestVoiceRenderer(t *testing.T) {
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	e := menus.NewEngine(cat, nil)

	// Language first, each language offered in itself.
	tn := e.Begin("")
	v := e.Voice(tn.State, tn.Screen, "")
	if len(v.Keys) != len(cat.Languages()) {
		t.Fatalf("language keys %v, want one per language", v.Keys)
	}
	got := strings.Join(keysOf(v), " ")
	for i, lang := range cat.Languages() {
		want := lang + "/voice.for " + lang + "/language.name " + lang + "/voice.press " + lang + "/digit-" + string(rune('1'+i))
		if !strings.Contains(got, want) {
			t.Errorf("language screen lacks %q:\n%s", want, got)
		}
	}

	// Home: the promise said up front, make a complaint or follow one,
	// then the first question.
	tn = e.Step(tn.State, "2")
	if k := keysOf(e.Voice(tn.State, tn.Screen, "")); k[0] != "fr/promise.line" || k[1] != "fr/home.prompt" {
		t.Errorf("home clips = %v", k)
	}
	tn = e.Step(tn.State, "1")

	// A question: prompt, then "for <label>, press <n>" per option, at most 9.
	v = e.Voice(tn.State, tn.Screen, "")
	k := keysOf(v)
	if k[0] != "fr/category.prompt" || !slices.Equal(k[1:5], []string{"fr/voice.for", "fr/category.exclusion", "fr/voice.press", "fr/digit-1"}) {
		t.Errorf("category clips = %v", k)
	}
	if len(v.Keys) > 9 || v.Record || v.End {
		t.Errorf("category prompt: keys %v record %v end %v", v.Keys, v.Record, v.End)
	}

	// A wrong key: the notice comes first.
	bad := e.Step(tn.State, "8") // no previous page
	if !e.Invalid(bad.Screen) || keysOf(e.Voice(bad.State, bad.Screen, ""))[0] != "fr/notice.invalid" {
		t.Error("a wrong key is not announced as invalid")
	}

	// The free-text step asks for a voice message.
	st := tn.State
	for _, in := range []string{"6", "8"} { // site, region other (page 1 key 8 is next or other)
		st = e.Step(st, in).State
	}
	for range 5 {
		s := e.Screen(st)
		if s.FreeText {
			break
		}
		st = e.Step(st, "1").State
	}
	if v := e.Voice(st, e.Screen(st), ""); !v.Record || keysOf(v)[0] != "fr/voice.record" {
		t.Fatalf("free text step = %v", keysOf(v))
	}
	tn = e.Step(st, menus.VoiceMessage)
	// A caller who spoke a message is asked about the call-back (#16).
	if v := e.Voice(tn.State, tn.Screen, ""); keysOf(v)[0] != "fr/callback.prompt" {
		t.Errorf("after the message: %v; want the call-back question", keysOf(v))
	}
	tn = e.Step(tn.State, "1")
	if v := e.Voice(tn.State, tn.Screen, ""); !slices.Contains(keysOf(v), "fr/voice.recorded") {
		t.Errorf("summary does not mention the voice message: %v", keysOf(v))
	}

	// The end: reference and PIN, digit by digit, twice.
	end := e.Submitted(tn.State, "12345678")
	v = e.Voice(end.State, end.Screen, "4321")
	all := strings.Join(keysOf(v), " ")
	ref := "fr/voice.reference fr/digit-1 fr/digit-2 fr/digit-3 fr/digit-4 fr/digit-5 fr/digit-6 fr/digit-7 fr/digit-8 fr/voice.pin fr/digit-4 fr/digit-3 fr/digit-2 fr/digit-1"
	if strings.Count(all, ref) != 2 || !v.End {
		t.Errorf("end = %s", all)
	}
}

func TestScriptCoversEveryLanguage(t *testing.T) {
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, l := range cat.Script() {
		per[l.Lang]++
		if strings.Contains(l.Text, "{") {
			t.Errorf("%s: a templated text cannot be recorded: %q", l.File, l.Text)
		}
	}
	for _, lang := range cat.Languages() {
		if per[lang] != per["fr"] || per[lang] < 40 {
			t.Errorf("%s: %d lines, fr %d", lang, per[lang], per["fr"])
		}
	}
}

// A caller who leaves no voice message is asked about the call-back: the
// detail screen's skip keys (2: skip and be called back) are not read on a
// call, so skipping there must not decline it unasked.
func TestVoiceSkipAsksCallBack(t *testing.T) {
	_, c := engine(t)
	e := menus.NewEngine(c, nil).ForTheEar()
	tr := e.Begin("fr")
	for _, in := range []string{"2", "1", "2"} { // the menu, complaint, distribution
		tr = e.Step(tr.State, in)
	}
	st := e.Step(pickPlace(t, e, pickPlace(t, e, tr, "Mopti"), "Bandiagara").State, "1").State // cash
	if !e.Screen(st).FreeText {
		t.Fatalf("on %s, want the voice message step", st.Node)
	}
	tr = e.Step(st, menus.KeySkip) // silence: no message
	if tr.State.Node != "callback" {
		t.Fatalf("after no message: %s; want the call-back question", tr.State.Node)
	}
	if tr = e.Step(tr.State, "2"); tr.State.Answers["callback"] != "yes" || tr.State.Node != "confirm" {
		t.Errorf("yes: %+v", tr.State)
	}
}
