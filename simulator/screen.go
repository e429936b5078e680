package simulator

import "strings"

// Options reads the numbered choices of a screen: lines of the form
// "<key> <label>", keyed by label.
func (s Screen) Options() map[string]string {
	opts := map[string]string{}
	for _, line := range strings.Split(s.Text, "\n") {
		key, label, ok := strings.Cut(line, " ")
		if !ok || key == "" || strings.Trim(key, "0123456789") != "" {
			continue
		}
		opts[label] = key
	}
	return opts
}

// Key returns the key that chooses label on this screen.
func (s Screen) Key(label string) (string, bool) {
	k, ok := s.Options()[label]
	return k, ok
}
