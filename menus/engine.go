package menus

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/numerovert/hotline/menus/gsm7"
)

// Keys a caller types besides item numbers. Items on a page are numbered
// from 1 and a page holds at most MaxPageItems, so these never collide.
const (
	KeyBack = "0" // go back one question (not on the language or end screen)
	KeyPrev = "8" // previous page of a long list
	KeyNext = "9" // next page of a long list
	KeySkip = "1" // on a free-text screen: give no detail (the detail is optional)

	KeyContinue = "1" // on the resume screen: continue the dropped report
	KeyRestart  = "2" // on the resume screen: start again

	// MaxPageItems bounds the items of one page, so that a voice menu can
	// reuse the paging with keys 1-9.
	MaxPageItems = 7
)

// Screen is what the caller sees (or hears) next, already localised.
type Screen struct {
	Lang     string
	Node     string
	Notice   string   // localised one-liner, e.g. "Choix invalide." ("" when none)
	Prompt   string   // localised text (placeholders such as {reference} already filled)
	Options  []Option // in display order
	FreeText bool     // the screen expects free text rather than a key
	Digits   bool     // that text is a number typed on the keypad (a reference, a PIN)
	End      bool     // final screen: the session closes
	// GSM7 says the texts are in the locale's GSM-7 spelling (ɛ → è, ɲ → ny),
	// because in its proper spelling the screen does not fit the medium.
	GSM7 bool
}

// NodeResume is the node of the screen that offers a caller whose session
// dropped to continue their report or start again. It is the engine's own:
// tree.yaml ids never start with "@".
const NodeResume = "@resume"

// Option is one key the caller can press and what it means.
type Option struct{ Key, Label string }

// State is where a session is. The gateway stores it between hops (it is
// JSON-serialisable) and hands it back unchanged; the Engine never keeps it.
type State struct {
	Lang      string            `json:"lang,omitempty"`
	Node      string            `json:"node"`
	Page      int               `json:"page,omitempty"`
	Back      []Frame           `json:"back,omitempty"` // how "0" goes back a step
	Answers   map[string]string `json:"answers,omitempty"`
	Reference string            `json:"reference,omitempty"` // set by Submitted, shown on the end screen
	// PIN and AnswerDays are shown on the end screen after a submission
	// (Confirmed); the PIN is kept nowhere else in clear.
	PIN        string `json:"pin,omitempty"`
	AnswerDays int    `json:"answer_days,omitempty"`
	// Resume is the dropped session offered on the NodeResume screen.
	Resume *State `json:"resume,omitempty"`
	// Text is the information page shown on a page node (InfoShown).
	Text string `json:"text,omitempty"`
	// Heard is what a call plays of Text, page by page, when a page has a
	// recording (InfoHeard); nil: Text is read by text-to-speech.
	Heard []PagePart `json:"heard,omitempty"`
}

// Frame is one step the caller can go back to: the node and the page of its
// list the caller was on when answering it.
type Frame struct {
	Node string `json:"node"`
	Page int    `json:"page,omitempty"`
}

// Submission is a confirmed complaint: the language and the answers by field
// (category, region, cercle, assistance, detail).
type Submission struct {
	Lang    string
	Answers map[string]string
	// RememberLanguage: the caller chose to keep Lang on this phone for
	// their next call. Nothing else ever remembers it: a remembered
	// language tells the next holder of the phone the hotline was used.
	RememberLanguage bool
}

// Turn is the result of one hop.
type Turn struct {
	State  State
	Screen Screen
	// Submit is non-nil when the caller just confirmed. The gateway stores it
	// durably, THEN calls Submitted for the end screen with the reference. If
	// storing fails, Screen is already the final "could not save" screen.
	Submit *Submission
	// Lookup is non-nil when the caller asked to follow a complaint: the
	// gateway looks it up, then calls LookedUp with what it found.
	Lookup *Lookup
	// Info is non-nil when the caller asked for an information page: the
	// gateway finds it, then calls InfoShown with its text (info.go).
	Info *InfoRequest
	// Live is non-nil when a caller asked to talk to a person (live.go):
	// the gateway bridges the call, or shows Screen (a voice message) when
	// nobody can answer.
	Live *LiveRequest
}

// Lookup is a follow-up request: the answers so far (the reference, and
// the PIN once asked for) and the caller's language.
type Lookup struct {
	Lang    string
	Answers map[string]string
}

// LookupOutcome is what a follow-up lookup found.
type LookupOutcome int

const (
	// LookupNoMatch: nothing the caller may see. One neutral screen,
	// whether or not the reference exists.
	LookupNoMatch LookupOutcome = iota
	// LookupFound: Result's fields describe the case.
	LookupFound
	// LookupNeedPIN: the reference is not this phone's; ask for the PIN.
	LookupNeedPIN
)

// LookupResult is what the gateway found for a Lookup.
type LookupResult struct {
	Outcome   LookupOutcome
	Reference string
	Status    string // public status: received, in_progress, answered, closed
	Response  string // the team's answer, in the caller's language if it wrote one
}

// Receipt is what the caller is told once their complaint is stored.
type Receipt struct {
	Reference  string
	PIN        string // "" when none can be shown (a retried confirmation)
	AnswerDays int    // when to expect an answer, in days (0: not said)
}

// Fits reports whether a screen fits its medium; the engine uses it to page long lists.
type Fits func(Screen) bool

// Engine walks callers through the menu. It is immutable after NewEngine and
// safe for concurrent use; every list page is computed up front.
type Engine struct {
	cat        *Catalog
	fits       Fits
	nodes      map[string]*enode
	langs      map[string]*elang
	def        *elang
	start      string
	langStart  bool            // the start node is the language screen
	first      string          // first question, after the language
	end        string          // end node shown after a submit
	submitEnds map[string]bool // every end node a submit option leads to
	forTheEar  bool            // voice: typed questions are passed over
	textFields map[string]bool // fields holding free text (cut to fit summaries)
	region     string          // field of the level-1 place node
	cercle     string          // field of the level-2 place node
	locality   string          // field of the level-3 place node (commune or site), if any
}

type enode struct {
	def    *nodeDef
	clears []string // answers removed when the caller comes back to this node
	back   bool     // the screen offers KeyBack
	tmpl   bool     // the prompt has placeholders
	// services: an end screen naming the referral directory's nearest
	// services ({services}); it keeps the place answers after a submission.
	services bool
}

type elang struct {
	code                      string
	invalid, cancelled        string
	noDetail, saveFailed      string
	pinText                   string              // {pin} phrase, with {code}
	skips                     map[string][]string // text node → its skip keys' labels (nodeDef.Skips)
	statuses                  map[string]string   // public status → words
	backLbl, prevLbl, nextLbl string
	skipLbl, langLbl          string
	resumePrompt              string
	asBefore                  string
	continueLbl, restartLbl   string
	spelling                  *gsm7.Spelling    // nil folds generically
	gsm                       map[string]string // every string of the locale → its GSM-7 spelling
	prompts                   map[string]string
	labels                    map[string]map[string]string // field → value → label
	menus                     map[string]*menu             // menuKey → menu
	notices                   []string                     // every notice a screen may carry
}

type item struct {
	value, label string
	region       string         // a cercle offered on a call's region question: its region
	opt          *optionDef     // nil for languages and places
	spelling     *gsm7.Spelling // for a language's name: its own spelling
}

type menu struct {
	items []item
	pages []page
}

type page struct {
	start, end int      // items[start:end]
	options    []Option // numbered items, then previous/next/back
	gsm7       []Option // the same in the GSM-7 spelling
	prev, next bool
}

// anyParent keys the list shown for a level-2 node whose parent answer is
// not a known region: only "other" is offered.
const anyParent = "*"

func menuKey(node, parent string) string {
	if parent == "" {
		return node
	}
	return node + "\x00" + parent
}

// NewEngine prepares every screen of every language of c. fits may be nil
// (no limit, e.g. voice).
func NewEngine(c *Catalog, fits Fits) *Engine {
	return newEngine(c, fits, false)
}

func newEngine(c *Catalog, fits Fits, forTheEar bool) *Engine {
	if fits == nil {
		fits = func(Screen) bool { return true }
	}
	t := c.tree
	e := &Engine{
		cat: c, fits: fits, nodes: map[string]*enode{}, langs: map[string]*elang{}, forTheEar: forTheEar,
		start: t.start, first: t.firstQuestion(), textFields: map[string]bool{}, submitEnds: map[string]bool{},
	}
	if forTheEar {
		inner := fits
		e.fits = func(s Screen) bool { return e.voiceFits(s) && inner(s) }
	}
	// A screen's session starts past the questions asked only on a call
	// (the short voice path), and the promise goes with its first question.
	for range len(t.nodes) {
		n := t.byID[e.first]
		if forTheEar || n == nil || !n.Voice {
			break
		}
		e.first = n.Next
	}
	e.langStart = t.byID[t.start] != nil && t.byID[t.start].Kind == kindLanguage
	for _, n := range t.nodes {
		en := &enode{def: n, back: n.ID != t.start}
		if n.Field != "" {
			en.clears = append(en.clears, n.Field)
		}
		for _, o := range n.allOptions() {
			for f := range o.Set {
				if !slices.Contains(en.clears, f) {
					en.clears = append(en.clears, f)
				}
			}
			if o.Action == actionSubmit {
				e.markSubmitEnds(t, o.Next)
			}
		}
		slices.Sort(en.clears)
		switch {
		case n.Kind == kindText:
			e.textFields[n.Field] = true
		case n.Kind == kindPlace && n.Level == 1 && e.region == "":
			e.region = n.Field
		case n.Kind == kindPlace && n.Level == 2 && e.cercle == "":
			e.cercle = n.Field
		case n.Kind == kindPlace && n.Level == 3 && e.locality == "":
			e.locality = n.Field
		}
		e.nodes[n.ID] = en
	}
	for _, l := range c.locales {
		e.langs[l.code] = e.prepare(l)
	}
	e.def = e.langs[c.defaultLocale().code]
	// Placeholders are known once all nodes are: mark templated prompts.
	for _, en := range e.nodes {
		for _, el := range e.langs {
			if strings.Contains(el.prompts[en.def.ID], "{") {
				en.tmpl = true
			}
			if strings.Contains(el.prompts[en.def.ID], "{"+phServices+"}") {
				en.services = true
			}
		}
	}
	return e
}

// markSubmitEnds records the end nodes a submit option leading to end may
// show: an end with `when` gives way to its `next` when the answers do
// not match, so each end of that chain may show. The last, shown whatever
// the answers, is where a receipt goes when the state has no end yet.
func (e *Engine) markSubmitEnds(t *tree, end string) {
	for end != "" && !e.submitEnds[end] {
		e.submitEnds[end] = true
		n := t.byID[end]
		if n == nil || len(n.When) == 0 {
			if e.end == "" {
				e.end = end
			}
			return
		}
		end = n.Next
	}
}

// Begin starts a session. With lang "" (or unknown) the caller first picks
// a language; with a known lang the session starts at the first question,
// and KeyBack there leads to the language screen.
func (e *Engine) Begin(lang string) Turn {
	st := State{Node: e.start}
	if e.langs[lang] != nil {
		st.Lang = lang
		if e.nodes[e.start].def.Kind == kindLanguage {
			st.Node, st.Back = e.first, []Frame{{Node: e.start}}
		}
	} else if e.nodes[e.start].def.Kind != kindLanguage {
		st.Lang = e.def.code
	}
	return Turn{State: st, Screen: e.mustRender(st, "")}
}

// Step applies one caller input (already split out of the aggregator's
// cumulative text) to st. A wrong key returns st unchanged with the same
// screen and an "invalid choice" notice. A state the engine cannot place
// (corrupt, or left over from an older tree) starts the session again.
func (e *Engine) Step(st State, input string) Turn {
	in := strings.TrimSpace(input)
	if st.Node == NodeResume {
		return e.stepResume(st, in)
	}
	el, en, ok := e.lookup(st)
	if !ok {
		return e.Begin(st.Lang)
	}
	n := en.def
	switch n.Kind {
	case kindEnd:
		return Turn{State: st, Screen: e.mustRender(st, "")}
	case kindText:
		switch {
		case in == KeyBack:
			return e.back(st, el)
		case utf8.RuneCountInString(in) > 1:
			if text := cleanText(in, n.Max); utf8.RuneCountInString(text) > 1 {
				return e.textAnswer(st, en, text)
			}
		// A call reads no skip keys (the free text is a recording): a caller
		// who left none gets the questions the skips would have answered.
		case n.Optional && len(n.Skips) > 0 && !e.forTheEar && len(in) == 1 && in[0] >= '1' && int(in[0]-'1') < len(n.Skips):
			return e.answer(st, en, n.Field, "", n.Skips[in[0]-'1'])
		case in == KeySkip && n.Optional:
			return e.textAnswer(st, en, "")
		}
		return e.invalid(st, el)
	case kindPage:
		return e.stepPage(st, el, in)
	}
	m := el.menus[e.menuKeyFor(en, st)]
	p := clampPage(st.Page, m)
	pg := m.pages[p]
	switch in {
	case KeyBack:
		return e.back(st, el)
	case KeyNext:
		if pg.next {
			st.Page = p + 1
			return Turn{State: st, Screen: e.mustRender(st, "")}
		}
	case KeyPrev:
		if pg.prev {
			st.Page = p - 1
			return Turn{State: st, Screen: e.mustRender(st, "")}
		}
	}
	if len(in) == 1 && in[0] >= '1' && in[0] <= '9' {
		if i := pg.start + int(in[0]-'1'); i < pg.end {
			return e.choose(st, el, en, m.items[i])
		}
	}
	if n.Otherwise && in != "" {
		// Any other key: on to the next question (the short voice path's
		// "other keys: the menu").
		return e.answer(st, en, "", "", nil)
	}
	return e.invalid(st, el)
}

// Submitted shows the end screen with the reference, once the gateway has
// stored the Submission. The answers are not kept in the state any more.
func (e *Engine) Submitted(st State, reference string) Turn {
	return e.Confirmed(st, Receipt{Reference: reference})
}

// Confirmed is Submitted with everything the caller should hear: the
// reference, the PIN for following up from another phone, and when an
// answer is due (WFP's minimum standard: who reviews it, when, how to
// follow up).
func (e *Engine) Confirmed(st State, r Receipt) Turn {
	lang := st.Lang
	if e.langs[lang] == nil {
		lang = e.def.code
	}
	node := e.end
	if en := e.nodes[st.Node]; en != nil && en.def.Kind == kindEnd {
		node = st.Node
	}
	ns := State{Lang: lang, Node: node, Reference: r.Reference, PIN: r.PIN, AnswerDays: r.AnswerDays}
	if en := e.nodes[node]; en != nil && en.services {
		ns.Answers = e.placeAnswers(st.Answers)
	}
	return Turn{State: ns, Screen: e.mustRender(ns, "")}
}

// submissionEnd is the end node a submit option leading to next shows for
// these answers: an end with `when` (the sexual abuse report's end, with
// the referral directory) gives way to its `next` when they do not match,
// and to a continued report, whose category must not be told (skips).
func (e *Engine) submissionEnd(next string, ans map[string]string) string {
	for range len(e.nodes) {
		en := e.nodes[next]
		if en == nil || !e.skips(en.def, ans) {
			break
		}
		next = en.def.Next
	}
	return next
}

// isSubmissionEnd reports whether node is where a submission ends (the
// `next` of a submit option), as opposed to another end such as a
// follow-up answer.
func (e *Engine) isSubmissionEnd(node string) bool {
	return e.submitEnds[node]
}

// textAnswer records a free-text answer; on a lookup node it hands the
// answers to the gateway instead of moving on.
func (e *Engine) textAnswer(st State, en *enode, text string) Turn {
	if en.def.Action != actionLookup {
		return e.answer(st, en, en.def.Field, text, nil)
	}
	ans := make(map[string]string, len(st.Answers)+1)
	maps.Copy(ans, st.Answers)
	ans[en.def.Field] = text
	ns := st
	ns.Answers = ans
	// Until LookedUp, the screen is the neutral "nothing found" one, so
	// that a gateway that cannot look anything up still ends politely.
	missing := State{Lang: st.Lang, Node: en.def.Missing}
	return Turn{State: ns, Screen: e.mustRender(missing, ""), Lookup: &Lookup{Lang: st.Lang, Answers: maps.Clone(ans)}}
}

// LookedUp shows what the gateway found for the Lookup made at st: the
// case's status and response, the PIN question, or the neutral screen.
func (e *Engine) LookedUp(st State, r LookupResult) Turn {
	el, en, ok := e.lookup(st)
	if !ok || en.def.Action != actionLookup {
		return e.Begin(st.Lang)
	}
	n := en.def
	switch {
	case r.Outcome == LookupNeedPIN && n.PIN != "":
		ns := e.forward(st, n.PIN, st.Answers)
		return Turn{State: ns, Screen: e.mustRender(ns, "")}
	case r.Outcome != LookupFound:
		ns := State{Lang: st.Lang, Node: n.Missing}
		return Turn{State: ns, Screen: e.mustRender(ns, "")}
	}
	status, ok := el.statuses[r.Status]
	if !ok || status == "" {
		status = el.statuses["in_progress"]
	}
	// The response is the team's own text: cut it, never the status, when
	// the screen would not fit.
	resp := []rune(cleanText(r.Response, 4096))
	show := func(n int) (Turn, bool) {
		text := string(resp)
		if n < len(resp) {
			text = strings.TrimSpace(string(resp[:n])) + ellipsis
		}
		ns := State{Lang: st.Lang, Node: en.def.Found, Reference: r.Reference,
			Answers: map[string]string{phStatus: status, phResponse: text}}
		scr, ok := e.render(ns, "")
		return Turn{State: ns, Screen: scr}, ok && e.fits(scr)
	}
	t, ok := show(len(resp))
	if ok {
		return t
	}
	if pn := e.nodes[n.More]; pn != nil && pn.def.Kind == kindPage && t.Screen.Prompt != "" {
		// Too long for one screen: the whole answer, paged (9 more). The
		// state holds no answers, so it is never kept for resume.
		ns := State{Lang: st.Lang, Node: n.More, Reference: r.Reference, Text: cleanPage(t.Screen.Prompt)}
		return Turn{State: ns, Screen: e.mustRender(ns, "")}
	}
	lo, hi := 0, len(resp)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if _, ok := show(mid); ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	t, _ = show(lo)
	return t
}

// Screen re-renders the current state (e.g. for a repeated hop).
func (e *Engine) Screen(st State) Screen {
	if s, ok := e.render(st, ""); ok {
		return s
	}
	return e.Begin(st.Lang).Screen
}

func (e *Engine) lookup(st State) (*elang, *enode, bool) {
	en := e.nodes[st.Node]
	if en == nil {
		return nil, nil, false
	}
	el := e.langs[st.Lang]
	if el == nil {
		if st.Lang != "" || st.Node != e.start {
			return nil, nil, false
		}
		el = e.def
	}
	return el, en, true
}

func (e *Engine) menuKeyFor(en *enode, st State) string {
	n := en.def
	if n.Kind != kindPlace || n.Level < 2 {
		return n.ID
	}
	parent := st.Answers[n.Parent]
	if len(e.cat.places.children[parent]) == 0 {
		parent = anyParent
	}
	return menuKey(n.ID, parent)
}

func clampPage(p int, m *menu) int {
	return max(0, min(p, len(m.pages)-1))
}

func (e *Engine) invalid(st State, el *elang) Turn {
	return Turn{State: st, Screen: e.mustRender(st, el.invalid)}
}

func (e *Engine) back(st State, el *elang) Turn {
	if len(st.Back) == 0 {
		return e.invalid(st, el)
	}
	f := st.Back[len(st.Back)-1]
	to := e.nodes[f.Node]
	if to == nil {
		return e.Begin(st.Lang)
	}
	ns := State{Lang: st.Lang, Node: f.Node, Page: f.Page, Back: slices.Clip(st.Back[:len(st.Back)-1])}
	if len(ns.Back) == 0 {
		ns.Back = nil
	}
	if len(st.Answers) > 0 {
		ns.Answers = maps.Clone(st.Answers)
		for _, k := range to.clears {
			delete(ns.Answers, k)
		}
	}
	return Turn{State: ns, Screen: e.mustRender(ns, "")}
}

func (e *Engine) choose(st State, el *elang, en *enode, it item) Turn {
	n := en.def
	if n.Kind == kindLanguage {
		ns := e.forward(st, n.Next, nil)
		ns.Lang = it.value
		return Turn{State: ns, Screen: e.mustRender(ns, "")}
	}
	if it.region != "" {
		return e.chooseVoiceCercle(st, en, it)
	}
	if it.opt != nil {
		switch it.opt.Action {
		case actionSubmit:
			sub := &Submission{Lang: st.Lang, Answers: maps.Clone(st.Answers), RememberLanguage: it.opt.Remember}
			if sub.Answers == nil {
				sub.Answers = map[string]string{}
			}
			delete(sub.Answers, replayed)
			// A submit option may answer its own question too (the short
			// voice path's call-back question sends at once).
			if n.Field != "" {
				sub.Answers[n.Field] = it.value
			}
			maps.Copy(sub.Answers, it.opt.Set)
			ns := State{Lang: st.Lang, Node: e.submissionEnd(it.opt.Next, st.Answers)}
			if en := e.nodes[ns.Node]; en != nil && en.services {
				ns.Answers = e.placeAnswers(st.Answers)
			}
			return Turn{State: ns, Screen: e.mustRender(ns, ""), Submit: sub}
		case actionInfo:
			return e.chooseInfo(st, en, it)
		case actionLive:
			return e.chooseLive(st, en, it)
		case actionRestart:
			t := e.Begin(st.Lang)
			t.Screen = e.mustRender(t.State, el.cancelled)
			return t
		}
	}
	return e.answer(st, en, n.Field, it.value, it.opt)
}

// answer records value in field (plus the option's `set`) and moves on.
func (e *Engine) answer(st State, en *enode, field, value string, o *optionDef) Turn {
	ans := make(map[string]string, len(st.Answers)+1)
	maps.Copy(ans, st.Answers)
	if field != "" {
		ans[field] = value
	}
	next := en.def.Next
	if o != nil {
		maps.Copy(ans, o.Set)
		next = o.nextFrom(en.def)
	}
	ns := e.forward(st, next, ans)
	return Turn{State: ns, Screen: e.mustRender(ns, "")}
}

// answerAll records several answers at once and moves on to next.
func (e *Engine) answerAll(st State, set map[string]string, next string) Turn {
	ans := make(map[string]string, len(st.Answers)+len(set))
	maps.Copy(ans, st.Answers)
	maps.Copy(ans, set)
	ns := e.forward(st, next, ans)
	return Turn{State: ns, Screen: e.mustRender(ns, "")}
}

// forward moves to node next, remembering the current step for KeyBack.
// Questions that do not apply (when) or cannot be asked on this medium
// (typed, on an engine for the ear) are passed over.
func (e *Engine) forward(st State, next string, ans map[string]string) State {
	back := make([]Frame, len(st.Back), len(st.Back)+1)
	copy(back, st.Back)
	back = append(back, Frame{Node: st.Node, Page: st.Page})
	if ans == nil && len(st.Answers) > 0 {
		ans = st.Answers // unchanged, never written to
	}
	for range len(e.nodes) { // a skipped node's next may be skipped too; the tree is finite
		en := e.nodes[next]
		if en == nil || !e.skips(en.def, ans) {
			break
		}
		next = en.def.Next
	}
	return State{Lang: st.Lang, Node: next, Back: back, Answers: ans}
}

// skips reports whether the caller goes past node n.
func (e *Engine) skips(n *nodeDef, ans map[string]string) bool {
	if (n.Typed && e.forTheEar) || (n.Voice && !e.forTheEar) {
		return true
	}
	// The place below the cercle is asked only where the deployment
	// lists localities for the caller's cercle.
	if n.Kind == kindPlace && n.Level == 3 && len(e.cat.places.children[ans[n.Parent]]) == 0 {
		return true
	}
	// A question asked only after some answer (the contact question, for
	// people left out) would tell a continued report's category.
	if len(n.When) > 0 && ans[replayed] != "" {
		return true
	}
	for field, want := range n.When {
		if ans[field] != want {
			return true
		}
	}
	return false
}
