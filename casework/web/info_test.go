package web_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/simulator"
)

// infoScreen dials base's USSD as phone: French, Information, Mopti,
// Ténenkou, distribution dates; it returns the last screen's text.
func infoScreen(t *testing.T, base, phone string) string {
	t.Helper()
	s := simulator.USSD{URL: base + "/c/demo-at/ussd", Phone: phone}.NewSession()
	var scr simulator.Screen
	var err error
	for _, in := range []string{"", "2", "3", "5", "7", "3"} {
		if scr, err = s.Send(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	return scr.Text
}

// Who may do what on the information pages: only the programme role
// writes, only a supervisor approves, viewers and officers see nothing,
// and a POST without the CSRF token changes nothing.
func TestInfoRoles(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "prog", casework.RoleProgramme, "")
	form := url.Values{"place": {"ML0507"}, "topic": {"dates"}, "lang": {"fr"}, "text": {"Distribution le 12 mars."}}

	for _, name := range []string{"vera", "awa"} {
		c := e.login(t, name)
		if resp, _ := c.get("/meal/info"); resp.StatusCode != 403 {
			t.Errorf("%s GET /meal/info: %d; want 403", name, resp.StatusCode)
		}
		if resp, _ := c.post("/meal/info", url.Values{"place": {"ML0507"}, "topic": {"dates"}, "lang": {"fr"}, "text": {"x"}}); resp.StatusCode != 403 {
			t.Errorf("%s POST /meal/info: %d; want 403", name, resp.StatusCode)
		}
	}
	prog := e.login(t, "prog")
	forged := url.Values{"_csrf": {""}}
	for k, v := range form {
		forged[k] = v
	}
	if resp, _ := prog.post("/meal/info", forged); resp.StatusCode != 403 {
		t.Errorf("POST without CSRF: %d; want 403", resp.StatusCode)
	}
	if resp, _ := prog.post("/meal/info", url.Values{"place": {"ML9999"}, "topic": {"dates"}, "lang": {"fr"}, "text": {"x"}}); resp.StatusCode != 400 {
		t.Errorf("unknown place: %d; want 400", resp.StatusCode)
	}
	if ps, _ := e.svc.InfoPages(context.Background()); len(ps) != 0 {
		t.Fatalf("refused posts stored %d pages", len(ps))
	}
	prog.get("/meal/info/edit")
	if resp, _ := prog.post("/meal/info", form); resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "ok=info_saved") {
		t.Fatalf("programme save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ps, _ := e.svc.InfoPages(context.Background())
	if len(ps) != 1 || ps[0].Live() {
		t.Fatalf("after saving: %+v", ps)
	}
	approve := url.Values{"id": {ps[0].ID}, "version": {"1"}}
	if resp, _ := prog.post("/meal/info/approve", url.Values{"id": {ps[0].ID}, "version": {"1"}}); resp.StatusCode != 403 {
		t.Errorf("programme approving: %d; want 403", resp.StatusCode)
	}
	sup := e.login(t, "fanta")
	_, body := sup.get("/meal/info")
	if !strings.Contains(body, "Distribution le 12 mars.") || !strings.Contains(body, `name="version" value="1"`) {
		t.Fatalf("the supervisor does not see the draft to approve: %s", body)
	}
	if resp, _ := sup.post("/meal/info/approve", url.Values{"id": {ps[0].ID}, "version": {"7"}}); !strings.Contains(resp.Header.Get("Location"), "err=info_stale") {
		t.Errorf("approving a version never read: %s", resp.Header.Get("Location"))
	}
	if resp, _ := sup.post("/meal/info/approve", approve); !strings.Contains(resp.Header.Get("Location"), "ok=info_approved") {
		t.Errorf("approve: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if p, _ := e.svc.InfoPage(context.Background(), ps[0].ID); p.Published != "Distribution le 12 mars." || p.ApprovedBy != "fanta" {
		t.Errorf("after approval: %+v", p)
	}
}

// A programme officer writes a page in Chromium; callers do not get it
// until a supervisor approves it in Chromium; then USSD reads it, and the
// dashboard counts the view (hidden while under MinCount).
func TestInfoBrowserWriteApproveServe(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "prog", casework.RoleProgramme, "")
	base := e.serve(t)
	b := browser(t, 1366, 768)
	const text = "Distribution à Ténenkou le 12 mars, au marché, de 8 h à 16 h."
	const phone = "+22376000071"

	ctx := tab(t, b)
	if err := chromedp.Do(ctx, signIn(base, "prog"), chromedp.Navigate(base+"/meal/info"), chromedp.Click(`#info-new`),
		chromedp.WaitVisible(`textarea[name=text]`),
		chromedp.SetValue(`select[name=place]`, "ML0507"), chromedp.SetValue(`select[name=topic]`, "dates"),
		chromedp.SetValue(`select[name=lang]`, "fr"), chromedp.SendKeys(`textarea[name=text]`, text),
		chromedp.Click(`#info-save`), chromedp.WaitVisible(`.flash`)); err != nil {
		t.Fatal(err)
	}
	if got := infoScreen(t, base, phone); strings.Contains(got, "marché") {
		t.Fatalf("an unapproved page reached a caller: %q", got)
	}
	sup := tab(t, b)
	if err := chromedp.Do(sup, signIn(base, "fanta"), chromedp.Navigate(base+"/meal/info"), chromedp.WaitVisible(`button.approve`),
		chromedp.Click(`button.approve`), chromedp.WaitVisible(`.flash`)); err != nil {
		t.Fatal(err)
	}
	if got := infoScreen(t, base, phone); !strings.Contains(got, "Distribution") || !strings.Contains(got, "Ténenkou") {
		t.Errorf("the approved page is not read on USSD: %q", got)
	}
	if err := chromedp.Do(sup, chromedp.Navigate(base+"/meal/dashboard"), chromedp.WaitVisible(`#info-views`)); err != nil {
		t.Fatal(err)
	}
	views := must[string](t)(chromedp.Run(sup, chromedp.Text(`#info-views`)))
	if !strings.Contains(views, "Tenenkou") || !strings.Contains(views, casework.Suppressed) {
		t.Errorf("dashboard views: %q; want Ténenkou with its one view hidden", views)
	}
}

// "You said, we did": an officer writes the month's findings for a
// cercle; the counts come from the cases with small ones hidden (said as
// "other subjects", never as a number); a supervisor approves, which
// publishes the script on the information line; the radio script is
// exported as text and as a printable page, in French and Bambara.
func TestYouSaidWeDid(t *testing.T) {
	e := newEnv(t)
	for i := range 6 {
		e.submit(t, "k1:many-"+string(rune('a'+i)), "exclusion", "ML05", "ML0507", "")
	}
	e.submit(t, "k1:one", "sea", "ML05", "ML0507", "") // one case: never said
	month := e.clock.Now().UTC().Format("2006-01")
	awa := e.login(t, "awa")
	awa.get("/meal/info/yousaid")
	form := url.Values{"month": {month}, "cercle": {"ML0507"},
		"found_fr": {"Douze ménages oubliés sur la liste."}, "changed_fr": {"Ils ont été ajoutés et payés le 3."},
		"found_bm": {"Du tan ni fila tun tɛ lisi la."}, "changed_bm": {"U farala a kan: sɔgɔma, ɲɔgɔn fɛ, sàŋa."}}
	if resp, _ := awa.post("/meal/info/yousaid", form); resp.StatusCode != 303 {
		t.Fatalf("officer saves a summary: %d", resp.StatusCode)
	}
	list, _ := e.svc.Summaries(context.Background())
	if len(list) != 1 {
		t.Fatalf("%d summaries", len(list))
	}
	sup := e.login(t, "fanta")
	_, page := sup.get("/meal/info/yousaid")
	if !strings.Contains(page, "Pas sur la liste") || strings.Contains(page, "Abus sexuel") || !strings.Contains(page, "Autres sujets") {
		t.Fatalf("the supervisor's preview: want exclusion's count, the hidden sexual abuse case only as other subjects: %s", page)
	}
	if resp, _ := sup.get("/meal/info/yousaid/script?id=" + url.QueryEscape(list[0].ID) + "&lang=fr&format=txt"); resp.StatusCode != 404 {
		t.Errorf("a draft's script is exported: %d", resp.StatusCode)
	}
	if resp, _ := sup.post("/meal/info/yousaid/approve", url.Values{"id": {list[0].ID}, "version": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	_, txt := sup.get("/meal/info/yousaid/script?id=" + url.QueryEscape(list[0].ID) + "&lang=fr&format=txt")
	for _, want := range []string{"Vous avez dit, nous avons fait", "Pas sur la liste: 6", "Et d'autres sujets", "Douze ménages", "ajoutés et payés"} {
		if !strings.Contains(txt, want) {
			t.Errorf("French script lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, ": 1") || strings.Contains(strings.ToLower(txt), "abus") {
		t.Errorf("the script tells a small count:\n%s", txt)
	}
	_, bm := sup.get("/meal/info/yousaid/script?id=" + url.QueryEscape(list[0].ID) + "&lang=bm")
	if !strings.Contains(bm, "Du tan ni fila") || !strings.Contains(bm, "<article") {
		t.Errorf("Bambara printable script: %s", bm)
	}
	text, ok, err := e.svc.Info(context.Background(), casework.InfoRequest{Lang: "bm", Region: "ML05", Cercle: "ML0507", Topic: "yousaid"})
	if err != nil || !ok || !strings.Contains(text, "U farala a kan") {
		t.Errorf("the information line's yousaid page in Bambara: %q %v %v", text, ok, err)
	}
	resp, pdf := sup.get("/meal/info/yousaid/script?id=" + url.QueryEscape(list[0].ID) + "&lang=bm&format=pdf")
	if resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("PDF script: %s %.40q", resp.Header.Get("Content-Type"), pdf)
	}
	// Read back by another PDF implementation (poppler): the Bambara
	// letters must be text, not boxes or dropped glyphs.
	got := pdfText(t, []byte(pdf))
	for _, want := range []string{"Script radio", "Tenenkou", "Du tan ni fila tun tɛ lisi la.", "ɔ", "ɲ", "ŋ", "Numéro Vert"} {
		if !strings.Contains(got, want) {
			t.Errorf("the Bambara PDF script lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(strings.ToLower(got), "abus") {
		t.Errorf("the PDF tells a small count:\n%s", got)
	}
}

// pdfText extracts the text of a PDF with poppler's pdftotext (Debian
// poppler-utils): an independent reader of what the web view wrote.
// Under CI=true a missing pdftotext fails the test.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext not found (apt-get install poppler-utils); required under CI")
		}
		t.Skip("pdftotext not found (apt-get install poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), "script.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// A programme officer records a page: the recording is converted and
// kept for the version it was made of, audited, played in the web view
// and handed to calls while that version is live; junk, a version never
// read and other roles change nothing; an approved edit silences it until
// it is recorded again, which replaces the old file.
func TestInfoPageRecording(t *testing.T) {
	e, _, dir := studioEnv(t)
	e.addUser(t, "prog", casework.RoleProgramme, "")
	bg := context.Background()
	prog := e.login(t, "prog")
	prog.get("/meal/info/edit")
	prog.post("/meal/info", url.Values{"place": {"ML0507"}, "topic": {"dates"}, "lang": {"fr"}, "text": {"Distribution le 12 mars."}})
	const id = "|ML05|ML0507||dates|fr"
	sup := e.login(t, "fanta")
	sup.get("/meal/info")
	sup.post("/meal/info/approve", url.Values{"id": {id}, "version": {"1"}})
	req := casework.InfoRequest{Lang: "fr", Region: "ML05", Cercle: "ML0507", Topic: "dates"}
	if parts, _ := e.svc.InfoParts(bg, req); len(parts) != 1 || parts[0].Audio != "" {
		t.Fatalf("before any recording: %+v", parts)
	}
	_, page := prog.get("/meal/info/edit?id=" + url.QueryEscape(id))
	if !strings.Contains(page, `id="info-record"`) || !strings.Contains(page, "pas d&#39;enregistrement") {
		t.Fatalf("the editor offers no recording:\n%s", page)
	}
	awa := e.login(t, "awa")
	awa.get("/meal")
	rec := spoken(t, "Distribution le douze mars")
	if resp, _ := awa.upload("/meal/info/recording", url.Values{"id": {id}, "version": {"1"}}, rec); resp.StatusCode != 403 {
		t.Errorf("an officer records a page: %d; want 403", resp.StatusCode)
	}
	if resp, _ := prog.upload("/meal/info/recording", url.Values{"id": {id}, "version": {"7"}}, rec); !strings.Contains(resp.Header.Get("Location"), "err=info_stale") {
		t.Errorf("a recording of a version never read: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, page := prog.upload("/meal/info/recording", url.Values{"id": {id}, "version": {"1"}}, []byte("not audio")); resp.StatusCode != 422 || !strings.Contains(page, "Enregistrement refusé") {
		t.Errorf("junk: %d\n%s", resp.StatusCode, page)
	}
	if files := infoWAVs(t, dir); len(files) != 0 {
		t.Fatalf("refused uploads left %v", files)
	}
	if resp, _ := prog.upload("/meal/info/recording", url.Values{"id": {id}, "version": {"1"}}, rec); !strings.Contains(resp.Header.Get("Location"), "ok=info_recorded") {
		t.Fatalf("upload: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	first := infoWAVs(t, dir)
	parts, _ := e.svc.InfoParts(bg, req)
	if len(first) != 1 || len(parts) != 1 || parts[0].Audio+".wav" != filepath.Base(first[0]) {
		t.Fatalf("calls get %+v; files %v", parts, first)
	}
	if b, _ := os.ReadFile(first[0]); len(b) < 44 || le32(b[24:]) != 8000 {
		t.Errorf("the stored recording is not 8 kHz WAV")
	}
	if p, _ := e.svc.InfoPage(bg, id); p.Events[len(p.Events)-1].Action != "recorded" || p.Events[len(p.Events)-1].Actor != "prog" {
		t.Errorf("not audited: %+v", p.Events)
	}
	_, page = sup.get("/meal/info")
	if !strings.Contains(page, "enregistrée") || !strings.Contains(page, "/meal/info/audio?id=") {
		t.Errorf("the supervisor cannot hear the recording:\n%s", page)
	}
	if resp, _ := sup.get("/meal/info/audio?id=" + url.QueryEscape(id)); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/wav" {
		t.Errorf("web view audio: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// An edit, approved: its text is not what was recorded.
	prog.get("/meal/info/edit?id=" + url.QueryEscape(id))
	prog.post("/meal/info", url.Values{"place": {"ML0507"}, "topic": {"dates"}, "lang": {"fr"}, "text": {"Distribution le 14 mars."}})
	sup.get("/meal/info")
	sup.post("/meal/info/approve", url.Values{"id": {id}, "version": {"2"}})
	if parts, _ := e.svc.InfoParts(bg, req); len(parts) != 1 || parts[0].Audio != "" || parts[0].Text != "Distribution le 14 mars." {
		t.Errorf("an old recording plays with new text: %+v", parts)
	}
	if _, page = prog.get("/meal/info/edit?id=" + url.QueryEscape(id)); !strings.Contains(page, "enregistrez à nouveau") {
		t.Errorf("the editor does not say the recording is stale:\n%s", page)
	}
	if resp, _ := prog.upload("/meal/info/recording", url.Values{"id": {id}, "version": {"2"}}, rec); resp.StatusCode != 303 {
		t.Fatalf("record again: %d", resp.StatusCode)
	}
	second := infoWAVs(t, dir)
	if len(second) != 1 || second[0] == first[0] {
		t.Errorf("recording again: files %v (before %v)", second, first)
	}
	if parts, _ := e.svc.InfoParts(bg, req); len(parts) != 1 || parts[0].Audio+".wav" != filepath.Base(second[0]) {
		t.Errorf("after recording again: %+v", parts)
	}
}

// infoWAVs lists the information page recordings under the data dir.
func infoWAVs(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "audio", "*", "info-*.wav"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}
