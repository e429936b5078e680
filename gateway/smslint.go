package gateway

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

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

// LintSMS checks the SMS replies of fsys (locales/sms, problems named
// sms/<lang>.yaml): each file loads, and every reply, filled with the
// longest values it can carry, fits MaxSMSSegments in the encoding it
// needs: GSM-7 (153 septets a part) or, for a letter outside it, UCS-2 (67
// a part) unless its GSM-7 spelling (gsm7.Fold) takes fewer parts, as
// FitSMSIn sends it, in the language's own GSM-7 spelling (spelling, nil
// for generic folding). A menu language (langs) without an SMS file is a
// Gap: its callers get French replies.
func LintSMS(fsys fs.FS, langs []string, spelling func(lang string) *gsm7.Spelling) []menus.Problem {
	var out []menus.Problem
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return []menus.Problem{{File: "sms/", Msg: fmt.Sprintf("cannot list SMS texts: %v", err)}}
	}
	have := map[string]bool{}
	detect := map[string]string{} // word → the first language listing it
	for _, f := range files {
		code := strings.TrimSuffix(path.Base(f), ".yaml")
		have[code] = true
		var sp *gsm7.Spelling
		if spelling != nil {
			sp = spelling(code)
		}
		out = append(out, lintSMSFile(fsys, f, sp)...)
		l, err := readSMSLang(fsys, f)
		if err != nil {
			continue
		}
		for _, w := range l.Detect {
			if other, dup := detect[w]; dup && other != code {
				// A shared word scores for both: messages tie and are answered in French.
				out = append(out, menus.Problem{File: "sms/" + f, Line: smsKeyLines(fsys, f)["detect"], Warning: true,
					Msg: fmt.Sprintf("detect word %q is also in %s.yaml", w, other)})
				continue
			}
			detect[w] = code
		}
	}
	if !have[DefaultSMSLanguage] {
		out = append(out, menus.Problem{File: "sms/", Msg: fmt.Sprintf("no %s.yaml: the default SMS language", DefaultSMSLanguage)})
	}
	for _, lang := range langs {
		if !have[lang] {
			out = append(out, menus.Problem{File: "sms/" + lang + ".yaml", Warning: true, Gap: true,
				Msg: fmt.Sprintf("no SMS replies in %s (callers get the %s ones)", lang, DefaultSMSLanguage)})
		}
	}
	return out
}

func lintSMSFile(fsys fs.FS, f string, sp *gsm7.Spelling) []menus.Problem {
	file := "sms/" + f
	l, err := readSMSLang(fsys, f)
	if err != nil {
		return []menus.Problem{{File: file, Msg: strings.TrimPrefix(err.Error(), "sms texts: "+f+": ")}}
	}
	lines := smsKeyLines(fsys, f)
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
			out = append(out, menus.Problem{File: file, Line: lines[r.name], Msg: fmt.Sprintf(
				"%s is %d SMS (%d %s units; at most %d parts of %d): shorten it", r.name, worstSize.Segments,
				worstSize.Units, worstSize.Encoding, MaxSMSSegments, part)})
		}
	}
	return out
}

// smsKeyLines maps each top-level key of an SMS file to its line.
func smsKeyLines(fsys fs.FS, f string) map[string]int {
	lines := map[string]int{}
	b, err := fs.ReadFile(fsys, f)
	var doc yaml.Node
	if err != nil || yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return lines
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		lines[root.Content[i].Value] = root.Content[i].Line
	}
	return lines
}
