package casework_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
)

func TestParseReference(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"12345678", "12345678", true},
		{"1234 5678", "12345678", true},
		{"1234-5678", "12345678", true},
		{" 12 34-56 78 ", "12345678", true},
		{"1234\u00a05678", "12345678", true}, // no-break space from a copy-paste
		{"1234567", "", false},
		{"123456789", "", false},
		{"01234567", "", false}, // never issued
		{"1234 567a", "", false},
		{"1234*5678", "", false},
		{"١٢٣٤٥٦٧٨", "", false}, // non-ASCII digits
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := casework.ParseReference(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseReference(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFormatReference(t *testing.T) {
	tests := []struct{ in, want string }{
		{"12345678", "1234 5678"},
		{"123", "123"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := casework.FormatReference(tc.in); got != tc.want {
			t.Errorf("FormatReference(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if len(tc.in) == 8 {
			if back, ok := casework.ParseReference(casework.FormatReference(tc.in)); !ok || back != tc.in {
				t.Errorf("ParseReference(FormatReference(%q)) = %q, %v", tc.in, back, ok)
			}
		}
	}
}

func TestNewReference(t *testing.T) {
	firsts := map[byte]bool{}
	for range 2000 {
		ref := casework.NewReference()
		if got, ok := casework.ParseReference(ref); !ok || got != ref {
			t.Fatalf("NewReference() = %q: not a valid reference", ref)
		}
		firsts[ref[0]] = true
	}
	if len(firsts) != 9 {
		t.Errorf("first digits seen %d of 9 in 2000 draws", len(firsts))
	}
}

func TestNewID(t *testing.T) {
	a, b := casework.NewID(), casework.NewID()
	if len(a) != 32 || a == b {
		t.Errorf("NewID() = %q, %q; want distinct 32-hex-char IDs", a, b)
	}
}

func TestValidateNamesFieldsNotValues(t *testing.T) {
	in := casework.Intake{CallerKey: "secret-key\x01", Detail: "private words"}
	err := in.Validate()
	if !errors.Is(err, casework.ErrInvalidIntake) {
		t.Fatalf("Validate: %v, want ErrInvalidIntake", err)
	}
	for _, want := range []string{"idempotency key is required", "channel is required", "caller key contains control characters"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	for _, leak := range []string{"secret-key", "private words"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q leaks a value", err)
		}
	}
}

// A reference given with the intake (a gateway in front of a queue showed
// it already) must be one NewReference could have made.
func TestValidateGivenReference(t *testing.T) {
	in := casework.Intake{IdempotencyKey: "k", CallerKey: "c", Channel: "demo-at", Medium: "ussd", Language: "fr", Category: "question"}
	for ref, ok := range map[string]bool{"": true, "12345678": true, "01234567": false, "1234 5678": false, "1234567": false, "abcdefgh": false} {
		in.Reference = ref
		if err := in.Validate(); (err == nil) != ok {
			t.Errorf("Validate with reference %q: %v", ref, err)
		}
	}
}
