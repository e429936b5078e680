package menus

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// checkTree checks the structure: kinds, references, reachability, dead ends
// and duplicate options. Each check reports every problem it finds, with
// the line it is on, so one lint run lists them all.
func (s *source) checkTree() {
	t := s.tree
	if t.start != "" && t.byID[t.start] == nil {
		s.errorf(treeFile, t.startLine, "start refers to missing node %q", t.start)
	}
	fieldSetBy := map[string]*nodeDef{}
	for _, n := range t.nodes {
		if n.Field != "" {
			if prev := fieldSetBy[n.Field]; prev != nil {
				s.errorf(treeFile, lineOf(n.raw, "field"), "field %q is already set by node %q", n.Field, prev.ID)
			}
			fieldSetBy[n.Field] = n
		}
		if n.Prompt == "" {
			s.errorf(treeFile, lineOf(n.raw, "id"), "node %q has no prompt", n.ID)
		}
		s.checkRefs(n)
		s.checkLookup(n)
		s.checkKind(n)
		s.checkOptions(n)
		s.checkNodeDeadEnd(n)
	}
	// Second pass: references to fields, now that every field is known.
	for _, n := range t.nodes {
		s.checkFieldRefs(n, fieldSetBy)
	}
	s.checkReachable()
}

func (n *nodeDef) allOptions() []*optionDef {
	if n.Other == nil && len(n.Skips) == 0 {
		return n.Options
	}
	out := append(slices.Clip(n.Options), n.Skips...)
	if n.Other != nil {
		out = append(out, n.Other)
	}
	return out
}

// firstQuestion is where a session with a known language starts, and where
// "restart" leads.
func (t *tree) firstQuestion() string {
	if st := t.byID[t.start]; st != nil && st.Kind == kindLanguage {
		return st.Next
	}
	return t.start
}

func (s *source) checkReachable() {
	t := s.tree
	if t.byID[t.start] == nil {
		return
	}
	seen := map[string]bool{}
	queue := []string{t.start}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		n := t.byID[id]
		if n == nil || seen[id] {
			continue
		}
		seen[id] = true
		queue = append(queue, n.Next, n.Found, n.Missing, n.PIN, n.More)
		for _, o := range n.allOptions() {
			if o.Action == actionRestart {
				queue = append(queue, t.firstQuestion())
			}
			queue = append(queue, o.Next)
		}
	}
	for _, n := range t.nodes {
		if !seen[n.ID] {
			s.errorf(treeFile, lineOf(n.raw, "id"), "node %q is unreachable from start %q", n.ID, t.start)
		}
	}
}

// checkRefs reports every `next` (of the node, its lookup outcomes and its
// options) that names no node.
func (s *source) checkRefs(n *nodeDef) {
	ref := func(m *yaml.Node, id string) {
		if id != "" && s.tree.byID[id] == nil {
			s.errorf(treeFile, lineOf(m, "next"), "next refers to missing node %q", id)
		}
	}
	for _, to := range []string{n.Next, n.Found, n.Missing, n.PIN, n.More} {
		ref(n.raw, to)
	}
	for _, o := range n.allOptions() {
		ref(o.raw, o.Next)
	}
}

// checkLookup checks the follow-up lookup: only text nodes take it, it ends
// in a `found` and a `missing` end node, and its `pin` step is a lookup too.
func (s *source) checkLookup(n *nodeDef) {
	t, idLine := s.tree, lineOf(n.raw, "id")
	if n.Action != "" && (n.Kind != kindText || n.Action != actionLookup) {
		s.errorf(treeFile, lineOf(n.raw, "action"), "node %q: only text nodes take an action, and it must be %q", n.ID, actionLookup)
	}
	if n.Kind == kindPage {
		if to := t.byID[n.Missing]; to == nil || to.Kind != kindEnd {
			s.errorf(treeFile, idLine, "page node %q needs `missing`, an end node (nothing to show)", n.ID)
		}
		return
	}
	if n.Action != actionLookup {
		if n.Found != "" || n.Missing != "" || n.PIN != "" || n.More != "" {
			s.errorf(treeFile, idLine, "node %q: found, missing, more and pin belong to lookup nodes", n.ID)
		}
		return
	}
	for _, end := range []string{n.Found, n.Missing} {
		if to := t.byID[end]; to == nil || to.Kind != kindEnd {
			s.errorf(treeFile, idLine, "lookup node %q needs `found` and `missing`, each an end node", n.ID)
			break
		}
	}
	if to := t.byID[n.More]; n.More != "" && (to == nil || to.Kind != kindPage) {
		s.errorf(treeFile, lineOf(n.raw, "more"), "lookup node %q: `more` must be a page node", n.ID)
	}
	if to := t.byID[n.PIN]; n.PIN != "" && (to == nil || to.Action != actionLookup) {
		s.errorf(treeFile, lineOf(n.raw, "pin"), "lookup node %q: `pin` must be a lookup node", n.ID)
	}
}

// checkKind checks what each kind of node must and must not have.
func (s *source) checkKind(n *nodeDef) {
	idLine := lineOf(n.raw, "id")
	switch n.Kind {
	case kindLanguage:
		if n.Field != "" || len(n.Options) > 0 || n.Other != nil {
			s.errorf(treeFile, idLine, "language node %q takes no field or options: they come from the locales", n.ID)
		}
	case kindChoice:
		if len(n.Options) == 0 {
			s.errorf(treeFile, idLine, "choice node %q has no options", n.ID)
		}
		// A choice with no field only steers: each option names where it leads.
		if n.Field == "" && slices.ContainsFunc(n.Options, func(o *optionDef) bool { return o.Action == "" && o.Next == "" }) {
			s.errorf(treeFile, idLine, "choice node %q sets no field", n.ID)
		}
	case kindPlace:
		s.checkPlace(n)
	case kindText:
		if n.Field == "" {
			s.errorf(treeFile, idLine, "text node %q sets no field", n.ID)
		}
		if n.Max < 0 {
			s.errorf(treeFile, lineOf(n.raw, "max"), "text node %q: max must be positive", n.ID)
		}
	case kindEnd:
		// An end with `when` names in `next` the end shown otherwise.
		if (n.Next != "" && len(n.When) == 0) || len(n.Options) > 0 || n.Other != nil || n.Field != "" {
			s.errorf(treeFile, idLine, "end node %q takes no options or field, and `next` only with `when`", n.ID)
		}
		if nx := s.tree.byID[n.Next]; n.Next != "" && (nx == nil || nx.Kind != kindEnd) {
			s.errorf(treeFile, lineOf(n.raw, "next"), "end node %q: next %q must be an end node", n.ID, n.Next)
		}
	case kindPage:
		if n.Next != "" || n.Field != "" {
			s.errorf(treeFile, idLine, "page node %q takes no next or field: 0 goes back", n.ID)
		}
	default:
		s.errorf(treeFile, lineOf(n.raw, "kind"), "node %q: unknown kind %q", n.ID, n.Kind)
	}
	if len(n.Skips) > 0 && (n.Kind != kindText || !n.Optional || len(n.Skips) > 9) {
		s.errorf(treeFile, lineOf(n.raw, "skips"), "only an optional text node lists skips (at most 9)")
	}
	if n.Kind != kindChoice && len(n.Options) > 0 {
		s.errorf(treeFile, lineOf(n.raw, "options"), "only choice nodes list options")
	}
	if n.Kind != kindPlace && n.Other != nil {
		s.errorf(treeFile, lineOf(n.raw, "other"), "only place nodes have `other`")
	}
}

// checkPlace checks a place node: a field, a level it knows, the parent
// field of a cercle, and the "other / I don't know" way out.
func (s *source) checkPlace(n *nodeDef) {
	idLine := lineOf(n.raw, "id")
	if n.Field == "" {
		s.errorf(treeFile, idLine, "place node %q sets no field", n.ID)
	}
	switch n.Level {
	case 1:
	case 2, 3:
		if n.Parent == "" {
			s.errorf(treeFile, idLine, "level-%d place node %q needs `parent` (the field holding the %s)", n.Level, n.ID, map[int]string{2: "region", 3: "cercle"}[n.Level])
		}
	default:
		s.errorf(treeFile, lineOf(n.raw, "level"), "place node %q: level must be 1 (region), 2 (cercle) or 3 (commune or site)", n.ID)
	}
	if n.Other == nil {
		s.errorf(treeFile, idLine, "place node %q needs `other` (other / I don't know)", n.ID)
	}
}

// checkOptions reports options without a value or label, duplicates within
// a node, unknown actions, and options that lead nowhere.
func (s *source) checkOptions(n *nodeDef) {
	values, labels := map[string]int{}, map[string]int{}
	unique := func(o *optionDef, what, v string, seen map[string]int) {
		switch l, dup := seen[v]; {
		case v == "":
			s.errorf(treeFile, o.raw.Line, "option without %s", what)
		case dup:
			s.errorf(treeFile, lineOf(o.raw, what), "duplicate option %s %q in node %q (first at line %d)", what, v, n.ID, l)
		default:
			seen[v] = lineOf(o.raw, what)
		}
	}
	for _, o := range n.allOptions() {
		unique(o, "value", o.Value, values)
		unique(o, "label", o.Label, labels)
		switch o.Action {
		case "":
			if o.nextFrom(n) == "" {
				s.errorf(treeFile, o.raw.Line, "dead end: option %q of node %q leads nowhere (no next)", o.Value, n.ID)
			}
		case actionSubmit:
			if nx := s.tree.byID[o.Next]; nx == nil || nx.Kind != kindEnd {
				s.errorf(treeFile, lineOf(o.raw, "action"), "submit option %q must have `next:` an end node", o.Value)
			}
		case actionRestart:
		case actionLive:
			if nx := s.tree.byID[o.nextFrom(n)]; nx == nil || nx.Kind != kindText || nx.Digits {
				s.errorf(treeFile, lineOf(o.raw, "action"), "live option %q must have `next:` a text node (the voice message left when nobody answers)", o.Value)
			}
		case actionInfo:
			if nx := s.tree.byID[o.Next]; nx == nil || nx.Kind != kindPage {
				s.errorf(treeFile, lineOf(o.raw, "action"), "info option %q must have `next:` a page node", o.Value)
			}
		default:
			s.errorf(treeFile, lineOf(o.raw, "action"), "unknown action %q", o.Action)
		}
	}
}

// checkNodeDeadEnd reports a question node that leads nowhere after it is
// answered (choice nodes lead through their options, end nodes end).
func (s *source) checkNodeDeadEnd(n *nodeDef) {
	switch {
	case n.Kind != kindLanguage && n.Kind != kindText && n.Kind != kindPlace:
		return
	case n.Next != "" || n.Action == actionLookup:
		return
	case n.Kind == kindPlace && n.Other != nil && n.Other.Next != "":
		return
	}
	s.errorf(treeFile, lineOf(n.raw, "id"), "dead end: node %q has no next node", n.ID)
}

// checkFieldRefs reports `parent`, `set` and `when` naming fields no node
// sets, and skippable nodes without somewhere to go when skipped.
func (s *source) checkFieldRefs(n *nodeDef, fieldSetBy map[string]*nodeDef) {
	if n.Kind == kindPlace && n.Level >= 2 && n.Parent != "" {
		if p := fieldSetBy[n.Parent]; p == nil || p.Kind != kindPlace || p.Level != n.Level-1 {
			s.errorf(treeFile, lineOf(n.raw, "parent"), "parent %q is not the field of a level-%d place node", n.Parent, n.Level-1)
		}
	}
	for _, o := range n.allOptions() {
		for fld := range o.Set {
			if fieldSetBy[fld] == nil {
				s.errorf(treeFile, lineOf(o.raw, "set"), "set: %q is not a field of any node", fld)
			}
		}
	}
	for fld := range n.When {
		if fieldSetBy[fld] == nil && fld != LiveField { // LiveField: set by the gateway (live.go)
			s.errorf(treeFile, lineOf(n.raw, "when"), "when: %q is not a field of any node", fld)
		}
	}
	if (len(n.When) > 0 || n.Typed || n.Voice || n.Otherwise) && n.Next == "" {
		s.errorf(treeFile, lineOf(n.raw, "id"), "node %q may be skipped or passed (when/typed/voice/otherwise) and needs `next`: where a skipped question leads", n.ID)
	}
}
