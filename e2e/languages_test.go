package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/simulator"
)

// spelt returns label as the screen shows it: in the locale's GSM-7
// spelling on screens too long for UCS-2 (see the locale's gsm7: line).
func spelt(label string) []string {
	g := strings.NewReplacer("ɛ", "è", "ɔ", "ò", "ɲ", "ny", "Ɲ", "Ny", "ŋ", "ng", "ɓ", "b", "ɗ", "d", "Ɗ", "D",
		"ƴ", "y", "Ƴ", "Y", "ă", "a", "ǝ", "e", "Ǝ", "E", "ḍ", "d", "ã", "a", "š", "sh", "ç", "c", "ɣ", "gh", "ṭ", "t", "ẓ", "z",
		"ṣ", "s").Replace(label)
	return []string{label, g}
}

// pick chooses the option that reads label in either spelling.
func (c *caller) pick(label string) {
	c.t.Helper()
	for range 10 {
		for _, l := range spelt(label) {
			if key, ok := c.screen.Key(l); ok {
				c.send(key)
				return
			}
		}
		if c.declineContact() {
			continue
		}
		var key string
		for _, l := range spelt(c.next) {
			if k, ok := c.screen.Key(l); ok {
				key = k
			}
		}
		if key == "" {
			break
		}
		c.send(key)
	}
	c.t.Fatalf("no option %q on screen:\n%s", label, c.screen.Text)
}

// TestComplaintInEveryLanguage files one complaint in each of the six
// locales, choosing by the labels a caller of that language reads.
func TestComplaintInEveryLanguage(t *testing.T) {
	srv := startServer(t, "", "")
	tests := []struct {
		phone, lang, name, next, category, assistance, skip, send string
	}{
		{"+22376000011", "bm", "Bamanankan", "Ɲɛfɛta", "Niyɔrɔ tara, wari delila", "Dumuni", "Tɛmɛ", "A ci"},
		{"+22376000012", "fr", "Français", "Suivant", "Trajet, attente, danger", "Santé", "Passer", "Envoyer"},
		{"+22376000013", "ff", "Fulfulde", "Yeeso", "Mi alaa e doggol", "Kaalis", "Ƴaaw", "Neldu"},
		{"+22376000014", "taq", "Tămašăq", "Dat", "Ǝssǝstǝn", "Imǝnsi", "Ǝkk", "Ǝzǝn"},
		{"+22376000015", "ses", "Koyraboro senni", "Jine woo", "Hãayan", "Nooru", "Bisa", "Sanba"},
		{"+22376000016", "en", "English", "Next", "Site far, waiting, unsafe", "Food", "Skip", "Send"},
	}
	refs := map[string]string{}
	for _, tt := range tests {
		c := dial(t, srv, tt.phone)
		c.next = tt.next
		c.pick(tt.name)
		c.complaint()
		c.pick(tt.category)
		c.pick("Gao")
		c.pick("Ansongo")
		c.pick("Ansongo") // the commune, below the cercle of the same name
		c.pick(tt.assistance)
		c.pick(tt.skip)
		c.pick(tt.send)
		refs[c.reference()] = tt.lang
	}
	srv.stop(t)
	stored := cases(t, srv.DataDir)
	if len(stored) != len(tests) {
		t.Fatalf("stored %d cases, want %d", len(stored), len(tests))
	}
	for _, c := range stored {
		if lang, ok := refs[c.Reference]; !ok || c.Language != lang || c.Region != "ML07" || c.Cercle != "ML0701" {
			t.Errorf("case %s: language %s region %s cercle %s; want %s ML07 ML0701", c.Reference, c.Language, c.Region, c.Cercle, lang)
		}
	}
}

// TestReturningCallerAndResume: a Bambara caller files a complaint; on the
// next call the menu is in Bambara. They drop mid-report (once with AT's
// end-of-session notice, once without), redial, continue, and one case
// holds every answer.
func TestReturningCallerAndResume(t *testing.T) {
	const phone = "+22376000021"
	srv := startServer(t, "", "")

	first := dial(t, srv, phone)
	first.next = "Ɲɛfɛta"
	first.pick("Bamanankan")
	first.complaint()
	first.pick("Ɲininkali")
	first.pick("Wɛrɛ/n t'a dɔn")
	first.pick("Wari")
	first.pick("Tɛmɛ")
	first.pick("A ci, n ka kan mara") // send, and remember my language
	refFirst := first.reference()

	// Returning: straight to the home screen, in Bambara, as asked.
	back := dial(t, srv, phone)
	back.next = "Ɲɛfɛta"
	if !strings.Contains(back.screen.Text, "I b'a f") || strings.Contains(back.screen.Text, "Bamanankan") {
		t.Fatalf("returning caller's first screen:\n%s", back.screen.Text)
	}
	back.complaint()
	// Drop after region, cercle and assistance; AT tells us.
	back.pick("Niyɔrɔ tara, wari delila")
	back.pick("Mopti")
	back.pick("Douentza")
	back.pick("Dumuni")
	if code, err := back.s.Hangup(context.Background(), simulator.StatusIncomplete); err != nil || code != http.StatusOK {
		t.Fatalf("end notification: %d %v", code, err)
	}

	// Redial: continue or start again, in Bambara.
	again := dial(t, srv, phone)
	again.next = "Ɲɛfɛta"
	if !strings.Contains(again.screen.Text, "ma dafa") {
		t.Fatalf("no offer to continue:\n%s", again.screen.Text)
	}
	again.pick("A dafa")
	if !strings.Contains(again.screen.Text, "sɛbɛn") && !strings.Contains(again.screen.Text, "sèbèn") {
		t.Fatalf("continue did not return to the detail question:\n%s", again.screen.Text)
	}
	// Drop again with no notice at all: the TTL keeps the answers.
	again.send("U ye wari deli walasa ka n sɛbɛn")

	// Continuing never shows what was typed: the detail is asked again,
	// and the summary reads the earlier choices as "as before".
	third := dial(t, srv, phone)
	third.next = "Ɲɛfɛta"
	if strings.Contains(third.screen.Text, "wari deli") || strings.Contains(third.screen.Text, "Douentza") {
		t.Fatalf("the offer shows what was typed or chosen:\n%s", third.screen.Text)
	}
	third.pick("A dafa")
	if strings.Contains(third.screen.Text, "U ye wari deli") || (!strings.Contains(third.screen.Text, "sɛbɛn") && !strings.Contains(third.screen.Text, "sèbèn")) {
		t.Fatalf("continue should ask the detail again, without showing it:\n%s", third.screen.Text)
	}
	third.send("U ye wari deli walasa ka n sɛbɛn")
	if !strings.Contains(third.screen.Text, "U ye wari deli") || strings.Contains(third.screen.Text, "Douentza") || strings.Contains(third.screen.Text, "Mopti") {
		t.Fatalf("summary of a continued report:\n%s", third.screen.Text)
	}
	third.pick("A ci")
	refThird := third.reference()

	// Nothing left to continue after the submission.
	fourth := dial(t, srv, phone)
	if strings.Contains(fourth.screen.Text, "ma dafa") {
		t.Errorf("offer to continue after submission:\n%s", fourth.screen.Text)
	}

	srv.stop(t)
	stored := map[string]casework.Case{}
	for _, c := range cases(t, srv.DataDir) {
		stored[c.Reference] = c
	}
	if len(stored) != 2 {
		t.Fatalf("stored %d cases, want 2", len(stored))
	}
	got := stored[refThird]
	want := casework.Case{Language: "bm", Category: "fraud", Region: "ML05", Cercle: "ML0504", Assistance: "food", Detail: "U ye wari deli walasa ka n sɛbɛn"}
	if got.Language != want.Language || got.Category != want.Category || got.Region != want.Region ||
		got.Cercle != want.Cercle || got.Assistance != want.Assistance || got.Detail != want.Detail {
		t.Errorf("resumed case = %+v\nwant fields of %+v", got, want)
	}
	if stored[refFirst].CallerKey != got.CallerKey {
		t.Errorf("the same caller got two keys")
	}
	logs := srv.logs.String()
	if found := containsAny([]byte(logs), "22376000021", "76000021", got.CallerKey, "wari deli"); len(found) > 0 {
		t.Errorf("logs contain %v", found)
	}
}

func TestEndOfSessionEndpoint(t *testing.T) {
	srv := startServer(t, "", "")
	post := func(path, contentType string, form url.Values) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.url(path), contentType, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	const form = "application/x-www-form-urlencoded"
	ok := url.Values{"sessionId": {"ATUid_0123"}, "status": {"Incomplete"}, "phoneNumber": {"+22376000031"}, "input": {"1*2"}}
	tests := []struct {
		name, path, contentType string
		form                    url.Values
		code                    int
		body                    string
	}{
		{"unknown session is acknowledged", "/c/demo-at/ussd/events", form, ok, 200, "OK"},
		{"success", "/c/demo-at/ussd/events", form, url.Values{"sessionId": {"ATUid_1"}, "status": {"Success"}}, 200, "OK"},
		{"missing status", "/c/demo-at/ussd/events", form, url.Values{"sessionId": {"ATUid_1"}}, 400, "missing status"},
		{"missing session", "/c/demo-at/ussd/events", form, url.Values{"status": {"Failed"}}, 400, "missing sessionId"},
		{"not a form", "/c/demo-at/ussd/events", "application/json", ok, 400, "content type"},
		{"unknown channel", "/c/nope/ussd/events", form, ok, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(tt.path, tt.contentType, tt.form)
			if code != tt.code || !strings.Contains(body, tt.body) || strings.Contains(body, "22376") {
				t.Errorf("%s: %d %q; want %d %q", tt.path, code, body, tt.code, tt.body)
			}
		})
	}

	// A refused notice changes nothing: the caller's report is still offered.
	c := dial(t, srv, "+22376000032")
	c.next = "Next"
	c.pick("English")
	c.complaint()
	c.pick("Question")
	if code, _ := post("/c/nope/ussd/events", form, url.Values{"sessionId": {c.s.ID()}, "status": {"Incomplete"}}); code != 404 {
		t.Fatalf("unknown channel: %d", code)
	}
	if code, _ := post("/c/demo-at/ussd/events", form, url.Values{"sessionId": {c.s.ID()}}); code != 400 {
		t.Fatalf("malformed: %d", code)
	}
	// The session itself is untouched: the caller carries on.
	c.pick("Gao")
	if !strings.Contains(c.screen.Text, "Ansongo") {
		t.Fatalf("session lost after refused notices:\n%s", c.screen.Text)
	}
	if code, err := c.s.Hangup(context.Background(), simulator.StatusIncomplete); err != nil || code != 200 {
		t.Fatalf("hangup: %d %v", code, err)
	}
	r := dial(t, srv, "+22376000032")
	if !strings.Contains(r.screen.Text, "not finished") {
		t.Errorf("redial after notice: no offer to continue:\n%s", r.screen.Text)
	}
	logs := srv.logs.String()
	if !strings.Contains(logs, "route=/c/:channel/ussd/events status=200") {
		t.Errorf("access log lacks the events route")
	}
	if found := containsAny([]byte(logs), "22376000031", "22376000032", "ATUid_"); len(found) > 0 {
		t.Errorf("logs contain %v", found)
	}
}
