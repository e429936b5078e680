package menus

import (
	"cmp"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/numerovert/hotline/menus/gsm7"
)

// Problem is one finding of Lint, located in a file of the locales directory.
type Problem struct {
	File    string // relative to the locales directory
	Line    int    // 1-based; 0 when the problem has no line
	Msg     string
	Warning bool // the menu still works
	// Gap: a string a caller can reach that this locale lacks (they see the
	// fallback's text), not listed under the locale's `awaiting:`. A
	// warning; Strict makes it an error.
	Gap bool
}

// Strict turns every Gap into an error: `hotline menus lint --strict`, run
// by `make lint`, so that no shipped locale silently shows a caller French.
func Strict(problems []Problem) []Problem {
	out := slices.Clone(problems)
	for i := range out {
		if out[i].Gap {
			out[i].Warning = false
			out[i].Msg += "; --strict: no caller may meet the fallback's text"
		}
	}
	return out
}

// String formats the problem as "file:line: problem".
func (p Problem) String() string {
	msg := p.Msg
	if p.Warning {
		msg = "warning: " + msg
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ": " + msg
}

// Lint checks a locales directory: YAML and CSV syntax, the tree (missing
// and unreachable nodes, dead ends, duplicate options), the strings of every
// locale (missing keys are errors, unknown keys warnings), and that every
// screen of every locale fits USSD: every node, every page of every list,
// with and without the notices. Problems come sorted by file and line.
func Lint(fsys fs.FS) []Problem {
	problems, _ := Report(fsys)
	return problems
}

// Coverage is how far one locale is translated, and which of its USSD
// screens are shown in its GSM-7 spelling because the proper spelling
// does not fit in 80 UCS-2 characters.
type Coverage struct {
	Lang, Name string
	Fallback   bool     // this locale fills the others' gaps
	Strings    int      // strings the menu uses
	Translated int      // of those, present in the locale's own file
	Reviewed   int      // of those, marked `reviewed: true` (by a native speaker)
	Missing    []string // keys shown in the fallback language instead
	Awaiting   []string // of those, the ones the file lists under `awaiting:`
	Screens    []string // every USSD screen checked, e.g. "category", "cercle (ML05 page 2)"
	GSM7       []string // the screens shown in the GSM-7 spelling
}

// Report is Lint plus the coverage of every locale, in menu order. A locale
// too broken to render has no screens.
func Report(fsys fs.FS) ([]Problem, []Coverage) {
	s := read(fsys)
	screens := map[string]map[string]bool{} // lang → screen → shown in GSM-7
	if !s.treeBad && s.places != nil {
		var good []*locale
		for _, l := range s.locales {
			if !l.broken {
				good = append(good, l)
			}
		}
		if len(good) > 0 {
			screens = s.checkScreens(newCatalog(s, good))
			s.problems = append(s.problems, newCatalog(s, good).CheckVoiceWords()...)
		}
	}
	slices.SortStableFunc(s.problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return s.problems, s.coverage(screens)
}

func (s *source) coverage(screens map[string]map[string]bool) []Coverage {
	var used map[string][]string
	if s.tree != nil {
		used = s.tree.usedKeys()
	}
	var fb *locale
	if s.tree != nil {
		fb = s.fallbackLocale()
	}
	out := make([]Coverage, 0, len(s.locales))
	for _, l := range s.locales {
		c := Coverage{Lang: l.code, Name: l.name, Fallback: l == fb, Strings: len(used)}
		for k := range used {
			_, has := l.strings[k]
			switch {
			case !has || l.borrowed[k]:
				c.Missing = append(c.Missing, k)
				if _, ok := l.awaiting[k]; ok {
					c.Awaiting = append(c.Awaiting, k)
				}
			default:
				c.Translated++
				if l.reviewed[k] {
					c.Reviewed++
				}
			}
		}
		slices.Sort(c.Missing)
		slices.Sort(c.Awaiting)
		for name, g := range screens[l.code] {
			c.Screens = append(c.Screens, name)
			if g {
				c.GSM7 = append(c.GSM7, name)
			}
		}
		slices.Sort(c.Screens)
		slices.Sort(c.GSM7)
		out = append(out, c)
	}
	return out
}

// checkScreens renders every screen of every locale of c and reports those
// over the USSD limit, once per language and node. It returns, per
// language, every screen checked and whether it is shown in the GSM-7
// spelling.
func (s *source) checkScreens(c *Catalog) map[string]map[string]bool {
	e := NewEngine(c, FitsUSSD)
	t := c.tree
	all := map[string]map[string]bool{}
	for _, l := range c.locales {
		seen := map[string]bool{}
		all[l.code] = seen
		nodes := append(slices.Clone(t.nodes), &nodeDef{ID: NodeResume, Kind: kindChoice, Prompt: t.messages[msgResume]})
		for _, n := range nodes {
			sc := &screenCheck{s: s, e: e, l: l, el: e.langs[l.code], n: n, seen: seen, line: l.lines[n.Prompt]}
			if l.borrowed[n.Prompt] {
				sc.line = l.stringsLine
			}
			sc.run()
		}
	}
	return all
}

// screenCheck renders the screens of one node in one language, and reports
// the first that does not fit.
type screenCheck struct {
	s        *source
	e        *Engine
	l        *locale
	el       *elang
	n        *nodeDef
	seen     map[string]bool // screen name → shown in GSM-7
	line     int             // where in the locale file to point
	reported bool
}

func (sc *screenCheck) run() {
	e, n, code := sc.e, sc.n, sc.l.code
	if n.ID == NodeResume {
		resume := State{Lang: code, Node: e.cat.tree.firstQuestion(), Answers: map[string]string{"category": "x"}}
		for _, notice := range []string{"", sc.el.invalid} {
			sc.check(State{Lang: code, Node: NodeResume, Resume: &resume}, notice, "")
		}
		return
	}
	notices := []string{"", sc.el.invalid}
	if n.ID == e.first {
		notices = append(notices, sc.el.cancelled)
	}
	en := e.nodes[n.ID]
	for _, ans := range e.sampleAnswers(sc.el, en) {
		base := State{Lang: code, Node: n.ID, Answers: ans, Back: []Frame{{Node: e.cat.tree.start}}}
		switch n.Kind {
		case kindPage:
			sc.checkPage(base)
		case kindEnd:
			sc.checkEnd(base)
		case kindText:
			for _, notice := range notices {
				sc.check(base, notice, "")
			}
		default:
			sc.checkMenu(en, base, ans == nil, notices)
		}
	}
}

// checkEnd renders an end screen at its longest: with a reference, with a
// PIN and a three-digit answer delay, with every follow-up status, and as
// the "could not save" apology.
func (sc *screenCheck) checkEnd(base State) {
	base.Reference = "12345678"
	sc.check(base, "", "")
	withPIN := base
	withPIN.PIN, withPIN.AnswerDays = "1234", 365
	sc.check(withPIN, "", "with PIN")
	// A follow-up answer, with the longest status and no response
	// (LookedUp cuts a response to fit).
	for _, status := range sc.el.statuses {
		answer := base
		answer.Answers = map[string]string{phStatus: status, phResponse: ""}
		sc.check(answer, "", "status "+status)
	}
	// Each answer template officers start from must fit a follow-up
	// answer whole, with the longest status: a cut answer loses its end.
	if strings.Contains(sc.el.prompts[sc.n.ID], "{"+phResponse+"}") {
		line := sc.line
		for _, a := range sc.e.cat.Answers(sc.el.code, base.Reference) {
			answer := base
			answer.Answers = map[string]string{phStatus: longest(sc.el.statuses), phResponse: a.Text}
			sc.line = sc.l.lines["answer."+a.ID]
			sc.check(answer, "", "answer template "+a.ID)
		}
		sc.line = line
	}
	base.Reference = ""
	sc.line = sc.l.lines[sc.e.cat.tree.messages[msgSaveFailed]]
	sc.check(base, "", "could not save")
}

// checkMenu renders every page of a choice or place screen with every
// notice, and warns when a short list was split only because its labels
// are long.
func (sc *screenCheck) checkMenu(en *enode, base State, plain bool, notices []string) {
	n := sc.n
	m := sc.el.menus[sc.e.menuKeyFor(en, base)]
	if n.Kind == kindChoice && len(m.items) <= MaxPageItems && len(m.pages) > 1 && plain {
		sc.s.warnf(sc.l.file, sc.line, "screen %q: %d options split over %d pages to fit USSD; shorten the labels",
			n.ID, len(m.items), len(m.pages))
	}
	for p := range m.pages {
		st := base
		st.Page = p
		what := ""
		if len(m.pages) > 1 {
			what = fmt.Sprintf("page %d", p+1)
		}
		if n.Kind == kindPlace && n.Level == 2 {
			what = st.Answers[n.Parent] + " " + what
		}
		for _, notice := range notices {
			sc.check(st, notice, what)
		}
	}
}

// check renders st with notice; what names the variant in the report.
func (sc *screenCheck) check(st State, notice, what string) {
	scr, ok := sc.e.render(st, notice)
	if !ok {
		return
	}
	name := strings.TrimPrefix(sc.n.ID, "@")
	if what != "" {
		name += " (" + strings.TrimSpace(what) + ")"
	}
	sc.seen[name] = sc.seen[name] || scr.GSM7
	if sc.reported || FitsUSSD(scr) {
		return
	}
	sc.reported = true
	where := fmt.Sprintf("screen %q", strings.TrimPrefix(sc.n.ID, "@"))
	if what != "" {
		where += " (" + strings.TrimSpace(what) + ")"
	}
	if notice != "" {
		where += fmt.Sprintf(" with notice %q", notice)
	}
	if scr.GSM7 {
		where += " in the GSM-7 spelling"
	}
	sc.s.errorf(sc.l.file, sc.line, "%s is %s", where, ussdSize(USSDText(scr)))
}

// sampleAnswers are the answer sets a node is rendered with: one per parent
// region for cercle lists, and for templated prompts (the summary) the
// longest label of every field with every place, no detail given.
func (e *Engine) sampleAnswers(el *elang, en *enode) []map[string]string {
	n := en.def
	if n.Kind == kindPlace && n.Level == 2 {
		var out []map[string]string
		for _, r := range e.cat.places.regions {
			out = append(out, map[string]string{n.Parent: r.code})
		}
		return out
	}
	if !en.tmpl || n.Kind == kindEnd {
		return []map[string]string{nil}
	}
	base := map[string]string{}
	for field, labels := range el.labels {
		if field == e.region || field == e.cercle {
			continue
		}
		longest := ""
		for v, l := range labels {
			if len(l) > len(labels[longest]) || (len(l) == len(labels[longest]) && v < longest) {
				longest = v
			}
		}
		base[field] = longest
	}
	for f := range e.textFields {
		base[f] = ""
	}
	var out []map[string]string
	withPlace := func(region, cercle string) {
		m := maps.Clone(base)
		m[e.region], m[e.cercle] = region, cercle
		out = append(out, m)
	}
	for _, r := range e.cat.places.regions {
		for _, c := range e.cat.places.children[r.code] {
			withPlace(r.code, c.code)
		}
	}
	for _, n := range e.cat.tree.nodes {
		if n.Kind == kindPlace && n.Level == 1 {
			withPlace(n.Other.Value, n.Other.Value)
		}
	}
	return out
}

func ussdSize(text string) string {
	if n, ok := gsm7.Septets(text); ok {
		return fmt.Sprintf("%d GSM-7 septets (USSD max %d)", n, gsm7.MaxUSSDSeptets)
	}
	return fmt.Sprintf("%d UCS-2 characters (USSD max %d; a character outside GSM-7 halves the budget)",
		gsm7.UTF16Len(text), gsm7.MaxUSSDUCS2)
}

// longest is the longest of the values of m.
func longest(m map[string]string) string {
	out := ""
	for _, v := range m {
		if len(v) > len(out) {
			out = v
		}
	}
	return out
}
