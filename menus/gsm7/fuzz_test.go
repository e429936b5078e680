package gsm7_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/numerovert/hotline/menus/gsm7"
)

var gsm7Seeds = []string{
	"", "Choix invalide.", "déjà vu", "reçu", "Ça", "€{}[]~|^\\", "\f", "e\u0301", "J\u030C",
	"Aw ni sɔgɔma, ɲɛ, ŋ", "😀", "l’aide « oui »", strings.Repeat("a", 182), strings.Repeat("€", 91),
	strings.Repeat("é", 80) + "ɛ", "\xff\xfe", "a\u0316\u0301",
}

// FuzzMeasure checks the measurer's functions against each other: Septets
// and IsGSM7 agree; a GSM-7 text costs at least one septet per character
// and at most two; FitsUSSD follows the two budgets; and a prefix of a text
// that fits also fits (cutting never makes a screen longer).
func FuzzMeasure(f *testing.F) {
	for _, s := range gsm7Seeds {
		f.Add(s, len(s)/2)
	}
	f.Fuzz(func(t *testing.T, s string, cut int) {
		n, ok := gsm7.Septets(s)
		if ok != gsm7.IsGSM7(s) {
			t.Fatalf("Septets ok=%v but IsGSM7=%v for %q", ok, !ok, s)
		}
		nfc := norm.NFC.String(s)
		runes := utf8.RuneCountInString(nfc)
		if ok && (n < runes || n > 2*runes) {
			t.Fatalf("Septets(%q) = %d for %d characters", s, n, runes)
		}
		if !ok && n != 0 {
			t.Fatalf("Septets(%q) = %d, false; want 0", s, n)
		}
		want := gsm7.UTF16Len(s) <= gsm7.MaxUSSDUCS2
		if ok {
			want = n <= gsm7.MaxUSSDSeptets
		}
		if gsm7.FitsUSSD(s) != want {
			t.Fatalf("FitsUSSD(%q) = %v, want %v", s, !want, want)
		}
		if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) || len(s) == 0 {
			return // prefixes of bytes that are not NFC text are not screens
		}
		cut = ((cut % len(s)) + len(s)) % len(s)
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		prefix := s[:cut]
		if gsm7.FitsUSSD(s) && !gsm7.FitsUSSD(prefix) {
			t.Fatalf("%q fits but its prefix %q does not", s, prefix)
		}
		if gsm7.UTF16Len(prefix) > gsm7.UTF16Len(s) {
			t.Fatalf("prefix %q is longer in UTF-16 than %q", prefix, s)
		}
	})
}

// FuzzFold checks Fold's promise: whatever the input, the result is GSM-7
// and NFC, and text that already is GSM-7 comes back unchanged.
func FuzzFold(f *testing.F) {
	for _, s := range gsm7Seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := gsm7.Fold(s)
		if !gsm7.IsGSM7(got) {
			t.Fatalf("Fold(%q) = %q is not GSM-7", s, got)
		}
		if !norm.NFC.IsNormalString(got) {
			t.Fatalf("Fold(%q) = %q is not NFC", s, got)
		}
		if gsm7.IsGSM7(s) && got != norm.NFC.String(s) {
			t.Fatalf("Fold(%q) = %q changed GSM-7 text", s, got)
		}
	})
}
