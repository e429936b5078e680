package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/simulator"
)

// Example-range numbers only (+223 7600xxxx), never a real person's.
const (
	phoneFR = "+22376000001"
	phoneEN = "+22376000002"
)

var referenceOnScreen = regexp.MustCompile(`(\d{4}) (\d{4})`)

// caller walks the menu by the labels a person reads, not by hard-coded
// keys, paging with next until the label shows.
type caller struct {
	t      *testing.T
	s      *simulator.Session
	screen simulator.Screen
	next   string // label of the next-page option in the caller's language
}

func dial(t *testing.T, srv *server, phone string) *caller {
	t.Helper()
	u := simulator.USSD{URL: srv.url("/c/demo-at/ussd"), Phone: phone}
	c := &caller{t: t, s: u.NewSession()}
	c.send("")
	return c
}

func (c *caller) send(input string) simulator.Screen {
	c.t.Helper()
	scr, err := c.s.Send(context.Background(), input)
	if err != nil {
		c.t.Fatalf("send %q: %v", input, err)
	}
	c.screen = scr
	return scr
}

// choose presses the key of label, paging with next until it shows. The
// optional contact question (complaints of being left out) is answered
// "no" when it stands before label; TestComplaintsEndToEnd answers it.
func (c *caller) choose(label string) simulator.Screen {
	c.t.Helper()
	for range 10 {
		if key, ok := c.screen.Key(label); ok {
			return c.send(key)
		}
		if c.declineContact() {
			continue
		}
		key, ok := c.screen.Key(c.next)
		if !ok {
			break
		}
		c.send(key)
	}
	c.t.Fatalf("no option %q on screen:\n%s", label, c.screen.Text)
	return simulator.Screen{}
}

// noContact is "no, stay anonymous" on the contact question, in every
// language.
var noContact = []string{"Ayi, n tɔgɔ kana fɔ", "Non, rester anonyme", "Alaa, mi suuɗoto", "Kala, esǝm-in ur t-ǝmmǝlăɣ",
	"Kalaa, ay si ay maa ci", "No, stay anonymous"}

// callBackAsked begins the call-back question (asked after a typed
// detail) in each language.
var callBackAsked = []string{"Baarakɛla yɛrɛmahɔrɔn", "Un agent indépendant peut-il", "Golloowo jeytaaɗo", "Goykaw fo ga hin",
	"May an independent officer"}

// declineContact answers the contact question, and the call-back
// question, with "no" if it is shown.
func (c *caller) declineContact() bool {
	for _, label := range noContact {
		for _, l := range spelt(label) {
			if key, ok := c.screen.Key(l); ok {
				c.send(key)
				return true
			}
		}
	}
	for _, asked := range callBackAsked {
		for _, l := range spelt(asked) {
			if strings.Contains(c.screen.Text, l) {
				c.send("1") // no call-back
				return true
			}
		}
	}
	return false
}

// homeComplaint is the home screen's "make a complaint" in each language,
// in both spellings.
var homeComplaint = []string{"Kuma kura fɔ", "Kuma kura fò", "Faire une plainte", "Wowlude haala", "Ǝmǝl awal",
	"Emel awal", "Šenni taji", "Senni taji", "Shenni taji", "Make a complaint"}

// complaint answers the home screen with "make a complaint".
func (c *caller) complaint() {
	c.t.Helper()
	for _, label := range homeComplaint {
		if key, ok := c.screen.Key(label); ok {
			c.send(key)
			return
		}
	}
	c.t.Fatalf("not the home screen:\n%s", c.screen.Text)
}

func (c *caller) reference() string {
	c.t.Helper()
	if !c.screen.End {
		c.t.Fatalf("expected the end screen, got:\n%s", c.screen.Text)
	}
	m := referenceOnScreen.FindStringSubmatch(c.screen.Text)
	if m == nil {
		c.t.Fatalf("no reference on end screen:\n%s", c.screen.Text)
	}
	return m[1] + m[2]
}

func TestComplaintsEndToEnd(t *testing.T) {
	srv := startServer(t, "", "")
	resp, err := http.Get(srv.url("/readyz"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", resp, err)
	}

	// French: left out of the assistance in Ténenkou, with a detail.
	fr := dial(t, srv, phoneFR)
	fr.next = "Suivant"
	// Six names do not fit in 80 UCS-2 characters: the language screen is
	// in GSM-7, where "ç" is written "c".
	fr.choose("Francais")
	fr.complaint()
	fr.choose("Pas sur la liste")
	fr.choose("Mopti")
	fr.choose("Tenenkou")
	fr.choose("Ténenkou") // the commune (the demo lists some for this cercle)
	fr.choose("Nourriture")
	if _, ok := fr.screen.Key("Passer"); !ok {
		t.Errorf("detail screen should offer to skip:\n%s", fr.screen.Text)
	}
	fr.send("Mon nom a disparu de la liste")
	// Left out of the assistance: the caller chooses to leave a name and
	// village for a visit; they are sealed, never on disk in clear.
	if !strings.Contains(fr.screen.Text, "Facultatif") {
		t.Fatalf("no optional contact question:\n%s", fr.screen.Text)
	}
	fr.choose("Oui")
	fr.send("Aminata Kontao")
	fr.send("Sossobe")
	fr.choose("Non") // no call-back (asked after a typed detail)
	if !strings.Contains(fr.screen.Text, "Mon nom a disparu de la liste") {
		t.Errorf("confirmation does not repeat the detail:\n%s", fr.screen.Text)
	}
	fr.choose("Envoyer, garder ma langue")
	refFR := fr.reference()
	if !strings.Contains(fr.screen.Text, "indépendante") {
		t.Errorf("end screen should say who reviews the complaint:\n%s", fr.screen.Text)
	}

	// English: a payment problem in Ansongo (page 2 of the regions), no detail.
	en := dial(t, srv, phoneEN)
	en.next = "Next"
	en.choose("English")
	en.complaint()
	en.choose("Wrong amount, bad, late")
	en.choose("Gao")
	en.choose("Ansongo")
	en.choose("Tessit")
	en.choose("Cash")
	en.choose("Skip")
	en.choose("Send")
	refEN := en.reference()

	// The same caller again, with the number written another way: same key,
	// so the menu starts in French, the language they asked to keep, with
	// one key to change it.
	again := dial(t, srv, "0022376000001")
	again.next = "Next"
	again.choose("Langue")
	again.choose("English")
	again.complaint()
	again.choose("Question")
	again.choose("Other/don't know")
	again.choose("Water, shelter, other")
	again.choose("Skip")
	again.choose("Send")
	refAgain := again.reference()

	srv.stop(t)
	stored := map[string]casework.Case{}
	for _, c := range cases(t, srv.DataDir) {
		stored[c.Reference] = c
	}
	if len(stored) != 3 {
		t.Fatalf("stored %d cases, want 3: %v", len(stored), stored)
	}
	check := func(ref string, want casework.Case) casework.Case {
		t.Helper()
		got, ok := stored[ref]
		if !ok {
			t.Fatalf("reference %s shown to the caller is not stored", ref)
		}
		if got.Language != want.Language || got.Category != want.Category || got.Region != want.Region ||
			got.Cercle != want.Cercle || got.Locality != want.Locality || got.Assistance != want.Assistance || got.Detail != want.Detail ||
			got.Channel != "demo-at" || got.Medium != "ussd" || got.Status != casework.StatusNew ||
			got.ID == "" || got.CreatedAt.IsZero() || !strings.HasPrefix(got.CallerKey, "k1:") {
			t.Errorf("case %s = %+v\nwant fields of %+v", ref, got, want)
		}
		return got
	}
	cFR := check(refFR, casework.Case{Language: "fr", Category: "exclusion", Region: "ML05", Cercle: "ML0507", Locality: "tenenkou", Assistance: "food", Detail: "Mon nom a disparu de la liste"})
	cEN := check(refEN, casework.Case{Language: "en", Category: "distribution", Region: "ML07", Cercle: "ML0701", Locality: "tessit", Assistance: "cash"})
	cAgain := check(refAgain, casework.Case{Language: "en", Category: "question", Region: "unknown", Cercle: "unknown", Assistance: "other"})
	if !strings.HasPrefix(cFR.Contact, "k1:") || cEN.Contact != "" {
		t.Errorf("sealed contact = %q (fr), %q (en); want only the French caller's, sealed", cFR.Contact, cEN.Contact)
	}
	if cFR.CallerKey != cAgain.CallerKey {
		t.Error("the same number written two ways got two caller keys")
	}
	if cFR.CallerKey == cEN.CallerKey {
		t.Error("two numbers share a caller key")
	}

	// Privacy: no form of any caller's number on disk or in the logs.
	forms := []string{"+22376000001", "22376000001", "76000001", "+22376000002", "22376000002", "76000002", "76 00 00 01",
		"Aminata Kontao", "Sossobe"} // and the sealed contact details
	for path, b := range filesUnder(t, srv.DataDir) {
		if found := containsAny(b, forms...); len(found) > 0 {
			t.Errorf("%s contains %v", path, found)
		}
	}
	for path, b := range filesUnder(t, srv.KeysDir) {
		if found := containsAny(b, forms...); len(found) > 0 {
			t.Errorf("%s contains %v", path, found)
		}
	}
	logs := srv.logs.String()
	if found := containsAny([]byte(logs), append(forms, "Mon nom", "demo-at/ussd", "ATUid_")...); len(found) > 0 {
		t.Errorf("logs contain %v:\n%s", found, logs)
	}
	if !strings.Contains(logs, `route=/c/:channel/ussd status=200`) {
		t.Errorf("access log lacks route and status:\n%s", logs)
	}
	for _, want := range []string{"created keys directory", "DEMO configuration"} {
		if !strings.Contains(logs, want) {
			t.Errorf("startup log lacks %q", want)
		}
	}
	info, err := os.Stat(srv.KeysDir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("keys dir mode = %v, %v", info.Mode(), err)
	}
	// The caller-key secret, PIN and seal keys for casework, the outbox
	// sealing key (the demo has SMS channels), the voice message key and
	// the call-back sealing key and the information line's subscriber key.
	if b, _ := filepath.Glob(filepath.Join(srv.KeysDir, "*.key")); len(b) != 7 {
		t.Errorf("key files = %v", b)
	}
}
