package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
)

// The case page of a sexual abuse report shows the directory's services
// near the caller, nearest first (what the caller heard), and records the
// referral in the case and its audit trail.
func TestCasePageRecordsReferral(t *testing.T) {
	e := newEnv(t)
	sea := e.submit(t, "k1:s", "sea", "ML07", "ML0701", "")
	psea := e.login(t, "mariam")
	_, body := psea.get("/meal/cases/" + sea.Case.ID)
	i, j := strings.Index(body, "CSRef Ansongo"), strings.Index(body, "Ligne VBG (démo)")
	if i < 0 || j < i {
		t.Fatalf("case page lacks the services nearest first:\n%s", body)
	}
	if strings.Contains(body, "CSRef Goundam") {
		t.Error("case page lists another cercle's service")
	}
	if resp, _ := psea.post("/meal/cases/"+sea.Case.ID+"/refer", url.Values{"service": {"csref-ansongo"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refer: %d", resp.StatusCode)
	}
	if resp, _ := psea.post("/meal/cases/"+sea.Case.ID+"/refer", url.Values{"service": {"somewhere else"}}); resp.StatusCode != http.StatusSeeOther ||
		!strings.Contains(resp.Header.Get("Location"), "err=invalid") {
		t.Errorf("refer to a service outside the directory: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ev, err := e.svc.Audit(context.Background(), casework.Actor{ID: "mariam", Team: "psea-focal"}, sea.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range ev {
		found = found || (x.Action == casework.ActionReferred && x.Actor == "mariam" && x.Detail == "to csref-ansongo")
	}
	if !found {
		t.Errorf("no referral in the audit trail: %+v", ev)
	}
	if _, body = psea.get("/meal/cases/" + sea.Case.ID); !strings.Contains(body, "Orienté·e vers</strong>") && !strings.Contains(body, "Referred to</strong>") {
		t.Errorf("case page does not mark the referral:\n%s", body)
	}

	// An ordinary complaint's page has no directory.
	ordinary := e.submit(t, "k1:t", "exclusion", "ML07", "ML0701", "")
	if _, body := e.login(t, "ibrahim").get("/meal/cases/" + ordinary.Case.ID); !strings.Contains(body, ordinary.Case.ID) || strings.Contains(body, "CSRef Ansongo") {
		t.Error("an exclusion complaint's page lists the referral directory")
	}
}
