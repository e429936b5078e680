package menus

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/numerovert/hotline/internal/reference"
)

func (e *Engine) mustRender(st State, notice string) Screen {
	if s, ok := e.render(st, notice); ok {
		return s
	}
	return e.Begin(st.Lang).Screen
}

// render builds the screen of st, with an optional notice line, in the
// proper spelling when it fits and in the GSM-7 spelling otherwise.
func (e *Engine) render(st State, notice string) (Screen, bool) {
	if st.Node == NodeResume {
		el := e.langs[st.Lang]
		if el == nil || st.Resume == nil || !e.resumable(*st.Resume) {
			return Screen{}, false
		}
		s := Screen{Lang: el.code, Node: NodeResume, Notice: notice, Prompt: el.resumePrompt,
			Options: []Option{{Key: KeyContinue, Label: el.continueLbl}, {Key: KeyRestart, Label: el.restartLbl}}}
		return e.toFit(el, s, nil), true
	}
	el, en, ok := e.lookup(st)
	if !ok {
		return Screen{}, false
	}
	n := en.def
	s := Screen{Lang: el.code, Node: n.ID, Notice: notice, Prompt: el.prompts[n.ID]}
	var spelled []Option // options in the GSM-7 spelling, when precomputed
	switch n.Kind {
	case kindPage:
		return e.renderPage(el, st, notice), true
	case kindEnd:
		s.End = true
		switch {
		case st.Reference == "" && e.isSubmissionEnd(n.ID):
			// Shown before the store answered, and kept when it failed.
			s.Prompt = el.saveFailed
		case en.services:
			return e.fitServices(el, s, st), true
		case en.tmpl:
			// An empty placeholder (no response yet) leaves no dangling space.
			s.Prompt = strings.TrimSpace(e.fill(s.Prompt, st, el, nil, false))
		}
		return e.withAnswer(el, e.toFit(el, s, nil), st), true
	case kindText:
		s.FreeText = true
		s.Digits = n.Digits || n.Action == actionLookup
		switch {
		case n.Optional && len(n.Skips) > 0:
			for i, label := range el.skips[n.ID] {
				s.Options = append(s.Options, Option{Key: string(rune('1' + i)), Label: label})
			}
		case n.Optional:
			s.Options = append(s.Options, Option{Key: KeySkip, Label: el.skipLbl})
		}
		if en.back {
			s.Options = append(s.Options, Option{Key: KeyBack, Label: e.backLabel(el, en)})
		}
	default:
		m := el.menus[e.menuKeyFor(en, st)]
		pg := m.pages[clampPage(st.Page, m)]
		s.Options, spelled = slices.Clone(pg.options), pg.gsm7
	}
	if en.tmpl {
		e.fillToFit(&s, st, el, spelled)
		return s, true
	}
	return e.toFit(el, s, spelled), true
}

// fitServices fills an end screen naming the nearest services with as
// many of them as fit, nearest first (the reference and PIN always stay).
func (e *Engine) fitServices(el *elang, s Screen, st State) Screen {
	tmpl := s.Prompt
	list := e.nearestServices(st.Answers, el.code)
	var out Screen
	for n := len(list); n >= 0; n-- {
		out = s
		text := map[string]string{phServices: servicesScreenText(list, n)}
		out.Prompt = strings.TrimSpace(e.fill(tmpl, st, el, text, false))
		if e.fits(out) {
			return out
		}
		if sp := e.spell(el, out, nil); e.fits(sp) {
			return sp
		}
	}
	return e.spell(el, out, nil)
}

// toFit returns s if it fits, else s in the GSM-7 spelling (which is also
// returned when neither fits: it is the shorter, and Lint reports it).
func (e *Engine) toFit(el *elang, s Screen, spelled []Option) Screen {
	if e.fits(s) {
		return s
	}
	return e.spell(el, s, spelled)
}

// spell writes s in el's GSM-7 spelling. spelled, when not nil, holds the
// options already spelled (a language's name in its own spelling).
func (e *Engine) spell(el *elang, s Screen, spelled []Option) Screen {
	return e.spellWith(el, s, el.sp(s.Prompt), spelled)
}

// spellWith is spell with the prompt already spelled.
func (e *Engine) spellWith(el *elang, s Screen, prompt string, spelled []Option) Screen {
	g := s
	g.Notice = el.sp(s.Notice)
	g.Prompt = prompt
	if spelled == nil {
		spelled = make([]Option, len(s.Options))
		for i, o := range s.Options {
			spelled[i] = Option{Key: o.Key, Label: el.sp(o.Label)}
		}
	}
	g.Options = slices.Clone(spelled)
	g.GSM7 = g.Notice != s.Notice || g.Prompt != s.Prompt || !slices.Equal(g.Options, s.Options)
	return g
}

// fillToFit fills the prompt's placeholders. Free text is the only
// unbounded part: when the screen does not fit, it is first shown in the
// GSM-7 spelling (one "ç" or "ɛ" halves a USSD screen), then with the free
// text cut until the screen fits. The stored answer is never changed.
func (e *Engine) fillToFit(s *Screen, st State, el *elang, spelled []Option) {
	tmpl := s.Prompt
	s.Prompt = e.fill(tmpl, st, el, nil, false)
	if e.fits(*s) {
		return
	}
	proper := *s
	// The spelled screens below are filled from the spelled template and
	// values (spelling is letter by letter), so nothing long is spelled
	// again at each cut.
	full := make(map[string]string, len(e.textFields))
	runes := make(map[string][]rune, len(e.textFields))
	longest := 0
	for f := range e.textFields {
		if v := st.Answers[f]; v != "" {
			full[f] = el.spelling.Apply(v)
			runes[f] = []rune(full[f])
			longest = max(longest, len(runes[f]))
		}
	}
	if g := e.spellWith(el, proper, e.fill(tmpl, st, el, full, true), spelled); e.fits(g) {
		*s = g
		return
	}
	cut := func(n int) map[string]string {
		m := make(map[string]string, len(runes))
		for f, r := range runes {
			if len(r) > n {
				m[f] = strings.TrimSpace(string(r[:n])) + ellipsis
			} else {
				m[f] = string(r)
			}
		}
		return m
	}
	cutTo := func(n int) Screen {
		return e.spellWith(el, proper, e.fill(tmpl, st, el, cut(n), true), spelled)
	}
	// Largest cut that fits; fitting only shrinks as the cut grows.
	lo, hi := 0, longest
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if e.fits(cutTo(mid)) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	*s = cutTo(lo)
}

const ellipsis = "..." // "…" is not GSM-7

// fill replaces {field}, {place} and {reference} in tmpl. text, when not
// nil, replaces the free-text answers (spelled or cut for display). With
// spelled, the template and the other values are in el's GSM-7 spelling.
func (e *Engine) fill(tmpl string, st State, el *elang, text map[string]string, spelled bool) string {
	if spelled {
		tmpl = el.sp(tmpl)
	}
	var b strings.Builder
	b.Grow(len(tmpl) + 64)
	for {
		i := strings.IndexByte(tmpl, '{')
		j := strings.IndexByte(tmpl[i+1:], '}')
		if i < 0 || j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+1 : i+1+j]
		v, isText := e.value(name, st, el, text)
		if spelled && !isText {
			v = el.sp(v)
		}
		b.WriteString(v)
		tmpl = tmpl[i+j+2:]
	}
}

// value is what placeholder name stands for; fromText says it came from
// text (already prepared for display).
func (e *Engine) value(name string, st State, el *elang, text map[string]string) (v string, fromText bool) {
	switch {
	case name == phReference:
		return reference.Format(st.Reference), false
	case name == phPIN:
		if st.PIN == "" {
			return "", false
		}
		return strings.ReplaceAll(el.pinText, "{"+phCode+"}", st.PIN), false
	case name == phServices:
		if t, ok := text[name]; ok {
			return t, true
		}
		list := e.nearestServices(st.Answers, el.code)
		return servicesScreenText(list, len(list)), false
	case name == phDays:
		if st.AnswerDays <= 0 {
			return "30", false
		}
		return strconv.Itoa(st.AnswerDays), false
	case st.Answers[replayed] != "" && !e.textFields[name]:
		return el.asBefore, false
	case name == phPlace:
		return e.placeText(st, el), false
	case e.textFields[name]:
		v := st.Answers[name]
		if v == "" {
			return el.noDetail, false
		}
		if t, ok := text[name]; ok {
			return t, true
		}
		return v, false
	}
	v = st.Answers[name]
	if l, ok := el.labels[name][v]; ok {
		return l, false
	}
	return v, false
}

// placeText names the most precise place answered: "Diafarabé (Tenenkou)",
// "Douentza (Mopti)", "Mopti", or the "other / I don't know" label.
func (e *Engine) placeText(st State, el *elang) string {
	pl := e.cat.places
	if l, ok := pl.byCode[st.Answers[e.locality]]; ok && e.locality != "" && l.level == 3 {
		return l.name + " (" + pl.byCode[l.parent].name + ")"
	}
	if c, ok := pl.byCode[st.Answers[e.cercle]]; ok && c.level == 2 {
		return c.name + " (" + pl.byCode[c.parent].name + ")"
	}
	r := st.Answers[e.region]
	if p, ok := pl.byCode[r]; ok {
		return p.name
	}
	return el.labels[e.region][r]
}

// cleanText makes caller text safe to show and store: NFC, no control
// characters, trimmed, at most max runes. '*' and everything else stay.
func cleanText(s string, max int) string {
	if max <= 0 {
		max = defaultTextMax
	}
	s = norm.NFC.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		s = strings.TrimSpace(string([]rune(s)[:max]))
	}
	return s
}
