package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
)

// flakyStore fails to create cases while down is set, like a full disk.
type flakyStore struct {
	casework.Store
	down atomic.Bool
}

func (f *flakyStore) Create(ctx context.Context, key string, c casework.Case, events []casework.Event) (casework.Case, bool, error) {
	if f.down.Load() {
		return casework.Case{}, false, errors.New("disk full")
	}
	return f.Store.Create(ctx, key, c, events)
}

// When the store cannot save, the caller is told so in their language and
// is never shown a reference; the session stays on the confirmation, so
// AT's retry of the same hop saves the complaint once the store is back.
func TestSubmitFailureShowsNoReference(t *testing.T) {
	store := &flakyStore{Store: memstore.New()}
	ts := newTestServerWith(t, &Limits{}, store)
	// Français (second by demand), left out, Mopti, Ténenkou, food, no detail: the confirmation.
	for _, text := range []string{"", "2", "2*1", "2*1*2", "2*1*2*5", "2*1*2*5*7", "2*1*2*5*7*2", "2*1*2*5*7*2*1"} {
		if code, body := ts.hop(t, testChannel, "s1", testPhone, text); code != 200 || !strings.HasPrefix(body, "CON ") {
			t.Fatalf("hop %q: %d %q", text, code, body)
		}
	}
	store.down.Store(true)
	code, body := ts.hop(t, testChannel, "s1", testPhone, "2*1*2*5*7*2*1*1")
	if code != 200 || !strings.HasPrefix(body, "END ") || !strings.Contains(body, "Rien n'est enregistré") {
		t.Fatalf("failed save: %d %q", code, body)
	}
	if n := caseCount(t, store); n != 0 {
		t.Fatalf("%d cases stored while the store was down", n)
	}
	if logs := ts.logs.String(); strings.Contains(logs, "76000042") || !strings.Contains(logs, "disk full") {
		t.Errorf("log should name the cause and never the number:\n%s", logs)
	}

	store.down.Store(false)
	code, body = ts.hop(t, testChannel, "s1", testPhone, "2*1*2*5*7*2*1*1")
	if code != 200 || !strings.HasPrefix(body, "END ") || !strings.Contains(body, "Référence") {
		t.Fatalf("retry after recovery: %d %q", code, body)
	}
	var stored []casework.Case
	store.Each(context.Background(), func(c casework.Case) error { stored = append(stored, c); return nil })
	if len(stored) != 1 || stored[0].Cercle != "ML0507" {
		t.Fatalf("after retry: %+v", stored)
	}
}

// endNotice posts AT's end-of-session notification.
func (ts *testServer) endNotice(t testing.TB, sessionID, phone string) int {
	t.Helper()
	form := url.Values{"sessionId": {sessionID}, "phoneNumber": {phone}, "status": {"Incomplete"},
		"serviceCode": {"*384*1234#"}, "networkCode": {"99999"}}
	req, err := http.NewRequest(http.MethodPost, "/c/"+testChannel+"/ussd/events", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, _ := ts.do(t, req)
	return code
}

// A provider's session id is not a bearer token: whoever sends the same
// sessionId from another number gets a fresh session of their own, never
// the caller's screen, answers or reference, and cannot end the caller's
// session with a forged end-of-session notice.
func TestUSSDSessionBoundToCaller(t *testing.T) {
	ts := newTestServer(t, &Limits{})
	const other = "+22376000043"
	const detail = "Le chef Moussa a pris nos sacs"
	texts := []string{"", "2", "2*1", "2*1*2", "2*1*2*5", "2*1*2*5*7", "2*1*2*5*7*2", "2*1*2*5*7*2*" + detail, "2*1*2*5*7*2*" + detail + "*1"}
	var body string
	for _, text := range texts {
		var code int
		if code, body = ts.hop(t, testChannel, "s1", testPhone, text); code != 200 {
			t.Fatalf("hop %q: %d %q", text, code, body)
		}
	}
	if !strings.Contains(body, "Moussa") {
		t.Fatalf("the caller's own confirmation should show the detail: %q", body)
	}

	// A forged end notice from another number ends nothing.
	before := ts.sessions.Len()
	if code := ts.endNotice(t, "s1", other); code != 200 {
		t.Fatalf("end notice: %d", code)
	}
	if after := ts.sessions.Len(); after != before {
		t.Fatalf("a forged end notice changed the sessions: %d → %d", before, after)
	}

	// Another number, same session id, a key that moves nothing: the old
	// session would show its confirmation screen again.
	if _, got := ts.hop(t, testChannel, "s1", other, "x"); strings.Contains(got, "Moussa") || strings.Contains(got, "Vous signalez") {
		t.Fatalf("another number saw the caller's screen: %q", got)
	}
	// Or the caller's exact text (a retry, for the old code).
	if _, got := ts.hop(t, testChannel, "s1", other, texts[len(texts)-1]); got == body {
		t.Fatalf("another number got the caller's stored reply: %q", got)
	}

	code, end := ts.hop(t, testChannel, "s1", testPhone, texts[len(texts)-1]+"*1")
	ref := regexp.MustCompile(`\d{4} \d{4}`).FindString(end)
	if code != 200 || !strings.HasPrefix(end, "END ") || ref == "" {
		t.Fatalf("confirmation: %d %q", code, end)
	}
	// The same final hop from another number is that number's own
	// session: never the caller's reference or PIN.
	if _, got := ts.hop(t, testChannel, "s1", other, texts[len(texts)-1]+"*1"); strings.Contains(got, ref) || got == end {
		t.Fatalf("another number got the caller's reference: %q", got)
	}

	// The caller's own end notice does end the session (the check above
	// can fail).
	before = ts.sessions.Len()
	ts.endNotice(t, "s1", testPhone)
	if after := ts.sessions.Len(); after >= before {
		t.Fatalf("the caller's end notice kept the session: %d → %d", before, after)
	}
}

// Follow-up needs the reference and the PIN from every phone, the one
// that made the complaint included; an unknown reference, a wrong PIN and
// a locked-out reference read exactly alike.
func TestUSSDFollowUpNeedsReferenceAndPIN(t *testing.T) {
	ts := newTestServer(t, &Limits{})
	_, end := ts.hop(t, testChannel, "s1", testPhone, "2*1*2*5*7*2*1*1")
	m := regexp.MustCompile(`(\d{4} \d{4})\..*Code secret: (\d{4})`).FindStringSubmatch(end)
	if m == nil {
		t.Fatalf("end screen: %q", end)
	}
	ref, pin := strings.ReplaceAll(m[1], " ", ""), m[2]
	// French, follow my complaint, the reference alone, from the same phone.
	code, body := ts.hop(t, testChannel, "s2", testPhone, "2*2*"+ref)
	if code != 200 || !strings.HasPrefix(body, "CON ") || strings.Contains(body, "attente") || !strings.Contains(body, "code secret") {
		t.Fatalf("reference alone, own phone: %d %q; want the PIN question", code, body)
	}
	if _, body := ts.hop(t, testChannel, "s2", testPhone, "2*2*"+ref+"*"+pin); !strings.HasPrefix(body, "END ") || !strings.Contains(body, "en attente") {
		t.Fatalf("reference and PIN: %q", body)
	}
	if _, body := ts.hop(t, testChannel, "s3", testPhone, "2*2*1"); strings.Contains(body, "attente") {
		t.Fatalf("1 on the reference screen answered a status: %q", body)
	}
	wrong := "0000"
	if pin == wrong {
		wrong = "0001"
	}
	const other = "+22376000044"
	replies := map[string]string{}
	for i, tt := range []struct{ name, ref, pin string }{
		{"unknown", "11112222", pin},
		{"wrong PIN", ref, wrong},
		{"wrong PIN 2", ref, wrong},
		{"wrong PIN 3", ref, wrong},
		{"wrong PIN 4", ref, wrong},
		{"locked out, right PIN", ref, pin},
	} {
		_, replies[tt.name] = ts.hop(t, testChannel, "f"+string(rune('a'+i)), other, "2*2*"+tt.ref+"*"+tt.pin)
	}
	for name, body := range replies {
		if body != replies["unknown"] || !strings.HasPrefix(body, "END ") {
			t.Errorf("%s answers %q; unknown answers %q", name, body, replies["unknown"])
		}
	}
}

// A remembered language tells the next holder of the phone that the
// hotline was used: it is kept only when the caller chooses "send and
// remember my language" on the confirmation screen, never by sending with
// 1, hanging up or an end-of-session notice.
func TestLanguageRememberedOnlyWhenAsked(t *testing.T) {
	store := memstore.New()
	ts := newTestServerWith(t, &Limits{}, store, func(o *Options) { o.Preferences = store })
	const other = "+22376000045"
	firstScreen := func(session, phone string) string {
		t.Helper()
		_, body := ts.hop(t, testChannel, session, phone, "")
		return body
	}
	if body := firstScreen("a0", testPhone); !strings.Contains(body, "Francais") && !strings.Contains(body, "Français") {
		t.Fatalf("first call should ask the language: %q", body)
	}
	// Français, a complaint, sent with 1: nothing remembered.
	ts.hop(t, testChannel, "a1", testPhone, "2*1*2*5*7*2*1")
	if _, body := ts.hop(t, testChannel, "a1", testPhone, "2*1*2*5*7*2*1*1"); !strings.HasPrefix(body, "END ") {
		t.Fatalf("send: %q", body)
	}
	// A session that ends unfinished, with the provider's end notice.
	ts.hop(t, testChannel, "a2", testPhone, "2*1")
	ts.endNotice(t, "a2", testPhone)
	if _, ok, _ := store.Language(context.Background(), ts.keyring.Key(testPhone, "ML")); ok {
		t.Fatal("a language was remembered without the caller asking")
	}
	// The confirmation offers to remember, in the caller's language.
	_, confirm := ts.hop(t, testChannel, "b1", other, "2*1*2*5*7*2*1")
	if !strings.Contains(confirm, "3 Envoyer, garder ma langue") {
		t.Fatalf("confirmation lacks the choice to remember: %q", confirm)
	}
	if _, body := ts.hop(t, testChannel, "b1", other, "2*1*2*5*7*2*1*3"); !strings.HasPrefix(body, "END ") || !strings.Contains(body, "Référence") {
		t.Fatalf("send and remember: %q", body)
	}
	if body := firstScreen("b2", other); strings.Contains(body, "Francais") || !strings.Contains(body, "Faire une plainte") {
		t.Fatalf("the caller who asked should start in French at home: %q", body)
	}
	// The other phone still asks the language.
	if body := firstScreen("a3", testPhone); !strings.Contains(body, "Francais") && !strings.Contains(body, "Français") {
		t.Fatalf("a phone that never asked starts in a language: %q", body)
	}
}

// Resume never shows what was typed: the offer names no category, place or
// detail; continuing replays the choices silently, asks for the detail
// again, skips the question only some categories get, and summarises the
// choices as "as before". The resume record keeps no free text.
func TestResumeShowsNothingTyped(t *testing.T) {
	ts := newTestServer(t, &Limits{})
	const detail = "Le chef Moussa a pris nos sacs"
	// French, complaint, left out, Mopti, Ténenkou, food, the detail, no contact, no call-back: the confirmation.
	texts := []string{"", "2", "2*1", "2*1*1", "2*1*1*5", "2*1*1*5*7", "2*1*1*5*7*2", "2*1*1*5*7*2*" + detail, "2*1*1*5*7*2*" + detail + "*1", "2*1*1*5*7*2*" + detail + "*1*1"}
	var body string
	for _, text := range texts {
		_, body = ts.hop(t, testChannel, "s1", testPhone, text)
	}
	if !strings.Contains(body, "Moussa") || !strings.Contains(body, "Pas sur la liste") {
		t.Fatalf("the caller's own confirmation: %q", body)
	}
	ts.endNotice(t, "s1", testPhone)
	raw, found, err := ts.sessions.Load(context.Background(), resumeKey(mediumUSSD, ts.keyring.Key(testPhone, "ML")))
	if err != nil || !found || strings.Contains(string(raw), "Moussa") {
		t.Fatalf("resume record (found %v, %v) holds the detail: %q", found, err, raw)
	}

	secret := []string{"Moussa", "Pas sur la liste", "Mopti", "Ténenkou", "Tenenkou", "Nourriture"}
	reveals := func(what, body string) {
		t.Helper()
		for _, s := range secret {
			if strings.Contains(body, s) {
				t.Errorf("%s shows %q: %q", what, s, body)
			}
		}
	}
	_, offer := ts.hop(t, testChannel, "s2", testPhone, "")
	if !strings.Contains(offer, "pas finie") {
		t.Fatalf("no offer to continue: %q", offer)
	}
	reveals("the offer", offer)
	_, ask := ts.hop(t, testChannel, "s2", testPhone, "1")
	if !strings.Contains(ask, "Écrivez") && !strings.Contains(ask, "Ecrivez") {
		t.Fatalf("continue should ask the detail again: %q", ask)
	}
	reveals("the detail question", ask)
	_, confirm := ts.hop(t, testChannel, "s2", testPhone, "1*Autre chose")
	if !strings.Contains(confirm, "comme avant") || !strings.Contains(confirm, "Autre chose") {
		t.Fatalf("the summary of a continued report: %q", confirm)
	}
	reveals("the summary", confirm)
	_, end := ts.hop(t, testChannel, "s2", testPhone, "1*Autre chose*1")
	if !strings.HasPrefix(end, "END ") || !strings.Contains(end, "Référence") {
		t.Fatalf("send: %q", end)
	}
	var stored []casework.Case
	ts.cases.Each(context.Background(), func(c casework.Case) error { stored = append(stored, c); return nil })
	if len(stored) != 1 || stored[0].Category != "exclusion" || stored[0].Cercle != "ML0507" || stored[0].Assistance != "food" ||
		stored[0].Detail != "Autre chose" || stored[0].Contact != "" {
		t.Fatalf("stored: %+v", stored)
	}
}
