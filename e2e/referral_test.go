package e2e

import (
	"strings"
	"testing"
)

// A caller who reports sexual abuse by aid staff hears, with the reference
// and PIN, that a trained person acts within 24 hours and which services
// near them can help now: the demo's referral directory, nearest first.
func TestSexualAbuseReportEndsWithReferral(t *testing.T) {
	srv := startServer(t, "", "")
	c := dial(t, srv, "+22376000071")
	c.next = "Next"
	c.choose("English")
	c.complaint()
	c.choose("Sexual abuse by aid staff")
	c.choose("Gao")
	c.choose("Ansongo")
	c.choose("Tessit")
	c.choose("Cash")
	c.choose("Skip")
	c.choose("Send")
	c.reference()
	for _, want := range []string{"24 h", "Ansongo health centre: at the CSRef, every day"} {
		if !strings.Contains(c.screen.Text, want) {
			t.Errorf("end screen lacks %q:\n%s", want, c.screen.Text)
		}
	}
	if i, j := strings.Index(c.screen.Text, "Ansongo"), strings.Index(c.screen.Text, "GBV line"); j >= 0 && j < i {
		t.Errorf("the national line comes before the cercle's service:\n%s", c.screen.Text)
	}
}
