package menus_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// Home offers a complaint, a follow-up or information; 0 there goes to the languages.
func TestHome(t *testing.T) {
	e, _ := engine(t)
	home := e.Begin("fr")
	if home.State.Node != "home" || len(home.Screen.Options) != 4 {
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

// Follow-up always asks the reference and then the PIN, from every phone:
// nothing is looked up on the reference alone, and no key stands for "my
// only open complaint".
func TestFollowUpLookup(t *testing.T) {
	e, c := engine(t)
	ask := e.Step(e.Begin("fr").State, "2")
	if !ask.Screen.Digits {
		t.Fatalf("reference screen = %+v", ask.Screen)
	}
	for _, o := range ask.Screen.Options {
		if o.Key == menus.KeySkip {
			t.Errorf("the reference screen offers %q: a follow-up without a reference", o.Label)
		}
	}
	if only := e.Step(ask.State, "1"); only.Lookup != nil || only.State.Node != "followup" {
		t.Errorf("1 on the reference screen = %+v (node %s)", only.Lookup, only.State.Node)
	}

	// A reference alone: no lookup, the PIN is asked.
	pin := e.Step(ask.State, "1234 5678")
	if pin.Lookup != nil || pin.State.Node != "followup_pin" || pin.Screen.End || !pin.Screen.Digits {
		t.Fatalf("after the reference: lookup %+v, node %s", pin.Lookup, pin.State.Node)
	}
	tr := e.Step(pin.State, "4321")
	if tr.Lookup == nil || tr.Lookup.Lang != "fr" || tr.Lookup.Answers["followup_ref"] != "1234 5678" || tr.Lookup.Answers["followup_pin"] != "4321" {
		t.Fatalf("lookup = %+v", tr.Lookup)
	}
	// Until the gateway answers, the screen is the neutral one.
	if !tr.Screen.End || tr.Screen.Node != "followup_none" || tr.Screen.Prompt != c.Text("fr", "followup.none") {
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
	none := e.LookedUp(tr.State, menus.LookupResult{Outcome: menus.LookupNoMatch})
	if none.State.Node != "followup_none" || !none.Screen.End || none.Screen.Prompt != c.Text("fr", "followup.none") {
		t.Errorf("no match led to %s: %q", none.State.Node, none.Screen.Prompt)
	}
}

// A long response is paged on USSD, never cut: the first screen starts
// with the reference and status, 9 turns to the next screen, every screen
// fits, the pages hold every word, 0 goes back to the start. A session
// paging an answer is never kept for resume (it holds the answer).
func TestFollowUpLongResponsePaged(t *testing.T) {
	e, c := engine(t)
	for _, lang := range []string{"fr", "bm", "en"} {
		tr := e.Step(e.Step(e.Step(e.Begin(lang).State, "2").State, "12345678").State, "4321")
		long := strings.Repeat("Nous avons vérifié la liste avec le comité. ", 20) + "Fin."
		ans := e.LookedUp(tr.State, menus.LookupResult{Outcome: menus.LookupFound, Reference: "12345678", Status: "in_progress", Response: long})
		if ans.Screen.End || ans.State.Node != "followup_more" {
			t.Fatalf("%s: a long answer ends on %s (end %v), want its pages", lang, ans.State.Node, ans.Screen.End)
		}
		if _, keep := e.Resumable(ans.State); keep {
			t.Errorf("%s: a paged answer would be kept for resume", lang)
		}
		first := ans.Screen.Prompt
		var all strings.Builder
		pages := 0
		for cur := ans; ; pages++ {
			if !menus.FitsUSSD(cur.Screen) {
				t.Errorf("%s: page %d does not fit: %q", lang, pages+1, menus.USSDText(cur.Screen))
			}
			all.WriteString(cur.Screen.Prompt + " ")
			if !hasKey(cur.Screen, menus.KeyNext) {
				break
			}
			cur = e.Step(cur.State, menus.KeyNext)
			if pages > 30 {
				t.Fatalf("%s: no last page", lang)
			}
		}
		if pages < 3 {
			t.Errorf("%s: %d pages for %d characters", lang, pages+1, len(long))
		}
		if back := e.Step(ans.State, menus.KeyBack); back.State.Node != e.Begin(lang).State.Node {
			t.Errorf("%s: 0 on an answer's page led to %s", lang, back.State.Node)
		}
		if ans.Screen.GSM7 {
			continue // spelled: the words are there in GSM-7 letters
		}
		status := c.Text(lang, "status.in_progress")
		if !strings.Contains(first, "1234 5678") || !strings.Contains(first, status) {
			t.Errorf("%s: first page %q lacks the reference or the status", lang, first)
		}
		if n := strings.Count(all.String(), "comité"); n != 20 || !strings.Contains(all.String(), "Fin.") || strings.Contains(all.String(), "...") {
			t.Errorf("%s: the pages hold %d of 20 sentences (or a cut): %q", lang, n, all.String())
		}
	}
	// By voice nothing is paged: the answer is heard whole.
	ear := menus.NewEngine(c, nil).ForTheEar()
	tr := e.Step(e.Step(e.Step(e.Begin("fr").State, "2").State, "12345678").State, "4321") // the same tree's nodes
	if ans := ear.LookedUp(tr.State, menus.LookupResult{Outcome: menus.LookupFound, Reference: "12345678", Status: "in_progress",
		Response: strings.Repeat("Nous avons vérifié. ", 30)}); !ans.Screen.End {
		t.Errorf("a call's long answer = %s, want the end screen heard whole", ans.State.Node)
	}
}

func hasKey(s menus.Screen, key string) bool {
	for _, o := range s.Options {
		if o.Key == key {
			return true
		}
	}
	return false
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
	for _, in := range []string{"2", "1", "1"} { // 2: the menu, not the short voice path
		tr = ear.Step(tr.State, in)
	}
	tr = pickPlace(t, ear, pickPlace(t, ear, tr, "Mopti"), "Bandiagara")
	tr = ear.Step(ear.Step(tr.State, "1").State, menus.KeySkip) // cash, no message
	// (No message left: the call-back question, then the confirmation.)
	if tr.State.Node != "callback" {
		t.Errorf("voice engine reached %s; want the call-back question, not the contact", tr.State.Node)
	}
}

// Right after the language, every caller is told in their language: the
// call is free, the number is not kept, an independent team reads it, not
// the chiefs. It is part of the screen, so it must fit, and voice says it.
func TestPromiseUpFront(t *testing.T) {
	e, c := engine(t)
	voice := e.ForTheEar()
	for _, lang := range c.Languages() {
		promise := c.Text(lang, "promise.line")
		if promise == "" {
			t.Fatalf("%s: no promise line", lang)
		}
		home := e.Begin(lang)
		if !strings.HasPrefix(home.Screen.Prompt, promise) && !home.Screen.GSM7 {
			t.Errorf("%s: first screen after the language lacks the promise: %q", lang, home.Screen.Prompt)
		}
		if !menus.FitsUSSD(home.Screen) {
			t.Errorf("%s: first screen does not fit: %q", lang, menus.USSDText(home.Screen))
		}
		vt := voice.Begin(lang)
		said := false
		for _, cl := range voice.Voice(vt.State, vt.Screen, "").Clips {
			said = said || cl.Key == "promise.line"
		}
		if !said {
			t.Errorf("%s: voice does not say the promise", lang)
		}
	}
}

// The answer form's counter: the room a follow-up screen leaves for the
// response is what makes it fit one screen, no more.
func TestAnswerRoom(t *testing.T) {
	e, c := engine(t)
	room := c.AnswerRoom("fr")
	if room.GSM7 < 60 || room.GSM7 > 170 || room.UCS2 < 0 {
		t.Fatalf("room = %+v", room)
	}
	tr := e.Step(e.Step(e.Step(e.Begin("fr").State, "2").State, "12345678").State, "4321")
	for _, status := range []string{"received", "in_progress", "answered", "closed"} {
		fits := e.LookedUp(tr.State, menus.LookupResult{Outcome: menus.LookupFound, Reference: "12345678", Status: status, Response: strings.Repeat("a", room.GSM7)})
		if !fits.Screen.End {
			t.Errorf("%s: a response of %d letters is paged", status, room.GSM7)
		}
	}
	over := e.LookedUp(tr.State, menus.LookupResult{Outcome: menus.LookupFound, Reference: "12345678", Status: "received",
		Response: strings.Repeat("a", room.GSM7+40)})
	if over.Screen.End {
		t.Errorf("a response 40 letters over the room fits one screen")
	}
}
