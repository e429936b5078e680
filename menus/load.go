package menus

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/numerovert/hotline/menus/gsm7"
)

// Files in the locales directory.
const (
	treeFile   = "tree.yaml"
	placesFile = "places.csv"
)

// Node kinds of tree.yaml.
const (
	kindLanguage = "language"
	kindChoice   = "choice"
	kindPlace    = "place"
	kindText     = "text"
	kindEnd      = "end"
)

// Option actions of tree.yaml.
const (
	actionSubmit  = "submit"
	actionRestart = "restart"
	// actionLookup, on a text node: the answers so far go to the gateway
	// as a Lookup (follow-up of a complaint), whose result picks the next
	// node: `found`, `missing`, or `pin` (ask for the PIN).
	actionLookup = "lookup"
)

// Message roles: string keys the engine itself uses, named in tree.yaml.
const (
	msgInvalid    = "invalid"
	msgCancelled  = "cancelled"
	msgBack       = "back"
	msgPrev       = "prev"
	msgNext       = "next"
	msgSkip       = "skip"
	msgNoDetail   = "no_detail"
	msgSaveFailed = "save_failed"
	msgLanguage   = "language"        // the back key on the first question, which leads to the language screen
	msgResume     = "resume"          // prompt of the screen offering to continue a dropped report
	msgContinue   = "resume_continue" // its option to continue
	msgRestart    = "resume_restart"  // its option to start again
	msgPIN        = "pin"             // {pin} on an end screen, with {code}; empty when no PIN was made
	msgAsBefore   = "as_before"       // every choice on the summary of a continued report: never read back
	msgPromise    = "promise"         // the line said up front on the first question after the language
	// A complaint's public status, as {status} on the follow-up answer.
	msgReceived   = "status_received"
	msgInProgress = "status_in_progress"
	msgAnswered   = "status_answered"
	msgClosed     = "status_closed"
)

var messageRoles = []string{msgInvalid, msgCancelled, msgBack, msgPrev, msgNext, msgSkip, msgNoDetail, msgSaveFailed,
	msgLanguage, msgResume, msgContinue, msgRestart, msgPIN, msgAsBefore, msgPromise, msgReceived, msgInProgress, msgAnswered, msgClosed}

// Placeholders filled by the engine besides answer fields.
const (
	phPlace     = "place"
	phReference = "reference"
	phPIN       = "pin"      // end screens: the msgPIN phrase, or nothing
	phDays      = "days"     // end screens: days until the caller can expect an answer
	phStatus    = "status"   // follow-up answer: the case's public status
	phResponse  = "response" // follow-up answer: the team's response
	phCode      = "code"     // inside the msgPIN phrase: the PIN itself
)

// defaultOrder places a locale without `order:` after those that have one.
const defaultOrder = 1000

// defaultTextMax caps free text when a text node does not say.
const defaultTextMax = 160

type tree struct {
	start     string
	startLine int
	// fallback is the locale whose strings fill the gaps of the others; it
	// must be complete. "" means the first locale in menu order.
	fallback     string
	fallbackLine int
	messages     map[string]string // role → string key
	msgLines     map[string]int
	nodes        []*nodeDef
	byID         map[string]*nodeDef
}

type nodeDef struct {
	ID       string `yaml:"id"`
	Kind     string `yaml:"kind"`
	Field    string `yaml:"field"`
	Prompt   string `yaml:"prompt"`
	Next     string `yaml:"next"`
	Level    int    `yaml:"level"`
	Parent   string `yaml:"parent"`
	Max      int    `yaml:"max"`
	Optional bool   `yaml:"optional"`
	Digits   bool   `yaml:"digits"`  // text nodes: keyed digits (a reference, a PIN), not words
	Action   string `yaml:"action"`  // text nodes: "lookup"
	Found    string `yaml:"found"`   // lookup: end node showing the answer
	Missing  string `yaml:"missing"` // lookup: end node when nothing matches
	PIN      string `yaml:"pin"`     // lookup: text node asking for the PIN, when one is needed
	// When asks the question only if every answer named has that value;
	// otherwise the caller goes straight to Next.
	When map[string]string `yaml:"when"`
	// Typed questions need typed text (a name, a village): an engine for
	// the ear (ForTheEar) goes straight to Next.
	Typed   bool         `yaml:"typed"`
	Options []*optionDef `yaml:"options"`
	Other   *optionDef   `yaml:"other"`
	raw     *yaml.Node   // for line numbers
}

type optionDef struct {
	Value  string            `yaml:"value"`
	Label  string            `yaml:"label"`
	Next   string            `yaml:"next"`
	Action string            `yaml:"action"`
	Set    map[string]string `yaml:"set"`
	// Remember, on a submit option: the caller asked to keep their
	// language on this phone for next time (nothing is kept otherwise).
	Remember bool `yaml:"remember"`
	raw      *yaml.Node
}

// next is where choosing o leads from node n ("" when nowhere).
func (o *optionDef) nextFrom(n *nodeDef) string {
	if o.Next != "" {
		return o.Next
	}
	return n.Next
}

type locale struct {
	file        string
	code        string
	name        string
	order       int
	strings     map[string]string
	reviewed    map[string]bool
	borrowed    map[string]bool // keys missing from the file, filled from the fallback locale
	spelling    *gsm7.Spelling  // from `gsm7:`; nil folds generically
	lines       map[string]int  // string key → line of the key
	textLines   map[string]int  // string key → line of its text
	stringsLine int
	broken      bool // errors that make it unusable
}

type place struct {
	code, name, parent string
	level              int
}

type places struct {
	regions  []place
	children map[string][]place // region code → cercles, in file order
	byCode   map[string]place
}

// source is everything read from a locales directory, with the problems found.
type source struct {
	tree     *tree // nil when tree.yaml could not be read
	places   *places
	locales  []*locale // menu order
	problems []Problem
	treeBad  bool // structural errors: no engine can be built
}

func (s *source) errorf(file string, line int, format string, args ...any) {
	s.problems = append(s.problems, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (s *source) warnf(file string, line int, format string, args ...any) {
	s.problems = append(s.problems, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...), Warning: true})
}

func (s *source) errCount() int {
	n := 0
	for _, p := range s.problems {
		if !p.Warning {
			n++
		}
	}
	return n
}

// read parses and checks the whole directory; screen sizes are checked by Lint.
func read(fsys fs.FS) *source {
	s := &source{}
	s.readTree(fsys)
	s.readPlaces(fsys)
	s.readLocales(fsys)
	if s.tree != nil {
		s.checkStrings()
	}
	return s
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlErrLine extracts the line number yaml.v3 puts in its messages.
func yamlErrLine(err error) int {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// syntaxErrLine locates a YAML syntax error. yaml.v3 reports the line where
// the enclosing construct starts (0-based for parser errors), which can be far
// from the mistake; the line after the longest prefix that still parses is
// where the file goes wrong.
func syntaxErrLine(b []byte, err error) int {
	lines := strings.SplitAfter(string(b), "\n")
	for k := len(lines) - 1; k >= 0; k-- {
		var n yaml.Node
		if yaml.Unmarshal([]byte(strings.Join(lines[:k], "")), &n) == nil {
			return k + 1
		}
	}
	return yamlErrLine(err)
}

// parseYAML reads file into a document node, reporting syntax errors.
func (s *source) parseYAML(fsys fs.FS, file string) *yaml.Node {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		s.errorf(file, 0, "cannot read: %v", err)
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = yamlLineRE.ReplaceAllString(msg, "")
		msg = strings.TrimLeft(msg, ": ")
		s.errorf(file, syntaxErrLine(b, err), "YAML syntax error: %s", msg)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		s.errorf(file, doc.Line, "expected a mapping at the top level")
		return nil
	}
	return doc.Content[0]
}

// mapping returns the key/value pairs of a mapping node.
func pairs(m *yaml.Node) [][2]*yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([][2]*yaml.Node, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, [2]*yaml.Node{m.Content[i], m.Content[i+1]})
	}
	return out
}

// valueOf returns the value node of key in mapping m.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	for _, kv := range pairs(m) {
		if kv[0].Value == key {
			return kv[1]
		}
	}
	return nil
}

// lineOf is the line of key's value in m, or m's own line when key is absent.
func lineOf(m *yaml.Node, key string) int {
	if v := valueOf(m, key); v != nil {
		return v.Line
	}
	if m == nil {
		return 0
	}
	return m.Line
}

// checkFields reports keys of mapping m that are not in allowed.
func (s *source) checkFields(file string, m *yaml.Node, what string, allowed ...string) {
	seen := map[string]int{}
	for _, kv := range pairs(m) {
		k := kv[0].Value
		if !slices.Contains(allowed, k) {
			s.errorf(file, kv[0].Line, "unknown field %q in %s", k, what)
		}
		if first, dup := seen[k]; dup {
			s.errorf(file, kv[0].Line, "duplicate field %q in %s (first at line %d)", k, what, first)
		}
		seen[k] = kv[0].Line
	}
}

// decode decodes n into v, reporting type errors with their line.
func (s *source) decode(file string, n *yaml.Node, v any) bool {
	if err := n.Decode(v); err != nil {
		line := yamlErrLine(err)
		if line == 0 {
			line = n.Line
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
		msg = strings.TrimSpace(yamlLineRE.ReplaceAllString(msg, ""))
		s.errorf(file, line, "%s", strings.TrimLeft(msg, ": "))
		return false
	}
	return true
}

func (s *source) readTree(fsys fs.FS) {
	root := s.parseYAML(fsys, treeFile)
	if root == nil {
		s.treeBad = true
		return
	}
	f := treeFile
	s.checkFields(f, root, "tree", "start", "fallback", "messages", "nodes")
	t := &tree{messages: map[string]string{}, msgLines: map[string]int{}, byID: map[string]*nodeDef{}}
	s.tree = t
	errs := s.errCount()

	if v := valueOf(root, "start"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
		t.start, t.startLine = v.Value, v.Line
	} else {
		s.errorf(f, root.Line, "missing `start` node")
	}

	if v := valueOf(root, "fallback"); v != nil {
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			s.errorf(f, v.Line, "`fallback` must be a locale code")
		}
		t.fallback, t.fallbackLine = v.Value, v.Line
	}

	msgs := valueOf(root, "messages")
	if msgs == nil || msgs.Kind != yaml.MappingNode {
		s.errorf(f, lineOf(root, "messages"), "missing `messages` mapping")
	}
	for _, kv := range pairs(msgs) {
		role := kv[0].Value
		if !slices.Contains(messageRoles, role) {
			s.errorf(f, kv[0].Line, "unknown message %q (known: %s)", role, strings.Join(messageRoles, ", "))
			continue
		}
		if kv[1].Kind != yaml.ScalarNode || kv[1].Value == "" {
			s.errorf(f, kv[1].Line, "message %q must be a string key", role)
			continue
		}
		t.messages[role], t.msgLines[role] = kv[1].Value, kv[1].Line
	}
	if msgs != nil {
		for _, role := range messageRoles {
			if _, ok := t.messages[role]; !ok && valueOf(msgs, role) == nil {
				s.errorf(f, msgs.Line, "missing message %q", role)
			}
		}
	}

	nodes := valueOf(root, "nodes")
	if nodes == nil || nodes.Kind != yaml.SequenceNode || len(nodes.Content) == 0 {
		s.errorf(f, lineOf(root, "nodes"), "missing `nodes` list")
		s.treeBad = true
		return
	}
	for _, item := range nodes.Content {
		s.checkFields(f, item, "node", "id", "kind", "field", "prompt", "next", "level", "parent", "max", "optional", "digits", "action", "found", "missing", "pin", "when", "typed", "options", "other")
		n := &nodeDef{raw: item}
		if !s.decode(f, item, n) {
			continue
		}
		for i, o := range n.Options {
			o.raw = valueOf(item, "options").Content[i]
			s.checkFields(f, o.raw, "option", "value", "label", "next", "action", "set", "remember")
		}
		if n.Other != nil {
			n.Other.raw = valueOf(item, "other")
			s.checkFields(f, n.Other.raw, "option", "value", "label", "next", "action", "set")
		}
		switch {
		case n.ID == "":
			s.errorf(f, item.Line, "node without `id`")
			continue
		case strings.HasPrefix(n.ID, "@"):
			s.errorf(f, lineOf(item, "id"), "node id %q: ids starting with @ are the engine's own", n.ID)
			continue
		case t.byID[n.ID] != nil:
			s.errorf(f, lineOf(item, "id"), "duplicate node id %q (first at line %d)", n.ID, lineOf(t.byID[n.ID].raw, "id"))
			continue
		}
		t.nodes = append(t.nodes, n)
		t.byID[n.ID] = n
	}
	s.checkTree()
	if s.errCount() > errs {
		s.treeBad = true
	}
}

// checkTree checks the structure: kinds, references, reachability, dead ends
// and duplicate options.
func (s *source) checkTree() {
	t, f := s.tree, treeFile
	if t.start != "" && t.byID[t.start] == nil {
		s.errorf(f, t.startLine, "start refers to missing node %q", t.start)
	}
	fieldSetBy := map[string]*nodeDef{}
	ref := func(m *yaml.Node, id string) {
		if id != "" && t.byID[id] == nil {
			s.errorf(f, lineOf(m, "next"), "next refers to missing node %q", id)
		}
	}
	for _, n := range t.nodes {
		idLine := lineOf(n.raw, "id")
		if n.Field != "" {
			if prev := fieldSetBy[n.Field]; prev != nil {
				s.errorf(f, lineOf(n.raw, "field"), "field %q is already set by node %q", n.Field, prev.ID)
			}
			fieldSetBy[n.Field] = n
		}
		if n.Prompt == "" {
			s.errorf(f, idLine, "node %q has no prompt", n.ID)
		}
		ref(n.raw, n.Next)
		for _, to := range []string{n.Found, n.Missing, n.PIN} {
			ref(n.raw, to)
		}
		for _, o := range n.allOptions() {
			ref(o.raw, o.Next)
		}
		if n.Action != "" && (n.Kind != kindText || n.Action != actionLookup) {
			s.errorf(f, lineOf(n.raw, "action"), "node %q: only text nodes take an action, and it must be %q", n.ID, actionLookup)
		}
		if n.Action == actionLookup {
			for _, end := range []string{n.Found, n.Missing} {
				if to := t.byID[end]; to == nil || to.Kind != kindEnd {
					s.errorf(f, idLine, "lookup node %q needs `found` and `missing`, each an end node", n.ID)
					break
				}
			}
			if to := t.byID[n.PIN]; n.PIN != "" && (to == nil || to.Action != actionLookup) {
				s.errorf(f, lineOf(n.raw, "pin"), "lookup node %q: `pin` must be a lookup node", n.ID)
			}
		} else if n.Found != "" || n.Missing != "" || n.PIN != "" {
			s.errorf(f, idLine, "node %q: found, missing and pin belong to lookup nodes", n.ID)
		}
		switch n.Kind {
		case kindLanguage:
			if n.Field != "" || len(n.Options) > 0 || n.Other != nil {
				s.errorf(f, idLine, "language node %q takes no field or options: they come from the locales", n.ID)
			}
		case kindChoice:
			if len(n.Options) == 0 {
				s.errorf(f, idLine, "choice node %q has no options", n.ID)
			}
			// A choice with no field only steers: each option names where it leads.
			if n.Field == "" && slices.ContainsFunc(n.Options, func(o *optionDef) bool { return o.Action == "" && o.Next == "" }) {
				s.errorf(f, idLine, "choice node %q sets no field", n.ID)
			}
		case kindPlace:
			if n.Field == "" {
				s.errorf(f, idLine, "place node %q sets no field", n.ID)
			}
			switch n.Level {
			case 1:
			case 2:
				if n.Parent == "" {
					s.errorf(f, idLine, "level-2 place node %q needs `parent` (the field holding the region)", n.ID)
				}
			default:
				s.errorf(f, lineOf(n.raw, "level"), "place node %q: level must be 1 (region) or 2 (cercle)", n.ID)
			}
			if n.Other == nil {
				s.errorf(f, idLine, "place node %q needs `other` (other / I don't know)", n.ID)
			}
		case kindText:
			if n.Field == "" {
				s.errorf(f, idLine, "text node %q sets no field", n.ID)
			}
			if n.Max < 0 {
				s.errorf(f, lineOf(n.raw, "max"), "text node %q: max must be positive", n.ID)
			}
		case kindEnd:
			if n.Next != "" || len(n.Options) > 0 || n.Other != nil || n.Field != "" {
				s.errorf(f, idLine, "end node %q takes no next, options or field", n.ID)
			}
		default:
			s.errorf(f, lineOf(n.raw, "kind"), "node %q: unknown kind %q", n.ID, n.Kind)
		}
		if n.Kind != kindChoice && len(n.Options) > 0 {
			s.errorf(f, lineOf(n.raw, "options"), "only choice nodes list options")
		}
		if n.Kind != kindPlace && n.Other != nil {
			s.errorf(f, lineOf(n.raw, "other"), "only place nodes have `other`")
		}

		values, labels := map[string]int{}, map[string]int{}
		for _, o := range n.allOptions() {
			if o.Value == "" {
				s.errorf(f, o.raw.Line, "option without value")
			} else if l, dup := values[o.Value]; dup {
				s.errorf(f, lineOf(o.raw, "value"), "duplicate option value %q in node %q (first at line %d)", o.Value, n.ID, l)
			} else {
				values[o.Value] = lineOf(o.raw, "value")
			}
			if o.Label == "" {
				s.errorf(f, o.raw.Line, "option without label")
			} else if l, dup := labels[o.Label]; dup {
				s.errorf(f, lineOf(o.raw, "label"), "duplicate option label %q in node %q (first at line %d)", o.Label, n.ID, l)
			} else {
				labels[o.Label] = lineOf(o.raw, "label")
			}
			switch o.Action {
			case "":
				if o.nextFrom(n) == "" {
					s.errorf(f, o.raw.Line, "dead end: option %q of node %q leads nowhere (no next)", o.Value, n.ID)
				}
			case actionSubmit:
				if nx := t.byID[o.Next]; nx == nil || nx.Kind != kindEnd {
					s.errorf(f, lineOf(o.raw, "action"), "submit option %q must have `next:` an end node", o.Value)
				}
			case actionRestart:
			default:
				s.errorf(f, lineOf(o.raw, "action"), "unknown action %q", o.Action)
			}
		}
		if (n.Kind == kindLanguage || n.Kind == kindText || n.Kind == kindPlace) && n.Next == "" && n.Action != actionLookup &&
			(n.Kind != kindPlace || n.Other == nil || n.Other.Next == "") {
			s.errorf(f, idLine, "dead end: node %q has no next node", n.ID)
		}
	}
	// Second pass: references to fields.
	for _, n := range t.nodes {
		if n.Kind == kindPlace && n.Level == 2 && n.Parent != "" {
			if p := fieldSetBy[n.Parent]; p == nil || p.Kind != kindPlace || p.Level != 1 {
				s.errorf(f, lineOf(n.raw, "parent"), "parent %q is not the field of a level-1 place node", n.Parent)
			}
		}
		for _, o := range n.allOptions() {
			for fld := range o.Set {
				if fieldSetBy[fld] == nil {
					s.errorf(f, lineOf(o.raw, "set"), "set: %q is not a field of any node", fld)
				}
			}
		}
		for fld := range n.When {
			if fieldSetBy[fld] == nil {
				s.errorf(f, lineOf(n.raw, "when"), "when: %q is not a field of any node", fld)
			}
		}
		if (len(n.When) > 0 || n.Typed) && n.Next == "" {
			s.errorf(f, lineOf(n.raw, "id"), "node %q may be skipped (when/typed) and needs `next`: where a skipped question leads", n.ID)
		}
	}
	s.checkReachable()
}

func (n *nodeDef) allOptions() []*optionDef {
	if n.Other == nil {
		return n.Options
	}
	return append(slices.Clip(n.Options), n.Other)
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
		queue = append(queue, n.Next, n.Found, n.Missing, n.PIN)
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

func (s *source) readPlaces(fsys fs.FS) {
	f, err := fsys.Open(placesFile)
	if err != nil {
		s.errorf(placesFile, 0, "cannot read: %v", err)
		s.treeBad = true
		return
	}
	defer f.Close()
	errs := s.errCount()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.FieldsPerRecord = -1
	p := &places{children: map[string][]place{}, byCode: map[string]place{}}
	col := map[string]int{}
	var cercles []place
	lines := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
			}
			s.errorf(placesFile, line, "CSV syntax error: %v", err)
			break
		}
		line, _ := r.FieldPos(0)
		if len(col) == 0 {
			for i, h := range rec {
				col[strings.TrimSpace(h)] = i
			}
			for _, h := range []string{"admin_level", "pcode", "name", "parent_pcode"} {
				if _, ok := col[h]; !ok {
					s.errorf(placesFile, line, "header lacks column %q", h)
				}
			}
			if s.errCount() > errs {
				break
			}
			continue
		}
		get := func(h string) string {
			if i := col[h]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		pl := place{code: get("pcode"), name: get("name"), parent: get("parent_pcode")}
		pl.level, _ = strconv.Atoi(get("admin_level"))
		switch {
		case pl.code == "" || pl.name == "":
			s.errorf(placesFile, line, "row lacks pcode or name")
			continue
		case pl.level != 1 && pl.level != 2:
			s.errorf(placesFile, line, "admin_level must be 1 or 2")
			continue
		case lines[pl.code] != 0:
			s.errorf(placesFile, line, "duplicate pcode %s (first at line %d)", pl.code, lines[pl.code])
			continue
		}
		lines[pl.code] = line
		p.byCode[pl.code] = pl
		if pl.level == 1 {
			p.regions = append(p.regions, pl)
		} else {
			cercles = append(cercles, pl)
		}
	}
	for _, c := range cercles {
		if par, ok := p.byCode[c.parent]; !ok || par.level != 1 {
			s.errorf(placesFile, lines[c.code], "cercle %s: parent %q is not a region", c.code, c.parent)
			continue
		}
		p.children[c.parent] = append(p.children[c.parent], c)
	}
	if len(p.regions) == 0 && s.errCount() == errs {
		s.errorf(placesFile, 0, "no regions")
	}
	for _, reg := range p.regions {
		if len(p.children[reg.code]) == 0 {
			s.warnf(placesFile, lines[reg.code], "region %s has no cercles", reg.code)
		}
	}
	if s.errCount() > errs {
		s.treeBad = true
		return
	}
	s.places = p
}

func (s *source) readLocales(fsys fs.FS) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		s.errorf(".", 0, "cannot list locales: %v", err)
		return
	}
	for _, file := range files {
		if file == treeFile {
			continue
		}
		if l := s.readLocale(fsys, file); l != nil {
			s.locales = append(s.locales, l)
		}
	}
	slices.SortStableFunc(s.locales, func(a, b *locale) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return strings.Compare(a.code, b.code)
	})
	if len(s.locales) == 0 {
		s.errorf(".", 0, "no locale files (<lang>.yaml)")
	}
}

func (s *source) readLocale(fsys fs.FS, file string) *locale {
	l := &locale{file: file, order: defaultOrder, strings: map[string]string{}, reviewed: map[string]bool{},
		borrowed: map[string]bool{}, lines: map[string]int{}, textLines: map[string]int{}}
	root := s.parseYAML(fsys, file)
	if root == nil {
		return nil
	}
	errs := s.errCount()
	s.checkFields(file, root, "locale", "language", "name", "order", "gsm7", "strings")
	code := strings.TrimSuffix(path.Base(file), ".yaml")
	if v := valueOf(root, "language"); v == nil || v.Value == "" {
		s.errorf(file, root.Line, "missing `language:`")
	} else if v.Value != code {
		s.errorf(file, v.Line, "language %q does not match the file name %q", v.Value, file)
	}
	l.code = code
	if v := valueOf(root, "name"); v == nil || v.Kind != yaml.ScalarNode || v.Value == "" {
		s.errorf(file, root.Line, "missing `name:` (the language named in itself)")
	} else {
		l.name = v.Value
	}
	if v := valueOf(root, "order"); v != nil {
		s.decode(file, v, &l.order)
	}
	if v := valueOf(root, "gsm7"); v != nil {
		s.readSpelling(file, v, l)
	}
	strs := valueOf(root, "strings")
	if strs == nil || strs.Kind != yaml.MappingNode {
		s.errorf(file, lineOf(root, "strings"), "missing `strings:` mapping")
		l.broken = true
		return l
	}
	l.stringsLine = keyNode(root, "strings").Line
	for _, kv := range pairs(strs) {
		key, v := kv[0].Value, kv[1]
		if first, dup := l.lines[key]; dup {
			s.errorf(file, kv[0].Line, "duplicate string key %q (first at line %d)", key, first)
			continue
		}
		l.lines[key] = kv[0].Line
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag != "!!str" {
				s.errorf(file, v.Line, "string %q: expected text, got %s", key, v.Tag)
				continue
			}
			l.strings[key], l.textLines[key] = v.Value, v.Line
		case yaml.MappingNode:
			s.checkFields(file, v, "string "+strconv.Quote(key), "text", "reviewed")
			var e struct {
				Text     *string `yaml:"text"`
				Reviewed bool    `yaml:"reviewed"`
			}
			if !s.decode(file, v, &e) {
				continue
			}
			if e.Text == nil {
				s.errorf(file, v.Line, "string %q: missing `text`", key)
				continue
			}
			l.strings[key], l.reviewed[key], l.textLines[key] = *e.Text, e.Reviewed, lineOf(v, "text")
		default:
			s.errorf(file, v.Line, "string %q: expected text or {text, reviewed}", key)
			continue
		}
		if strings.TrimSpace(l.strings[key]) == "" {
			s.errorf(file, kv[0].Line, "string %q is empty", key)
		}
	}
	if s.errCount() > errs {
		l.broken = true
	}
	return l
}

// readSpelling reads `gsm7: {ɛ: è, ɔ: ò}`, the letters of the locale
// written in GSM-7 when a screen does not fit in UCS-2.
func (s *source) readSpelling(file string, v *yaml.Node, l *locale) {
	if v.Kind != yaml.MappingNode {
		s.errorf(file, v.Line, "`gsm7` must map letters to their GSM-7 spelling, e.g. {ɛ: è, ɲ: ny}")
		l.broken = true
		return
	}
	table := map[string]string{}
	ok := true
	for _, kv := range pairs(v) {
		k, val := kv[0].Value, kv[1]
		if val.Kind != yaml.ScalarNode {
			s.errorf(file, val.Line, "gsm7: %q must map to text", k)
			ok = false
			continue
		}
		// Check each letter alone, to report the line it is on.
		if _, err := gsm7.NewSpelling(map[string]string{k: val.Value}); err != nil {
			s.errorf(file, kv[0].Line, "%s", strings.TrimPrefix(err.Error(), "gsm7: spelling: "))
			ok = false
			continue
		}
		if _, dup := table[k]; dup {
			s.errorf(file, kv[0].Line, "gsm7: letter %q given twice", k)
			ok = false
			continue
		}
		table[k] = val.Value
	}
	if !ok {
		l.broken = true
		return
	}
	sp, err := gsm7.NewSpelling(table)
	if err != nil {
		s.errorf(file, v.Line, "%v", err)
		l.broken = true
		return
	}
	l.spelling = sp
}

func keyNode(m *yaml.Node, key string) *yaml.Node {
	for _, kv := range pairs(m) {
		if kv[0].Value == key {
			return kv[0]
		}
	}
	return nil
}

var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// usedKeys lists the string keys the tree needs, each with the placeholders
// allowed in it.
func (t *tree) usedKeys() map[string][]string {
	fields := []string{phPlace}
	for _, n := range t.nodes {
		if n.Field != "" {
			fields = append(fields, n.Field)
		}
	}
	used := map[string][]string{}
	for _, key := range t.messages {
		used[key] = nil
	}
	if key, ok := t.messages[msgPIN]; ok {
		used[key] = []string{phCode}
	}
	for _, n := range t.nodes {
		switch n.Kind {
		case kindEnd:
			used[n.Prompt] = []string{phReference, phPIN, phDays, phStatus, phResponse}
		default:
			used[n.Prompt] = fields
		}
		for _, o := range n.allOptions() {
			used[o.Label] = nil
		}
	}
	// What calls say besides the tree's strings (voice.go).
	for _, k := range voiceStrings {
		used[k] = nil
	}
	for _, k := range digitKeys() {
		used[k] = nil
	}
	return used
}

// fallbackLocale is the locale that fills the gaps of the others.
func (s *source) fallbackLocale() *locale {
	for _, l := range s.locales {
		if l.code == s.tree.fallback || s.tree.fallback == "" {
			return l
		}
	}
	return nil
}

// checkStrings reports, per locale, missing and unknown keys and unknown
// placeholders. A string missing from the fallback locale is an error; one
// missing elsewhere is a warning, and the fallback's text fills the gap so
// that no screen is ever empty.
func (s *source) checkStrings() {
	used := s.tree.usedKeys()
	keys := make([]string, 0, len(used))
	for k := range used {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fb := s.fallbackLocale()
	if fb == nil {
		if len(s.locales) > 0 {
			s.errorf(treeFile, s.tree.fallbackLine, "fallback locale %q has no file %s.yaml", s.tree.fallback, s.tree.fallback)
			s.treeBad = true
		}
		return
	}
	// The fallback first: the others borrow from it.
	order := append([]*locale{fb}, slices.DeleteFunc(slices.Clone(s.locales), func(l *locale) bool { return l == fb })...)
	for _, l := range order {
		for _, k := range keys {
			text, ok := l.strings[k]
			if !ok {
				if fbText, has := fb.strings[k]; l != fb && has {
					s.warnf(l.file, l.stringsLine, "missing string %q (callers see the %s text)", k, fb.code)
					l.strings[k], l.borrowed[k] = fbText, true
					continue
				}
				s.errorf(l.file, l.stringsLine, "missing string %q", k)
				l.broken = true
				continue
			}
			for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
				if !slices.Contains(used[k], m[1]) {
					s.errorf(l.file, l.textLines[k], "string %q: unknown placeholder {%s}", k, m[1])
					l.broken = true
				}
			}
		}
		extra := []string{}
		for k := range l.strings {
			if _, ok := used[k]; !ok {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
		for _, k := range extra {
			s.warnf(l.file, l.lines[k], "unknown string key %q (not used by %s)", k, treeFile)
		}
	}
}
