package menus

import (
	"github.com/numerovert/hotline/menus/gsm7"
)

// AnswerRoom is how much of one USSD screen a follow-up answer leaves for
// the team's response in lang, with the longest status and a reference:
// the live counter of the officer's answer form (casework/web). GSM7 is
// the septets left when the response and the screen are all GSM-7 (-1
// when the screen itself is not), UCS2 the UTF-16 units left otherwise.
// A longer response is paged on USSD (the lookup's `more`), never cut.
type AnswerRoom struct{ GSM7, UCS2 int }

// AnswerRoom measures the follow-up answer screen of lang.
func (c *Catalog) AnswerRoom(lang string) AnswerRoom {
	e := NewEngine(c, FitsUSSD)
	el := e.langs[lang]
	if el == nil {
		el = e.def
	}
	found := ""
	for _, n := range c.tree.nodes {
		if n.Action == actionLookup && n.Found != "" {
			found = n.Found
			break
		}
	}
	status := ""
	for _, s := range el.statuses {
		if len([]rune(s)) > len([]rune(status)) {
			status = s
		}
	}
	scr, ok := e.render(State{Lang: el.code, Node: found, Reference: "12345678",
		Answers: map[string]string{phStatus: status, phResponse: "x"}}, "") // one letter: the space before it counts
	if !ok {
		return AnswerRoom{GSM7: -1}
	}
	text := USSDText(scr)
	room := AnswerRoom{GSM7: -1, UCS2: gsm7.MaxUSSDUCS2 - gsm7.UTF16Len(text) + 1}
	if n, ok := gsm7.Septets(text); ok {
		room.GSM7 = gsm7.MaxUSSDSeptets - n + 1
	}
	return room
}
