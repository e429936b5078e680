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

// Only a caller left out of the assistance is offered to leave a name and
// village, said plainly optional; a voice engine never asks (typed text).
func TestContactOptIn(t *testing.T) {
	e, _ := engine(t)
	// fr, exclusion, unknown region, cash, skip the detail.
	offer := walk(t, e, "fr", "1", "9", "4", "1", "1")
	if offer.State.Node != "contact" || !strings.Contains(offer.Screen.Prompt, "Facultatif") || !strings.Contains(offer.Screen.Prompt, "indépendante") {
		t.Fatalf("contact offer = %+v", offer.Screen)
	}
	if no := e.Step(offer.State, "1"); no.State.Node != "confirm" {
		t.Errorf("no led to %s", no.State.Node)
	}
	tr := e.Step(offer.State, "2")
	tr = e.Step(tr.State, "Awa Traoré")
	tr = e.Step(tr.State, "Tinkaré")
	tr = e.Step(tr.State, "1")
	if tr.Submit == nil || tr.Submit.Answers["contact_name"] != "Awa Traoré" || tr.Submit.Answers["contact_village"] != "Tinkaré" {
		t.Fatalf("submission = %+v", tr.Submit)
	}
	// Back from the confirmation returns to the village, then the name.
	if back := e.Step(e.Step(e.Step(offer.State, "2").State, "Awa").State, "0"); back.State.Node != "contact_name" {
		t.Errorf("back from village led to %s", back.State.Node)
	}

	// Any other category goes straight to the confirmation.
	if other := walk(t, e, "fr", "3", "9", "4", "1", "1"); other.State.Node != "confirm" {
		t.Errorf("fraud complaint reached %s; only exclusion is offered contact", other.State.Node)
	}
	// On the phone, a name cannot be typed: never asked.
	ear := e.ForTheEar()
	tr = ear.Begin("fr")
	for _, in := range []string{"1", "1", "9", "4", "1", "1"} {
		tr = ear.Step(tr.State, in)
	}
	if tr.State.Node != "confirm" {
		t.Errorf("voice engine reached %s; want confirm", tr.State.Node)
	}
}
