package menus_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// An instant answer whose page staff recorded is played in a call (its
// recording's key, after the PIN) instead of read by text-to-speech; a
// part with no recording is still read; USSD shows the text as before.
func TestAnsweredHeardPlaysTheRecording(t *testing.T) {
	e, c := engine(t)
	parts := []menus.PagePart{
		{Lang: "fr", Text: "Distribution le 12 mars.", Audio: "info-0123456789abcdef"},
		{Lang: "fr", Text: "Critères: ménages sans revenu."},
	}
	end := e.Confirmed(menus.State{Lang: "fr", Node: "end"}, menus.Receipt{Reference: "12345678", PIN: "1234", AnswerDays: 30})
	if u, plain := e.AnsweredHeard(end, parts), e.Answered(end, parts[0].Text+"\n"+parts[1].Text); u.Screen.Prompt != plain.Screen.Prompt {
		t.Errorf("USSD end screen with recordings %q, without %q", u.Screen.Prompt, plain.Screen.Prompt)
	}
	voice := menus.NewEngine(c, nil)
	vend := voice.Confirmed(menus.State{Lang: "fr", Node: "end"}, menus.Receipt{Reference: "12345678", PIN: "1234"})
	va := voice.AnsweredHeard(vend, parts)
	v := voice.Voice(va.State, va.Screen, "1234")
	played, readFirst, readSecond := -1, false, false
	pin := -1
	for i, cl := range v.Clips {
		switch {
		case cl.Key == menus.VoicePIN:
			pin = i
		case cl.Key == "info-0123456789abcdef":
			played = i
		case cl.Key == "" && strings.Contains(cl.Say, "12 mars"):
			readFirst = true
		case cl.Key == "" && strings.Contains(cl.Say, "Critères"):
			readSecond = true
		}
	}
	if played < 0 || played < pin || readFirst || !readSecond {
		t.Errorf("clips %+v: want the recording after the PIN, the unrecorded part read", v.Clips)
	}
	if plain := voice.AnsweredHeard(vend, parts[1:]); len(plain.State.Heard) != 0 {
		t.Errorf("an answer with no recording keeps parts to play: %+v", plain.State.Heard)
	}
}
