package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
)

// A case once coded sexual exploitation and abuse stays with PSEA whatever
// it is recoded to: no other team's queue, counts, case page or export
// shows it or its caller's choice.
func TestSEAStaysWithPSEAAfterRecoding(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "sekou", casework.RoleOfficer, "meal-national")
	e.addUser(t, "oumar", casework.RoleSupervisor, "meal-national")
	e.addUser(t, "salif", casework.RoleSupervisor, "meal-north")
	e.addUser(t, "adama", casework.RoleOfficer, "protection-national")
	sea := e.submit(t, "k1:s", "sea", "ML05", "ML0501", "")
	ordinary := e.submit(t, "k1:s", "exclusion", "ML05", "ML0501", "")
	psea := e.login(t, "mariam")
	for _, coding := range []string{"fraud/kickback", "safety/threat", "exclusion/"} {
		if resp, _ := psea.post("/meal/cases/"+sea.Case.ID+"/recode", url.Values{"coding": {coding}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("recode to %s: %d", coding, resp.StatusCode)
		}
		v, err := e.svc.View(context.Background(), casework.Actor{ID: "mariam", Team: "psea-focal"}, sea.Case.ID)
		if err != nil || v.Team != "psea-focal" {
			t.Fatalf("recoded to %s: team %q, %v; want psea-focal", coding, v.Team, err)
		}
		ref := sea.Case.Reference
		for _, name := range []string{"awa", "moussa", "fanta", "ibrahim", "salif", "sekou", "oumar", "adama"} {
			c := e.login(t, name)
			for _, q := range []string{"", "?status=new", "?status=assigned", "?status=in_progress", "?status=resolved", "?status=closed"} {
				_, body := c.get("/meal/queue" + q)
				if strings.Contains(body, sea.Case.ID) || strings.Contains(body, casework.FormatReference(ref)) {
					t.Errorf("%s: %s's queue%s shows the SEA case", coding, name, q)
				}
			}
			if name == "sekou" || name == "adama" {
				_, body := c.get("/meal/queue")
				if !regexp.MustCompile(`s-new">[^<]+</span> <b>0</b>`).MatchString(body) {
					t.Errorf("%s: %s's queue counts a new case", coding, name)
				}
			}
			if resp, _ := c.get("/meal/cases/" + sea.Case.ID); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %s opens the SEA case: %d", coding, name, resp.StatusCode)
			}
			if resp, body := c.get("/meal/export/cases.csv"); resp.StatusCode == http.StatusOK &&
				(strings.Contains(body, ref) || strings.Contains(body, ",sea,")) {
				t.Errorf("%s: %s's case export shows the SEA case:\n%s", coding, name, body)
			}
		}
		v, err = e.svc.View(context.Background(), casework.Actor{ID: "awa", Team: "meal-mopti"}, ordinary.Case.ID)
		if err != nil || v.OtherReports != 0 {
			t.Errorf("%s: the caller's other case counts %d other reports for MEAL, want 0 (%v)", coding, v.OtherReports, err)
		}
		if resp, _ := psea.get("/meal/cases/" + sea.Case.ID); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: PSEA no longer opens the case: %d", coding, resp.StatusCode)
		}
	}
}
