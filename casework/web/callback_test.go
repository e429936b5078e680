package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/web"
)

// dialled records the call-backs the web view asks for; the gateway's
// real dialling is tested in gateway and e2e (TestMaskedCallBack).
type dialled struct {
	mu      sync.Mutex
	tickets []casework.CallBackTicket
	phones  []string
}

func (d *dialled) CallBack(_ context.Context, t casework.CallBackTicket, phone string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tickets, d.phones = append(d.tickets, t), append(d.phones, phone)
	return nil
}

// SealOfficer stands for the gateway's sealer: it takes only numbers.
func (d *dialled) SealOfficer(name, raw string) (string, bool) {
	if !strings.HasPrefix(raw, "+223") {
		return "", false
	}
	return sealedOfficer, true
}

const sealedCaller, sealedOfficer = "k1:c2VhbGVkLWNhbGxlcg", "k1:c2VhbGVkLW9mZmljZXI"

// "Call back" shows only on a case whose caller asked for it; it needs the
// officer's own phone on their account; another team's officer gets the
// same 404 as for any of its cases; a request is audited, and neither the
// sealed number nor the officer's phone ever reaches a page.
func TestCallBackButton(t *testing.T) {
	calls := &dialled{}
	e := newEnv(t, func(o *web.Options) { o.CallBacks = calls })
	plain := e.submit(t, "k1:plain", "exclusion", "ML05", "ML0501", "")
	r, err := e.svc.Submit(context.Background(), casework.Intake{
		IdempotencyKey: "callback/1", CallerKey: "k1:callback-caller", Channel: "demo-at", Medium: "ussd",
		Language: "fr", Category: "exclusion", Region: "ML05", Cercle: "ML0501", Assistance: "food",
		ID: casework.NewID(), CallBack: sealedCaller,
	})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Case.ID
	c := e.login(t, "awa")
	if _, page := c.get("/meal/cases/" + plain.Case.ID); strings.Contains(page, `id="callback"`) {
		t.Error("Call back offered on a case whose caller did not ask")
	}
	_, page := c.get("/meal/cases/" + id)
	if !strings.Contains(page, `id="callback"`) || strings.Contains(page, sealedCaller) {
		t.Fatalf("call-back case page: button missing or sealed number shown")
	}
	if page = follow(c, "/meal/cases/"+id+"/callback"); !strings.Contains(page, "Aucun téléphone") {
		t.Errorf("an officer without a phone was not told")
	}
	// The officer sets her own phone on her profile page: sealed at once,
	// never shown again, the change in the accounts' audit.
	if _, page = c.get("/meal/profile"); !strings.Contains(page, "Aucun téléphone") {
		t.Errorf("profile before: phone not said to be missing")
	}
	resp, _ := c.post("/meal/profile/phone", url.Values{"phone": {"pas un numéro"}})
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "err=phone") {
		t.Errorf("a non-number accepted: %s", loc)
	}
	c.post("/meal/profile/phone", url.Values{"phone": {"+22376000073"}})
	if _, page = c.get("/meal/profile"); !strings.Contains(page, "Un téléphone est enregistré") || strings.Contains(page, "76000073") || strings.Contains(page, sealedOfficer) {
		t.Errorf("profile after: not set, or the number shown")
	}
	if u, _ := e.users.User(context.Background(), "awa"); u.Phone != sealedOfficer {
		t.Errorf("account phone = %q, want the sealed one", u.Phone)
	}
	if ev, _ := e.users.AdminEvents(context.Background()); len(ev) == 0 || ev[len(ev)-1].Action != "phone_set" {
		t.Errorf("phone change not audited: %+v", ev)
	}
	if page = follow(c, "/meal/cases/"+id+"/callback"); !strings.Contains(page, "Appel en cours") || !strings.Contains(page, "rappel demandé") {
		t.Fatalf("call-back not requested")
	}
	if strings.Contains(page, sealedCaller) || strings.Contains(page, sealedOfficer) {
		t.Error("a sealed number reached the page")
	}
	if len(calls.tickets) != 1 || calls.tickets[0].Sealed != sealedCaller || calls.phones[0] != sealedOfficer || calls.tickets[0].Officer != "awa" {
		t.Errorf("dialled %+v with %q", calls.tickets, calls.phones)
	}
	if page = follow(c, "/meal/cases/"+plain.Case.ID+"/callback"); !strings.Contains(page, "Pas de rappel possible") {
		t.Error("a case without a call-back was dialled or not refused plainly")
	}
	other := e.login(t, "ibrahim")
	if resp, _ := other.post("/meal/cases/"+id+"/callback", url.Values{}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another team's officer: %d, want 404", resp.StatusCode)
	}
	if len(calls.tickets) != 1 {
		t.Errorf("%d call-backs dialled, want 1", len(calls.tickets))
	}
}

// follow posts the call-back form and reads the page it redirects to.
func follow(c *client, path string) string {
	c.t.Helper()
	resp, _ := c.post(path, url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("POST %s: %d, want 303", path, resp.StatusCode)
	}
	_, page := c.get(resp.Header.Get("Location"))
	return page
}
