package casework_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/config"
)

// rosterFixture has officers of the demo's teams: awa (meal-mopti) and
// fanta (psea-focal) with phones, sidi (meal-mopti) without.
func rosterFixture(t *testing.T) (*fixture, casework.Accounts, casework.LiveDesk) {
	t.Helper()
	f := fixtureMem(t)
	users := memstore.NewUsers()
	acc := casework.Accounts{Store: users, Config: f.svc.Config(), Now: f.clock.Now}
	ctx := context.Background()
	for _, u := range []casework.User{
		{Name: "awa", Role: casework.RoleOfficer, Team: "meal-mopti", Phone: "k1:sealed-awa"},
		{Name: "sidi", Role: casework.RoleOfficer, Team: "meal-mopti"},
		{Name: "fanta", Role: casework.RolePSEA, Team: "psea-focal", Phone: "k1:sealed-fanta"},
		{Name: "moussa", Role: casework.RoleOfficer, Team: "meal-north", Phone: "k1:sealed-moussa"},
		{Name: "admin", Role: casework.RoleAdmin},
	} {
		if _, err := acc.Create(ctx, "cli", u, "a long passphrase here"); err != nil {
			t.Fatal(err)
		}
	}
	return f, acc, casework.LiveDesk{Cases: f.svc, Users: users}
}

func user(t *testing.T, acc casework.Accounts, name string) casework.User {
	t.Helper()
	u, err := acc.Store.User(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSetDutyWhoMayAndAudit(t *testing.T) {
	f, acc, _ := rosterFixture(t)
	ctx := context.Background()
	awa, moussa, admin := user(t, acc, "awa"), user(t, acc, "moussa"), user(t, acc, "admin")
	if err := acc.SetDuty(ctx, moussa, "awa", true, []string{"fr"}); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("an officer of another team put awa on duty: %v", err)
	}
	if err := acc.SetDuty(ctx, awa, "awa", true, nil); !errors.Is(err, casework.ErrInvalidAccount) {
		t.Errorf("on duty in no language: %v", err)
	}
	if err := acc.SetDuty(ctx, user(t, acc, "sidi"), "sidi", true, []string{"bm"}); !errors.Is(err, casework.ErrNoPhone) {
		t.Errorf("on duty with no phone: %v", err)
	}
	if err := acc.SetDuty(ctx, awa, "awa", true, []string{"fr", "bm", "fr", "<b>"}); err != nil {
		t.Fatal(err)
	}
	if u := user(t, acc, "awa"); !u.OnDuty || !slices.Equal(u.DutyLanguages, []string{"bm", "fr"}) || !u.DutySince.Equal(f.clock.Now()) {
		t.Errorf("awa: on=%v langs=%v since=%v", u.OnDuty, u.DutyLanguages, u.DutySince)
	}
	f.clock.Advance(time.Hour)
	if err := acc.SetDuty(ctx, admin, "awa", false, nil); err != nil {
		t.Fatal(err)
	}
	if u := user(t, acc, "awa"); u.OnDuty || len(u.DutyLanguages) != 0 {
		t.Errorf("awa still on duty: %+v", u)
	}
	// Removing her phone takes her off duty: nothing would ring.
	_ = acc.SetDuty(ctx, awa, "awa", true, []string{"fr"})
	if err := acc.SetPhone(ctx, "awa", "awa", ""); err != nil {
		t.Fatal(err)
	}
	if u := user(t, acc, "awa"); u.OnDuty {
		t.Error("on duty with no phone")
	}
	_ = acc.SetPhone(ctx, "awa", "awa", "k1:sealed-awa")
	// The demo's meal-mopti supervisor is meal-coordinator, by config.
	coord := casework.User{Name: "meal-coordinator", Role: casework.RoleSupervisor, Team: "meal-national"}
	if err := acc.SetDuty(ctx, coord, "awa", true, []string{"fr"}); err != nil {
		t.Errorf("the team's supervisor (config) may set the roster: %v", err)
	}
	events, _ := acc.Store.AdminEvents(ctx)
	var trail []string
	for _, e := range events {
		if strings.HasPrefix(e.Action, "duty_") {
			trail = append(trail, e.Actor+" "+e.Action+" "+e.Target+" "+e.Detail+" "+e.At.Format("15:04"))
		}
	}
	want := []string{"awa duty_on awa bm, fr 09:00", "admin duty_off awa  10:00", "awa duty_on awa fr 10:00", "meal-coordinator duty_on awa fr 10:00"}
	if !slices.Equal(trail, want) {
		t.Errorf("audit %q, want %q", trail, want)
	}
}

func TestLiveDeskLanguagesHoursAndPSEA(t *testing.T) {
	f, acc, desk := rosterFixture(t)
	ctx := context.Background()
	if desk.Available(ctx, "fr") {
		t.Fatal("available with nobody on duty")
	}
	_ = acc.SetDuty(ctx, user(t, acc, "awa"), "awa", true, []string{"bm"})
	if !desk.Available(ctx, "bm") || desk.Available(ctx, "fr") {
		t.Errorf("available: bm %v fr %v; want bm only", desk.Available(ctx, "bm"), desk.Available(ctx, "fr"))
	}
	in := casework.Intake{IdempotencyKey: "demo-at/live/call-1", CallerKey: "k1:caller", Channel: "demo-at",
		Medium: "voice", Language: "bm", Category: "uncoded"}
	tk, err := desk.Open(ctx, in)
	if err != nil || tk.Officer != "awa" || tk.Phone != "k1:sealed-awa" {
		t.Fatalf("open: %+v %v", tk, err)
	}
	v, err := f.svc.View(ctx, casework.Actor{ID: "awa", Team: "meal-mopti"}, tk.CaseID)
	if err != nil || v.Team != "meal-mopti" || v.Officer != "awa" || v.Status != casework.StatusAssigned || v.Category != "uncoded" || v.Medium != "voice" {
		t.Fatalf("live case %+v %v", v.Case, err)
	}
	if again, _ := desk.Open(ctx, in); again.CaseID != tk.CaseID {
		t.Errorf("a retried step opened a second case")
	}
	if err := desk.Outcome(ctx, tk.CaseID, casework.LiveOfficerMissed, 0); err != nil {
		t.Fatal(err)
	}
	if err := desk.Outcome(ctx, tk.CaseID, "whatever", 0); err == nil {
		t.Error("unknown outcome accepted")
	}
	// A sexual abuse call goes to PSEA focal points only.
	in.IdempotencyKey, in.Category = "demo-at/live/call-2", config.SEA
	if _, err := desk.Open(ctx, in); !errors.Is(err, casework.ErrNobodyOnDuty) {
		t.Errorf("sea with only MEAL on duty: %v", err)
	}
	_ = acc.SetDuty(ctx, user(t, acc, "fanta"), "fanta", true, []string{"bm"})
	if tk, err := desk.Open(ctx, in); err != nil || tk.Officer != "fanta" {
		t.Errorf("sea: %+v %v, want the PSEA focal point", tk, err)
	}
	// Out of office hours: nobody.
	cfg := *f.svc.Config()
	cfg.Teams = slices.Clone(cfg.Teams)
	for i := range cfg.Teams {
		cfg.Teams[i].OfficeHours = &config.OfficeHours{TimeZone: "Africa/Bamako", Days: []string{"mon", "tue", "wed", "thu", "fri"}, Hours: "08:00-17:00"}
	}
	f.svc.SetConfig(&cfg)
	if !desk.Available(ctx, "bm") {
		t.Error("closed on a Monday at 09:00 in Bamako")
	}
	f.clock.Advance(9 * time.Hour)
	if desk.Available(ctx, "bm") {
		t.Error("available at 18:00")
	}
	in.IdempotencyKey, in.Category = "demo-at/live/call-3", "uncoded"
	if _, err := desk.Open(ctx, in); !errors.Is(err, casework.ErrNobodyOnDuty) {
		t.Errorf("open out of hours: %v", err)
	}
}

func TestRosterListsTeamsAndHours(t *testing.T) {
	f, acc, _ := rosterFixture(t)
	_ = acc.SetDuty(context.Background(), user(t, acc, "awa"), "awa", true, []string{"fr"})
	r, err := casework.Roster(context.Background(), acc.Store, f.svc.Config(), f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range r {
		if !rt.Open {
			t.Errorf("%s closed in the demo (always open)", rt.Team.ID)
		}
		if rt.Team.ID == "meal-mopti" && (len(rt.Officers) != 2 || !rt.Officers[0].OnDuty) {
			t.Errorf("meal-mopti: %+v", rt.Officers)
		}
		for _, u := range rt.Officers {
			if u.Role == casework.RoleAdmin {
				t.Errorf("admin on the roster")
			}
		}
	}
}
