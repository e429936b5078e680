package gateway

import (
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
)

// DefaultSMSLanguage answers when nothing tells the caller's language.
const DefaultSMSLanguage = "fr"

// SMSTexts are the SMS replies and keywords of every language, read from
// the `sms:` section of each locale file (locales/<lang>.yaml).
type SMSTexts struct {
	langs map[string]smsLang
	order []string // sorted codes, for deterministic detection
}

type smsLang struct {
	Detect         []string          `yaml:"detect"`
	FollowUp       []string          `yaml:"followup"`
	Ack            string            `yaml:"ack"`
	AckPIN         string            `yaml:"ack_pin"`
	Added          string            `yaml:"added"`
	Status         string            `yaml:"status"`
	StatusResponse string            `yaml:"status_response"`
	NotFound       string            `yaml:"not_found"`
	Empty          string            `yaml:"empty"`
	Statuses       map[string]string `yaml:"statuses"`
	// A report of sexual abuse or danger (smsreferral.go): the words that
	// mark one, and its acknowledgments with the nearest services.
	Protection     []string `yaml:"protection"`
	AckReferral    string   `yaml:"ack_referral"`
	AckReferralPIN string   `yaml:"ack_referral_pin"`
	// The information line (#15): keywords and replies (smsinfo.go).
	Info             []string `yaml:"info"`
	Stop             []string `yaml:"stop"`
	InfoReply        string   `yaml:"info_reply"`
	InfoNone         string   `yaml:"info_none"`
	InfoSubscribed   string   `yaml:"info_subscribed"`
	InfoUnsubscribed string   `yaml:"info_unsubscribed"`
	InfoNeedPlace    string   `yaml:"info_need_place"`
	InfoBroadcast    string   `yaml:"info_broadcast"`
	// The masked call-back (#16): the keywords a caller answers an SMS
	// complaint's reply with to agree to be called back (smscallback.go).
	// The words of the offer and of the answer are the catalogue's
	// (menus.CallBackSMSOffer, menus.CallBackSMSAgreed).
	CallBack []string `yaml:"callback"`
	// callBackWord is the first call-back keyword as the caller types it
	// (CallBack is folded), for the offer's {keyword}.
	callBackWord string
}

// LoadSMSTexts reads the `sms:` section of every locale file of fsys (the
// locales directory, read by menus.SMSSections). Each must have all
// replies, a status name "other" and at least one follow-up keyword; the
// default language must have one.
func LoadSMSTexts(fsys fs.FS) (*SMSTexts, error) {
	sections, err := menus.SMSSections(fsys)
	if err != nil {
		return nil, fmt.Errorf("sms texts: %w", err)
	}
	t := &SMSTexts{langs: map[string]smsLang{}}
	for _, sec := range sections {
		l, err := decodeSMSLang(sec)
		if err != nil {
			return nil, err
		}
		t.langs[sec.Lang] = l
		t.order = append(t.order, sec.Lang)
	}
	if _, ok := t.langs[DefaultSMSLanguage]; !ok {
		return nil, fmt.Errorf("sms texts: %s.yaml has no `sms:` section", DefaultSMSLanguage)
	}
	slices.Sort(t.order)
	return t, nil
}

// smsFields are the keys an `sms:` section may have: smsLang's yaml tags.
var smsFields = func() map[string]bool {
	fields := map[string]bool{}
	st := reflect.TypeFor[smsLang]()
	for i := range st.NumField() {
		fields[st.Field(i).Tag.Get("yaml")] = true
	}
	return fields
}()

// decodeSMSLang reads and checks one locale's `sms:` section.
func decodeSMSLang(sec menus.SMSSection) (smsLang, error) {
	var l smsLang
	where := func(line int) string { return fmt.Sprintf("sms texts: %s:%d", sec.File, line) }
	for i := 0; i+1 < len(sec.Node.Content); i += 2 {
		if k := sec.Node.Content[i]; !smsFields[k.Value] {
			return l, fmt.Errorf("%s: unknown field %q in `sms:`", where(k.Line), k.Value)
		}
	}
	if err := sec.Node.Decode(&l); err != nil {
		return l, fmt.Errorf("%s: %w", where(sec.Node.Line), err)
	}
	for _, r := range l.replies() {
		if strings.TrimSpace(r.text) == "" {
			return l, fmt.Errorf("%s: sms.%s is missing", where(sec.Node.Line), r.name)
		}
	}
	if len(l.FollowUp) == 0 {
		return l, fmt.Errorf("%s: no sms.followup keyword", where(sec.Node.Line))
	}
	if len(l.CallBack) == 0 {
		return l, fmt.Errorf("%s: no sms.callback keyword", where(sec.Node.Line))
	}
	if !strings.Contains(l.AckPIN, "{pin}") {
		return l, fmt.Errorf("%s: sms.ack_pin lacks {pin}", where(sec.Node.Line))
	}
	if !strings.Contains(l.AckReferralPIN, "{pin}") || !strings.Contains(l.AckReferralPIN, "{services}") || !strings.Contains(l.AckReferral, "{services}") {
		return l, fmt.Errorf("%s: sms.ack_referral_pin lacks {pin} or {services}, or sms.ack_referral {services}", where(sec.Node.Line))
	}
	if len(l.Protection) == 0 {
		return l, fmt.Errorf("%s: no sms.protection word", where(sec.Node.Line))
	}
	l.callBackWord = strings.ToUpper(strings.TrimSpace(l.CallBack[0]))
	// Every keyword list is matched against folded words (words, FollowUp).
	for _, ws := range [][]string{l.Detect, l.FollowUp, l.Info, l.Stop, l.Protection, l.CallBack} {
		for i, w := range ws {
			ws[i] = foldWord(w)
		}
	}
	return l, nil
}

type smsReply struct{ name, text string }

// replies lists every reply of the language, each named by its YAML key.
func (l smsLang) replies() []smsReply {
	return []smsReply{{"ack", l.Ack}, {"ack_pin", l.AckPIN}, {"added", l.Added}, {"status", l.Status},
		{"status_response", l.StatusResponse}, {"not_found", l.NotFound}, {"empty", l.Empty},
		{"statuses.other", l.Statuses["other"]},
		{"info_reply", l.InfoReply}, {"info_none", l.InfoNone}, {"info_subscribed", l.InfoSubscribed},
		{"info_unsubscribed", l.InfoUnsubscribed}, {"info_need_place", l.InfoNeedPlace},
		{"info_broadcast", l.InfoBroadcast}, {"ack_referral", l.AckReferral}, {"ack_referral_pin", l.AckReferralPIN}}
}

func (t *SMSTexts) lang(code string) smsLang {
	if l, ok := t.langs[code]; ok {
		return l
	}
	return t.langs[DefaultSMSLanguage]
}

// Has reports whether the language has SMS texts.
func (t *SMSTexts) Has(code string) bool { _, ok := t.langs[code]; return ok }

// foldWord lower-cases w and strips its accents, so keywords match however
// a phone typed them (SUIVI, suivi, Suívi).
func foldWord(w string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(strings.TrimSpace(w))) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func words(text string) []string {
	return strings.FieldsFunc(foldWord(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// FollowUp reports whether text asks for a case's status: a follow-up
// keyword of some language first, then the reference (and, later, the
// PIN). lang is the keyword's language; rest is what follows it.
func (t *SMSTexts) FollowUp(text string) (lang, rest string, ok bool) {
	first, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	if first == "" {
		return "", "", false
	}
	// "SUIVI:1234…" and "suivi-1234…" are common on phones.
	if i := strings.IndexAny(first, ":-#"); i > 0 {
		rest = first[i+1:] + " " + rest
		first = first[:i]
	}
	kw := foldWord(first)
	for _, code := range t.order {
		if slices.Contains(t.langs[code].FollowUp, kw) {
			return code, strings.TrimSpace(rest), true
		}
	}
	return "", "", false
}

// Detect guesses the language of free text from each language's detect
// words; ok is false when no language scores, or two tie.
func (t *SMSTexts) Detect(text string) (lang string, ok bool) {
	score := map[string]int{}
	for _, w := range words(text) {
		for _, code := range t.order {
			if slices.Contains(t.langs[code].Detect, w) {
				score[code]++
			}
		}
	}
	best, bestN, tie := "", 0, false
	for _, code := range t.order {
		switch n := score[code]; {
		case n > bestN:
			best, bestN, tie = code, n, false
		case n == bestN && n > 0:
			tie = true
		}
	}
	return best, bestN > 0 && !tie
}

func fill(tmpl string, vars map[string]string) string {
	for k, v := range vars {
		tmpl = strings.ReplaceAll(tmpl, "{"+k+"}", v)
	}
	return tmpl
}

// MaxSMSSegments is the most a reply may cost: two parts.
const MaxSMSSegments = 2

// FitSMS returns s ready to send within maxSegments: in its own spelling
// when that fits as well as the GSM-7 spelling (gsm7.Fold), otherwise
// folded to GSM-7, which carries more than twice as many characters per
// segment; if it still does not fit, cut at a word and marked "...".
func FitSMS(s string, maxSegments int) string { return FitSMSIn(nil, s, maxSegments) }

// FitSMSIn is FitSMS with a language's own GSM-7 spelling (Bambara ɛ → è,
// as its menus are written; nil folds generically).
func FitSMSIn(sp *gsm7.Spelling, s string, maxSegments int) string {
	orig := gsm7.MeasureSMS(s)
	folded := sp.Apply(s)
	best := s
	if f := gsm7.MeasureSMS(folded); f.Segments < orig.Segments {
		best = folded
	}
	if gsm7.MeasureSMS(best).Segments <= maxSegments {
		return best
	}
	runes := []rune(folded)
	for n := len(runes); n > 0; n-- {
		cut := strings.TrimRightFunc(string(runes[:n]), unicode.IsSpace)
		if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 && n < len(runes) {
			cut = cut[:i]
		}
		if out := cut + "..."; gsm7.MeasureSMS(out).Segments <= maxSegments {
			return out
		}
	}
	return ""
}
