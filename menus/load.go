package menus

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	phServices  = "services" // sexual abuse report's end: the nearest services of the referral directory
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
	// More (lookup): a page node that shows an answer too long for one
	// screen, paged (9 more), instead of cutting it.
	More string `yaml:"more"`
	PIN  string `yaml:"pin"` // lookup: text node asking for the PIN, when one is needed
	// When asks the question only if every answer named has that value;
	// otherwise the caller goes straight to Next.
	When map[string]string `yaml:"when"`
	// Typed questions need typed text (a name, a village): an engine for
	// the ear (ForTheEar) goes straight to Next.
	Typed bool `yaml:"typed"`
	// Voice questions are asked only on a call (the short voice path): an
	// engine for the screen goes straight to Next, and a session with a
	// known language starts past them.
	Voice bool `yaml:"voice"`
	// Otherwise, on a choice node: any key that is not one of its options
	// leads to Next instead of repeating the question.
	Otherwise bool         `yaml:"otherwise"`
	Options   []*optionDef `yaml:"options"`
	// Skips, on an optional text node: the single keys shown instead of
	// the one "1 skip" (from 1 on), each giving no text and applying its
	// `set` (the call-back offer on the detail screen).
	Skips []*optionDef `yaml:"skips"`
	Other *optionDef   `yaml:"other"`
	raw   *yaml.Node   // for line numbers
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
	tts         string // `tts:`: BCP-47 language of a text-to-speech voice for it; "" when none
	strings     map[string]string
	reviewed    map[string]bool
	borrowed    map[string]bool // keys missing from the file, filled from the fallback locale
	awaiting    map[string]int  // `awaiting:` keys knowingly left to the fallback → line
	spelling    *gsm7.Spelling  // from `gsm7:`; nil folds generically
	lines       map[string]int  // string key → line of the key
	textLines   map[string]int  // string key → line of its text
	stringsLine int
	sms         *yaml.Node // the `sms:` section (SMSSections); nil when the file has none
	broken      bool       // errors that make it unusable
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
		s.checkFields(f, item, "node", "id", "kind", "field", "prompt", "next", "level", "parent", "max", "optional", "digits", "action", "found", "missing", "more", "pin", "when", "typed", "voice", "otherwise", "options", "skips", "other")
		n := &nodeDef{raw: item}
		if !s.decode(f, item, n) {
			continue
		}
		for i, o := range n.Options {
			o.raw = valueOf(item, "options").Content[i]
			s.checkFields(f, o.raw, "option", "value", "label", "next", "action", "set", "remember")
		}
		for i, o := range n.Skips {
			o.raw = valueOf(item, "skips").Content[i]
			s.checkFields(f, o.raw, "option", "value", "label", "next", "set")
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

func (s *source) readPlaces(fsys fs.FS) {
	f, err := fsys.Open(placesFile)
	if err != nil {
		s.errorf(placesFile, 0, "cannot read: %v", err)
		s.treeBad = true
		return
	}
	defer f.Close()
	errs := s.errCount()
	p, cercles, lines := s.readPlaceRows(csv.NewReader(f), errs)
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

// readPlaceRows reads the header and every row of places.csv, reporting
// bad rows with their line; it returns the places with their regions, the
// cercles (not yet linked to a region) and the line of each P-code.
func (s *source) readPlaceRows(r *csv.Reader, errs int) (p *places, cercles []place, lines map[string]int) {
	r.Comment = '#'
	r.FieldsPerRecord = -1
	p = &places{children: map[string][]place{}, byCode: map[string]place{}}
	col := map[string]int{}
	lines = map[string]int{}
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
			if !s.readPlaceHeader(rec, line, col, errs) {
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
	return p, cercles, lines
}

// readPlaceHeader fills col from the header row; false when a required
// column is missing.
func (s *source) readPlaceHeader(rec []string, line int, col map[string]int, errs int) bool {
	for i, h := range rec {
		col[strings.TrimSpace(h)] = i
	}
	for _, h := range []string{"admin_level", "pcode", "name", "parent_pcode"} {
		if _, ok := col[h]; !ok {
			s.errorf(placesFile, line, "header lacks column %q", h)
		}
	}
	return s.errCount() == errs
}
