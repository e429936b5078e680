// Package gsm7 measures text against the GSM 03.38 / 3GPP TS 23.038 default
// alphabet, so that USSD screens and SMS bodies can be kept inside the limits
// of the 7-bit coding scheme.
//
// It only measures: it never transliterates, truncates or encodes. Text is
// NFC-normalised before it is measured, because a decomposed "é" (e followed
// by a combining acute accent) is one GSM-7 character once composed.
package gsm7

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// USSD limits: a USSD string is at most 160 octets. Packed 7-bit that is
// 182 septets; in UCS-2 it is 80 UTF-16 code units.
const (
	MaxUSSDSeptets = 182
	MaxUSSDUCS2    = 80
)

// Basic is the default alphabet (one septet each) without LF and CR, in table
// order. 0x09 is CAPITAL Ç: small ç is not in the default alphabet.
const Basic = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// Extension is the default extension table: each character costs two
// septets (ESC 0x1B + code). The first character is form feed.
const Extension = "\f^{}\\[~]|€"

// cost maps a non-ASCII rune of the alphabet to its septet cost. ASCII is
// handled by asciiCost, which is what keeps the hot path free of map lookups.
var cost = map[rune]int{}

// asciiCost[b] is the septet cost of ASCII byte b, 0 when b is not GSM-7.
var asciiCost [utf8.RuneSelf]uint8

func init() {
	add := func(r rune, n int) {
		if r < utf8.RuneSelf {
			asciiCost[r] = uint8(n)
			return
		}
		cost[r] = n
	}
	for _, r := range Basic {
		add(r, 1)
	}
	add('\n', 1)
	add('\r', 1)
	for _, r := range Extension {
		add(r, 2)
	}
}

// nfc returns s in Normalization Form C, without allocating when it already is.
func nfc(s string) string {
	if isASCII(s) || norm.NFC.IsNormalString(s) {
		return s
	}
	return norm.NFC.String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// runeCost is the septet cost of r, or 0 when r is not in the alphabet.
func runeCost(r rune) int {
	if r < utf8.RuneSelf {
		return int(asciiCost[r])
	}
	return cost[r]
}

// IsGSM7 reports whether every character of s (after NFC) is in the default
// alphabet or its extension table.
func IsGSM7(s string) bool {
	_, ok := Septets(s)
	return ok
}

// Septets returns the number of septets s takes in the default alphabet
// (extension characters count 2). ok is false, and n is 0, when a character
// of s (after NFC) cannot be coded in GSM-7 at all.
func Septets(s string) (n int, ok bool) {
	for _, r := range nfc(s) {
		c := runeCost(r)
		if c == 0 {
			return 0, false
		}
		n += c
	}
	return n, true
}

// UTF16Len returns the length of s (after NFC) in UTF-16 code units, which is
// what a UCS-2 coded message is measured in.
func UTF16Len(s string) int {
	n := 0
	for _, r := range nfc(s) {
		n += utf16.RuneLen(r) // ranging yields U+FFFD for bad UTF-8, never -1
	}
	return n
}

// FitsUSSD reports whether s fits one USSD string: at most 182 septets when
// all of it is GSM-7, otherwise at most 80 UTF-16 code units (UCS-2), because
// one character outside the alphabet switches the whole string to UCS-2.
func FitsUSSD(s string) bool {
	if n, ok := Septets(s); ok {
		return n <= MaxUSSDSeptets
	}
	return UTF16Len(s) <= MaxUSSDUCS2
}

// fold maps common characters outside GSM-7 to GSM-7 look-alikes.
var fold = map[rune]string{
	'ɛ': "e", 'Ɛ': "E", 'ɔ': "o", 'Ɔ': "O", 'ɲ': "ny", 'Ɲ': "Ny", 'ŋ': "ng", 'Ŋ': "Ng",
	'ɓ': "b", 'Ɓ': "B", 'ɗ': "d", 'Ɗ': "D", 'ƴ': "y", 'Ƴ': "Y", 'ǝ': "e", 'Ǝ': "E",
	'ɣ': "gh", 'Ɣ': "Gh", 'ʔ': "'", 'ʼ': "'",
	'œ': "oe", 'Œ': "OE", 'ç': "c", '’': "'", '‘': "'", '“': "\"", '”': "\"",
	'«': "\"", '»': "\"", '…': "...", '–': "-", '—': "-", '\t': " ", '\u00a0': " ",
}

// Fold transliterates s to GSM-7 for display where the UCS-2 budget is too
// small: letters keep their GSM-7 accents (é è à ù), others lose theirs
// (ê → e, ç → c), ɛ → e, ɔ → o, ɲ → ny, ŋ → ng, ’ → ', and anything else
// becomes '?'. The result is NFC and IsGSM7. Stored text should keep the
// original: this is lossy.
func Fold(s string) string {
	s = nfc(s)
	if septetsNFC(s) >= 0 {
		return s
	}
	return foldNFC(s)
}

// septetsNFC is Septets of an NFC string, -1 when it is not GSM-7.
func septetsNFC(s string) int {
	n := 0
	for _, r := range s {
		c := runeCost(r)
		if c == 0 {
			return -1
		}
		n += c
	}
	return n
}

func foldNFC(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if runeCost(r) > 0 {
			out = append(out, r)
			continue
		}
		if f, ok := fold[r]; ok {
			out = append(out, []rune(f)...)
			continue
		}
		if unicode.Is(unicode.Mn, r) { // a mark left uncomposed (J̌)
			continue
		}
		// Drop combining marks from the decomposition, keeping GSM-7 bases.
		kept := false
		for _, d := range norm.NFD.String(string(r)) {
			if runeCost(d) > 0 {
				out = append(out, d)
				kept = true
			}
		}
		if !kept {
			out = append(out, '?')
		}
	}
	return string(out)
}

// Spelling is a locale's GSM-7 spelling: how each of its letters outside
// the alphabet is written when a screen must be coded in GSM-7 (for
// Bambara the pre-1982 Malian spelling ɛ → è, ɔ → ò, ɲ → ny, ŋ → ng).
// Letters it does not name are folded as Fold does. The zero value (or
// nil) spells every letter as Fold does.
type Spelling struct {
	r *strings.Replacer
}

// NewSpelling builds a spelling from letter → GSM-7 replacement. Keys and
// values are NFC-normalised; a key must not already be GSM-7 and a value
// must be GSM-7 (it may be empty: the letter is dropped). A lower-case
// key whose capital is not given also spells the capital, as the value
// with its first letter capitalised (folded if that capital is not GSM-7:
// ɛ → è gives Ɛ → E, since È is not in the alphabet).
func NewSpelling(table map[string]string) (*Spelling, error) {
	pairs := map[string]string{}
	var problems []string
	for k, v := range table {
		k, v = nfc(k), nfc(v)
		switch {
		case k == "":
			problems = append(problems, "empty letter")
			continue
		case IsGSM7(k):
			problems = append(problems, fmt.Sprintf("%q is already GSM-7", k))
			continue
		case !IsGSM7(v):
			problems = append(problems, fmt.Sprintf("%q → %q: the spelling is not GSM-7", k, v))
			continue
		}
		pairs[k] = v
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("gsm7: spelling: %s", strings.Join(problems, "; "))
	}
	for k, v := range maps.Clone(pairs) {
		up := strings.ToUpper(k)
		if _, given := pairs[up]; given || up == k {
			continue
		}
		pairs[up] = Fold(capitalise(v))
	}
	keys := slices.Collect(maps.Keys(pairs))
	// Longer letters first, so that a base with a combining mark (J̌) wins
	// over its base alone; then by code point, for a stable order.
	slices.SortFunc(keys, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	args := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k, pairs[k])
	}
	return &Spelling{r: strings.NewReplacer(args...)}, nil
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// Apply writes s in the GSM-7 spelling: NFC, the spelling's letters
// replaced, anything else outside the alphabet folded (see Fold). The
// result is always GSM-7.
func (sp *Spelling) Apply(s string) string {
	s = nfc(s)
	if septetsNFC(s) >= 0 {
		return s
	}
	if sp != nil && sp.r != nil {
		s = sp.r.Replace(s)
		if septetsNFC(s) >= 0 {
			return s
		}
	}
	// The replacements are GSM-7, so what is left is NFC still, bar a
	// combining mark that no longer composes: fold drops those.
	return foldNFC(s)
}
