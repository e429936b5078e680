package gateway

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
)

// smsSample are the longest values a reply's placeholders take: a
// reference as written for people, a PIN. {status} is each status name
// in turn; {response}, the team's answer, is empty (FitSMS cuts a long
// one at a word).
// {services} is one service of a typical length: the referral replies
// must leave room for at least the nearest one (more are added while
// they fit).
var smsSample = map[string]string{"reference": "1234 5678", "pin": "1234", "response": "",
	"services": "CSRef de Ansongo: au centre de santé, tous les jours"}

// LintSMS checks the SMS replies of fsys (the locales directory: each
// locale file's `sms:` section, problems named <lang>.yaml): each section
// loads, and every reply, filled with the longest values it can carry,
// fits MaxSMSSegments in the encoding it needs: GSM-7 (153 septets a part)
// or, for a letter outside it, UCS-2 (67 a part) unless its GSM-7 spelling
// (gsm7.Fold) takes fewer parts, as FitSMSIn sends it, in the language's
// own GSM-7 spelling (spelling, nil for generic folding). A menu language
// (langs) without an `sms:` section is a Gap: its callers get French
// replies.
func LintSMS(fsys fs.FS, langs []string, spelling func(lang string) *gsm7.Spelling) []menus.Problem {
	sections, err := menus.SMSSections(fsys)
	if err != nil {
		return []menus.Problem{{File: ".", Msg: fmt.Sprintf("cannot read SMS texts: %v", err)}}
	}
	var out []menus.Problem
	have := map[string]bool{}
	detect := map[string]string{} // word → the first language listing it
	for _, sec := range sections {
		have[sec.Lang] = true
		var sp *gsm7.Spelling
		if spelling != nil {
			sp = spelling(sec.Lang)
		}
		out = append(out, lintSMSSection(sec, sp)...)
		l, err := decodeSMSLang(sec)
		if err != nil {
			continue
		}
		for _, w := range l.Detect {
			if other, dup := detect[w]; dup && other != sec.Lang {
				// A shared word scores for both: messages tie and are answered in French.
				out = append(out, menus.Problem{File: sec.File, Line: smsKeyLines(sec)["detect"], Warning: true,
					Msg: fmt.Sprintf("sms.detect word %q is also in %s.yaml", w, other)})
				continue
			}
			detect[w] = sec.Lang
		}
	}
	if !have[DefaultSMSLanguage] {
		out = append(out, menus.Problem{File: DefaultSMSLanguage + ".yaml", Msg: "no `sms:` section: the default SMS language's replies"})
	}
	for _, lang := range langs {
		if !have[lang] {
			out = append(out, menus.Problem{File: lang + ".yaml", Warning: true, Gap: true,
				Msg: fmt.Sprintf("no `sms:` section: no SMS replies in %s (callers get the %s ones)", lang, DefaultSMSLanguage)})
		}
	}
	return out
}

func lintSMSSection(sec menus.SMSSection, sp *gsm7.Spelling) []menus.Problem {
	l, err := decodeSMSLang(sec)
	if err != nil {
		return []menus.Problem{{File: sec.File, Line: sec.Node.Line, Msg: strings.TrimPrefix(err.Error(), "sms texts: ")}}
	}
	lines := smsKeyLines(sec)
	var out []menus.Problem
	for _, r := range l.replies() {
		if r.name == "statuses.other" {
			continue // a part of status, measured there
		}
		worst, worstSize := "", gsm7.SMSSize{}
		for _, status := range l.Statuses {
			vars := map[string]string{"status": status}
			for k, v := range smsSample {
				vars[k] = v
			}
			body := FitSMSIn(sp, fill(r.text, vars), 1<<20) // never cut: measure what it needs
			if sz := gsm7.MeasureSMS(body); sz.Segments > worstSize.Segments || worst == "" {
				worst, worstSize = body, sz
			}
		}
		if worstSize.Segments > MaxSMSSegments {
			part := gsm7.SMSPartGSM7
			if worstSize.Encoding == gsm7.UCS2 {
				part = gsm7.SMSPartUCS2
			}
			out = append(out, menus.Problem{File: sec.File, Line: lines[r.name], Msg: fmt.Sprintf(
				"sms.%s is %d SMS (%d %s units; at most %d parts of %d): shorten it", r.name, worstSize.Segments,
				worstSize.Units, worstSize.Encoding, MaxSMSSegments, part)})
		}
	}
	return out
}

// smsKeyLines maps each key of an `sms:` section to its line in the file.
func smsKeyLines(sec menus.SMSSection) map[string]int {
	lines := map[string]int{}
	for i := 0; i+1 < len(sec.Node.Content); i += 2 {
		lines[sec.Node.Content[i].Value] = sec.Node.Content[i].Line
	}
	return lines
}
