package menus

import (
	"strings"

	"github.com/numerovert/hotline/internal/reference"
)

// AnswerKeys are the officers' answer templates, in the order the case
// page offers them: starting points for the answer a caller hears or reads
// on follow-up, written in every caller language like any other string
// (the catalogue: locales/<lang>.yaml), with {reference}. Lint checks that
// each fits the follow-up answer screen with the longest status.
var AnswerKeys = []string{"answer.received", "answer.resolved", "answer.referred", "answer.not_eligible", "answer.thanks"}

// Answer is one answer template in one language.
type Answer struct {
	ID   string // the key without "answer.": received, resolved, ...
	Text string // with the reference filled in
}

// Answers lists the answer templates in lang (the fallback's text where
// lang has none), with the reference ref filled in as callers read it.
func (c *Catalog) Answers(lang, ref string) []Answer {
	out := make([]Answer, 0, len(AnswerKeys))
	for _, k := range AnswerKeys {
		text := strings.ReplaceAll(c.Text(lang, k), "{"+phReference+"}", reference.Format(ref))
		out = append(out, Answer{ID: strings.TrimPrefix(k, "answer."), Text: text})
	}
	return out
}
