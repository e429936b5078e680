// Package menus is the hotline's menu: the tree model loaded from the
// locales directory (tree.yaml, places.csv and one <lang>.yaml of strings per
// language), the linter that checks those files, the Engine that turns
// (state, caller input) into the next screen, and the renderers per medium
// (USSD text, and voice prompts by string key).
//
// The Engine is a pure function of its inputs: the gateway stores State
// between hops and hands it back; the Engine returns a new State, a Screen
// and, when the caller confirms, a Submission for the gateway to store.
//
// This package must never do I/O beyond reading the locales filesystem it is
// given at load time. It keeps no sessions, stores nothing, knows nothing of
// HTTP or of any provider's wire format, and never sees a phone number or
// any other caller identifier: what the caller typed is all it gets.
package menus
