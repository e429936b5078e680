package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/simulator"
)

// infoServer runs the demo config with its SMS replies going to fake
// (instead of the tour's 127.0.0.1:8090), and two staff accounts: prog
// writes information pages, fanta (supervisor) approves them.
func infoServer(t *testing.T, fake *simulator.FakeProvider) (*server, *httptest.Server) {
	t.Helper()
	prov := httptest.NewServer(fake)
	t.Cleanup(prov.Close)
	b, err := os.ReadFile(filepath.Join("..", "config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	b = bytes.ReplaceAll(b, []byte("127.0.0.1:8080"), []byte(addr))
	b = bytes.ReplaceAll(b, []byte("http://127.0.0.1:8090"), []byte(prov.URL))
	path := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "", "--addr", addr, "--config", path, "--locales", voiceLocales(t))
	fake.SetReportURL(simulator.ProviderAT, srv.url("/c/demo-at/sms/status"))
	for _, u := range [][]string{{"prog", "programme", ""}, {"fanta", "supervisor", "meal-mopti"}} {
		cmd := exec.Command(binary, "users", "add", "--data", srv.DataDir, "--name", u[0], "--role", u[1], "--team", u[2])
		cmd.Stdin = strings.NewReader("a long passphrase for " + u[0])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("users add %s: %v\n%s", u[0], err, out)
		}
	}
	return srv, prov
}

// signInStaff signs in a user made by infoServer (the staff client of
// callback_test.go).
// broadcastToApprove is the id of the broadcast awaiting a supervisor's
// approval on the broadcasts page.
func broadcastToApprove(t *testing.T, sup *staff) string {
	t.Helper()
	page := sup.get("/meal/info/broadcasts")
	id := regexp.MustCompile(`name="id" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("no broadcast to approve:\n%s", page)
	}
	return id[1]
}

// deliveredTo counts, per destination, the delivered SMS containing text.
func deliveredTo(fake *simulator.FakeProvider, text string) map[string]int {
	n := map[string]int{}
	for _, d := range fake.Delivered() {
		if strings.Contains(d.Body, text) {
			n[d.To]++
		}
	}
	return n
}

func signInStaff(t *testing.T, srv *server, name string) *staff {
	t.Helper()
	return signIn(t, srv.base, name, "a long passphrase for "+name)
}

func (s *staff) get(path string) string { return s.do(http.MethodGet, path, nil) }

func (s *staff) post(path string, form url.Values) string { return s.do(http.MethodPost, path, form) }

// infoUSSD dials, picks French, Information, Mopti, Ténenkou and the
// topic key; it returns the screen.
func infoUSSD(t *testing.T, srv *server, phone, topic string) simulator.Screen {
	t.Helper()
	c := dial(t, srv, phone)
	for _, in := range []string{"2", "3", "5", "7", topic} {
		c.send(in)
	}
	return c.screen
}

// An approved information page is read on USSD and in a call and sent for
// SMS INFO; a page no supervisor approved reaches nobody, on any channel;
// and no form of a caller's number is left on disk or in the log.
func TestInformationLine(t *testing.T) {
	fake := &simulator.FakeProvider{}
	srv, _ := infoServer(t, fake)
	const dates = "Distribution à Ténenkou le 12 mars au marché, de 8 h à 16 h. Venez avec votre carte."
	const eligibility = "Brouillon: critères à confirmer."

	prog := signInStaff(t, srv, "prog")
	prog.get("/meal/info/edit")
	prog.post("/meal/info", url.Values{"place": {"ML0507"}, "topic": {"dates"}, "lang": {"fr"}, "text": {dates}})
	prog.post("/meal/info", url.Values{"place": {"ML0507"}, "topic": {"eligibility"}, "lang": {"fr"}, "text": {eligibility}})
	long := strings.Repeat("Une équipe MEAL indépendante lit chaque plainte et répond sous trente jours. ", 5) + "FIN-DE-PAGE"
	prog.post("/meal/info", url.Values{"place": {"ML05"}, "topic": {"complaints"}, "lang": {"fr"}, "text": {long}})

	const phone = "+22376000081"
	if scr := infoUSSD(t, srv, phone, "3"); strings.Contains(scr.Text, "marché") || !scr.End {
		t.Fatalf("an unapproved page was read on USSD:\n%s", scr.Text)
	}

	sup := signInStaff(t, srv, "fanta")
	list := sup.get("/meal/info")
	if !strings.Contains(list, "au marché") {
		t.Fatalf("the supervisor does not see the draft:\n%s", list)
	}
	sup.post("/meal/info/approve", url.Values{"id": {"|ML05|ML0507||dates|fr"}, "version": {"1"}})
	sup.post("/meal/info/approve", url.Values{"id": {"|ML05|||complaints|fr"}, "version": {"1"}})

	// A long page (the region's, for a caller in Ténenkou) turns with 9
	// across hops: the session store keeps the text.
	pager := dial(t, srv, "+22376000087")
	for _, in := range []string{"2", "3", "5", "7", "4"} {
		pager.send(in)
	}
	first := pager.screen.Text
	if !strings.Contains(first, "Info 1/") || strings.Contains(first, "FIN-DE-PAGE") {
		t.Fatalf("first page of a long page:\n%s", first)
	}
	var last string
	for range 10 {
		if scr := pager.send("9"); strings.Contains(scr.Text, "FIN-DE-PAGE") {
			last = scr.Text
			break
		}
	}
	if last == "" {
		t.Errorf("paging with 9 never reached the end of the page")
	}

	// USSD: the page, paged, then back to the topics; the unapproved one is not read.
	scr := infoUSSD(t, srv, phone, "3")
	if scr.End || !strings.Contains(scr.Text, "Distribution") {
		t.Fatalf("approved page not on USSD:\n%s", scr.Text)
	}
	c := dial(t, srv, phone)
	for _, in := range []string{"2", "3", "5", "7", "1"} {
		c.send(in)
	}
	if strings.Contains(c.screen.Text, "critères") || !c.screen.End {
		t.Errorf("the unapproved eligibility page reached USSD:\n%s", c.screen.Text)
	}

	// Voice (Africa's Talking): French, the menu, information, Ténenkou
	// (the demo's cercles come first on a call); the page is read by TTS.
	v := &simulator.Voice{Provider: simulator.ProviderAT, URL: srv.url("/c/demo-at/voice"), Phone: phone}
	res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "3", "3", "3"}), nil)
	if err != nil && !errors.Is(err, simulator.ErrHungUp) { // the caller hangs up after listening
		t.Fatalf("call: %v\n%s", err, strings.Join(res.Heard, "\n"))
	}
	if heard := strings.Join(res.Heard, "\n"); !strings.Contains(heard, "au marché") {
		t.Errorf("the call did not read the approved page:\n%s", heard)
	}
	res, _ = v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "3", "3", "1"}), nil)
	if heard := strings.Join(res.Heard, "\n"); strings.Contains(heard, "critères") {
		t.Errorf("the call read the unapproved page:\n%s", heard)
	}

	// A question by voice from Ténenkou gets the approved answer at the
	// end of the call, after its reference (French, the menu, make a
	// complaint, next page, Question, Ténenkou (the demo's cercles come
	// first on a call), the first commune, food, a voice message, no
	// call-back, send).
	q := &simulator.Voice{Provider: simulator.ProviderAT, URL: srv.url("/c/demo-at/voice"), Phone: "+22376000088"}
	stopRec, err := q.ServeRecording()
	if err != nil {
		t.Fatal(err)
	}
	res, err = q.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "1", "9", "1", "3", "1", "2", "rec", "1", "1"}), nil)
	stopRec()
	heard := strings.Join(res.Heard, "\n")
	if err != nil || !res.Ended || !strings.Contains(heard, "au marché") || !strings.Contains(heard, "voice.reference") {
		t.Errorf("a question by voice did not end with the approved answer (%v):\n%s", err, heard)
	}

	// SMS: INFO with the cercle (and a topic number), then a topic with
	// nothing approved.
	// (Another phone: the per-caller rate limit counts the calls above.)
	s := simulator.SMS{Provider: simulator.ProviderAT, URL: srv.url("/c/demo-at/sms"), Phone: "+22376000082"}
	for _, text := range []string{"INFO Tenenkou 3", "info ténenkou 1"} {
		if _, r, err := s.Send(context.Background(), text); err != nil || r.Status != 200 {
			t.Fatalf("send %q: %v %v", text, r, err)
		}
	}
	eventually(t, "two SMS replies", func() bool { return len(fake.Delivered()) >= 2 })
	// The two replies leave through the outbox in either order.
	var page, none int
	for _, m := range fake.Delivered() {
		switch {
		case strings.Contains(m.Body, "critères"):
			t.Errorf("INFO for an unapproved page answered with it: %q", m.Body)
		case strings.Contains(m.Body, "12 mars") && strings.Contains(m.Body, "Tenenkou"):
			page++
		case strings.Contains(m.Body, "pas encore"):
			none++
		default:
			t.Errorf("unexpected reply %q", m.Body)
		}
	}
	if page != 1 || none != 1 {
		t.Errorf("INFO replies: %d with the approved page, %d with nothing yet; want one each", page, none)
	}

	// The dashboard counts views, hidden while fewer than five.
	if dash := sup.get("/meal/dashboard"); !strings.Contains(dash, `id="info-views"`) || !strings.Contains(dash, "Tenenkou") {
		t.Errorf("dashboard has no information views for Tenenkou")
	}

	srv.stop(t)
	var forms []string
	for _, n := range []string{"22376000081", "22376000082", "22376000087", "22376000088"} {
		forms = append(forms, "+"+n, n, n[3:], n[3:5]+" "+n[5:7]+" "+n[7:9]+" "+n[9:])
	}
	for _, dir := range []string{srv.DataDir, srv.KeysDir} {
		for path, b := range filesUnder(t, dir) {
			if found := containsAny(b, forms...); len(found) > 0 {
				t.Errorf("%s contains %v", path, found)
			}
		}
	}
	if found := containsAny([]byte(srv.logs.String()), forms...); len(found) > 0 {
		t.Errorf("logs contain %v", found)
	}
}

// Subscribers of a cercle get an approved broadcast once, in their
// language, through the outbox and the fake provider; one who sent STOP,
// one of another cercle, and everyone before the approval get nothing; a
// restart sends nothing again; no number is left in clear anywhere,
// subscribers.db included.
func TestBroadcastReachesSubscribersOnce(t *testing.T) {
	fake := &simulator.FakeProvider{}
	srv, _ := infoServer(t, fake)
	const (
		byUSSD  = "+22376000083" // subscribes on USSD (Ténenkou), in French
		bySMS   = "+22376000084" // INFO ON Tenenkou by SMS
		stopper = "+22376000085" // subscribes on USSD, then sends STOP
		other   = "+22376000086" // subscribes to Bandiagara
	)
	subscribeUSSD := func(phone, cercle string) {
		c := dial(t, srv, phone)
		for _, in := range []string{"2", "3", "5", cercle, "6", "1"} {
			c.send(in)
		}
		if !strings.Contains(c.screen.Text, "Inscrit") {
			t.Fatalf("%s: subscribing on USSD showed:\n%s", phone, c.screen.Text)
		}
	}
	subscribeUSSD(byUSSD, "7")
	subscribeUSSD(stopper, "7")
	subscribeUSSD(other, "1")
	sms := func(phone, text string) {
		s := simulator.SMS{Provider: simulator.ProviderAT, URL: srv.url("/c/demo-at/sms"), Phone: phone}
		if _, r, err := s.Send(context.Background(), text); err != nil || r.Status != 200 {
			t.Fatalf("send %q: %v %v", text, r, err)
		}
	}
	sms(bySMS, "INFO ON Tenenkou")
	sms(stopper, "STOP")
	eventually(t, "the INFO ON and STOP replies", func() bool { return len(fake.Delivered()) >= 2 })
	for _, d := range fake.Delivered() {
		switch d.To {
		case bySMS:
			if !strings.Contains(d.Body, "inscrit") || !strings.Contains(d.Body, "Tenenkou") {
				t.Errorf("INFO ON answered %q", d.Body)
			}
		case stopper:
			if !strings.Contains(d.Body, "effacé") {
				t.Errorf("STOP answered %q", d.Body)
			}
		}
	}

	const news = "Distribution reportée au 19 mars à Ténenkou."
	prog := signInStaff(t, srv, "prog")
	prog.get("/meal/info/broadcasts")
	prog.post("/meal/info/broadcasts", url.Values{"place": {"ML0507"}, "text_fr": {news}, "text_en": {"Distribution moved to 19 March."}})
	sup := signInStaff(t, srv, "fanta")
	id := broadcastToApprove(t, sup)
	if got := len(fake.Delivered()); got != 2 {
		t.Fatalf("%d messages before the approval; want the 2 replies", got)
	}
	sup.post("/meal/info/broadcasts/approve", url.Values{"id": {id}, "version": {"1"}})

	received := func() map[string]int { return deliveredTo(fake, "19 mars") }
	eventually(t, "the broadcast", func() bool { return len(received()) >= 2 })
	eventually(t, "the broadcast marked sent", func() bool { return strings.Contains(sup.get("/meal/info/broadcasts"), "envoyé à 2 abonné") })

	srv.stop(t)
	srv2 := startServer(t, srv.DataDir, srv.KeysDir, srv.cmd.Args[len(srv.cmd.Args)-6:]...)
	fake.SetReportURL(simulator.ProviderAT, srv2.url("/c/demo-at/sms/status"))
	time.Sleep(3 * time.Second) // two looks of the broadcast job
	fake.Wait()
	got := received()
	if len(got) != 2 || got[byUSSD] != 1 || got[bySMS] != 1 {
		t.Errorf("broadcast deliveries by number: %v; want one each to %s and %s, none to %s (STOP) or %s (Bandiagara)", got, byUSSD, bySMS, stopper, other)
	}
	srv2.stop(t)

	var forms []string
	for _, p := range []string{byUSSD, bySMS, stopper, other} {
		n := strings.TrimPrefix(p, "+")
		forms = append(forms, "+"+n, n, n[3:], n[3:5]+" "+n[5:7]+" "+n[7:9]+" "+n[9:])
	}
	files := filesUnder(t, srv.DataDir)
	if _, ok := files[filepath.Join(srv.DataDir, "subscribers.db")]; !ok {
		t.Fatal("no subscribers.db in the data directory")
	}
	for _, dir := range []string{srv.DataDir, srv.KeysDir} {
		for path, b := range filesUnder(t, dir) {
			if found := containsAny(b, forms...); len(found) > 0 {
				t.Errorf("%s contains %v", path, found)
			}
		}
	}
	for _, logs := range []string{srv.logs.String(), srv2.logs.String()} {
		if found := containsAny([]byte(logs), forms...); len(found) > 0 {
			t.Errorf("logs contain %v", found)
		}
	}
}

// A page recorded by the programme role in the web view is what a caller
// hears: the call plays the recording (served by the hotline as 8 kHz
// WAV) instead of reading the text by text-to-speech; USSD still shows
// the text.
func TestInformationPageRecorded(t *testing.T) {
	srv, _ := infoServer(t, &simulator.FakeProvider{})
	const dates = "Distribution à Ténenkou le 12 mars au marché."
	prog := signInStaff(t, srv, "prog")
	prog.get("/meal/info/edit")
	prog.post("/meal/info", url.Values{"place": {"ML0507"}, "topic": {"dates"}, "lang": {"fr"}, "text": {dates}})
	sup := signInStaff(t, srv, "fanta")
	sup.get("/meal/info")
	sup.post("/meal/info/approve", url.Values{"id": {"|ML05|ML0507||dates|fr"}, "version": {"1"}})
	const id = "|ML05|ML0507||dates|fr"
	prog.get("/meal/info/edit?id=" + url.QueryEscape(id))
	// 8 kHz mono: the web view shares the callbacks' listener and its
	// 64 KB body limit here.
	page := prog.upload("/meal/info/recording", url.Values{"id": {id}, "version": {"1"}}, spokenSmall(t, "Distribution le douze mars au marché"))
	if !strings.Contains(page, "les appelant·es l&#39;entendent") {
		t.Fatalf("the editor after the upload:\n%s", page)
	}

	v := &simulator.Voice{Provider: simulator.ProviderAT, URL: srv.url("/c/demo-at/voice"), Phone: "+22376000091"}
	res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "3", "3", "3"}), nil)
	if err != nil && !errors.Is(err, simulator.ErrHungUp) {
		t.Fatalf("call: %v\n%s", err, strings.Join(res.Heard, "\n"))
	}
	var played string
	for _, p := range res.Plays {
		if strings.HasPrefix(p, "fr/info-") {
			played = p
		}
	}
	if heard := strings.Join(res.Heard, "\n"); played == "" || strings.Contains(heard, "au marché") {
		t.Fatalf("the call did not play the page's recording (or also read it):\n%s", heard)
	}
	resp, err := http.Get(srv.url("/audio/" + played + ".wav"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(b) < 44 || string(b[:4]) != "RIFF" || int(b[24])|int(b[25])<<8 != 8000 {
		t.Errorf("/audio/%s.wav: %d, %d bytes", played, resp.StatusCode, len(b))
	}
	if scr := infoUSSD(t, srv, "+22376000092", "3"); !strings.Contains(scr.Text, "12 mars") {
		t.Errorf("USSD lost the text:\n%s", scr.Text)
	}
}

// spokenSmall is words spoken by espeak-ng, made 8 kHz mono by sox.
func spokenSmall(t *testing.T, words string) []byte {
	t.Helper()
	path := spokenPrompt(t, words)
	out := filepath.Join(t.TempDir(), "phone.wav")
	if b, err := exec.Command("sox", path, "-r", "8000", "-c", "1", out).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upload posts fields and file as a multipart form (the web view's
// recording uploads) and returns the page it leads to.
func (s *staff) upload(path string, fields url.Values, file []byte) string {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields.Set("_csrf", s.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "recording.wav")
	_, _ = fw.Write(file)
	_ = mw.Close()
	return s.send(http.MethodPost, path, &body, mw.FormDataContentType())
}

// The information line on a `--role gateway` replica: a page approved on
// the casework node is read on USSD, in a call and for SMS INFO through
// the gateway (from the Redis mirror); a page no supervisor approved is
// not; the gateway's views reach the casework node's dashboard.
func TestInformationLineOnGateway(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	prov := httptest.NewServer(fake)
	defer prov.Close()
	flags := []string{"--config", gatewayConfig(t, prov.URL), "--locales", voiceLocales(t)}
	cl := newCluster(t)
	cl.startCasework(flags...)
	gw := cl.startGateway("", flags...)
	for _, u := range [][]string{{"prog", "programme", ""}, {"fanta", "supervisor", "meal-mopti"}} {
		hotline(t, "a long passphrase for "+u[0], "users", "add", "--data", cl.dataDir, "--name", u[0], "--role", u[1], "--team", u[2])
	}
	prog := signInStaff(t, cl.casework, "prog")
	prog.get("/meal/info/edit")
	prog.post("/meal/info", url.Values{"place": {"ML0507"}, "topic": {"dates"}, "lang": {"fr"}, "text": {"Distribution à Ténenkou le 12 mars au marché."}})
	prog.post("/meal/info", url.Values{"place": {"ML0507"}, "topic": {"eligibility"}, "lang": {"fr"}, "text": {"Brouillon: critères à confirmer."}})
	sup := signInStaff(t, cl.casework, "fanta")
	sup.get("/meal/info")
	sup.post("/meal/info/approve", url.Values{"id": {"|ML05|ML0507||dates|fr"}, "version": {"1"}})

	eventually(t, "the approved page on the gateway's USSD", func() bool {
		return strings.Contains(infoUSSD(t, gw, "+22376000093", "3").Text, "au marché")
	})
	if scr := infoUSSD(t, gw, "+22376000093", "1"); strings.Contains(scr.Text, "critères") {
		t.Errorf("an unapproved page on the gateway:\n%s", scr.Text)
	}
	v := &simulator.Voice{Provider: simulator.ProviderAT, URL: gw.url("/c/demo-at/voice"), Phone: "+22376000094"}
	res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "3", "3", "3"}), nil)
	if err != nil && !errors.Is(err, simulator.ErrHungUp) {
		t.Fatalf("call: %v\n%s", err, strings.Join(res.Heard, "\n"))
	}
	if heard := strings.Join(res.Heard, "\n"); !strings.Contains(heard, "au marché") {
		t.Errorf("the call through the gateway did not read the page:\n%s", heard)
	}
	s := simulator.SMS{Provider: simulator.ProviderAT, URL: gw.url("/c/demo-at/sms"), Phone: "+22376000095"}
	for _, text := range []string{"INFO Tenenkou 3", "INFO Tenenkou 1"} {
		if _, r, err := s.Send(context.Background(), text); err != nil || r.Status != 200 {
			t.Fatalf("send %q: %v %v", text, r, err)
		}
	}
	eventually(t, "two SMS replies", func() bool { return len(fake.Delivered()) >= 2 })
	// The two replies leave through the outbox in either order.
	var bodies []string
	for _, m := range fake.Delivered() {
		bodies = append(bodies, m.Body)
	}
	all := strings.Join(bodies, "\n")
	if strings.Count(all, "12 mars") != 1 {
		t.Errorf("INFO Tenenkou 3 on the gateway: want the approved page once in the replies:\n%s", all)
	}
	if strings.Contains(all, "critères") || strings.Count(all, "pas encore") != 1 {
		t.Errorf("INFO for an unapproved page on the gateway: want \"pas encore\" once and no draft in:\n%s", all)
	}
	if n := cl.rdb.HLen(context.Background(), cl.prefix+"info:views").Val(); n == 0 {
		t.Errorf("the gateway counted no view")
	}
}
