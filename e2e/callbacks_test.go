package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numerovert/hotline/internal/fixture"
	"github.com/numerovert/hotline/simulator"
)

// A retried callback gets the same screen and never a second case; a
// wrong key re-prompts in the caller's language; the cercle list pages.
func TestRetriesWrongKeysAndPaging(t *testing.T) {
	srv := startServer(t, "", "")
	c := dial(t, srv, "+22376000003")
	c.next = "Suivant"
	c.choose("Francais")
	c.complaint()

	// A retried hop returns the same screen and does not move the menu.
	before := c.screen
	again, err := c.s.Resend(context.Background())
	if err != nil || again != before {
		t.Fatalf("retry gave %+v, %v; want %+v", again, err, before)
	}

	c.choose("Trajet, attente, danger") // the site: far, waiting, unsafe (second page)
	c.choose("Mopti")

	// Mopti has 8 cercles: Youwarou is on the second page, and 8 pages back.
	if _, ok := c.screen.Key("Youwarou"); ok {
		t.Fatalf("all 8 cercles on one page:\n%s", c.screen.Text)
	}
	c.choose("Youwarou") // pages forward with "Suivant"
	c.send("0")          // back to the cercle question, on the page it was left
	if _, ok := c.screen.Key("Youwarou"); !ok {
		t.Fatalf("back did not return to the cercle page:\n%s", c.screen.Text)
	}
	c.choose("Précédent")
	if _, ok := c.screen.Key("Bandiagara"); !ok {
		t.Fatalf("previous page did not return to the first cercles:\n%s", c.screen.Text)
	}
	c.choose("Suivant")
	c.choose("Youwarou")

	// A wrong key shows the same screen again with a notice, in French.
	prompt := c.screen.Text
	c.send("9") // one page of assistance types: no next page
	if !strings.HasPrefix(c.screen.Text, "Choix invalide.\n") || !strings.HasSuffix(c.screen.Text, prompt) {
		t.Fatalf("wrong key gave:\n%s\nwant the notice then:\n%s", c.screen.Text, prompt)
	}
	c.choose("Santé")
	c.choose("Passer")
	c.choose("Envoyer")
	ref := c.reference()
	end := c.screen

	// AT retries the final hop: same end screen, same reference.
	again, err = c.s.Resend(context.Background())
	if err != nil || again != end {
		t.Fatalf("retried confirmation gave %+v, %v; want %+v", again, err, end)
	}

	srv.stop(t)
	list := cases(t, srv.DataDir)
	if len(list) != 1 || list[0].Reference != ref || list[0].Cercle != "ML0508" || list[0].Category != "site" {
		t.Fatalf("stored %+v, want one site case in Youwarou with reference %s", list, ref)
	}
}

// A restart forgets live sessions; the next hop is replayed from AT's
// cumulative text, and a confirmation retried across the restart still
// makes one case.
func TestSessionSurvivesRestart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	keysDir := filepath.Join(t.TempDir(), "keys")
	srv := startServer(t, dataDir, keysDir)
	u := simulator.USSD{URL: srv.url("/c/demo-at/ussd"), Phone: "+22376000004"}
	s := u.NewSession()
	c := &caller{t: t, s: s, next: "Next"}
	c.send("")
	c.choose("English")
	c.complaint()
	c.choose("Left off the list")
	c.choose("Kayes")
	srv.stop(t)

	srv = startServer(t, dataDir, keysDir)
	s.Reroute(srv.url("/c/demo-at/ussd"))
	c.choose("Kita")
	c.choose("Food")
	c.choose("Skip")
	c.choose("Send")
	ref := c.reference()

	srv.stop(t)
	srv = startServer(t, dataDir, keysDir)
	s.Reroute(srv.url("/c/demo-at/ussd"))
	again, err := s.Resend(context.Background())
	if err != nil || !strings.Contains(again.Text, ref[:4]+" "+ref[4:]) {
		t.Fatalf("confirmation replayed after restart gave %+v, %v; want reference %s", again, err, ref)
	}
	srv.stop(t)
	list := cases(t, dataDir)
	if len(list) != 1 || list[0].Reference != ref || list[0].Cercle != "ML0105" {
		t.Fatalf("stored %+v, want exactly one case in Kita with reference %s", list, ref)
	}
}

// Malformed callbacks get a 400 with a short reason, unknown channels a
// 404, and neither changes any state: the session carries on as if they
// had never arrived and nothing is stored.
func TestBadCallbacksChangeNothing(t *testing.T) {
	srv := startServer(t, "", "")
	c := dial(t, srv, "+22376000005")
	c.next = "Next"
	c.choose("English")
	c.complaint()
	before := c.screen

	refused := 0
	for _, f := range fixture.Load(t, "../gateway/africastalking/testdata/ussd/*.http") {
		reason, isBad := f.WantError()
		if !isBad {
			continue
		}
		refused++
		resp := f.Post(t, srv.url("/c/demo-at/ussd"))
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || string(body) != reason {
			t.Errorf("%s: got %d %q, want 400 %q", f.Name, resp.StatusCode, body, reason)
		}
	}
	if refused < 5 {
		t.Fatalf("only %d malformed fixtures", refused)
	}

	// Unknown channel: 404, even with a perfect body.
	good := fixture.Load(t, "../gateway/africastalking/testdata/ussd/first-hop.http")[0]
	notFound := good.Post(t, srv.url("/c/not-a-channel/ussd"))
	notFound.Body.Close()
	if notFound.StatusCode != http.StatusNotFound {
		t.Errorf("unknown channel: %d, want 404", notFound.StatusCode)
	}

	// A malformed hop for the live session (text over 1 KB) changes nothing.
	form := "sessionId=" + c.s.ID() + "&phoneNumber=%2B22376000005&text=1*" + strings.Repeat("9", 1100)
	resp, err := http.Post(srv.url("/c/demo-at/ussd"), "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("oversized text: %d, want 400", resp.StatusCode)
	}
	again, err := c.s.Resend(context.Background())
	if err != nil || again != before {
		t.Errorf("session moved after refused callbacks: %+v, %v", again, err)
	}

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/c/demo-at/nothing": 404} {
		resp, err := http.Get(srv.url(path))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}

	srv.stop(t)
	if list := cases(t, srv.DataDir); len(list) != 0 {
		t.Errorf("refused callbacks stored %d cases", len(list))
	}
	if strings.Contains(srv.logs.String(), "99999999") {
		t.Error("a refused body reached the logs")
	}
}

// A provider's session id is not a bearer token: the same sessionId and
// text from another number (a forged callback) gets a fresh session, never
// the caller's screen or reference, and a forged end-of-session notice
// from another number leaves the caller's session alone.
func TestUSSDSessionBoundToCaller(t *testing.T) {
	srv := startServer(t, "", "")
	const other = "+22376000052"
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		resp, err := http.PostForm(srv.url(path), form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	c := dial(t, srv, "+22376000051")
	c.next = "Next"
	c.choose("English")
	c.complaint()
	c.choose("Wrong amount, bad, late")
	c.choose("Gao")
	c.choose("Ansongo")
	c.choose("Ouattagouna") // a commune of the demo's localities
	c.choose("Cash")
	c.send("Moussa kept half of the bags")
	c.choose("No") // no call-back
	if !strings.Contains(c.screen.Text, "Moussa") {
		t.Fatalf("confirmation should show the caller their detail:\n%s", c.screen.Text)
	}
	hop := func(text string) string {
		t.Helper()
		_, body := post("/c/demo-at/ussd", url.Values{"sessionId": {c.s.ID()}, "phoneNumber": {other},
			"serviceCode": {"*384*1234#"}, "networkCode": {"99999"}, "text": {text}})
		return body
	}
	if body := hop("x"); strings.Contains(body, "Moussa") || strings.Contains(body, "Ansongo") {
		t.Fatalf("another number saw the caller's screen: %q", body)
	}
	c.choose("Send")
	ref := c.reference()
	end := c.screen.Text
	if body := hop(c.s.Text()); strings.Contains(body, ref[:4]+" "+ref[4:]) {
		t.Fatalf("another number got the caller's reference: %q", body)
	}
	// A forged end notice must not end the caller's session: a retry of
	// the last hop still gets the very same screen, PIN included (a lost
	// session would replay and could not show the PIN again).
	if code, _ := post("/c/demo-at/ussd/events", url.Values{"sessionId": {c.s.ID()}, "status": {"Failed"},
		"phoneNumber": {other}}); code != 200 {
		t.Fatalf("forged notice: %d", code)
	}
	if scr, err := c.s.Resend(context.Background()); err != nil || scr.Text != end {
		t.Fatalf("caller's retry after a forged notice: %q %v, want %q", scr.Text, err, end)
	}
}
