package menus_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// withDemoCercles is the demo deployment's catalogue as `hotline serve`
// builds it: its localities, and its cercles (Ansongo, Goundam,
// Ténenkou) read first on a call.
func withDemoCercles(t *testing.T) *menus.Catalog {
	t.Helper()
	c, err := withDemoLocalities(t).WithVoiceCercles([]string{"ML0701", "ML0602", "ML0507"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// spoken is every word a voice prompt says (recordings count by their text).
func spoken(vp menus.VoicePrompt) int {
	n := 0
	for _, c := range vp.Clips {
		n += len(strings.Fields(c.Text))
	}
	return n
}

// A call's place question offers the deployment's cercles first, by name,
// one key for region and cercle; "9" pages on to the regions; no place
// page says more than MaxVoiceWords in any language, and a screen session
// keeps region then cercle.
func TestVoicePlacesShort(t *testing.T) {
	c := withDemoCercles(t)
	ear := menus.NewEngine(c, nil).ForTheEar()
	for _, lang := range c.Languages() {
		// the menu, complaint, not on the list: the place question.
		tr := walk(t, ear, lang, "1")
		if tr.State.Node != "region" {
			t.Fatalf("%s: on %s, want the place question", lang, tr.State.Node)
		}
		first := ear.Voice(tr.State, tr.Screen, "")
		if first.Clips[0].Key != menus.VoicePlace || first.Clips[1].Text != "Ansongo" {
			t.Errorf("%s: the place question begins %q %q; want where?, then Ansongo", lang, first.Clips[0].Key, first.Clips[1].Text)
		}
		pages := 0
		for st := tr; ; pages++ {
			vp := ear.Voice(st.State, st.Screen, "")
			if n := spoken(vp); n > menus.MaxVoiceWords {
				t.Errorf("%s: region page %d says %d words: %v", lang, pages+1, n, vp.Clips)
			}
			next := ear.Step(st.State, menus.KeyNext)
			if next.State.Page == st.State.Page || pages > 20 {
				break
			}
			st = next
		}
		if pages < 3 {
			t.Errorf("%s: the place list has %d pages; want the cercles, then the regions paged", lang, pages+1)
		}
		// 1: Ansongo, in Gao; then its communes (where the demo lists some).
		an := ear.Step(tr.State, "1")
		if an.State.Answers["region"] != "ML07" || an.State.Answers["cercle"] != "ML0701" || an.State.Node != "locality" {
			t.Errorf("%s: 1 answered %v and led to %s; want Gao, Ansongo, then the commune", lang, an.State.Answers, an.State.Node)
		}
		if n := spoken(ear.Voice(an.State, an.Screen, "")); n > menus.MaxVoiceWords {
			t.Errorf("%s: Ansongo's communes say %d words", lang, n)
		}
		if back := ear.Step(an.State, menus.KeyBack); back.State.Node != "region" || back.State.Answers["cercle"] != "" {
			t.Errorf("%s: back from the commune: %s %v", lang, back.State.Node, back.State.Answers)
		}
		checkMoptiByVoice(t, ear, lang, tr)
	}
	// USSD is unchanged: the regions, then the cercles.
	e := menus.NewEngine(c, menus.FitsUSSD)
	if tr := walk(t, e, "fr", "1"); tr.State.Node != "region" || !strings.Contains(menus.USSDText(tr.Screen), "Kayes") {
		t.Errorf("USSD place question: %s %q", tr.State.Node, menus.USSDText(tr.Screen))
	}
	if _, err := c.WithVoiceCercles([]string{"ML07"}); err == nil {
		t.Error("a region accepted as a voice cercle")
	}
	if probs := c.CheckVoiceWords(); len(probs) > 0 {
		t.Errorf("the demo's voice place lists: %v", probs)
	}
}

// checkMoptiByVoice pages from the place question tr to Mopti, a region
// past the deployment's cercles, and checks its cercles are read short.
func checkMoptiByVoice(t *testing.T, ear *menus.Engine, lang string, tr menus.Turn) {
	t.Helper()
	// A region on a later page asks its cercles, each page short too.
	mopti := tr
find:
	for range 10 {
		for _, o := range mopti.Screen.Options {
			if o.Label == "Mopti" {
				mopti = ear.Step(mopti.State, o.Key)
				break find
			}
		}
		mopti = ear.Step(mopti.State, menus.KeyNext)
	}
	if mopti.State.Answers["region"] != "ML05" || mopti.State.Node != "cercle" {
		t.Fatalf("%s: Mopti not found paging on (%s %v)", lang, mopti.State.Node, mopti.State.Answers)
	}
	if n := spoken(ear.Voice(mopti.State, mopti.Screen, "")); n > menus.MaxVoiceWords {
		t.Errorf("%s: Mopti's cercles say %d words", lang, n)
	}
}
