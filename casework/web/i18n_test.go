package web

import "testing"

func TestMessagesHaveTheSameKeys(t *testing.T) {
	for lang, m := range messages {
		for other, o := range messages {
			for k := range m {
				if _, ok := o[k]; !ok {
					t.Errorf("%q is in %s but not in %s", k, lang, other)
				}
			}
		}
	}
}
