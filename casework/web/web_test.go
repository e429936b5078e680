package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
)

var caseLink = regexp.MustCompile(`href="/meal/cases/([0-9a-f]{32})"`)

func TestOfficerSeesOnlyTheTeamsCases(t *testing.T) {
	e := newEnv(t)
	mine := e.submit(t, "k1:a", "exclusion", "ML05", "ML0501", "")
	theirs := e.submit(t, "k1:b", "distribution", "ML06", "unknown", "")
	if mine.Case.Team != "meal-mopti" || theirs.Case.Team != "meal-north" {
		t.Fatalf("routing changed: %s, %s", mine.Case.Team, theirs.Case.Team)
	}
	c := e.login(t, "awa")
	_, body := c.get("/meal/queue")
	ids := caseLink.FindAllStringSubmatch(body, -1)
	if len(ids) != 1 || ids[0][1] != mine.Case.ID {
		t.Fatalf("queue links %v, want only %s", ids, mine.Case.ID)
	}
	if !strings.Contains(body, casework.FormatReference(mine.Case.Reference)) || strings.Contains(body, casework.FormatReference(theirs.Case.Reference)) {
		t.Error("queue shows the wrong references")
	}
	resp, body := c.get("/meal/cases/" + theirs.Case.ID)
	if resp.StatusCode != http.StatusNotFound || strings.Contains(body, theirs.Case.Reference[:4]) {
		t.Errorf("another team's case: status %d, want 404 without the case", resp.StatusCode)
	}
	resp, _ = c.post("/meal/cases/"+theirs.Case.ID+"/note", url.Values{"note": {"x"}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("note on another team's case: status %d, want 404", resp.StatusCode)
	}
	resp, _ = c.get("/meal/cases/0123456789abcdef0123456789abcdef")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown case: status %d, want 404", resp.StatusCode)
	}
}

func TestQueueFiltersAndCounts(t *testing.T) {
	e := newEnv(t)
	a := e.submit(t, "k1:a", "exclusion", "ML05", "ML0501", "")
	b := e.submit(t, "k1:b", "distribution", "ML05", "ML0502", "")
	e.clock.Add(4 * 24 * time.Hour) // both past the 72 h acknowledge deadline
	c := e.submit(t, "k1:c", "question", "ML05", "unknown", "")
	if _, err := e.svc.Assign(context.Background(), casework.Actor{ID: "awa", Team: "meal-mopti"}, b.Case.ID, "awa"); err != nil {
		t.Fatal(err)
	}
	cl := e.login(t, "awa")
	for _, tc := range []struct {
		query string
		want  []string
	}{
		// a is due first (acknowledge), then c (acknowledge, 3 days
		// on), then b (assigned: resolve, in 30 days).
		{"", []string{a.Case.ID, c.Case.ID, b.Case.ID}},
		{"?status=new", []string{a.Case.ID, c.Case.ID}},
		{"?category=distribution", []string{b.Case.ID}},
		{"?overdue=1", []string{a.Case.ID}}, // b was acknowledged; its resolve deadline is 30 days
		{"?region=ML06", nil},
	} {
		_, body := cl.get("/meal/queue" + tc.query)
		var got []string
		for _, m := range caseLink.FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("queue%s = %v, want %v (sorted by deadline)", tc.query, got, tc.want)
		}
	}
	_, body := cl.get("/meal/queue")
	if !regexp.MustCompile(`s-new">[^<]+</span> <b>2</b>`).MatchString(body) || !regexp.MustCompile(`s-assigned">[^<]+</span> <b>1</b>`).MatchString(body) {
		t.Error("queue does not count 2 new and 1 assigned")
	}
}

func TestPostWithoutCSRFIsRefused(t *testing.T) {
	e := newEnv(t)
	r := e.submit(t, "k1:a", "exclusion", "ML05", "ML0501", "")
	c := e.login(t, "awa")
	for _, token := range []string{"", "forged"} {
		resp, _ := c.post("/meal/cases/"+r.Case.ID+"/note", url.Values{"note": {"sneaky"}, "_csrf": {token}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("CSRF %q: status %d, want 403", token, resp.StatusCode)
		}
	}
	resp, _ := c.post("/meal/cases/"+r.Case.ID+"/note", url.Values{"note": {"real"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("with the token: status %d", resp.StatusCode)
	}
	v, err := e.svc.View(context.Background(), casework.Actor{ID: "awa", Team: "meal-mopti"}, r.Case.ID)
	if err != nil || len(v.Notes) != 1 || v.Notes[0].Text != "real" {
		t.Fatalf("notes = %+v, %v; want only the one with a token", v.Notes, err)
	}
	// The login form has its own token too.
	anon := e.client(t)
	anon.get("/meal/login")
	resp, _ = anon.post("/meal/login", url.Values{"name": {"awa"}, "password": {password}, "_csrf": {""}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without token: status %d, want 403", resp.StatusCode)
	}
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	sea := e.submit(t, "k1:a", "sea", "ML05", "ML0501", "")
	ordinary := e.submit(t, "k1:a", "exclusion", "ML05", "ML0501", "")
	viewer := e.login(t, "vera")
	for _, path := range []string{"/meal/cases/" + ordinary.Case.ID, "/meal/queue", "/meal/intake", "/meal/export/cases.csv"} {
		if resp, _ := viewer.get(path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer GET %s: status %d, want 403", path, resp.StatusCode)
		}
	}
	if resp, body := viewer.get("/meal/dashboard"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "<svg") {
		t.Errorf("viewer dashboard: status %d", resp.StatusCode)
	}
	officer := e.login(t, "awa")
	if resp, _ := officer.get("/meal/cases/" + sea.Case.ID); resp.StatusCode != http.StatusNotFound {
		t.Errorf("officer on an SEA case: %d, want 404", resp.StatusCode)
	}
	if resp, _ := officer.get("/meal/export/cases.csv"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("officer case export: %d, want 403", resp.StatusCode)
	}
	psea := e.login(t, "mariam")
	if resp, _ := psea.get("/meal/cases/" + sea.Case.ID); resp.StatusCode != http.StatusOK {
		t.Fatalf("PSEA on an SEA case: %d", resp.StatusCode)
	}
	audit, err := e.svc.Audit(context.Background(), casework.Actor{ID: "mariam", Team: "psea-focal"}, sea.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := audit[len(audit)-1]; last.Action != casework.ActionViewed || last.Actor != "mariam" {
		t.Errorf("the view of a sensitive case was not audited: %+v", last)
	}
	sup := e.login(t, "fanta")
	resp, body := sup.get("/meal/export/cases.csv")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ordinary.Case.Reference) || strings.Contains(body, "k1:a") || strings.Contains(body, sea.Case.Reference) {
		t.Errorf("supervisor export: status %d, body %q", resp.StatusCode, body)
	}
}

func TestHostileTextIsInert(t *testing.T) {
	e := newEnv(t)
	r := e.submit(t, "k1:a", "exclusion", "ML05", "ML0501", `<script>alert(1)</script><img src=x onerror=alert(2)> "quoted" & <b>bold</b>`)
	c := e.login(t, "awa")
	_, body := c.get("/meal/cases/" + r.Case.ID)
	for _, bad := range []string{"<script>alert", "<img src=x", "<b>bold"} {
		if strings.Contains(body, bad) {
			t.Errorf("page holds raw %q", bad)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the text is not shown escaped")
	}
}

func TestSecurityHeadersAndPageSizes(t *testing.T) {
	e := newEnv(t)
	for i := range 40 {
		region := []string{"ML05", "ML06", "ML01"}[i%3]
		e.submit(t, "k1:a", []string{"exclusion", "distribution", "question"}[i%3], region, "unknown", strings.Repeat("long text ", 100))
	}
	c := e.login(t, "awa")
	_, q := c.get("/meal/queue")
	id := caseLink.FindStringSubmatch(q)[1]
	for _, path := range []string{"/meal/login", "/meal/queue", "/meal/cases/" + id, "/meal/intake", "/meal/dashboard", "/meal/static/app.css"} {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", path, resp.StatusCode)
		}
		if len(body) > 150<<10 {
			t.Errorf("%s: %d bytes, over 150 KB", path, len(body))
		}
		t.Logf("%s: %d bytes", path, len(body))
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if strings.HasSuffix(path, ".css") {
			continue
		}
		// The only script is our own file (the answer counter): none inline.
		for _, inline := range []string{"<script>", "<script ", " style=", "<style", "http://", "https://", " onclick=", " oninput="} {
			if strings.Contains(strings.ReplaceAll(body, `<script src="/meal/static/answer.js" defer></script>`, ""), inline) {
				t.Errorf("%s holds %q (inline code or an external resource)", path, inline)
			}
		}
	}
	resp, _ := e.client(t).get("/meal/login")
	for _, ck := range resp.Cookies() {
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v Secure %v (plain HTTP, no trusted proxy)", ck.Name, ck.HttpOnly, ck.SameSite, ck.Secure)
		}
	}
}

func TestLoginRateLimitAndIdleTimeout(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	c.get("/meal/login")
	token := c.csrf
	for i := range 5 {
		resp, _ := c.post("/meal/login", url.Values{"name": {"awa"}, "password": {"wrong password"}, "_csrf": {token}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp, _ := c.post("/meal/login", url.Values{"name": {"awa"}, "password": {password}, "_csrf": {token}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("6th attempt with the right password: status %d, want 429", resp.StatusCode)
	}
	e.clock.Add(16 * time.Minute)
	resp, _ = c.post("/meal/login", url.Values{"name": {"awa"}, "password": {password}, "_csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: status %d, want 303", resp.StatusCode)
	}
	if resp, _ := c.get("/meal/queue"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %d", resp.StatusCode)
	}
	e.clock.Add(29 * time.Minute)
	if resp, _ := c.get("/meal/queue"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d", resp.StatusCode)
	}
	e.clock.Add(31 * time.Minute)
	if resp, _ := c.get("/meal/queue"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/meal/login" {
		t.Fatalf("after 31 idle minutes: %d %s, want a redirect to login", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Logout ends the session server-side: the old cookie is useless.
	c = e.login(t, "awa")
	old := c.cookies["nv_session"]
	c.post("/meal/logout", url.Values{})
	c.cookies["nv_session"] = old
	if resp, _ := c.get("/meal/queue"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old cookie after logout: %d", resp.StatusCode)
	}
}

func TestStaffIntakeGivesReferenceAndPIN(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, "awa")
	_, form := c.get("/meal/intake")
	if strings.Contains(strings.ToLower(form), `name="phone"`) || strings.Contains(strings.ToLower(form), "tel") {
		t.Error("the intake form asks for a number")
	}
	nonce := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindStringSubmatch(form)[1]
	values := url.Values{"nonce": {nonce}, "language": {"fr"}, "category": {"exclusion"}, "region": {"unknown"}, "cercle": {"ML0501"}, "assistance": {"food"}, "detail": {"left off the list"}}
	_, body := c.post("/meal/intake", values)
	m := regexp.MustCompile(`id="reference">(\d{4} \d{4})</b>.*id="pin">(\d{4})</b>`).FindStringSubmatch(strings.ReplaceAll(body, "\n", " "))
	if m == nil {
		t.Fatalf("no reference and PIN on the page:\n%s", body)
	}
	a, err := e.svc.FollowUp(context.Background(), []string{"k1:another-phone"}, m[1], m[2])
	if err != nil || a.Status != casework.PublicReceived {
		t.Fatalf("follow-up with the read-out reference and PIN: %+v, %v", a, err)
	}
	_, again := c.post("/meal/intake", values)
	if !strings.Contains(again, m[1]) || strings.Contains(again, `id="pin"`) {
		t.Error("a resent form should show the same reference and no PIN")
	}
}

func TestExportsAndAPIShareOneSuppression(t *testing.T) {
	e := newEnv(t)
	for range 6 {
		e.submit(t, "k1:a", "exclusion", "ML05", "ML0501", "")
	}
	for range 2 {
		e.submit(t, "k1:a", "distribution", "ML05", "ML0501", "")
	}
	v := e.login(t, "vera")
	_, hxl := v.get("/meal/export/hxl.csv?weeks=1")
	lines := strings.Split(strings.TrimSpace(hxl), "\n")
	if len(lines) < 3 || lines[1] != "#date+start,#meta+table,#adm1+code,#indicator+category,#status,#modality,#indicator+cases+num,#meta+suppressed,#adm2+code,#loc+code,#loc+name" {
		t.Fatalf("hxl csv:\n%s", hxl)
	}
	grid := 0
	for _, l := range lines[2:] {
		if strings.Contains(l, ",region_category,") {
			grid++
		}
		if strings.Contains(l, ",region_category,ML05,distribution,") && !strings.HasSuffix(l, ",,yes,,,") {
			t.Errorf("2 distribution cases not suppressed: %s", l)
		}
		if strings.Contains(l, "unknown") || strings.Contains(l, "<5") {
			t.Errorf("line %q: unknown in a P-code column or text in a number column", l)
		}
	}
	if grid != 11*10 { // 10 regions and unknown, by the demo codebook's 10 categories
		t.Errorf("%d grid lines, want every region × category", grid)
	}
	_, agg := v.get("/meal/export/aggregate.csv?weeks=1")
	if !strings.HasPrefix(agg, "week_start,table,region_pcode,category,status,assistance,cases,suppressed,cercle_pcode,locality_code,locality_name\n") || len(strings.Split(strings.TrimSpace(agg), "\n")) != len(lines)-1 {
		t.Errorf("aggregate csv differs from the HXL one:\n%s", agg)
	}
	req := httptest.NewRequest(http.MethodGet, "/meal/api/v1/report", nil)
	if resp, _ := e.client(t).do(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API without token: %d", resp.StatusCode)
	}
	token := "nv_test-token"
	if err := e.users.PutToken(context.Background(), casework.APIToken{Name: "cluster", Hash: casework.HashToken(token)}); err != nil {
		t.Fatal(err)
	}
	req = httptest.NewRequest(http.MethodGet, "/meal/api/v1/report?weeks=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, body := e.client(t).do(req)
	var r struct {
		Totals []any `json:"totals"`
		Cells  []struct {
			Region, Category string
			Cases            any
		} `json:"cells"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("API: %d %v %s", resp.StatusCode, err, body)
	}
	if len(r.Totals) != 1 || r.Totals[0] != 8.0 {
		t.Errorf("API totals = %v, want [8]", r.Totals)
	}
	for _, c := range r.Cells {
		if c.Region == "ML05" && c.Category == "distribution" && c.Cases != nil {
			t.Errorf("API shows the 2 distribution cases: %v", c.Cases)
		}
	}
	if strings.Contains(body, "k1:a") || strings.Contains(body, "<5") {
		t.Error("API leaks a caller key or writes text for a number")
	}
}

func TestLanguages(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	_, fr := c.get("/meal/login")
	if !strings.Contains(fr, "Mot de passe") {
		t.Error("French is not the default")
	}
	c.get("/meal/lang?l=en&next=/meal/login")
	_, en := c.get("/meal/login")
	if !strings.Contains(en, "Password") || !strings.Contains(en, `lang="en"`) {
		t.Error("no English after switching")
	}
	resp, _ := c.get("/meal/lang?l=en&next=//evil.example/")
	if resp.Header.Get("Location") != "/meal/" {
		t.Errorf("open redirect: %s", resp.Header.Get("Location"))
	}
}

// A voice case's message plays from its page to the case's team only, and
// every listen is in the audit trail.
func TestVoiceMessagePlaysToTheTeamOnly(t *testing.T) {
	e := newEnv(t)
	r, err := e.svc.Submit(context.Background(), casework.Intake{
		IdempotencyKey: "voice/1", CallerKey: "k1:voice-caller", Channel: "demo-at", Medium: "voice",
		Language: "fr", Category: "exclusion", Region: "ML05", Cercle: "ML0501", Assistance: "food", Recording: "rec-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Case.ID
	c := e.login(t, "awa")
	_, page := c.get("/meal/cases/" + id)
	if !strings.Contains(page, `<audio controls preload="none" src="/meal/cases/`+id+`/recording">`) {
		t.Fatal("voice case page has no player for its message")
	}
	resp, body := c.get("/meal/cases/" + id + "/recording")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/wav" || body != "RIFF-voice-message" {
		t.Fatalf("recording: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	other := e.login(t, "ibrahim") // meal-north
	if resp, body := other.get("/meal/cases/" + id + "/recording"); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "RIFF") {
		t.Errorf("another team's officer: %d", resp.StatusCode)
	}
	events, err := e.svc.Audit(context.Background(), casework.Actor{ID: "awa", Team: "meal-mopti"}, id)
	if err != nil {
		t.Fatal(err)
	}
	listened := 0
	for _, ev := range events {
		if ev.Action == casework.ActionListened && ev.Actor == "awa" {
			listened++
		}
	}
	if listened != 1 {
		t.Errorf("%d listens audited, want 1", listened)
	}
}

// A sealed contact is opened only when the officer asks, and the reading
// is audited.
func TestSealedContactOpensOnRequest(t *testing.T) {
	e := newEnv(t)
	r, err := e.svc.Submit(context.Background(), casework.Intake{
		IdempotencyKey: "contact/1", CallerKey: "k1:contact-caller", Channel: "demo-at", Medium: "ussd",
		Language: "fr", Category: "exclusion", Region: "ML05", Cercle: "ML0501", Assistance: "food",
		Contact: &casework.Contact{Name: "Aminata Kontao", Village: "Sossobe"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Case.ID
	c := e.login(t, "awa")
	if _, page := c.get("/meal/cases/" + id); strings.Contains(page, "Aminata") || !strings.Contains(page, `id="show-contact"`) {
		t.Fatal("the contact shows before it is asked for, or cannot be asked for")
	}
	if _, page := c.get("/meal/cases/" + id + "?contact=1"); !strings.Contains(page, "Aminata Kontao") || !strings.Contains(page, "Sossobe") {
		t.Fatal("asking does not open the contact")
	}
	events, _ := e.svc.Audit(context.Background(), casework.Actor{ID: "awa", Team: "meal-mopti"}, id)
	read := 0
	for _, ev := range events {
		if ev.Action == casework.ActionContactRead {
			read++
		}
	}
	if read != 1 {
		t.Errorf("%d contact readings audited, want 1", read)
	}
}

// The codebook's names are shown in the officer's interface language:
// queue (rows and filter), case page (category, caller's choice, recoding
// with codes), intake form and dashboard.
func TestCodebookNamesInTheOfficersLanguage(t *testing.T) {
	e := newEnv(t)
	r := e.submit(t, "k1:a", "distribution", "ML05", "ML0501", "")
	c := e.login(t, "awa")
	for _, tc := range []struct {
		lang      string
		want, not []string
	}{
		{"fr", []string{"Problème de distribution ou de paiement", "Reçu moins que prévu", "Sensible"}, []string{"Distribution or payment problem", "Received less than entitled"}},
		{"en", []string{"Distribution or payment problem", "Received less than entitled", "Sensitive"}, []string{"Problème de distribution", "Reçu moins que prévu"}},
	} {
		c.get("/meal/lang?l=" + tc.lang + "&next=/meal/queue")
		for _, path := range []string{"/meal/queue", "/meal/cases/" + r.Case.ID, "/meal/intake", "/meal/dashboard"} {
			_, body := c.get(path)
			body = html.UnescapeString(body)
			want := tc.want[:1]
			switch {
			case strings.HasPrefix(path, "/meal/cases/"):
				want = tc.want[:2] // the recoding list names every code
			case path == "/meal/intake":
				want = []string{tc.want[0], tc.want[2]} // categories grouped by type
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s lacks %q", tc.lang, path, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(body, n) {
					t.Errorf("%s %s shows %q, of the other language", tc.lang, path, n)
				}
			}
		}
	}
}
