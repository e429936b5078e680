package gsm7_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/numerovert/hotline/menus/gsm7"
	"golang.org/x/text/unicode/norm"
)

// basicTable is the default alphabet copied from mali.md §2.3, position by
// position (0x1B ESC excluded; LF and CR included).
var basicTable = map[int]rune{
	0x00: '@', 0x01: '£', 0x02: '$', 0x03: '¥', 0x04: 'è', 0x05: 'é', 0x06: 'ù', 0x07: 'ì',
	0x08: 'ò', 0x09: 'Ç', 0x0A: '\n', 0x0B: 'Ø', 0x0C: 'ø', 0x0D: '\r', 0x0E: 'Å', 0x0F: 'å',
	0x10: 'Δ', 0x11: '_', 0x12: 'Φ', 0x13: 'Γ', 0x14: 'Λ', 0x15: 'Ω', 0x16: 'Π', 0x17: 'Ψ',
	0x18: 'Σ', 0x19: 'Θ', 0x1A: 'Ξ', 0x1C: 'Æ', 0x1D: 'æ', 0x1E: 'ß', 0x1F: 'É',
	0x20: ' ', 0x21: '!', 0x22: '"', 0x23: '#', 0x24: '¤', 0x25: '%', 0x26: '&', 0x27: '\'',
	0x28: '(', 0x29: ')', 0x2A: '*', 0x2B: '+', 0x2C: ',', 0x2D: '-', 0x2E: '.', 0x2F: '/',
	0x3A: ':', 0x3B: ';', 0x3C: '<', 0x3D: '=', 0x3E: '>', 0x3F: '?',
	0x40: '¡', 0x5B: 'Ä', 0x5C: 'Ö', 0x5D: 'Ñ', 0x5E: 'Ü', 0x5F: '§',
	0x60: '¿', 0x7B: 'ä', 0x7C: 'ö', 0x7D: 'ñ', 0x7E: 'ü', 0x7F: 'à',
}

func init() {
	for i := 0; i <= 9; i++ {
		basicTable[0x30+i] = rune('0' + i)
	}
	for i := 0; i < 26; i++ {
		basicTable[0x41+i] = rune('A' + i)
		basicTable[0x61+i] = rune('a' + i)
	}
}

// extensionTable is the default extension table from mali.md §2.3.
var extensionTable = map[int]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
}

func TestTablesExactly(t *testing.T) {
	if got := len(basicTable); got != 127 {
		t.Fatalf("basic table has %d entries, want 127 (128 minus ESC)", got)
	}
	in := map[rune]int{}
	for pos, r := range basicTable {
		in[r] = 1
		if n, ok := gsm7.Septets(string(r)); !ok || n != 1 {
			t.Errorf("basic 0x%02X %q: Septets = %d, %v; want 1, true", pos, r, n, ok)
		}
	}
	for pos, r := range extensionTable {
		in[r] = 2
		if n, ok := gsm7.Septets(string(r)); !ok || n != 2 {
			t.Errorf("extension 0x%02X %q: Septets = %d, %v; want 2, true", pos, r, n, ok)
		}
	}
	// Nothing else in the first planes is GSM-7: the tables are exact.
	for r := rune(0); r < 0x3000; r++ {
		if _, listed := in[r]; listed || !utf8.ValidRune(r) {
			continue
		}
		if c := norm.NFC.String(string(r)); c != string(r) {
			// Singletons such as U+2126 OHM SIGN compose to a listed
			// character (Ω) and are measured as that character.
			if _, listed := in[[]rune(c)[0]]; listed && utf8.RuneCountInString(c) == 1 {
				continue
			}
		}
		if gsm7.IsGSM7(string(r)) {
			t.Errorf("%U %q is reported GSM-7 but is in neither table", r, r)
		}
	}
	if utf8.RuneCountInString(gsm7.Basic) != 125 || utf8.RuneCountInString(gsm7.Extension) != 10 {
		t.Errorf("exported tables have %d basic and %d extension runes",
			utf8.RuneCountInString(gsm7.Basic), utf8.RuneCountInString(gsm7.Extension))
	}
}

func TestSeptets(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		ok   bool
	}{
		{"empty", "", 0, true},
		{"ascii", "Choix invalide.", 15, true},
		{"capital C cedilla is 0x09", "Ça va", 5, true},
		{"small c cedilla is not GSM-7", "reçu", 0, false},
		{"french GSM-7 accents", "Référence: à é è ù É", 20, true},
		{"circumflex forces UCS-2", "Numéro Vert, fenêtre", 0, false},
		{"typographic apostrophe", "l’aide", 0, false},
		{"guillemets", "« oui »", 0, false},
		{"oe ligature", "œuvre", 0, false},
		{"bambara open o", "Aw ni sɔgɔma", 0, false},
		{"bambara greeting is GSM-7", "I ni ce", 7, true},
		{"extension costs two", "{}[]", 8, true},
		{"euro", "5 €", 4, true},
		{"form feed", "a\fb", 4, true},
		{"NFC: e + combining acute = é", "re\u0301fe\u0301rence", 9, true},
		{"NFC: c + combining cedilla = ç, not GSM-7", "rec\u0327u", 0, false},
		{"NFC: C + combining cedilla = Ç", "C\u0327a", 2, true},
		{"combining caron stays decomposed", "J\u030C", 0, false},
		{"newlines count", "1 Oui\r\n2 Non", 12, true},
		{"tab is not GSM-7", "a\tb", 0, false},
		{"backtick is not GSM-7", "`", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := gsm7.Septets(tt.in)
			if n != tt.n || ok != tt.ok {
				t.Errorf("Septets(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.n, tt.ok)
			}
			if gsm7.IsGSM7(tt.in) != tt.ok {
				t.Errorf("IsGSM7(%q) = %v; want %v", tt.in, !tt.ok, tt.ok)
			}
		})
	}
}

func TestUTF16Len(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"reçu", 4},
		{"re\u0301", 2}, // composes to "ré"
		{"J\u030C", 2},  // no precomposed form
		{"😀", 2},        // surrogate pair
		{"ɛɔɲŋ", 4},
	}
	for _, tt := range tests {
		if got := gsm7.UTF16Len(tt.in); got != tt.want {
			t.Errorf("UTF16Len(%q) = %d; want %d", tt.in, got, tt.want)
		}
	}
}

func TestFitsUSSD(t *testing.T) {
	gsm := func(n int) string { return strings.Repeat("a", n) }
	ucs := func(n int) string { return "ç" + strings.Repeat("a", n-1) }
	ext := func(septets int) string { return strings.Repeat("[", septets/2) + strings.Repeat("a", septets%2) }
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"gsm 181", gsm(181), true},
		{"gsm 182", gsm(182), true},
		{"gsm 183", gsm(183), false},
		{"extension 182 septets", ext(182), true},
		{"extension 183 septets", ext(183), false},
		{"91 euros are 182 septets", strings.Repeat("€", 91), true},
		{"92 euros are 184 septets", strings.Repeat("€", 92), false},
		{"ucs2 79", ucs(79), true},
		{"ucs2 80", ucs(80), true},
		{"ucs2 81", ucs(81), false},
		{"ucs2 surrogate pair counts 2", "😀" + strings.Repeat("a", 78), true},
		{"ucs2 surrogate pair over", "😀" + strings.Repeat("a", 79), false},
		{"decomposed é stays GSM-7 at 182", strings.Repeat("e\u0301", 182), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gsm7.FitsUSSD(tt.in); got != tt.want {
				t.Errorf("FitsUSSD(len %d) = %v; want %v", utf8.RuneCountInString(tt.in), got, tt.want)
			}
		})
	}
}

func BenchmarkSeptetsASCII(b *testing.B) {
	s := strings.Repeat("Choix invalide.\n", 10)
	for b.Loop() {
		gsm7.Septets(s)
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"déjà vu", "déjà vu"},
		{"reçu", "recu"},
		{"fenêtre, île, côté, sûr", "fenetre, ile, coté, sur"},
		{"l’aide « oui »", "l'aide \" oui \""},
		{"Aw ni sɔgɔma, ɲɛ, ŋ", "Aw ni sogoma, nye, ng"},
		{"J\u030C", "J"},
		{"œuf…", "oeuf..."},
		{"Ça", "Ça"},
		{"ÀÈ", "AE"},
		{"😀", "?"},
	}
	for _, tt := range tests {
		got := gsm7.Fold(tt.in)
		if got != tt.want {
			t.Errorf("Fold(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if !gsm7.IsGSM7(got) {
			t.Errorf("Fold(%q) = %q is not GSM-7", tt.in, got)
		}
	}
}

func TestSpelling(t *testing.T) {
	bm, err := gsm7.NewSpelling(map[string]string{"ɛ": "è", "ɔ": "ò", "ɲ": "ny", "ŋ": "ng"})
	if err != nil {
		t.Fatal(err)
	}
	taq, err := gsm7.NewSpelling(map[string]string{"J\u030C": "J", "ǰ": "j", "š": "sh", "ǝ": "e", "ɣ": "gh", "Ɣ": "Gh"})
	if err != nil {
		t.Fatal(err)
	}
	var none *gsm7.Spelling
	tests := []struct {
		name string
		sp   *gsm7.Spelling
		in   string
		want string
	}{
		{"GSM-7 text is unchanged", bm, "I ni ce", "I ni ce"},
		{"bambara letters", bm, "Aw ni sɔgɔma, ɲɛ, baŋa", "Aw ni sògòma, nyè, banga"},
		{"capitals derived, folded when not GSM-7", bm, "Ɛ Ɔ Ɲɛ Ŋ", "E O Nyè Ng"},
		{"letters outside the spelling are folded", bm, "reçu, fenêtre, ’", "recu, fenetre, '"},
		{"decomposed input is composed first", bm, "s\u025Bbe\u0301", "sèbé"},
		{"combining letter wins over its base", taq, "J\u030Cǰ", "Jj"},
		{"given capital is used", taq, "Ɣɣ Šš ǝ", "Ghgh Shsh e"},
		{"nil spelling folds", none, "sɔgɔma ç", "sogoma c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.sp.Apply(tt.in)
			if got != tt.want {
				t.Errorf("Apply(%q) = %q; want %q", tt.in, got, tt.want)
			}
			if !gsm7.IsGSM7(got) {
				t.Errorf("Apply(%q) = %q is not GSM-7", tt.in, got)
			}
		})
	}
}

func TestSpellingRejects(t *testing.T) {
	tests := []struct {
		name  string
		table map[string]string
		msg   string
	}{
		{"letter already GSM-7", map[string]string{"é": "e"}, `"é" is already GSM-7`},
		{"value not GSM-7", map[string]string{"ɛ": "ê"}, "not GSM-7"},
		{"empty letter", map[string]string{"": "x"}, "empty letter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gsm7.NewSpelling(tt.table)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("NewSpelling(%v) error = %v; want %q", tt.table, err, tt.msg)
			}
		})
	}
}

// TestUSSDLimitsBySpelling shows why a spelling exists: the same Bambara
// screen does not fit in UCS-2 but fits in GSM-7 once spelled.
func TestUSSDLimitsBySpelling(t *testing.T) {
	bm, err := gsm7.NewSpelling(map[string]string{"ɛ": "è", "ɔ": "ò", "ɲ": "ny", "ŋ": "ng"})
	if err != nil {
		t.Fatal(err)
	}
	proper := strings.Repeat("sɔgɔma ", 12) // 84 UTF-16 units
	if gsm7.FitsUSSD(proper) {
		t.Fatalf("%d UCS-2 characters fit; want over %d", gsm7.UTF16Len(proper), gsm7.MaxUSSDUCS2)
	}
	spelled := bm.Apply(proper)
	if n, ok := gsm7.Septets(spelled); !ok || n != 84 || !gsm7.FitsUSSD(spelled) {
		t.Errorf("spelled: %d septets, GSM-7 %v, fits %v", n, ok, gsm7.FitsUSSD(spelled))
	}
	if got := gsm7.UTF16Len(strings.Repeat("ɛ", 80)); got != 80 || !gsm7.FitsUSSD(strings.Repeat("ɛ", 80)) {
		t.Errorf("80 ɛ: %d units", got)
	}
	if gsm7.FitsUSSD(strings.Repeat("ɛ", 81)) {
		t.Errorf("81 ɛ fit")
	}
	if !gsm7.FitsUSSD(bm.Apply(strings.Repeat("ɛ", 182))) || gsm7.FitsUSSD(bm.Apply(strings.Repeat("ɲ", 92))) {
		t.Errorf("spelled limits: 182 è should fit, 92 ny (184 septets) should not")
	}
}
