// Package reference is how a case reference is written for people and read
// back from what they type: the one implementation, used by casework (its
// FormatReference and ParseReference) and by the menus that show it. It
// is a leaf: it must never import another package of this module.
package reference

import (
	"strings"
	"unicode"
)

// Format writes a reference for people: "12345678" → "1234 5678".
// Anything that is not 8 characters comes back unchanged.
func Format(ref string) string {
	if len(ref) != 8 {
		return ref
	}
	return ref[:4] + " " + ref[4:]
}

// Parse reads a reference as a person types it: "1234 5678", "12345678",
// "1234-5678", with any spaces or dashes. It returns the 8 digits and true,
// or false if what remains is not 8 ASCII digits with a non-zero first
// digit (no reference is ever issued starting with 0).
func Parse(input string) (string, bool) {
	var b strings.Builder
	for _, r := range input {
		switch {
		case r >= '0' && r <= '9':
			if b.Len() == 8 {
				return "", false
			}
			b.WriteRune(r)
		case r == '-' || unicode.IsSpace(r):
		default:
			return "", false
		}
	}
	ref := b.String()
	if len(ref) != 8 || ref[0] == '0' {
		return "", false
	}
	return ref, true
}
