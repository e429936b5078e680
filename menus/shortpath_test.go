package menus_test

import (
	"slices"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// The short voice path: right after the language and the promise, 1 takes
// a voice message and, after the call-back question, sends an uncoded
// complaint; every word the caller hears on the way is one of
// menus.ShortVoicePath, and every one of those is heard. USSD never sees it.
func TestShortVoicePath(t *testing.T) {
	_, c := engine(t)
	ear := menus.NewEngine(c, nil).ForTheEar()
	for _, lang := range c.Languages() {
		checkShortList(t, lang, walkShortPath(t, ear, lang))
	}
	// A screen session never meets it: the language leads home, and a
	// known language starts there.
	e, _ := engine(t)
	if st := e.Begin("fr").State.Node; st != "home" {
		t.Errorf("USSD with a known language starts on %s", st)
	}
	if st := e.Step(e.Begin("").State, "2").State.Node; st != "home" {
		t.Errorf("USSD after the language: %s", st)
	}
	// On a call, any other key is the menu.
	if st := ear.Step(ear.Begin("fr").State, "7").State.Node; st != "home" {
		t.Errorf("voice: 7 on the offer led to %s, want the menu", st)
	}
}

// walkShortPath takes the short voice path in lang on ear and checks
// each step, reporting every recording heard.
func walkShortPath(t *testing.T, ear *menus.Engine, lang string) map[string]bool {
	t.Helper()
	heard := map[string]bool{}
	hear := func(st menus.State, s menus.Screen, pin string) menus.VoicePrompt {
		vp := ear.Voice(st, s, pin)
		for _, cl := range vp.Clips {
			if cl.Key == "" {
				t.Errorf("%s %s: a clip with no recording: %q", lang, st.Node, cl.Text)
			}
			heard[cl.Key] = true
		}
		return vp
	}
	begin := ear.Begin("")
	hear(begin.State, begin.Screen, "")
	tr := begin
	for _, o := range begin.Screen.Options {
		if next := ear.Step(begin.State, o.Key); next.State.Lang == lang {
			tr = next
		}
	}
	if tr.State.Node != "voice_short" {
		t.Fatalf("%s: after the language on %s, want the short voice path's offer", lang, tr.State.Node)
	}
	vp := hear(tr.State, tr.Screen, "")
	if vp.Clips[0].Key != "promise.line" || !slices.Equal(vp.Keys, []string{"1", "2", "0"}) {
		t.Errorf("%s offer: clips %v keys %v; want the promise first, then 1, 2 and 0", lang, vp.Clips[0].Key, vp.Keys)
	}
	hear(tr.State, ear.Step(tr.State, "").Screen, "") // silence: asked again, with the notice
	rec := ear.Step(tr.State, "1")
	if vp := hear(rec.State, rec.Screen, ""); !vp.Record {
		t.Fatalf("%s: 1 led to %s, want the voice message", lang, rec.State.Node)
	}
	if again := ear.Step(rec.State, menus.KeySkip); again.State.Node != rec.State.Node || !ear.Invalid(again.Screen) {
		t.Errorf("%s: silence instead of a message went to %s; want the message asked again", lang, again.State.Node)
	}
	cb := ear.Step(rec.State, menus.VoiceMessage)
	if vp := hear(cb.State, cb.Screen, ""); len(vp.Keys) < 2 || vp.Clips[0].Key != "callback.prompt" {
		t.Fatalf("%s: after the message on %s (%v), want the call-back question", lang, cb.State.Node, vp.Keys)
	}
	sent := ear.Step(cb.State, "2")
	if sent.Submit == nil {
		t.Fatalf("%s: the call-back answer sent nothing (on %s)", lang, sent.State.Node)
	}
	a := sent.Submit.Answers
	if a["category"] != "uncoded" || a["callback"] != "yes" || a["region"] != "" || a["assistance"] != "" || !slices.Contains(mapValues(a), menus.VoiceMessage) {
		t.Errorf("%s: submitted %v; want an uncoded case with the voice message and the call-back", lang, a)
	}
	end := ear.Confirmed(sent.State, menus.Receipt{Reference: "12345678", PIN: "9054", AnswerDays: 14})
	vp = hear(end.State, end.Screen, "9054")
	if !vp.End || vp.Clips[len(vp.Clips)-1].Key != menus.VoiceThanks {
		t.Errorf("%s: end %+v", lang, vp)
	}
	heard[menus.VoiceGoodbye] = true // the gateway's, after two misses (e2e)
	return heard
}

// checkShortList checks that heard and menus.ShortVoicePath are the same set.
func checkShortList(t *testing.T, lang string, heard map[string]bool) {
	t.Helper()
	for k := range heard {
		if !slices.Contains(menus.ShortVoicePath, k) {
			t.Errorf("%s: the short path plays %q, not in menus.ShortVoicePath", lang, k)
		}
	}
	for _, k := range menus.ShortVoicePath {
		if !heard[k] {
			t.Errorf("%s: menus.ShortVoicePath lists %q, never heard on it", lang, k)
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
