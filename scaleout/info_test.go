package scaleout_test

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/scaleout"
)

var (
	prog = casework.User{Name: "prog", Role: casework.RoleProgramme}
	sup  = casework.User{Name: "fanta", Role: casework.RoleSupervisor, Team: "meal-mopti"}
)

// A gateway replica answers the information line from the casework node's
// mirror exactly as the casework node does: approved pages only, the most
// precise place, the fallback language, a recording only for its version;
// an approval reaches the mirror at once (OnInfo), drafts and the audit
// trail never; views counted on gateways reach the casework node's
// dashboard once.
func TestInfoMirrorAnswersLikeCasework(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t, rdb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan struct{}, 1)
	store := memstore.New()
	svc := caseworktest.ServiceWith(t, store, func(o *casework.Options) {
		o.OnInfo = func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	})
	mirror := scaleout.NewInfoMirror(rdb, prefix)
	found := new(int) // mirror answers that found pages: each counts a view
	ask := func(r casework.InfoRequest) []casework.InfoPart {
		got, err := mirror.InfoParts(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			*found++
		}
		return got
	}
	done := make(chan struct{})
	go func() { scaleout.RunInfoMirror(ctx, mirror, svc, changed, time.Hour, nil); close(done) }()
	defer func() { cancel(); <-done }()

	save := func(region, cercle, topic, lang, text string) casework.InfoPage {
		p, err := svc.SaveInfoPage(ctx, prog, casework.InfoPageInput{Region: region, Cercle: cercle, Topic: topic, Lang: lang, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	approve := func(p casework.InfoPage) {
		if _, err := svc.ApproveInfoPage(ctx, sup, p.ID, p.DraftVersion); err != nil {
			t.Fatal(err)
		}
	}
	cercle := save("ML05", "ML0507", "dates", "fr", "Distribution à Ténenkou le 12 mars.")
	approve(cercle)
	approve(save("ML05", "", "dates", "fr", "Mopti : distributions en mars."))
	approve(save("", "", "eligibility", "fr", "Les ménages inscrits."))
	save("ML05", "ML0507", "entitlement", "fr", "Brouillon jamais approuvé.")
	if _, err := svc.RecordInfoPage(ctx, prog, cercle.ID, cercle.DraftVersion, "info-0123456789abcdef", 3); err != nil {
		t.Fatal(err)
	}
	save("ML05", "ML0507", "dates", "fr", "Nouvelle date, pas encore approuvée.") // a draft over the live page

	reqs := []casework.InfoRequest{
		{Lang: "fr", Region: "ML05", Cercle: "ML0507", Topic: "dates"},
		{Lang: "bm", Region: "ML05", Cercle: "ML0501", Topic: "dates"},
		{Lang: "ff", Region: casework.Unknown, Cercle: casework.Unknown, Topic: "eligibility"},
		{Lang: "fr", Region: "ML05", Cercle: "ML0507", Topic: "entitlement"},
		{Lang: "fr", Region: "ML01", Topic: "dates"},
	}
	eventually(t, "the recorded page on the mirror", func() bool {
		got := ask(reqs[0])
		return len(got) == 1 && got[0].Audio != ""
	})
	for _, r := range reqs {
		want, err := svc.InfoParts(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := ask(r); !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: gateway %+v; casework %+v", r, got, want)
		}
	}
	if got := ask(reqs[0]); len(got) != 1 || got[0].Text != "Distribution à Ténenkou le 12 mars." || got[0].Audio != "info-0123456789abcdef" {
		t.Errorf("the live page with its recording: %+v", got)
	}
	raw, err := rdb.HGetAll(ctx, prefix+"info:pages").Result()
	if err != nil {
		t.Fatal(err)
	}
	for f, v := range raw {
		for _, secret := range []string{"Brouillon", "Nouvelle date", "prog", "fanta", `"action"`} {
			if strings.Contains(v, secret) {
				t.Errorf("the mirror's %q holds %q: %s", f, secret, v)
			}
		}
	}
	// Views: stop the loop, then move what the gateway counted (every
	// mirror answer that found pages) to the casework node, once.
	cancel()
	<-done
	bg := context.Background()
	before := totalViews(t, store)
	pending, err := rdb.HGetAll(bg, prefix+"info:views").Result()
	if err != nil {
		t.Fatal(err)
	}
	counted := 0
	for _, v := range pending {
		n, _ := strconv.Atoi(v)
		counted += n
	}
	if counted != *found {
		t.Errorf("the gateway counted %d views; it answered %d", counted, *found)
	}
	if err := mirror.MoveViews(bg, svc); err != nil {
		t.Fatal(err)
	}
	if err := mirror.MoveViews(bg, svc); err != nil {
		t.Fatal(err)
	}
	if after := totalViews(t, store); after != before+counted {
		t.Errorf("views %d → %d; want +%d once", before, after, counted)
	}
}

func totalViews(t *testing.T, store casework.InfoStore) int {
	t.Helper()
	views, err := store.InfoViews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range views {
		n += v
	}
	return n
}
