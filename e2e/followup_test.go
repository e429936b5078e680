package e2e

import (
	"regexp"
	"strings"
	"testing"
)

var pinOnScreen = regexp.MustCompile(`Code secret: (\d{4})`)

// A caller follows their complaint over USSD with the reference and the
// PIN, from every phone, their own included (phones are shared and
// borrowed); a wrong PIN gets the same neutral answer as a reference that
// does not exist.
func TestFollowUpOverUSSD(t *testing.T) {
	srv := startServer(t, "", "")
	c := dial(t, srv, "+22376000051")
	c.next = "Suivant"
	c.choose("Francais")
	c.complaint()
	c.choose("Pas sur la liste")
	c.choose("Mopti")
	c.choose("Tenenkou")
	c.choose("Diafarabé") // the commune
	c.choose("Nourriture")
	c.choose("Passer")
	c.choose("Envoyer")
	ref := c.reference()
	m := pinOnScreen.FindStringSubmatch(c.screen.Text)
	if m == nil || !strings.Contains(c.screen.Text, "jours") {
		t.Fatalf("end screen lacks the PIN or the answer delay:\n%s", c.screen.Text)
	}
	pin := m[1]
	wrongPIN := "0000"
	if pin == wrongPIN {
		wrongPIN = "1111"
	}
	spaced := ref[:4] + " " + ref[4:]

	follow := func(phone string, inputs ...string) string {
		t.Helper()
		f := dial(t, srv, phone)
		f.next = "Suivant"
		if _, ok := f.screen.Key("Francais"); ok {
			f.choose("Francais")
		}
		f.choose("Suivre ma plainte")
		for _, in := range inputs {
			if f.screen.End {
				t.Fatalf("session ended before %q:\n%s", in, f.screen.Text)
			}
			f.send(in)
		}
		if !f.screen.End {
			t.Fatalf("follow-up did not end:\n%s", f.screen.Text)
		}
		return f.screen.Text
	}

	// Same phone: the reference alone is not enough, the PIN is asked.
	if got := follow("+22376000051", ref, pin); !strings.Contains(got, spaced) || !strings.Contains(got, "en attente") {
		t.Errorf("same phone with the PIN: %q", got)
	}
	if got := follow("+22376000051", ref, wrongPIN); strings.Contains(got, spaced) || strings.Contains(got, "en attente") {
		t.Errorf("same phone with a wrong PIN: %q", got)
	}
	// Another phone: the same.
	if got := follow("+22376000052", ref, pin); !strings.Contains(got, spaced) || !strings.Contains(got, "en attente") {
		t.Errorf("another phone with the PIN: %q", got)
	}
	wrong := follow("+22376000053", ref, wrongPIN)
	unknown := follow("+22376000054", "19999999", "1234")
	if wrong != unknown || strings.Contains(wrong, spaced) || !strings.Contains(wrong, "Nous ne trouvons rien") {
		t.Errorf("a wrong PIN (%q) and an unknown reference (%q) must read the same and reveal nothing", wrong, unknown)
	}

	srv.stop(t)
	if found := containsAny([]byte(srv.logs.String()), pin+" ", "PIN="+pin, "76000051", "76000052"); len(found) > 0 {
		t.Errorf("logs contain %v", found)
	}
}
