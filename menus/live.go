package menus

import "maps"

// The live operator (issue #16): during office hours, when an officer who
// speaks the caller's language is on duty, the gateway answers `live: on`
// (LiveField) before each step of a call, and the tree's node with
// `when: {live: "on"}` offers "talk to a person". A choice option with
// `action: live` hands the caller over (Turn.Live): the gateway bridges
// the call to the officer's phone, or, when nobody can take it (out of
// hours, nobody on duty, no answer, busy), plays LiveClosed and asks the
// option's `next`, a voice message, and the call-back question.
const (
	actionLive = "live"
	// LiveField is the answer the gateway sets to LiveOn while someone can
	// take a live call in the caller's language; the tree names it in a
	// node's `when`.
	LiveField = "live"
	LiveOn    = "on"
)

// Strings the gateway plays around a live call, outside any menu node.
const (
	LiveConnecting = "live.connecting" // before the Dial: an officer will answer, they will not see the number
	LiveClosed     = "live.closed"     // nobody can answer now: leave a message, an officer may call back
)

var liveStrings = []string{LiveConnecting, LiveClosed}

// LiveRequest is a caller asking to talk to a person: their language and
// answers (a `category` set by the option, e.g. sea for a PSEA focal
// point only).
type LiveRequest struct {
	Lang    string
	Answers map[string]string
}

// chooseLive answers the option like any other (its `next` is the voice
// message a caller leaves when nobody answers) and hands the call over.
func (e *Engine) chooseLive(st State, en *enode, it item) Turn {
	t := e.answer(st, en, en.def.Field, it.value, it.opt)
	t.Live = &LiveRequest{Lang: st.Lang, Answers: maps.Clone(t.State.Answers)}
	return t
}
