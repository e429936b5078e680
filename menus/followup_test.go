package menus_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// Home offers a complaint or a follow-up; 0 there goes to the languages.
func TestHome(t *testing.T) {
	e, _ := engine(t)
	home := e.Begin("fr")
	if home.State.Node != "home" || len(home.Screen.Options) != 3 {
		t.Fatalf("first screen of a known caller = %+v", home.Screen)
	}
	if tr := e.Step(home.State, "1"); tr.State.Node != "category" {
		t.Errorf("1 led to %s", tr.State.Node)
	}
	if tr := e.Step(home.State, "2"); tr.State.Node != "followup" || !tr.Screen.FreeText {
		t.Errorf("2 led to %s (free text %v)", tr.State.Node, tr.Screen.FreeText)
	}
	if tr := e.Step(home.State, "0"); tr.State.Node != "language" {
		t.Errorf("0 led to %s", tr.State.Node)
	}
}

func TestFollowUpLookup(t *testing.T) {
	e, c := engine(t)
	ask := e.Step(e.Begin("fr").State, "2")

	// A reference: the gateway is asked to look it up; until it answers,
	// the screen is the neutral one.
	tr := e.Step(ask.State, "1234 5678")
	if tr.Lookup == nil || tr.Lookup.Lang != "fr" || tr.Lookup.Answers["followup_ref"] != "1234 5678" {
		t.Fatalf("lookup = %+v", tr.Lookup)
	}
	if !tr.Screen.End || tr.Screen.Node != "followup_none" || tr.Screen.Prompt != c.Text("fr", "followup.none") || !ask.Screen.Digits {
		t.Errorf("screen before the answer = %+v", tr.Screen)
	}

	found := e.LookedUp(tr.State, menus.LookupResult{Outcome: menus.LookupFound, Reference: "12345678",
		Status: "answered", Response: "Votre nom est remis sur la liste."})
	for _, want := range []string{"1234 5678", c.Text("fr", "status.answered"), "Votre nom est remis sur la liste."} {
		if !strings.Contains(found.Screen.Prompt, want) {
			t.Errorf("answer %q lacks %q", found.Screen.Prompt, want)
		}
	}
	if !found.Screen.End {
		t.Error("the answer ends the session")
	}

	// Not this phone's case: the PIN is asked, then both go to the gateway.
	pin := e.LookedUp(tr.State, menus.LookupResult{Outcome: menus.LookupNeedPIN})
	if pin.State.Node != "followup_pin" || pin.Screen.End {
		t.Fatalf("need PIN led to %+v", pin.Screen)
	}
	withPIN := e.Step(pin.State, "4321")
	if withPIN.Lookup == nil || withPIN.Lookup.Answers["followup_ref"] != "1234 5678" || withPIN.Lookup.Answers["followup_pin"] != "4321" {
		t.Fatalf("lookup with PIN = %+v", withPIN.Lookup)
	}
	// A second "need PIN" from the PIN screen is a plain no-match.
	for _, r := range []menus.LookupResult{{Outcome: menus.LookupNoMatch}, {Outcome: menus.LookupNeedPIN}} {
		none := e.LookedUp(withPIN.State, r)
		if none.State.Node != "followup_none" || !none.Screen.End || none.Screen.Prompt != c.Text("fr", "followup.none") {
			t.Errorf("outcome %v on the PIN screen led to %s: %q", r.Outcome, none.State.Node, none.Screen.Prompt)
		}
	}

	// 1: "my only open complaint", without a reference.
	if only := e.Step(ask.State, "1"); only.Lookup == nil || only.Lookup.Answers["followup_ref"] != "" {
		t.Errorf("1 on the reference screen = %+v", only.Lookup)
	}
}

// A long response is cut to fit the screen; the status never is.
func TestFollowUpLongResponseFits(t *testing.T) {
	e, c := engine(t)
	for _, lang := range []string{"fr", "bm", "en"} {
		tr := e.Step(e.Step(e.Begin(lang).State, "2").State, "12345678")
		long := strings.Repeat("Nous avons vérifié la liste avec le comité. ", 20)
		ans := e.LookedUp(tr.State, menus.LookupResult{Outcome: menus.LookupFound, Reference: "12345678", Status: "in_progress", Response: long})
		if !menus.FitsUSSD(ans.Screen) {
			t.Errorf("%s: answer does not fit: %q", lang, menus.USSDText(ans.Screen))
		}
		status := c.Text(lang, "status.in_progress")
		if ans.Screen.GSM7 {
			continue // spelled: the words are there in GSM-7 letters
		}
		if !strings.Contains(ans.Screen.Prompt, status) || !strings.Contains(ans.Screen.Prompt, "...") {
			t.Errorf("%s: %q lacks the status or the cut mark", lang, ans.Screen.Prompt)
		}
	}
}

// The end screen gives the PIN and when to expect an answer; a retried
// confirmation, which has no PIN to give, says nothing of one.
func TestConfirmedShowsPINAndDelay(t *testing.T) {
	e, _ := engine(t)
	with := e.Confirmed(menus.State{Lang: "fr"}, menus.Receipt{Reference: "87654321", PIN: "4321", AnswerDays: 3})
	for _, want := range []string{"8765 4321", "4321.", "3 jours"} {
		if !strings.Contains(with.Screen.Prompt, want) {
			t.Errorf("end screen %q lacks %q", with.Screen.Prompt, want)
		}
	}
	without := e.Confirmed(menus.State{Lang: "fr"}, menus.Receipt{Reference: "87654321"})
	if strings.Contains(without.Screen.Prompt, "Code") || !strings.Contains(without.Screen.Prompt, "8765 4321") {
		t.Errorf("end screen without PIN = %q", without.Screen.Prompt)
	}
}
