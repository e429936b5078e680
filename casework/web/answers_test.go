package web_test

import (
	"context"
	"html"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

// The case page of a Songhay caller names the language as the menus do
// and offers the answer templates of the catalogue in Songhay, with the
// case's reference filled in.
func TestAnswerTemplatesInTheCallersLanguage(t *testing.T) {
	e := newEnv(t)
	r, err := e.svc.Submit(context.Background(), casework.Intake{
		IdempotencyKey: "test/ses-1", CallerKey: "k1:ses", Channel: "demo-at", Medium: "ussd",
		Language: "ses", Category: "exclusion", Region: "ML07", Cercle: "ML0701", Assistance: "food",
	})
	if err != nil {
		t.Fatal(err)
	}
	// The answer form shows once the case is in progress.
	who := casework.Actor{ID: "ibrahim", Team: r.Case.Team}
	if _, err := e.svc.Assign(context.Background(), who, r.Case.ID, "ibrahim"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Start(context.Background(), who, r.Case.ID); err != nil {
		t.Fatal(err)
	}
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	officer := e.login(t, "ibrahim")
	_, body := officer.get("/meal/cases/" + r.Case.ID)
	if !strings.Contains(body, cat.LanguageName("ses")) {
		t.Errorf("case page does not name the language %q", cat.LanguageName("ses"))
	}
	_, body = officer.get("/meal/cases/" + r.Case.ID + "?template=received")
	want := strings.ReplaceAll(cat.Text("ses", "answer.received"), "{reference}", casework.FormatReference(r.Case.Reference))
	if strings.Contains(want, "{") || !strings.Contains(html.UnescapeString(body), want) {
		t.Errorf("the draft is not the Songhay template %q:\n%s", want, body)
	}
	if fr := cat.Text("fr", "answer.received"); strings.Contains(html.UnescapeString(body), strings.SplitN(fr, "{", 2)[0]) {
		t.Error("the case page offers the French template to a Songhay caller")
	}
}
