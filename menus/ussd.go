package menus

import (
	"strings"

	"github.com/numerovert/hotline/menus/gsm7"
)

// USSDText is the screen body as lines joined by "\n" (no CON/END prefix):
// the notice, the prompt, then one "key label" line per option.
func USSDText(s Screen) string {
	n := len(s.Notice) + len(s.Prompt) + 1
	for _, o := range s.Options {
		n += len(o.Key) + len(o.Label) + 2
	}
	var b strings.Builder
	b.Grow(n)
	if s.Notice != "" {
		b.WriteString(s.Notice)
		b.WriteByte('\n')
	}
	b.WriteString(s.Prompt)
	for _, o := range s.Options {
		b.WriteByte('\n')
		b.WriteString(o.Key)
		b.WriteByte(' ')
		b.WriteString(o.Label)
	}
	return b.String()
}

// FitsUSSD reports whether USSDText(s) fits one USSD string: at most 182
// septets when it is all GSM-7 (extension characters count 2), otherwise at
// most 80 UTF-16 units.
func FitsUSSD(s Screen) bool {
	return gsm7.FitsUSSD(USSDText(s))
}
