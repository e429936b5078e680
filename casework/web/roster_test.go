package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework/web"
)

// The roster: an officer with a phone goes on duty from their profile in
// the languages they tick; the team's supervisor takes them off on the
// roster page; an officer of another team can change nobody; every change
// is in the duty log with who did it; no number reaches a page.
func TestRosterPage(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.CallBacks = &dialled{} })
	awa := e.login(t, "awa")
	resp, _ := awa.post("/meal/roster/duty", url.Values{"on": {"1"}, "lang": {"bm"}, "back": {"profile"}})
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "/meal/profile?err=duty_phone") {
		t.Errorf("on duty without a phone: %s", loc)
	}
	awa.post("/meal/profile/phone", url.Values{"phone": {"+22376000074"}})
	resp, _ = awa.post("/meal/roster/duty", url.Values{"on": {"1"}, "back": {"profile"}})
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "err=duty_langs") {
		t.Errorf("on duty in no language: %s", loc)
	}
	resp, _ = awa.post("/meal/roster/duty", url.Values{"on": {"1"}, "lang": {"bm", "fr", "xx"}, "back": {"profile"}})
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "/meal/profile?ok=duty") {
		t.Fatalf("on duty: %s", loc)
	}
	if u, _ := e.users.User(context.Background(), "awa"); !u.OnDuty || strings.Join(u.DutyLanguages, ",") != "bm,fr" {
		t.Fatalf("awa on duty %v in %v", u.OnDuty, u.DutyLanguages)
	}
	if _, page := awa.get("/meal/profile"); !strings.Contains(page, `id="duty-off"`) {
		t.Error("profile: no way off duty")
	}

	_, page := awa.get("/meal/roster")
	row := between(page, `id="duty-awa"`, "</tr>")
	if !strings.Contains(row, "Bamanankan, Français") || !strings.Contains(row, "Quitter la permanence") {
		t.Errorf("roster row of awa: %s", row)
	}
	if strings.Contains(between(page, `id="duty-moussa"`, "</tr>"), "<form") {
		t.Error("an officer may set a teammate's duty")
	}
	if !strings.Contains(between(page, `id="team-meal-mopti"`, "</section>"), "toujours ouverte") {
		t.Error("the demo's office hours not shown")
	}

	other := e.login(t, "ibrahim")
	if resp, _ := other.post("/meal/roster/duty", url.Values{"name": {"awa"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another team's officer took awa off duty: %d", resp.StatusCode)
	}
	sup := e.login(t, "fanta")
	if _, page := sup.get("/meal/roster"); !strings.Contains(between(page, `id="duty-moussa"`, "</tr>"), "Prendre la permanence") {
		t.Error("the team's supervisor cannot set a teammate's duty")
	}
	resp, _ = sup.post("/meal/roster/duty", url.Values{"name": {"awa"}})
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "/meal/roster?ok=duty") {
		t.Fatalf("supervisor off duty: %s", loc)
	}
	if u, _ := e.users.User(context.Background(), "awa"); u.OnDuty {
		t.Error("still on duty")
	}
	_, page = sup.get("/meal/roster")
	log := between(page, "Journal de la permanence", "</section>")
	for _, want := range []string{"fanta", "fin de permanence", "de permanence (bm, fr)"} {
		if !strings.Contains(log, want) {
			t.Errorf("duty log lacks %q:\n%s", want, log)
		}
	}
	if resp, page := e.login(t, "vera").get("/meal/roster"); resp.StatusCode == http.StatusOK || strings.Contains(page, "duty-awa") {
		t.Errorf("a viewer sees the roster: %d", resp.StatusCode)
	}
	for _, p := range []string{page, row} {
		if strings.Contains(p, "76000074") || strings.Contains(p, sealedOfficer) {
			t.Error("a number reached the roster")
		}
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}
