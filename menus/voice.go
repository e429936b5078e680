package menus

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Strings the voice renderer speaks besides the tree's own. Like the keypad
// keys they are fixed by the engine, not named in tree.yaml; the fallback
// locale must hold them (Lint), the others borrow its text until translated.
const (
	VoiceFor       = "voice.for"       // "Pour" before an option's label
	VoicePress     = "voice.press"     // "tapez" before its key
	VoiceRecord    = "voice.record"    // replaces a free-text question: speak after the beep
	VoiceRecorded  = "voice.recorded"  // the summary's word for the caller's voice message
	VoiceSummary   = "voice.summary"   // opens the summary read before confirming
	VoiceSaved     = "voice.saved"     // first words once the complaint is stored
	VoiceReference = "voice.reference" // "your reference is", before its digits
	VoicePIN       = "voice.pin"       // "your secret code is", before its digits
	VoiceAgain     = "voice.again"     // before the reference and PIN are read a second time
	VoiceThanks    = "voice.thanks"    // last words after a complaint
	VoiceGoodbye   = "voice.goodbye"   // after two wrong or missing answers: call again
	VoiceHash      = "voice.hash"      // after a question answered with a number: end it with #
	// VoiceServices follows the reference and PIN of a report whose end
	// screen names the referral directory ({services}): a trained focal
	// point acts within 24 hours, and these services can help now.
	VoiceServices = "voice.services"
	// VoicePlace asks "where?" on a call's region question when it offers
	// the deployment's cercles first (WithVoiceCercles).
	VoicePlace = "voice.place.prompt"

	// LanguageNameKey is the recording of a language's name, said in that
	// language (the `name:` of its file).
	LanguageNameKey = "language.name"

	// VoiceMessage is the answer a free-text step gets when the caller left
	// a voice message; the recording itself is stored apart by the gateway.
	VoiceMessage = "[voice message]"
)

var voiceStrings = append([]string{VoiceFor, VoicePress, VoiceRecord, VoiceRecorded, VoiceSummary, VoiceSaved,
	VoiceReference, VoicePIN, VoiceAgain, VoiceThanks, VoiceGoodbye, VoiceHash, VoiceServices, VoicePlace}, append(callbackStrings, liveStrings...)...)

// ShortVoicePath is the minimum set of recordings that makes a language
// usable by voice: the language menu, the promise, the short voice path's
// offer (tree.yaml `voice_short`: 1 your own words, any other key the
// menu), "speak after the beep", the call-back question every complaint
// ends with, then the reference and PIN digit by digit and goodbye, and
// the two lines of a missed key. A field team that records these in one
// sitting lets callers of that language leave a complaint in their own
// words; the studio shows them first.
var ShortVoicePath = append([]string{
	"language.prompt", LanguageNameKey, VoiceFor, VoicePress,
	"promise.line", "voice.short.prompt", "voice.short.own_words", "voice.short.menu", "nav.language",
	VoiceRecord, "callback.prompt", "callback.no", "callback.yes", "nav.back",
	VoiceSaved, VoiceReference, VoicePIN, VoiceAgain, VoiceThanks,
	"notice.invalid", VoiceGoodbye,
}, digitKeys()...)

// DigitKey is the string key (and recording name) of one spoken digit.
func DigitKey(d byte) string { return "digit-" + string(d) }

func digitKeys() []string {
	out := make([]string, 10)
	for i := range out {
		out[i] = DigitKey(byte('0' + i))
	}
	return out
}

// Clip is one piece of a voice prompt: the recording
// locales/audio/<Lang>/<Key>.wav when there is one.
type Clip struct {
	Lang string // language of the recording
	Key  string // string key; "" when no recording exists (a place name)
	Text string // the words in Lang (for transcripts and the prompt script)
	// Say is the French (fallback locale) text that text-to-speech reads
	// when no recording is found.
	Say string
}

// VoicePrompt is a Screen rendered for the ear.
type VoicePrompt struct {
	Clips []Clip
	// Keys the caller may press; empty on a recording step or the end.
	Keys []string
	// Record: after the clips, record a voice message (the free-text step).
	Record bool
	// Number: after the clips, take digits ended by # (a reference, a PIN).
	Number bool
	End    bool
}

// Voice renders the screen of a turn for a telephone call: the notice, the
// prompt, then each option as "for <label>, press <key>" in the caller's
// language (each language in itself on the language screen). A free-text
// step becomes a request to leave a voice message. On the end screen the
// reference and pin are read digit by digit, twice. The engine must be
// built without a USSD fit (NewEngine(c, nil)) so that no spelling changes.
func (e *Engine) Voice(st State, s Screen, pin string) VoicePrompt {
	el := e.langs[s.Lang]
	if el == nil {
		el = e.def
	}
	t := e.cat.tree
	var v VoicePrompt
	add := func(c ...Clip) { v.Clips = append(v.Clips, c...) }
	switch s.Notice {
	case "":
	case el.invalid:
		add(e.clip(el.code, t.messages[msgInvalid]))
	case el.cancelled:
		add(e.clip(el.code, t.messages[msgCancelled]))
	default:
		add(Clip{Lang: el.code, Text: s.Notice, Say: s.Notice})
	}
	if s.Node == NodeResume {
		add(e.clip(el.code, t.messages[msgResume]))
		e.options(&v, el.code, []Option{{Key: KeyContinue}, {Key: KeyRestart}}, func(o Option) Clip {
			if o.Key == KeyContinue {
				return e.clip(el.code, t.messages[msgContinue])
			}
			return e.clip(el.code, t.messages[msgRestart])
		})
		return v
	}
	en := e.nodes[s.Node]
	if en == nil {
		add(e.clip(el.code, t.messages[msgSaveFailed]))
		v.End = true
		return v
	}
	n := en.def
	switch n.Kind {
	case kindPage:
		e.voicePage(&v, st, s, el)
		return v
	case kindEnd:
		v.End = true
		if !e.isSubmissionEnd(n.ID) {
			add(e.followUpAnswer(st, el, n)...)
			return v
		}
		add(e.voiceSaved(st, el, pin)...)
		return v
	case kindText:
		if s.Digits {
			add(e.clip(el.code, n.Prompt), e.clip(el.code, VoiceHash))
			v.Number = true
			return v
		}
		add(e.clip(el.code, VoiceRecord))
		v.Record = true
		return v
	}
	e.voiceMenu(&v, st, s, el, en)
	return v
}

// voiceSaved speaks the end of a submission: saved, then the reference
// and the PIN digit by digit, twice; or the apology when nothing was saved.
func (e *Engine) voiceSaved(st State, el *elang, pin string) []Clip {
	if st.Reference == "" {
		return []Clip{e.clip(el.code, e.cat.tree.messages[msgSaveFailed])}
	}
	out := []Clip{e.clip(el.code, VoiceSaved)}
	for round := range 2 {
		if round == 1 {
			out = append(out, e.clip(el.code, VoiceAgain))
		}
		out = append(out, e.clip(el.code, VoiceReference))
		out = append(out, e.digits(el.code, st.Reference)...)
		if pin != "" {
			out = append(out, e.clip(el.code, VoicePIN))
			out = append(out, e.digits(el.code, pin)...)
		}
	}
	if en := e.nodes[st.Node]; en != nil && en.services {
		out = append(out, e.clip(el.code, VoiceServices))
		// The directory's own words, read by text-to-speech: in the
		// caller's language where the deployment wrote them.
		fb := e.nearestServices(st.Answers, e.def.code)
		for i, s := range e.nearestServices(st.Answers, el.code) {
			c := Clip{Lang: el.code, Text: s.text(true), Say: s.text(true)}
			if i < len(fb) {
				c.Say = fb[i].text(true)
			}
			out = append(out, c)
		}
	}
	switch {
	case st.Text != "" && len(st.Heard) > 0: // an instant answer with recordings (AnsweredHeard)
		for _, p := range st.Heard {
			out = append(out, Clip{Lang: p.Lang, Key: p.Audio, Text: p.Text, Say: p.Text})
		}
	case st.Text != "": // an instant answer to a question (Answered), read by text-to-speech
		out = append(out, Clip{Lang: el.code, Text: st.Text, Say: st.Text})
	}
	return append(out, e.clip(el.code, VoiceThanks))
}

// voiceMenu speaks a question with options: its prompt (the summary, or
// the promise before the first question) and "for <label>, press <key>"
// for each option of the page.
func (e *Engine) voiceMenu(v *VoicePrompt, st State, s Screen, el *elang, en *enode) {
	t, n := e.cat.tree, en.def
	add := func(c ...Clip) { v.Clips = append(v.Clips, c...) }
	if en.tmpl {
		add(e.summary(st, el, n)...)
	} else {
		if n.ID == e.first {
			add(e.clip(el.code, e.cat.tree.messages[msgPromise]))
		}
		add(e.clip(el.code, e.voiceQuestion(n, st.Page)))
	}
	m := el.menus[e.menuKeyFor(en, st)]
	pg := m.pages[clampPage(st.Page, m)]
	if n.Kind == kindLanguage {
		// Each language is offered in itself: "Pour le français, tapez 2".
		for i := pg.start; i < pg.end; i++ {
			it := m.items[i]
			key := string(rune('1' + i - pg.start))
			add(e.clip(it.value, VoiceFor), Clip{Lang: it.value, Key: LanguageNameKey, Text: it.label, Say: it.label},
				e.clip(it.value, VoicePress), e.clip(it.value, DigitKey(key[0])))
			v.Keys = append(v.Keys, key)
		}
		return
	}
	if n.Kind == kindPlace {
		e.placeOptions(v, el.code, s.Options, m, pg)
		return
	}
	e.options(v, el.code, s.Options, func(o Option) Clip {
		switch {
		case o.Key == KeyBack:
			if o.Label == el.langLbl && e.langStart && n.ID == e.first {
				return e.clip(el.code, t.messages[msgLanguage])
			}
			return e.clip(el.code, t.messages[msgBack])
		case o.Key == KeyPrev && pg.prev:
			return e.clip(el.code, t.messages[msgPrev])
		case o.Key == KeyNext && pg.next:
			return e.clip(el.code, t.messages[msgNext])
		}
		if i := pg.start + int(o.Key[0]-'1'); len(o.Key) == 1 && i >= pg.start && i < pg.end {
			if it := m.items[i]; it.opt != nil {
				return e.clip(el.code, it.opt.Label)
			}
		}
		return Clip{Lang: el.code, Text: o.Label, Say: o.Label} // a place name: no recording
	})
}

// followUpAnswer speaks an end screen other than the submission's: the
// follow-up answer (the reference digit by digit, the status, then the
// team's response, which has no recording and is read by text-to-speech),
// or the node's own prompt.
func (e *Engine) followUpAnswer(st State, el *elang, n *nodeDef) []Clip {
	status, ok := st.Answers[phStatus]
	if st.Reference == "" || !ok {
		return []Clip{e.clip(el.code, n.Prompt)}
	}
	out := append([]Clip{e.clip(el.code, VoiceReference)}, e.digits(el.code, st.Reference)...)
	for code, text := range el.statuses {
		if text == status {
			out = append(out, e.clip(el.code, e.cat.tree.messages["status_"+code]))
		}
	}
	if resp := st.Answers[phResponse]; resp != "" {
		out = append(out, Clip{Lang: el.code, Text: resp, Say: resp})
	}
	return out
}

// options adds "for <label>, press <key>" for each option.
func (e *Engine) options(v *VoicePrompt, lang string, opts []Option, label func(Option) Clip) {
	for _, o := range opts {
		if len(o.Key) != 1 {
			continue
		}
		v.Clips = append(v.Clips, e.clip(lang, VoiceFor), label(o), e.clip(lang, VoicePress), e.clip(lang, DigitKey(o.Key[0])))
		v.Keys = append(v.Keys, o.Key)
	}
}

// placeOptions reads a place list short (MaxVoiceWords): "<place>
// <press> <digit>" for each place, "other" and "next"; back and previous
// are not read on it (they still work).
func (e *Engine) placeOptions(v *VoicePrompt, lang string, opts []Option, m *menu, pg page) {
	for _, o := range opts {
		if len(o.Key) != 1 {
			continue
		}
		v.Keys = append(v.Keys, o.Key)
		label := Clip{Lang: lang, Text: o.Label, Say: o.Label} // a place name: no recording
		switch i := pg.start + int(o.Key[0]-'1'); {
		case o.Key == KeyBack || o.Key == KeyPrev:
			continue
		case o.Key == KeyNext && pg.next:
			label = e.clip(lang, e.cat.tree.messages[msgNext])
		case i >= pg.start && i < pg.end && m.items[i].opt != nil:
			label = e.clip(lang, m.items[i].opt.Label) // other / I don't know
		}
		v.Clips = append(v.Clips, label, e.clip(lang, VoicePress), e.clip(lang, DigitKey(o.Key[0])))
	}
}

// clip is the recording of key in lang, with the fallback's text for
// text-to-speech.
func (e *Engine) clip(lang, key string) Clip {
	return Clip{Lang: lang, Key: key, Text: e.cat.Text(lang, key), Say: e.cat.Text(e.cat.fallback.code, key)}
}

func (e *Engine) digits(lang, digits string) []Clip {
	var out []Clip
	for i := 0; i < len(digits); i++ {
		if d := digits[i]; d >= '0' && d <= '9' {
			out = append(out, e.clip(lang, DigitKey(d)))
		}
	}
	return out
}

// summary reads a templated prompt (the confirmation) for the ear: a
// recorded template cannot hold the answers, so it is "you are reporting"
// followed by each answer in the template's order, each its own recording.
func (e *Engine) summary(st State, el *elang, n *nodeDef) []Clip {
	out := []Clip{e.clip(el.code, VoiceSummary)}
	t := e.cat.tree
	for _, m := range placeholderRE.FindAllStringSubmatch(el.prompts[n.ID], -1) {
		name := m[1]
		switch {
		case st.Answers[replayed] != "" && !e.textFields[name]:
			// A continued report: its choices are never read back.
			out = append(out, e.clip(el.code, t.messages[msgAsBefore]))
		case name == phPlace || name == e.region || name == e.cercle:
			out = append(out, e.placeClip(st, el))
		case e.textFields[name]:
			switch st.Answers[name] {
			case VoiceMessage:
				out = append(out, e.clip(el.code, VoiceRecorded))
			case "":
				out = append(out, e.clip(el.code, t.messages[msgNoDetail]))
			default:
				// Typed text (a session begun on another medium): never
				// read aloud to whoever holds the phone now.
				out = append(out, e.clip(el.code, VoiceRecorded))
			}
		default:
			if key := t.labelKey(name, st.Answers[name]); key != "" {
				out = append(out, e.clip(el.code, key))
			}
		}
	}
	return out
}

// placeClip names the most precise place answered; P-code names are the
// same in every language and have no recording.
func (e *Engine) placeClip(st State, el *elang) Clip {
	pl := e.cat.places
	_, cercle := pl.byCode[st.Answers[e.cercle]]
	_, region := pl.byCode[st.Answers[e.region]]
	if cercle || region {
		name := e.placeText(st, el)
		return Clip{Lang: el.code, Text: name, Say: name}
	}
	if key := e.cat.tree.labelKey(e.region, st.Answers[e.region]); key != "" {
		return e.clip(el.code, key)
	}
	return Clip{Lang: el.code}
}

// labelKey is the string key of the label of value in field ("" if none).
func (t *tree) labelKey(field, value string) string {
	for _, n := range t.nodes {
		if n.Field != field {
			continue
		}
		for _, o := range n.allOptions() {
			if o.Value == value {
				return o.Label
			}
		}
	}
	return ""
}

// voiceKeys lists every string a call may play, in tree order: the
// messages, prompts and labels the voice renderer uses, its own strings
// and the digits. Templated prompts, free-text questions and the skip key
// are not spoken (calls use the voice strings instead).
func (t *tree) voiceKeys() []string {
	var out []string
	add := func(k string) {
		if k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	add(LanguageNameKey)
	for _, n := range t.nodes {
		if n.Kind != kindText && n.Kind != kindEnd {
			add(n.Prompt)
		}
		for _, o := range n.allOptions() {
			add(o.Label)
		}
	}
	for _, role := range messageRoles {
		if role != msgSkip {
			add(t.messages[role])
		}
	}
	for _, k := range append(slices.Clone(voiceStrings), InfoStrings...) {
		add(k)
	}
	for _, k := range digitKeys() {
		add(k)
	}
	return out
}

// ScriptLine is one prompt to record: its file and the words to say.
type ScriptLine struct {
	Lang, Key, Text string
	File            string // audio/<lang>/<key>.wav, relative to the locales directory
	// Borrowed: the locale has no text of its own yet; Text is the
	// fallback's, to be translated before it is recorded.
	Borrowed bool
}

// Script lists every recording a call may play, per language in menu
// order: the prompt script field teams read from. Templated prompts are
// absent: calls assemble them from the other recordings.
func (c *Catalog) Script() []ScriptLine {
	var out []ScriptLine
	keys := c.PromptKeys()
	for _, l := range c.locales {
		for _, key := range keys {
			text, own := l.strings[key]
			if key == LanguageNameKey {
				text, own = l.name, true
			}
			if !own || l.borrowed[key] {
				text = c.Text(l.code, key)
				own = false
			}
			out = append(out, ScriptLine{Lang: l.code, Key: key, Text: text, File: AudioFile(l.code, key), Borrowed: !own})
		}
	}
	return out
}

// AudioFile is where the recording of key in lang lives, relative to the
// locales directory.
func AudioFile(lang, key string) string { return "audio/" + lang + "/" + key + ".wav" }

// MissingAudio reports, per language, the recordings of Script absent from
// audio (the locales' audio directory, holding <lang>/<key>.wav): one
// warning per language naming them.
// Calls still work: a missing recording is read by French text-to-speech.
func MissingAudio(audio fs.FS, c *Catalog) []Problem {
	missing := map[string][]string{}
	total := map[string]int{}
	for _, l := range c.Script() {
		total[l.Lang]++
		if _, err := fs.Stat(audio, strings.TrimPrefix(l.File, "audio/")); err != nil {
			missing[l.Lang] = append(missing[l.Lang], l.Key)
		}
	}
	var out []Problem
	for _, lang := range c.Languages() {
		keys := missing[lang]
		if len(keys) == 0 {
			continue
		}
		list := keys
		more := ""
		if len(list) > 8 {
			list, more = list[:8], fmt.Sprintf(" and %d more", len(keys)-8)
		}
		out = append(out, Problem{File: "audio/" + lang + "/", Warning: true,
			Msg: fmt.Sprintf("%d of %d recordings missing (callers hear French text-to-speech): %s%s",
				len(keys), total[lang], strings.Join(list, ", "), more)})
	}
	return out
}

// Invalid reports whether s is a screen repeated after a key that means
// nothing on it (it carries the "invalid choice" notice).
func (e *Engine) Invalid(s Screen) bool {
	el := e.langs[s.Lang]
	return el != nil && s.Notice != "" && s.Notice == el.invalid
}

// ForTheEar returns an engine like e for voice calls: questions that need
// typed text (typed: true) are passed over, and those asked only on a call
// (voice: true, the short voice path) are asked, the first of them right
// after the language.
func (e *Engine) ForTheEar() *Engine {
	return newEngine(e.cat, e.fits, true)
}
