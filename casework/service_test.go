package casework_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/keystore"
)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	svc   *casework.Service
	store casework.Store
	clock *clock
	logs  *bytes.Buffer
	n     int
}

func key(b byte) keystore.Key {
	return keystore.Key{Version: "k1", Secret: bytes.Repeat([]byte{b}, keystore.Size)}
}

// stores lets domain tests run on every back end.
var stores = []struct {
	name string
	open func(t *testing.T) casework.Store
}{
	{"memstore", func(t *testing.T) casework.Store { return memstore.New() }},
	{"boltstore", func(t *testing.T) casework.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "hotline.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

func newFixture(t *testing.T, store casework.Store) *fixture {
	t.Helper()
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	f := &fixture{store: store, clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, logs: &bytes.Buffer{}}
	f.svc, err = casework.NewService(casework.Options{
		Store: store, Config: cfg, PINKeys: []keystore.Key{key(1)}, SealKeys: []keystore.Key{key(2)},
		Now: f.clock.Now, Logger: slog.New(slog.NewTextHandler(f.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func fixtureMem(t *testing.T) *fixture { return newFixture(t, memstore.New()) }

func (f *fixture) intake(callerKey, category, region, cercle, assistance string) casework.Intake {
	f.n++
	return casework.Intake{
		IdempotencyKey: fmt.Sprintf("demo-at/ATUid_%d", f.n), CallerKey: callerKey, Channel: "demo-at",
		Medium: "ussd", Language: "fr", Category: category, Region: region, Cercle: cercle,
		Assistance: assistance, Detail: "secret words " + callerKey,
	}
}

func (f *fixture) submit(t *testing.T, in casework.Intake) casework.Receipt {
	t.Helper()
	r, err := f.svc.Submit(context.Background(), in)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return r
}

func actions(t *testing.T, s casework.Store, id string) []string {
	t.Helper()
	ev, err := s.Audit(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ev {
		out = append(out, e.Action)
	}
	return out
}

func TestSubmitRoutesToIndependentTeams(t *testing.T) {
	tests := []struct {
		name                                 string
		category, region, cercle, assistance string
		team, ruleHas                        string
		ack, resolve                         time.Duration
		sensitive                            bool
	}{
		{"local MEAL team", "exclusion", "ML05", "ML0501", "food", "meal-mopti", "region ML05", 72 * time.Hour, 30 * 24 * time.Hour, false},
		{"local team conflicted with the programme", "exclusion", "ML05", "ML0501", "cash", "meal-national", "passed over for conflict of interest: meal-mopti", 72 * time.Hour, 30 * 24 * time.Hour, false},
		{"unknown cercle could be the conflicted programme", "distribution", "ML05", "unknown", "cash", "meal-national", "passed over for conflict of interest: meal-mopti", 72 * time.Hour, 30 * 24 * time.Hour, false},
		{"north", "distribution", "ML07", "ML0701", "food", "meal-north", "region ML07", 72 * time.Hour, 30 * 24 * time.Hour, false},
		{"SEA only to PSEA", "sea", "ML05", "ML0501", "food", "psea-focal", "kinds psea", 24 * time.Hour, 72 * time.Hour, true},
		{"staff fraud to a MEAL team with that remit", "fraud", "ML07", "ML0701", "food", "meal-national", "category fraud to kinds meal", 24 * time.Hour, 72 * time.Hour, true},
		{"safety to protection", "safety", "ML01", "ML0101", "cash", "protection-national", "national", 24 * time.Hour, 72 * time.Hour, true},
		{"category not in the codebook", "rumour", "ML01", "ML0101", "cash", "meal-national", "not in the codebook", 72 * time.Hour, 30 * 24 * time.Hour, false},
	}
	f := fixtureMem(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.submit(t, f.intake("k1:caller", tc.category, tc.region, tc.cercle, tc.assistance))
			c := r.Case
			if c.Team != tc.team || !strings.Contains(c.Rule, tc.ruleHas) {
				t.Errorf("routed to %s by %q; want %s by a rule containing %q", c.Team, c.Rule, tc.team, tc.ruleHas)
			}
			if c.Status != casework.StatusNew || c.Sensitive != tc.sensitive || c.CallerCategory != tc.category {
				t.Errorf("status %s, sensitive %v, caller category %q", c.Status, c.Sensitive, c.CallerCategory)
			}
			if got := c.AcknowledgeBy.Sub(c.CreatedAt); got != tc.ack {
				t.Errorf("acknowledge within %v, want %v", got, tc.ack)
			}
			if got := c.ResolveBy.Sub(c.CreatedAt); got != tc.resolve || !r.AnswerBy.Equal(c.ResolveBy) {
				t.Errorf("resolve within %v (answer by %v), want %v", got, r.AnswerBy, tc.resolve)
			}
			if !regexp.MustCompile(`^[0-9]{4}$`).MatchString(r.PIN) || strings.Contains(c.PINHash, r.PIN) || !strings.HasPrefix(c.PINHash, "k1:") {
				t.Errorf("PIN %q, hash %q: want 4 digits, kept only as a keyed hash", r.PIN, c.PINHash)
			}
			if r.TeamName == "" {
				t.Error("receipt does not say who reviews the complaint")
			}
			if got := actions(t, f.store, c.ID); !slices.Equal(got, []string{casework.ActionCreated, casework.ActionRouted}) {
				t.Errorf("audit = %v", got)
			}
		})
	}
}

func TestSubmitIdempotentShowsNoSecondPIN(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.open(t))
			in := f.intake("k1:a", "exclusion", "ML01", "ML0101", "cash")
			first := f.submit(t, in)
			again := f.submit(t, in)
			if again.Case.ID != first.Case.ID || again.PIN != "" || first.PIN == "" {
				t.Errorf("replay: case %s PIN %q; want case %s and no PIN (first PIN %q)", again.Case.ID, again.PIN, first.Case.ID, first.PIN)
			}
			// The first PIN still works from another phone.
			if _, err := f.svc.FollowUp(context.Background(), []string{"k1:other"}, first.Case.Reference, first.PIN); err != nil {
				t.Errorf("FollowUp with the first PIN: %v", err)
			}
		})
	}
}

func TestSubmitRejects(t *testing.T) {
	f := fixtureMem(t)
	tests := []struct {
		name   string
		mutate func(*casework.Intake)
	}{
		{"no caller key", func(in *casework.Intake) { in.CallerKey = "" }},
		{"no category", func(in *casework.Intake) { in.Category = "" }},
		{"NUL in caller key", func(in *casework.Intake) { in.CallerKey = "a\x00b" }},
		{"contact on a non-exclusion complaint", func(in *casework.Intake) {
			in.Category = "distribution"
			in.Contact = &casework.Contact{Name: "Awa", Village: "Sio"}
		}},
		{"empty contact", func(in *casework.Intake) { in.Contact = &casework.Contact{} }},
	}
	for _, tc := range tests {
		in := f.intake("k1:a", "exclusion", "ML01", "ML0101", "cash")
		tc.mutate(&in)
		if _, err := f.svc.Submit(context.Background(), in); !errors.Is(err, casework.ErrInvalidIntake) {
			t.Errorf("%s: err = %v, want ErrInvalidIntake", tc.name, err)
		}
	}
	n := 0
	_ = f.store.Each(context.Background(), func(casework.Case) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d cases stored after rejected submissions", n)
	}
}

func TestLifecycle(t *testing.T) {
	type step struct {
		op      string // assign, start, resolve, close, reopen, note
		wantErr error
		status  casework.Status
	}
	ok := func(op string, s casework.Status) step { return step{op, nil, s} }
	bad := func(op string) step { return step{op, casework.ErrInvalidTransition, ""} }
	tests := []struct {
		name  string
		steps []step
	}{
		{"full", []step{ok("assign", "assigned"), ok("start", "in_progress"), ok("resolve", "resolved"), ok("close", "closed")}},
		{"reopen closed", []step{ok("assign", "assigned"), ok("start", "in_progress"), ok("resolve", "resolved"), ok("close", "closed"), ok("reopen", "in_progress"), ok("resolve", "resolved")}},
		{"reopen resolved", []step{ok("assign", "assigned"), ok("start", "in_progress"), ok("resolve", "resolved"), ok("reopen", "in_progress")}},
		{"reassign", []step{ok("assign", "assigned"), ok("assign", "assigned"), ok("start", "in_progress"), bad("assign")}},
		{"no skipping", []step{bad("start"), bad("resolve"), bad("close"), bad("reopen"), ok("assign", "assigned"), bad("resolve"), bad("close")}},
		{"not twice", []step{ok("assign", "assigned"), ok("start", "in_progress"), bad("start"), ok("resolve", "resolved"), bad("resolve"), ok("close", "closed"), bad("close")}},
	}
	who := casework.Actor{ID: "officer-1", Team: "meal-national"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fixtureMem(t)
			c := f.submit(t, f.intake("k1:a", "exclusion", "ML01", "ML0101", "cash")).Case
			ctx := context.Background()
			wantEvents := []string{casework.ActionCreated, casework.ActionRouted}
			for i, st := range tc.steps {
				var got casework.Case
				var err error
				switch st.op {
				case "assign":
					got, err = f.svc.Assign(ctx, who, c.ID, "officer-2")
				case "start":
					got, err = f.svc.Start(ctx, who, c.ID)
				case "resolve":
					got, err = f.svc.Resolve(ctx, who, c.ID, map[string]string{"fr": "Vous êtes ajouté à la liste.", "en": "You were added."})
				case "close":
					got, err = f.svc.Close(ctx, who, c.ID)
				case "reopen":
					got, err = f.svc.Reopen(ctx, who, c.ID, "caller disagrees")
				}
				if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
					t.Fatalf("step %d %s: err = %v, want %v", i, st.op, err, st.wantErr)
				}
				if err == nil {
					if got.Status != st.status {
						t.Fatalf("step %d %s: status %s, want %s", i, st.op, got.Status, st.status)
					}
					wantEvents = append(wantEvents, map[string]string{"assign": casework.ActionAssigned, "start": casework.ActionStarted,
						"resolve": casework.ActionResolved, "close": casework.ActionClosed, "reopen": casework.ActionReopened}[st.op])
				}
			}
			if got := actions(t, f.store, c.ID); !slices.Equal(got, wantEvents) {
				t.Errorf("audit = %v\nwant    %v", got, wantEvents)
			}
			ev, _ := f.store.Audit(ctx, c.ID)
			for _, e := range ev[2:] {
				if e.Actor != who.ID || e.At.IsZero() {
					t.Errorf("event %+v lacks who or when", e)
				}
			}
		})
	}
}

func TestOfficersActOnlyOnTheirTeamsCases(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	sea := f.submit(t, f.intake("k1:a", "sea", "ML01", "ML0101", "food")).Case
	meal := casework.Actor{ID: "officer-1", Team: "meal-national"}
	psea := casework.Actor{ID: "focal-1", Team: "psea-focal"}
	if _, err := f.svc.View(ctx, meal, sea.ID); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("MEAL viewing SEA: err = %v, want ErrForbidden", err)
	}
	if _, err := f.svc.Assign(ctx, meal, sea.ID, "x"); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("MEAL assigning SEA: err = %v, want ErrForbidden", err)
	}
	if _, err := f.svc.View(ctx, casework.Actor{Team: "psea-focal"}, sea.ID); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("anonymous actor: err = %v, want ErrForbidden", err)
	}
	q, err := f.svc.Queue(ctx, meal)
	if err != nil || len(q) != 0 {
		t.Errorf("MEAL queue = %v, %v; want no SEA case", q, err)
	}
	q, err = f.svc.Queue(ctx, psea)
	if err != nil || len(q) != 1 || q[0].ID != sea.ID {
		t.Errorf("PSEA queue = %v, %v", q, err)
	}
	v, err := f.svc.View(ctx, psea, sea.ID)
	if err != nil {
		t.Fatalf("PSEA view: %v", err)
	}
	if v.CallerKey != "" || v.PINHash != "" {
		t.Errorf("view exposes caller key or PIN hash")
	}
	if got := actions(t, f.store, sea.ID); !slices.Contains(got, casework.ActionViewed) {
		t.Errorf("view of a sensitive case not audited: %v", got)
	}
}

func TestOtherReports(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	first := f.submit(t, f.intake("k1:a", "exclusion", "ML01", "ML0101", "cash")).Case
	f.submit(t, f.intake("k1:a", "distribution", "ML01", "ML0101", "cash"))
	f.submit(t, f.intake("k1:a", "question", "ML01", "ML0101", "cash"))
	sea := f.submit(t, f.intake("k1:a", "sea", "ML01", "ML0101", "cash")).Case
	f.submit(t, f.intake("k1:b", "exclusion", "ML01", "ML0101", "cash"))
	v, err := f.svc.View(ctx, casework.Actor{ID: "o", Team: "meal-national"}, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.OtherReports != 2 {
		t.Errorf("MEAL sees %d other reports, want 2 (the SEA report is not counted for them)", v.OtherReports)
	}
	if got := actions(t, f.store, first.ID); slices.Contains(got, casework.ActionViewed) {
		t.Errorf("view of an ordinary case audited as sensitive: %v", got)
	}
	v, err = f.svc.View(ctx, casework.Actor{ID: "p", Team: "psea-focal"}, sea.ID)
	if err != nil || v.OtherReports != 3 {
		t.Errorf("PSEA sees %d other reports (%v), want 3", v.OtherReports, err)
	}
}

func TestRecodeKeepsCallerChoiceAndReroutes(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	meal := casework.Actor{ID: "o", Team: "meal-national"}
	c := f.submit(t, f.intake("k1:a", "fraud", "ML01", "ML0101", "cash")).Case
	if _, err := f.svc.Recode(ctx, meal, c.ID, "fraud", "no-such-code"); err == nil {
		t.Error("recode to an unknown code succeeded")
	}
	got, err := f.svc.Recode(ctx, meal, c.ID, "fraud", "kickback")
	if err != nil || got.Team != "meal-national" || got.Code != "kickback" || got.Type != "sensitive" {
		t.Fatalf("recode within the team: %+v, %v", got, err)
	}
	if _, err := f.svc.Assign(ctx, meal, c.ID, "o"); err != nil {
		t.Fatal(err)
	}
	got, err = f.svc.Recode(ctx, meal, c.ID, "sea", "sex-for-aid")
	if err != nil {
		t.Fatal(err)
	}
	if got.Team != "psea-focal" || got.Status != casework.StatusNew || got.Officer != "" || got.CallerCategory != "fraud" || got.Category != "sea" {
		t.Errorf("recoded to SEA: team %s status %s officer %q caller category %q category %q", got.Team, got.Status, got.Officer, got.CallerCategory, got.Category)
	}
	want := []string{"created", "routed", "recoded", "assigned", "recoded", "routed"}
	if a := actions(t, f.store, c.ID); !slices.Equal(a, want) {
		t.Errorf("audit = %v, want %v", a, want)
	}
	if _, err := f.svc.View(ctx, meal, c.ID); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("MEAL can still see the case recoded as SEA: %v", err)
	}
}

func TestFollowUp(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	who := casework.Actor{ID: "o", Team: "meal-national"}
	one := f.submit(t, f.intake("k1:one", "exclusion", "ML01", "ML0101", "cash"))
	twoA := f.submit(t, f.intake("k1:two", "exclusion", "ML01", "ML0101", "cash"))
	f.submit(t, f.intake("k1:two", "question", "ML01", "ML0101", "cash"))
	for _, step := range []func() (casework.Case, error){
		func() (casework.Case, error) { return f.svc.Assign(ctx, who, one.Case.ID, "o") },
		func() (casework.Case, error) { return f.svc.Start(ctx, who, one.Case.ID) },
		func() (casework.Case, error) {
			return f.svc.Resolve(ctx, who, one.Case.ID, map[string]string{"fr": "Vous êtes sur la liste.", "en": "You are on the list."})
		},
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	unknown := "12345678"
	for unknown == one.Case.Reference || unknown == twoA.Case.Reference {
		unknown = casework.NewReference()
	}
	tests := []struct {
		name      string
		keys      []string
		ref, pin  string
		wantErr   error
		status    casework.PublicStatus
		response  string
		reference string
	}{
		// The reference and the PIN are always needed, from the phone that
		// made the complaint too: phones are shared and borrowed.
		{"same phone, nothing typed, one open case", []string{"k0:old", "k1:one"}, "", "", casework.ErrNoMatch, "", "", ""},
		{"same phone, two open cases", []string{"k1:two"}, "", "", casework.ErrNoMatch, "", "", ""},
		{"phone with no case", []string{"k1:none"}, "", "", casework.ErrNoMatch, "", "", ""},
		{"same phone, reference alone", []string{"k1:two"}, casework.FormatReference(twoA.Case.Reference), "", casework.ErrNoMatch, "", "", ""},
		{"same phone, reference and PIN", []string{"k1:two"}, casework.FormatReference(twoA.Case.Reference), twoA.PIN, nil, casework.PublicReceived, "", twoA.Case.Reference},
		{"other phone, no PIN", []string{"k1:other"}, one.Case.Reference, "", casework.ErrNoMatch, "", "", ""},
		{"other phone, unknown reference, no PIN: same answer", []string{"k1:other"}, unknown, "", casework.ErrNoMatch, "", "", ""},
		{"other phone, reference and PIN", []string{"k1:other"}, one.Case.Reference, one.PIN, nil, casework.PublicAnswered, "Vous êtes sur la liste.", one.Case.Reference},
		{"other phone, wrong PIN", []string{"k1:other2"}, one.Case.Reference, wrongPIN(one.PIN), casework.ErrNoMatch, "", "", ""},
		{"unknown reference with a PIN: same answer", []string{"k1:other2"}, unknown, "1234", casework.ErrNoMatch, "", "", ""},
		{"garbage reference", []string{"k1:other2"}, "abc", "1234", casework.ErrNoMatch, "", "", ""},
		{"another case's PIN", []string{"k1:other3"}, twoA.Case.Reference, one.PIN, casework.ErrNoMatch, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := f.svc.FollowUp(ctx, tc.keys, tc.ref, tc.pin)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if a != (casework.Answer{}) {
					t.Errorf("a failed follow-up returned %+v", a)
				}
				return
			}
			if a.Status != tc.status || a.Response != tc.response || a.Reference != tc.reference {
				t.Errorf("answer %+v, want status %s response %q reference %s", a, tc.status, tc.response, tc.reference)
			}
			if a.Response == "" && a.AnswerBy.IsZero() {
				t.Error("no answer yet, and no date for one")
			}
		})
	}
}

func wrongPIN(pin string) string {
	if pin == "0000" {
		return "0001"
	}
	return "0000"
}

func TestFollowUpAttemptsAreLimited(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	r := f.submit(t, f.intake("k1:owner", "exclusion", "ML01", "ML0101", "cash"))
	unknown := "98765432"
	if unknown == r.Case.Reference {
		unknown = "98765431"
	}
	tests := []struct {
		name string
		// fail is who makes 5 wrong attempts, against which reference
		failKey, failRef string
		// then this try with the right PIN
		tryKey  string
		wantErr error
	}{
		{"per caller key, even across references", "k1:attacker", unknown, "k1:attacker", casework.ErrTooManyAttempts},
		{"per reference, even across phones", "k1:p1", r.Case.Reference, "k1:p2", casework.ErrTooManyAttempts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.clock.Advance(2 * time.Hour) // a fresh window
			for i := range casework.DefaultMaxAttempts {
				key := tc.failKey
				if tc.failRef == r.Case.Reference {
					key = fmt.Sprintf("%s-%d", tc.failKey, i) // many phones
				}
				if _, err := f.svc.FollowUp(ctx, []string{key}, tc.failRef, wrongPIN(r.PIN)); !errors.Is(err, casework.ErrNoMatch) {
					t.Fatalf("attempt %d: %v", i, err)
				}
			}
			if _, err := f.svc.FollowUp(ctx, []string{tc.tryKey}, r.Case.Reference, r.PIN); !errors.Is(err, tc.wantErr) {
				t.Errorf("right PIN after 5 wrong: err = %v, want %v", err, tc.wantErr)
			}
			// The owner's phone needs the PIN like any other.
			if _, err := f.svc.FollowUp(ctx, []string{"k1:owner"}, r.Case.Reference, ""); err == nil {
				t.Errorf("owner without a PIN was answered")
			}
			f.clock.Advance(casework.DefaultAttemptWindow + time.Second)
			if _, err := f.svc.FollowUp(ctx, []string{tc.tryKey}, r.Case.Reference, r.PIN); err != nil {
				t.Errorf("right PIN after the window: %v", err)
			}
		})
	}
}

func TestContactSealedAndTeamOnly(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	in := f.intake("k1:a", "exclusion", "ML05", "ML0501", "food")
	in.Contact = &casework.Contact{Name: "Awa Traoré", Village: "Sio"}
	c := f.submit(t, in).Case
	if c.Contact == "" || strings.Contains(c.Contact, "Awa") || strings.Contains(c.Contact, "Sio") {
		t.Fatalf("contact stored as %q: want sealed", c.Contact)
	}
	owner := casework.Actor{ID: "o", Team: c.Team}
	got, err := f.svc.Contact(ctx, owner, c.ID)
	if err != nil || got != *in.Contact {
		t.Errorf("Contact = %+v, %v", got, err)
	}
	if _, err := f.svc.Contact(ctx, casework.Actor{ID: "x", Team: "meal-national"}, c.ID); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("other team reading contact: err = %v, want ErrForbidden", err)
	}
	if a := actions(t, f.store, c.ID); !slices.Contains(a, casework.ActionContactRead) {
		t.Errorf("contact read not audited: %v", a)
	}
	// A sealed contact moved to another case does not open.
	other := f.submit(t, f.intake("k1:b", "exclusion", "ML05", "ML0501", "food")).Case
	if _, err := f.store.Update(ctx, other.ID, func(o *casework.Case) ([]casework.Event, error) { o.Contact = c.Contact; return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Contact(ctx, casework.Actor{ID: "o", Team: other.Team}, other.ID); err == nil {
		t.Error("a contact sealed for one case opened on another")
	}
}

func TestDeadlinesEscalateOnceToSupervisor(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	sea := f.submit(t, f.intake("k1:a", "sea", "ML01", "ML0101", "food")).Case
	excl := f.submit(t, f.intake("k1:b", "exclusion", "ML01", "ML0101", "cash")).Case
	acked := f.submit(t, f.intake("k1:c", "fraud", "ML01", "ML0101", "cash")).Case
	if _, err := f.svc.Assign(ctx, casework.Actor{ID: "o", Team: "meal-national"}, acked.ID, "o"); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.svc.Overdue(); ok {
		t.Error("Overdue reported before any deadline check")
	}
	steps := []struct {
		advance time.Duration
		want    int
		late    int                 // cases past a deadline now (the /metrics gauge)
		check   map[string][]string // case id → escalation details expected so far
	}{
		{23 * time.Hour, 0, 0, nil},
		{2 * time.Hour, 1, 1, map[string][]string{sea.ID: {"acknowledge"}}}, // 25h: SEA not acknowledged in 24h
		{0, 0, 1, nil}, // not twice, still late
		{48 * time.Hour, 3, 3, map[string][]string{sea.ID: {"acknowledge", "resolve"}, excl.ID: {"acknowledge"}, acked.ID: {"resolve"}}}, // 73h
	}
	for i, st := range steps {
		f.clock.Advance(st.advance)
		n, err := f.svc.CheckDeadlines(ctx)
		if err != nil || n != st.want {
			t.Fatalf("step %d: %d escalations, %v; want %d", i, n, err, st.want)
		}
		if late, ok := f.svc.Overdue(); !ok || late != st.late {
			t.Errorf("step %d: Overdue() = %d, %v; want %d", i, late, ok, st.late)
		}
		for id, deadlines := range st.check {
			ev, _ := f.store.Audit(ctx, id)
			var got []string
			for _, e := range ev {
				if e.Action == casework.ActionOverdue {
					got = append(got, strings.Fields(e.Detail)[0])
				}
				if e.Action == casework.ActionEscalated && !strings.Contains(e.Detail, "supervisor") {
					t.Errorf("escalation %q does not name the supervisor", e.Detail)
				}
			}
			if !slices.Equal(got, deadlines) {
				t.Errorf("step %d case %s: overdue %v, want %v", i, id, got, deadlines)
			}
		}
	}
	q, _ := f.svc.Queue(ctx, casework.Actor{ID: "o", Team: "meal-national"})
	if len(q) != 2 || !q[0].Overdue {
		t.Errorf("queue = %+v: want overdue cases first", q)
	}
	sup := "psea-coordinator"
	ev, _ := f.store.Audit(ctx, sea.ID)
	if !slices.ContainsFunc(ev, func(e casework.Event) bool { return strings.Contains(e.Detail, sup) }) {
		t.Errorf("SEA escalation not to %s: %+v", sup, ev)
	}
}

func TestRunJobUntilCanceled(t *testing.T) {
	f := fixtureMem(t)
	c := f.submit(t, f.intake("k1:a", "sea", "ML01", "ML0101", "food")).Case
	f.clock.Advance(25 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.svc.Run(ctx, time.Millisecond); close(done) }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if slices.Contains(actions(t, f.store, c.ID), casework.ActionEscalated) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not escalate the overdue case")
		}
	}
	cancel()
	<-done
}

func TestPurgeAfterRetention(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.open(t))
			ctx := context.Background()
			who := casework.Actor{ID: "o", Team: "meal-mopti"}
			in := f.intake("k1:a", "exclusion", "ML05", "ML0501", "food")
			in.Contact = &casework.Contact{Name: "Awa", Village: "Sio"}
			r := f.submit(t, in)
			open := f.submit(t, f.intake("k1:a", "exclusion", "ML05", "ML0501", "food")).Case
			id := r.Case.ID
			for _, step := range []func() (casework.Case, error){
				func() (casework.Case, error) { return f.svc.Assign(ctx, who, id, "o") },
				func() (casework.Case, error) { return f.svc.Start(ctx, who, id) },
				func() (casework.Case, error) { return f.svc.Note(ctx, who, id, "visited the village") },
				func() (casework.Case, error) { return f.svc.Resolve(ctx, who, id, map[string]string{"fr": "Ajouté."}) },
				func() (casework.Case, error) { return f.svc.Close(ctx, who, id) },
			} {
				if _, err := step(); err != nil {
					t.Fatal(err)
				}
			}
			f.clock.Advance(config.DefaultRetention - time.Hour)
			if n, err := f.svc.Purge(ctx); err != nil || n != 0 {
				t.Fatalf("before retention: purged %d, %v", n, err)
			}
			f.clock.Advance(time.Hour)
			if n, err := f.svc.Purge(ctx); err != nil || n != 1 {
				t.Fatalf("at retention: purged %d, %v; want 1 (the open case stays)", n, err)
			}
			c, err := f.store.ByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Detail != "" || c.Contact != "" || c.CallerKey != "" || c.PINHash != "" || c.Notes != nil || c.Response != nil || c.PurgedAt.IsZero() {
				t.Errorf("after purge: %+v", c)
			}
			if c.Category != "exclusion" || c.Region != "ML05" || c.Assistance != "food" || c.Team != "meal-mopti" || c.Status != casework.StatusClosed {
				t.Errorf("aggregate fields lost: %+v", c)
			}
			if list, _ := f.store.ByCallerKey(ctx, "k1:a"); len(list) != 1 || list[0].ID != open.ID {
				t.Errorf("caller index still links the purged case: %d cases", len(list))
			}
			if _, err := f.svc.FollowUp(ctx, []string{"k1:x"}, r.Case.Reference, r.PIN); !errors.Is(err, casework.ErrNoMatch) {
				t.Errorf("follow-up of a purged case: %v, want ErrNoMatch", err)
			}
			if _, err := f.svc.Reopen(ctx, who, id, ""); !errors.Is(err, casework.ErrInvalidTransition) {
				t.Errorf("reopen a purged case: %v", err)
			}
			if n, _ := f.svc.Purge(ctx); n != 0 {
				t.Errorf("purged again: %d", n)
			}
		})
	}
}

// fakeRecordings is a recordings store in memory.
type fakeRecordings map[string][]byte

func (r fakeRecordings) Get(_ context.Context, id string) ([]byte, error) {
	b, ok := r[id]
	if !ok {
		return nil, casework.ErrNotFound
	}
	return b, nil
}

func (r fakeRecordings) Delete(_ context.Context, id string) error {
	delete(r, id)
	return nil
}

func TestPurgeDeletesTheVoiceMessage(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	recs := fakeRecordings{"rec-1": []byte("RIFF"), "rec-2": []byte("RIFF")}
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	svc, err := casework.NewService(casework.Options{Store: memstore.New(), Config: cfg, Recordings: recs,
		PINKeys: []keystore.Key{key(1)}, SealKeys: []keystore.Key{key(2)}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{svc: svc, clock: clk}
	who := casework.Actor{ID: "o", Team: "meal-mopti"}
	in := f.intake("k1:a", "exclusion", "ML05", "ML0501", "food")
	in.Recording = "rec-1"
	id := f.submit(t, in).Case.ID
	kept := f.intake("k1:b", "exclusion", "ML05", "ML0501", "food")
	kept.Recording = "rec-2"
	f.submit(t, kept)
	for _, step := range []func() (casework.Case, error){
		func() (casework.Case, error) { return svc.Assign(ctx, who, id, "o") },
		func() (casework.Case, error) { return svc.Start(ctx, who, id) },
		func() (casework.Case, error) { return svc.Resolve(ctx, who, id, map[string]string{"fr": "Ajouté."}) },
		func() (casework.Case, error) { return svc.Close(ctx, who, id) },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(config.DefaultRetention)
	if n, err := svc.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
	if _, ok := recs["rec-1"]; ok {
		t.Error("the purged case's voice message is still stored")
	}
	if _, ok := recs["rec-2"]; !ok {
		t.Error("an open case's voice message was deleted")
	}
	if _, err := svc.Recording(ctx, who, id); err == nil {
		t.Error("the purged case still plays a recording")
	}
}

func TestNothingIdentifyingInLogsOrErrors(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	in := f.intake("k1:SECRETKEY", "sea", "ML01", "ML0101", "food")
	r := f.submit(t, in)
	f.clock.Advance(100 * time.Hour)
	if _, err := f.svc.CheckDeadlines(ctx); err != nil {
		t.Fatal(err)
	}
	var errs []error
	_, err := f.svc.FollowUp(ctx, []string{"k1:OTHERKEY"}, r.Case.Reference, wrongPIN(r.PIN))
	errs = append(errs, err)
	_, err = f.svc.Submit(ctx, casework.Intake{CallerKey: "k1:SECRETKEY\x01", Detail: "secret words"})
	errs = append(errs, err)
	_, err = f.svc.View(ctx, casework.Actor{ID: "o", Team: "meal-national"}, r.Case.ID)
	errs = append(errs, err)
	text := f.logs.String()
	for _, e := range errs {
		text += "\n" + e.Error()
	}
	for _, leak := range []string{"SECRETKEY", "OTHERKEY", "secret words", r.PIN + "\"", "=" + r.PIN} {
		if strings.Contains(text, leak) {
			t.Errorf("logs or errors contain %q:\n%s", leak, text)
		}
	}
	if !strings.Contains(f.logs.String(), "escalated") {
		t.Errorf("the escalation was not logged at all:\n%s", f.logs.String())
	}
}

// BenchmarkServiceSubmitParallel is the whole intake (validate, route,
// PIN, seal-free) over bbolt with many callers at once; compare with
// boltstore's BenchmarkSubmitParallel to see what the domain adds.
func BenchmarkServiceSubmitParallel(b *testing.B) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "hotline.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cfg, _ := config.Demo()
	svc, err := casework.NewService(casework.Options{Store: s, Config: cfg, PINKeys: []keystore.Key{key(1)}, SealKeys: []keystore.Key{key(2)}})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			i := n
			mu.Unlock()
			_, err := svc.Submit(context.Background(), casework.Intake{
				IdempotencyKey: fmt.Sprintf("b/%d", i), CallerKey: "k1:bench", Channel: "demo-at", Medium: "ussd",
				Language: "fr", Category: "exclusion", Region: "ML05", Cercle: "ML0501", Assistance: "cash",
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
