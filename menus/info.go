package menus

import (
	"maps"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The information line (#15): a choice option with `action: info` hands
// the caller's place and topic to the gateway (Turn.Info), which fetches
// the approved page and gives its text to InfoShown; a `page` node shows
// that text, paged to fit the medium (8/9 turn pages, 0 goes back to the
// topics). With nothing to show, the page node's `missing` end node is
// shown. The engine knows no page content: it is staff's, written and
// approved in the web view, and reaches the engine only as text.
//
// Answers of the information line live in fields starting "info_"
// (InfoFieldPrefix): a session in it is never kept for resume, since it
// holds no complaint.
const (
	kindPage   = "page"
	actionInfo = "info"
	// InfoFieldPrefix starts every field of the information line.
	InfoFieldPrefix = "info_"
	// MaxInfoText bounds the text one page node shows (runes).
	MaxInfoText = 2000
)

// Strings the gateway shows as the page of the information line's "SMS
// news" choice (Catalog.Text): they are in every locale like the tree's.
const (
	InfoSubscribed   = "info.subscribed"
	InfoUnsubscribed = "info.unsubscribed"
	// InfoNoSMS: the caller's channel sends no SMS (or keeps no
	// subscribers), so nobody was subscribed.
	InfoNoSMS = "info.sms_unavailable"
)

// YouSaid are the words of the "you said, we did" script (the web view
// writes it, casework publishes it as the cercle's "yousaid" page): a
// heading, what people called about, "and other subjects" (where counts
// were too small to say), what the team found, what changed, the close.
var YouSaid = struct{ Heading, Raised, Other, Found, Changed, Close string }{
	"yousaid.heading", "yousaid.raised", "yousaid.other", "yousaid.found", "yousaid.changed", "yousaid.close",
}

// InfoStrings lists every string the information line shows outside the
// tree.
var InfoStrings = []string{InfoSubscribed, InfoUnsubscribed, InfoNoSMS,
	YouSaid.Heading, YouSaid.Raised, YouSaid.Other, YouSaid.Found, YouSaid.Changed, YouSaid.Close}

// InfoRequest asks the gateway for an information page: the caller's
// language and the information line's answers (info_region, info_cercle,
// info_topic, by the tree's fields).
type InfoRequest struct {
	Lang    string
	Answers map[string]string
}

// infoAnswers reports whether st is on the information line.
func infoAnswers(ans map[string]string) bool {
	for k := range ans {
		if strings.HasPrefix(k, InfoFieldPrefix) {
			return true
		}
	}
	return false
}

// chooseInfo records the option's value and hands the answers to the
// gateway; until InfoShown the screen is the page node's `missing` one,
// so a gateway that finds nothing still ends politely.
func (e *Engine) chooseInfo(st State, en *enode, it item) Turn {
	ans := make(map[string]string, len(st.Answers)+1)
	maps.Copy(ans, st.Answers)
	if en.def.Field != "" {
		ans[en.def.Field] = it.value
	}
	maps.Copy(ans, it.opt.Set)
	ns := e.forward(st, it.opt.Next, ans)
	missing := ns
	if pn := e.nodes[ns.Node]; pn != nil && pn.def.Kind == kindPage {
		missing = State{Lang: st.Lang, Node: pn.def.Missing}
	}
	return Turn{State: ns, Screen: e.mustRender(missing, ""), Info: &InfoRequest{Lang: st.Lang, Answers: maps.Clone(ans)}}
}

// InfoShown shows text, the page the gateway found for the InfoRequest
// made at st, from its first screen; empty text shows the `missing` end
// node ("no information yet for this place").
func (e *Engine) InfoShown(st State, text string) Turn {
	_, en, ok := e.lookup(st)
	if !ok || en.def.Kind != kindPage {
		return e.Begin(st.Lang)
	}
	text = cleanPage(text)
	if text == "" {
		ns := State{Lang: st.Lang, Node: en.def.Missing}
		return Turn{State: ns, Screen: e.mustRender(ns, "")}
	}
	ns := st
	ns.Text, ns.Page, ns.Heard = text, 0, nil
	return Turn{State: ns, Screen: e.mustRender(ns, "")}
}

// PagePart is one of the pages a page node shows, as a call plays it:
// the recording Audio (a prompt-like name in Lang's recordings) when
// there is one, else Text by text-to-speech.
type PagePart struct {
	Lang  string `json:"lang"`
	Text  string `json:"text"`
	Audio string `json:"audio,omitempty"`
}

// InfoHeard is InfoShown of the parts' texts, one a paragraph, keeping
// their recordings for a call (USSD and SMS show the text).
func (e *Engine) InfoHeard(st State, parts []PagePart) Turn {
	texts := make([]string, len(parts))
	recorded := false
	for i, p := range parts {
		texts[i] = p.Text
		recorded = recorded || p.Audio != ""
	}
	t := e.InfoShown(st, strings.Join(texts, "\n"))
	if recorded && t.State.Text != "" {
		t.State.Heard = parts
	}
	return t
}

// cleanPage keeps line breaks (staff write paragraphs) but no other
// control character, and bounds the length.
func cleanPage(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = cleanText(l, MaxInfoText); l != "" {
			out = append(out, l)
		}
	}
	s = strings.Join(out, "\n")
	if utf8.RuneCountInString(s) > MaxInfoText {
		s = strings.TrimSpace(string([]rune(s)[:MaxInfoText]))
	}
	return s
}

func (e *Engine) stepPage(st State, el *elang, in string) Turn {
	pages := e.pageChunks(el, st)
	p := max(0, min(st.Page, len(pages)-1))
	switch {
	case in == KeyBack && len(st.Back) == 0:
		return e.Begin(st.Lang) // a follow-up's long answer: back to the start
	case in == KeyBack:
		return e.back(st, el)
	case in == KeyNext && p+1 < len(pages):
		st.Page = p + 1
		return Turn{State: st, Screen: e.mustRender(st, "")}
	case in == KeyPrev && p > 0:
		st.Page = p - 1
		return Turn{State: st, Screen: e.mustRender(st, "")}
	}
	return e.invalid(st, el)
}

// pageScreen is screen p of pages (the header says which of how many).
func (e *Engine) pageScreen(el *elang, st State, notice string, pages []string, p int) Screen {
	header := el.prompts[st.Node]
	if len(pages) > 1 {
		header += " " + strconv.Itoa(p+1) + "/" + strconv.Itoa(len(pages))
	}
	s := Screen{Lang: el.code, Node: st.Node, Notice: notice, Prompt: strings.TrimSpace(header + "\n" + pages[p])}
	if p > 0 {
		s.Options = append(s.Options, Option{Key: KeyPrev, Label: el.prevLbl})
	}
	if p+1 < len(pages) {
		s.Options = append(s.Options, Option{Key: KeyNext, Label: el.nextLbl})
	}
	s.Options = append(s.Options, Option{Key: KeyBack, Label: el.backLbl})
	return s
}

func (e *Engine) renderPage(el *elang, st State, notice string) Screen {
	pages := e.pageChunks(el, st)
	p := max(0, min(st.Page, len(pages)-1))
	return e.toFit(el, e.pageScreen(el, st, notice, pages, p), nil)
}

// pageChunks cuts st.Text into screens, word by word, each fitting the
// medium with the longest notice and every navigation option; a word too
// long for a screen is cut. The cut depends only on the text and the
// language, so a page number in the state always means the same screen.
func (e *Engine) pageChunks(el *elang, st State) []string {
	words := strings.FieldsFunc(st.Text, func(r rune) bool { return r == ' ' })
	if len(words) == 0 {
		return []string{""}
	}
	longest := ""
	for _, n := range el.notices {
		if len(n) > len(longest) {
			longest = n
		}
	}
	fits := func(chunk string) bool {
		s := e.pageScreen(el, st, longest, []string{"", chunk, ""}, 1) // previous, next and back, "n/m" header
		s.Prompt += "0"                                                // room for a two-digit page count
		return e.fits(s) || e.fits(e.spell(el, s, nil))
	}
	var pages []string
	cur := ""
	for i := 0; i < len(words); {
		w := words[i]
		try := w
		if cur != "" {
			try = cur + " " + w
		}
		switch {
		case fits(try):
			cur = try
			i++
		case cur != "":
			pages, cur = append(pages, cur), ""
		default: // one word longer than a screen: cut it
			r := []rune(w)
			n := len(r) - 1
			for n > 1 && !fits(string(r[:n])) {
				n--
			}
			pages = append(pages, string(r[:n]))
			words[i] = string(r[n:])
		}
	}
	if cur != "" {
		pages = append(pages, cur)
	}
	return pages
}

// voicePage reads the whole page (an engine for the ear cuts nothing: it
// has no fit): each part's recording where staff made one, else its text
// by text-to-speech in the caller's language; then offers the way back.
func (e *Engine) voicePage(v *VoicePrompt, st State, s Screen, el *elang) {
	v.Clips = append(v.Clips, e.clip(el.code, e.nodes[st.Node].def.Prompt))
	switch {
	case len(st.Heard) > 0:
		for _, p := range st.Heard {
			v.Clips = append(v.Clips, Clip{Lang: p.Lang, Key: p.Audio, Text: p.Text, Say: p.Text})
		}
	case st.Text != "":
		v.Clips = append(v.Clips, Clip{Lang: el.code, Text: st.Text, Say: st.Text})
	}
	t := e.cat.tree
	e.options(v, el.code, s.Options, func(o Option) Clip {
		switch o.Key {
		case KeyPrev:
			return e.clip(el.code, t.messages[msgPrev])
		case KeyNext:
			return e.clip(el.code, t.messages[msgNext])
		}
		return e.clip(el.code, t.messages[msgBack])
	})
}

// checkPage renders every screen of a page node holding a long sample
// text (the page's own words are staff's, checked when they are cut).
func (sc *screenCheck) checkPage(base State) {
	base.Text = strings.Repeat("Distribution le 12 mars à Ténenkou, pour les ménages inscrits. ", 12)
	pages := sc.e.pageChunks(sc.el, base)
	for p := range pages {
		st := base
		st.Page = p
		for _, notice := range []string{"", sc.el.invalid} {
			sc.check(st, notice, "page "+strconv.Itoa(p+1))
		}
	}
}

// Answered adds an instant answer to the end screen of a submission t
// (the approved information page that matches a question): a call hears
// it after the reference and PIN; USSD shows it below the end screen only
// when both fit one screen (the reference and PIN come first, always).
func (e *Engine) Answered(t Turn, text string) Turn {
	if text = cleanPage(text); text == "" || !t.Screen.End || !e.isSubmissionEnd(t.State.Node) || t.State.Reference == "" {
		return t
	}
	st := t.State
	st.Text = text
	return Turn{State: st, Screen: e.mustRender(st, "")}
}

// AnsweredHeard is Answered with the page's parts joined, keeping their
// recordings for a call: it plays each part's recording where staff made
// one, and reads the others by text-to-speech (USSD shows the text).
func (e *Engine) AnsweredHeard(t Turn, parts []PagePart) Turn {
	texts := make([]string, len(parts))
	recorded := false
	for i, p := range parts {
		texts[i] = p.Text
		recorded = recorded || p.Audio != ""
	}
	a := e.Answered(t, strings.Join(texts, "\n"))
	a.State.Heard = nil
	if recorded && a.State.Text != "" {
		a.State.Heard = parts
	}
	return a
}

// withAnswer is the end screen s with st's instant answer below, when it
// fits.
func (e *Engine) withAnswer(el *elang, s Screen, st State) Screen {
	if st.Text == "" {
		return s
	}
	with := s
	with.Prompt = s.Prompt + "\n" + st.Text
	if e.fits(with) {
		return with
	}
	if g := e.spell(el, with, nil); e.fits(g) {
		return g
	}
	return s
}
