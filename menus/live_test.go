package menus_test

import (
	"maps"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// withLive is what the gateway does before each step of a call while an
// officer of the caller's language is on duty.
func withLive(st menus.State) menus.State {
	st.Answers = maps.Clone(st.Answers)
	if st.Answers == nil {
		st.Answers = map[string]string{}
	}
	st.Answers[menus.LiveField] = menus.LiveOn
	return st
}

// "Talk to a person" is offered on a call only while the gateway says
// someone is on duty, last so that no other key moves; its topic question
// sends sexual abuse to PSEA only (category sea) and hands the call to
// the gateway, whose fallback is a voice message then the call-back
// question.
func TestLiveOperatorOption(t *testing.T) {
	_, c := engine(t)
	ear := menus.NewEngine(c, nil).ForTheEar()
	offer := ear.Begin("fr").State // the short path's offer; 2 is the menu

	closed := ear.Step(offer, "2")
	if closed.State.Node != "home" || len(closed.Screen.Options) != 4 { // 3 items and back
		t.Fatalf("nobody on duty: %s with %d options, want home", closed.State.Node, len(closed.Screen.Options))
	}
	if got := ear.Step(closed.State, "4"); !ear.Invalid(got.Screen) || got.Live != nil {
		t.Errorf("4 with nobody on duty: not the menu again")
	}

	open := ear.Step(withLive(offer), "2")
	if open.State.Node != "home_live" || open.Screen.Options[3].Label != c.Text("fr", "home.live") {
		t.Fatalf("on duty: %s %+v, want talk to a person as 4", open.State.Node, open.Screen.Options)
	}
	for i, key := range []string{"1", "2", "3"} { // the other keys lead where home's do
		if a, b := ear.Step(open.State, key).State.Node, ear.Step(closed.State, key).State.Node; a != b {
			t.Errorf("key %d: %s with someone on duty, %s without", i+1, a, b)
		}
	}
	topic := ear.Step(withLive(open.State), "4")
	if topic.Live != nil || topic.State.Node != "live_topic" {
		t.Fatalf("4: %s", topic.State.Node)
	}
	for key, category := range map[string]string{"1": "uncoded", "2": "sea"} {
		got := ear.Step(withLive(topic.State), key)
		if got.Live == nil || got.Live.Answers["category"] != category || got.Live.Lang != "fr" {
			t.Fatalf("topic %s: live %+v, want category %s", key, got.Live, category)
		}
		if vp := ear.Voice(got.State, got.Screen, ""); !vp.Record {
			t.Errorf("topic %s: fallback is not a voice message", key)
		}
		msg := ear.Step(got.State, menus.VoiceMessage)
		sent := ear.Step(msg.State, "2")
		if sent.Submit == nil || sent.Submit.Answers["callback"] != "yes" || sent.Submit.Answers["category"] != category {
			t.Errorf("topic %s: fallback submission %+v", key, sent.Submit)
		}
	}

	// USSD never offers it, even if the answer were set.
	screen, _ := engine(t)
	if n := screen.Step(withLive(screen.Begin("").State), "2").State.Node; n != "home" {
		t.Errorf("USSD after the language: %s", n)
	}
}
