package menus

import (
	"slices"
)

// BeginResume starts a session for a caller whose earlier session dropped
// before they confirmed; saved is the state it was left in (see
// Resumable). The first screen, in saved's language, offers to continue
// where they were (KeyContinue) or to start again (KeyRestart). When saved
// holds nothing the engine can resume, it is Begin(lang).
func (e *Engine) BeginResume(lang string, saved State) Turn {
	if !e.resumable(saved) {
		return e.Begin(lang)
	}
	saved.Resume = nil
	st := State{Lang: saved.Lang, Node: NodeResume, Resume: &saved}
	return Turn{State: st, Screen: e.mustRender(st, "")}
}

// Resumable returns what a session in st would offer to resume if it
// dropped now: where the caller was and the answers given so far. ok is
// false when there is nothing worth keeping: no answer yet, or the
// complaint is already submitted.
func (e *Engine) Resumable(st State) (State, bool) {
	if st.Node == NodeResume && st.Resume != nil {
		st = *st.Resume
	}
	st = e.forgetTyped(st)
	if !e.resumable(st) {
		return State{}, false
	}
	st.Resume = nil
	return st, true
}

// replayed marks, among the answers, a report continued after a dropped
// session: its choices were made on an earlier call and are never shown
// or read back (whoever holds the phone now may not be who made them).
const replayed = "@replayed"

// forgetTyped drops what was typed (free text: the detail, a name, a
// village) from st, and moves a caller who had reached or passed the
// first typed question back to it: a resume record keeps choices only.
func (e *Engine) forgetTyped(st State) State {
	if len(st.Answers) == 0 {
		return st
	}
	ans := make(map[string]string, len(st.Answers))
	typed := false
	for k, v := range st.Answers {
		if e.textFields[k] {
			typed = true
			continue
		}
		if k != replayed {
			ans[k] = v
		}
	}
	st.Answers = ans
	if !typed {
		return st
	}
	for i, f := range st.Back {
		if en := e.nodes[f.Node]; en != nil && en.def.Kind == kindText && e.textFields[en.def.Field] {
			st.Node, st.Page, st.Back = f.Node, 0, slices.Clip(st.Back[:i])
			break
		}
	}
	if len(st.Back) == 0 {
		st.Back = nil
	}
	return st
}

func (e *Engine) resumable(st State) bool {
	if len(st.Answers) == 0 || st.Node == NodeResume || e.langs[st.Lang] == nil || infoAnswers(st.Answers) {
		return false
	}
	en := e.nodes[st.Node]
	return en != nil && en.def.Kind != kindEnd && en.def.Kind != kindPage
}

func (e *Engine) stepResume(st State, in string) Turn {
	el := e.langs[st.Lang]
	if el == nil || st.Resume == nil || !e.resumable(*st.Resume) {
		return e.Begin(st.Lang)
	}
	switch in {
	case KeyContinue:
		// The choices are replayed silently; anything typed is asked again.
		rs := e.forgetTyped(*st.Resume)
		rs.Resume = nil
		rs.Answers[replayed] = "1"
		return Turn{State: rs, Screen: e.mustRender(rs, "")}
	case KeyRestart:
		return e.Begin(st.Lang)
	}
	return e.invalid(st, el)
}
