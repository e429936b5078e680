package menus_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// toInfo walks home → Information → Mopti → Ténenkou → topic key on e.
func toInfo(t *testing.T, e *menus.Engine, lang, topicKey string) menus.Turn {
	t.Helper()
	tr := e.Begin(lang)
	for _, in := range []string{"3", "5", "7", topicKey} {
		tr = e.Step(tr.State, in)
		if tr.Screen.Notice != "" {
			t.Fatalf("%s: %q on %s: notice %q", lang, in, tr.State.Node, tr.Screen.Notice)
		}
	}
	return tr
}

// The information line asks the place once, then a topic, and hands both
// to the gateway; a long page is paged to fit USSD, pages turn with 9 and
// 8, and 0 goes back to the topics.
func TestInfoPagePagedOnUSSD(t *testing.T) {
	e, _ := engine(t)
	tr := toInfo(t, e, "fr", "3")
	if tr.Info == nil {
		t.Fatalf("topic chosen, no info request; screen %+v", tr.Screen)
	}
	if a := tr.Info.Answers; a["info_region"] != "ML05" || a["info_cercle"] != "ML0507" || a["info_topic"] != "dates" || tr.Info.Lang != "fr" {
		t.Fatalf("info request = %+v", tr.Info)
	}
	if !tr.Screen.End || tr.Screen.Node != "info_none" {
		t.Errorf("screen before InfoShown = %s (end %v); want the neutral info_none", tr.Screen.Node, tr.Screen.End)
	}
	text := strings.Repeat("Distribution le 12 mars à Ténenkou pour les ménages inscrits. ", 8) + "FIN"
	shown := e.InfoShown(tr.State, text)
	var seen []string
	cur := shown
	for range 20 {
		if !menus.FitsUSSD(cur.Screen) {
			t.Fatalf("page %d does not fit USSD: %q", len(seen)+1, menus.USSDText(cur.Screen))
		}
		seen = append(seen, cur.Screen.Prompt)
		next := e.Step(cur.State, menus.KeyNext)
		if next.Screen.Notice != "" { // no next page: "invalid" and the same screen
			break
		}
		cur = next
	}
	if len(seen) < 2 {
		t.Fatalf("a %d-character page fit one screen: %q", len(text), seen)
	}
	all := strings.Join(seen, " ")
	if !strings.Contains(all, "FIN") || !strings.Contains(seen[0], "Info 1/") {
		t.Errorf("pages do not hold the whole text with a page header: %q", seen)
	}
	if prev := e.Step(cur.State, menus.KeyPrev); prev.Screen.Prompt != seen[len(seen)-2] {
		t.Errorf("8 on the last page showed %q", prev.Screen.Prompt)
	}
	back := e.Step(shown.State, menus.KeyBack)
	if back.State.Node != "info_topic" || back.State.Text != "" || back.State.Answers["info_topic"] != "" {
		t.Errorf("0 on a page led to %s with text %q", back.State.Node, back.State.Text)
	}
	if again := e.Step(back.State, "1"); again.Info == nil || again.Info.Answers["info_cercle"] != "ML0507" {
		t.Errorf("another topic after 0 does not keep the cercle: %+v", again.Info)
	}
}

// Nothing approved for the place: the neutral end screen.
func TestInfoNothingToShow(t *testing.T) {
	e, _ := engine(t)
	tr := e.InfoShown(toInfo(t, e, "bm", "1").State, "  ")
	if !tr.Screen.End || tr.Screen.Node != "info_none" || tr.Screen.Lang != "bm" {
		t.Errorf("empty page gave %+v", tr.Screen)
	}
}

// A call hears the whole page at once, read by text-to-speech in the
// caller's language (staff's text has no recording), then "back".
func TestInfoPageOnVoice(t *testing.T) {
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	e := menus.NewEngine(c, nil)
	text := strings.Repeat("Les ménages inscrits reçoivent 25 kg de riz. ", 10)
	tr := e.InfoShown(toInfo(t, e, "en", "2").State, text)
	v := e.Voice(tr.State, tr.Screen, "")
	var said []string
	for _, cl := range v.Clips {
		said = append(said, cl.Text)
	}
	if !strings.Contains(strings.Join(said, " "), strings.TrimSpace(text)) {
		t.Errorf("call did not read the whole page: %q", said)
	}
	if len(v.Keys) != 1 || v.Keys[0] != menus.KeyBack || v.End {
		t.Errorf("voice keys = %v (end %v); want only back", v.Keys, v.End)
	}
}

// A call plays a page's recording instead of its text, each page in its
// own language (a French page for a Bambara caller is recorded in
// French), and reads a page without one; USSD shows every page's text.
// An unrecorded page keeps nothing for the call beyond its text.
func TestInfoPageRecordingOnVoice(t *testing.T) {
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	e := menus.NewEngine(c, nil)
	parts := []menus.PagePart{{Lang: "fr", Text: "Distribution le 12 mars.", Audio: "info-0123456789abcdef"}, {Lang: "fr", Text: "Apportez votre carte."}}
	tr := e.InfoHeard(toInfo(t, e, "bm", "3").State, parts)
	if !strings.Contains(tr.State.Text, "12 mars") || !strings.Contains(tr.State.Text, "carte") {
		t.Errorf("the screen's text: %q", tr.State.Text)
	}
	v := e.Voice(tr.State, tr.Screen, "")
	var recorded, read bool
	for _, cl := range v.Clips {
		recorded = recorded || (cl.Key == "info-0123456789abcdef" && cl.Lang == "fr" && cl.Say == parts[0].Text)
		read = read || (cl.Key == "" && cl.Say == parts[1].Text)
	}
	if !recorded || !read {
		t.Errorf("clips %+v: want the first page's recording (French, its text as fallback) and the second read", v.Clips)
	}
	plain := e.InfoHeard(toInfo(t, e, "fr", "3").State, []menus.PagePart{{Lang: "fr", Text: "Sans enregistrement."}})
	if plain.State.Heard != nil || plain.State.Text != "Sans enregistrement." {
		t.Errorf("an unrecorded page: %+v", plain.State)
	}
	back := e.Step(tr.State, menus.KeyBack)
	if back.State.Heard != nil || back.State.Text != "" {
		t.Errorf("back to the topics keeps the page: %+v", back.State)
	}
}

// An information session holds no complaint: nothing is offered for
// resume after it drops.
func TestInfoSessionNotResumable(t *testing.T) {
	e, _ := engine(t)
	tr := toInfo(t, e, "fr", "1")
	if _, ok := e.Resumable(tr.State); ok {
		t.Error("an information session was offered for resume")
	}
}

// An instant answer to a question: below the end screen on USSD only
// when both fit (the reference and PIN always first), always heard in a
// call after the reference and PIN.
func TestAnsweredEndScreen(t *testing.T) {
	e, c := engine(t)
	end := e.Confirmed(menus.State{Lang: "en", Node: "end"}, menus.Receipt{Reference: "12345678", PIN: "1234", AnswerDays: 30})
	short := e.Answered(end, "Next distribution: 12 March.")
	if !strings.Contains(short.Screen.Prompt, "1234 5678") || !strings.Contains(short.Screen.Prompt, "12 March") || !menus.FitsUSSD(short.Screen) {
		t.Errorf("short answer on USSD: %q", short.Screen.Prompt)
	}
	long := e.Answered(end, strings.Repeat("A long answer that cannot fit. ", 10))
	if long.Screen.Prompt != end.Screen.Prompt {
		t.Errorf("a long answer changed the USSD end screen: %q", long.Screen.Prompt)
	}
	voice := menus.NewEngine(c, nil)
	vend := voice.Confirmed(menus.State{Lang: "en", Node: "end"}, menus.Receipt{Reference: "12345678", PIN: "1234"})
	va := voice.Answered(vend, strings.Repeat("A long answer read in full. ", 10))
	v := voice.Voice(va.State, va.Screen, "1234")
	var said string
	for _, cl := range v.Clips {
		said += cl.Text + " | "
	}
	if !strings.Contains(said, "A long answer read in full.") || strings.Index(said, "A long answer") < strings.LastIndex(said, "Your secret code is") {
		t.Errorf("the call does not read the answer after the PIN: %s", said)
	}
	if got := e.Answered(e.Begin("en"), "x"); got.State.Text != "" {
		t.Error("Answered changed a screen that is not the end of a submission")
	}
}
