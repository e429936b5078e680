package casework_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/numerovert/hotline/casework"
)

var (
	programme  = casework.User{Name: "prog", Role: casework.RoleProgramme}
	supervisor = casework.User{Name: "fanta", Role: casework.RoleSupervisor, Team: "meal-mopti"}
	officer    = casework.User{Name: "awa", Role: casework.RoleOfficer, Team: "meal-mopti"}
)

func tenenkou(text string) casework.InfoPageInput {
	return casework.InfoPageInput{Region: "ML05", Cercle: "ML0507", Topic: "dates", Lang: "fr", Text: text}
}

func served(t *testing.T, f *fixture, r casework.InfoRequest) string {
	t.Helper()
	text, ok, err := f.svc.Info(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return ""
	}
	return text
}

// Only approved versions reach callers; an edit after approval waits for
// its own approval while the approved text is still served; every step is
// in the page's audit trail.
func TestInfoApprovalGatesWhatCallersGet(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.open(t))
			ctx := context.Background()
			ask := casework.InfoRequest{Lang: "fr", Region: "ML05", Cercle: "ML0507", Topic: "dates"}
			p, err := f.svc.SaveInfoPage(ctx, programme, tenenkou("Distribution le 12 mars."))
			if err != nil {
				t.Fatal(err)
			}
			if got := served(t, f, ask); got != "" {
				t.Fatalf("an unapproved draft was served: %q", got)
			}
			if _, err := f.svc.ApproveInfoPage(ctx, programme, p.ID, p.DraftVersion); !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("programme role approved its own page: %v", err)
			}
			if _, err := f.svc.ApproveInfoPage(ctx, supervisor, p.ID, p.DraftVersion); err != nil {
				t.Fatal(err)
			}
			if got := served(t, f, ask); got != "Distribution le 12 mars." {
				t.Fatalf("approved page served as %q", got)
			}
			edit, err := f.svc.SaveInfoPage(ctx, programme, tenenkou("Distribution reportée au 19 mars."))
			if err != nil {
				t.Fatal(err)
			}
			if got := served(t, f, ask); got != "Distribution le 12 mars." {
				t.Errorf("while the edit waits, callers got %q; want the approved text", got)
			}
			if _, err := f.svc.ApproveInfoPage(ctx, supervisor, p.ID, p.DraftVersion); !errors.Is(err, casework.ErrStale) {
				t.Errorf("approving an older version: %v; want ErrStale", err)
			}
			if _, err := f.svc.ApproveInfoPage(ctx, supervisor, edit.ID, edit.DraftVersion); err != nil {
				t.Fatal(err)
			}
			if got := served(t, f, ask); got != "Distribution reportée au 19 mars." {
				t.Errorf("after approving the edit: %q", got)
			}
			final, _ := f.svc.InfoPage(ctx, p.ID)
			var trail []string
			for _, e := range final.Events {
				trail = append(trail, e.Actor+" "+e.Action)
			}
			if want := "[prog saved fanta approved prog saved fanta approved]"; fmt.Sprint(trail) != want {
				t.Errorf("audit trail %v; want %s", trail, want)
			}
		})
	}
}

// Who may write: the programme role only; and what: a known topic, a
// cercle inside its region, some text.
func TestInfoSaveRefused(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	if _, err := f.svc.SaveInfoPage(ctx, officer, tenenkou("x")); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("officer saved a page: %v", err)
	}
	for _, in := range []casework.InfoPageInput{
		{Region: "ML05", Cercle: "ML0507", Topic: "gossip", Lang: "fr", Text: "x"},
		{Region: "ML06", Cercle: "ML0507", Topic: "dates", Lang: "fr", Text: "x"},
		{Region: "ML05", Topic: "dates", Lang: "fr", Text: "   "},
		{Programme: "no-such-programme", Topic: "dates", Lang: "fr", Text: "x"},
	} {
		if _, err := f.svc.SaveInfoPage(ctx, programme, in); !errors.Is(err, casework.ErrInvalidIntake) {
			t.Errorf("SaveInfoPage(%+v) = %v; want ErrInvalidIntake", in, err)
		}
	}
	if ps, _ := f.svc.InfoPages(ctx); len(ps) != 0 {
		t.Errorf("refused saves stored %d pages", len(ps))
	}
}

// The most precise approved page wins (cercle, else region, else all of
// Mali), in the caller's language, else in French.
func TestInfoMostPrecisePlaceAndLanguage(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	publish := func(in casework.InfoPageInput) {
		p, err := f.svc.SaveInfoPage(ctx, programme, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ApproveInfoPage(ctx, supervisor, p.ID, p.DraftVersion); err != nil {
			t.Fatal(err)
		}
	}
	publish(casework.InfoPageInput{Topic: "complaints", Lang: "fr", Text: "national fr"})
	publish(casework.InfoPageInput{Region: "ML05", Topic: "complaints", Lang: "fr", Text: "Mopti fr"})
	publish(casework.InfoPageInput{Region: "ML05", Cercle: "ML0507", Topic: "complaints", Lang: "bm", Text: "Tenenkou bm"})
	for _, tc := range []struct {
		r    casework.InfoRequest
		want string
	}{
		{casework.InfoRequest{Lang: "bm", Region: "ML05", Cercle: "ML0507", Topic: "complaints"}, "Tenenkou bm"},
		{casework.InfoRequest{Lang: "fr", Region: "ML05", Cercle: "ML0507", Topic: "complaints"}, "Mopti fr"},
		{casework.InfoRequest{Lang: "ff", Region: "ML05", Cercle: "ML0501", Topic: "complaints"}, "Mopti fr"},
		{casework.InfoRequest{Lang: "fr", Region: "unknown", Cercle: "unknown", Topic: "complaints"}, "national fr"},
		{casework.InfoRequest{Lang: "fr", Region: "ML05", Topic: "dates"}, ""},
	} {
		if got := served(t, f, tc.r); got != tc.want {
			t.Errorf("Info(%+v) = %q; want %q", tc.r, got, tc.want)
		}
	}
}

// Views are counted by month, place and topic, and shown with small
// counts hidden like every aggregate.
func TestInfoViewsSuppressed(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	p, _ := f.svc.SaveInfoPage(ctx, programme, casework.InfoPageInput{Topic: "dates", Lang: "fr", Text: "x"})
	if _, err := f.svc.ApproveInfoPage(ctx, supervisor, p.ID, p.DraftVersion); err != nil {
		t.Fatal(err)
	}
	for range casework.MinCount {
		served(t, f, casework.InfoRequest{Lang: "fr", Region: "ML05", Cercle: "ML0507", Topic: "dates"})
	}
	served(t, f, casework.InfoRequest{Lang: "fr", Region: "ML06", Topic: "dates"})
	r, err := f.svc.InfoViews(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, row := range r.Rows {
		got[row.Place+"/"+row.Topic] = row.Counts[len(r.Months)-1].String()
	}
	if got["ML0507/dates"] != "5" || got["ML06/dates"] != casework.Suppressed || len(got) != 2 {
		t.Errorf("views = %v; want ML0507/dates 5 and ML06/dates hidden", got)
	}
}

// A broadcast goes out only once approved, in the version read; an edit
// before sending needs approval again; a sent one never changes.
func TestBroadcastApproval(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.open(t))
			ctx := context.Background()
			if _, err := f.svc.SaveBroadcast(ctx, programme, casework.BroadcastInput{Region: "ML05", Texts: map[string]string{"en": "only English"}}); !errors.Is(err, casework.ErrInvalidIntake) {
				t.Errorf("a broadcast without French: %v", err)
			}
			if _, err := f.svc.SaveBroadcast(ctx, officer, casework.BroadcastInput{Texts: map[string]string{"fr": "x"}}); !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("an officer wrote a broadcast: %v", err)
			}
			b, err := f.svc.SaveBroadcast(ctx, programme, casework.BroadcastInput{Region: "ML05", Cercle: "ML0507", Texts: map[string]string{"fr": "v1"}})
			if err != nil {
				t.Fatal(err)
			}
			toSend := func() int {
				l, err := f.svc.Broadcasts(ctx, casework.BroadcastApproved)
				if err != nil {
					t.Fatal(err)
				}
				return len(l)
			}
			if toSend() != 0 {
				t.Fatal("a draft is ready to send")
			}
			if _, err := f.svc.ApproveBroadcast(ctx, supervisor, b.ID, b.Version); err != nil {
				t.Fatal(err)
			}
			edit, err := f.svc.SaveBroadcast(ctx, programme, casework.BroadcastInput{ID: b.ID, Region: "ML05", Cercle: "ML0507", Texts: map[string]string{"fr": "v2"}})
			if err != nil {
				t.Fatal(err)
			}
			if toSend() != 0 || edit.State != casework.BroadcastDraft {
				t.Fatalf("an edit after approval is still ready to send (%s)", edit.State)
			}
			if _, err := f.svc.ApproveBroadcast(ctx, supervisor, b.ID, b.Version); !errors.Is(err, casework.ErrStale) {
				t.Errorf("approving the first version after an edit: %v; want ErrStale", err)
			}
			if _, err := f.svc.ApproveBroadcast(ctx, supervisor, b.ID, edit.Version); err != nil {
				t.Fatal(err)
			}
			if toSend() != 1 {
				t.Fatal("the approved edit is not ready to send")
			}
			if _, err := f.svc.BroadcastSentTo(ctx, b.ID, 12); err != nil {
				t.Fatal(err)
			}
			if toSend() != 0 {
				t.Error("a sent broadcast is still ready to send")
			}
			if _, err := f.svc.SaveBroadcast(ctx, programme, casework.BroadcastInput{ID: b.ID, Texts: map[string]string{"fr": "v3"}}); !errors.Is(err, casework.ErrInvalidTransition) {
				t.Errorf("editing a sent broadcast: %v", err)
			}
			for _, tc := range []struct {
				region, cercle string
				want           bool
			}{{"ML05", "ML0507", true}, {"ML05", "ML0501", false}, {"ML05", "", false}, {"", "", false}} {
				if got := edit.Reaches(tc.region, tc.cercle); got != tc.want {
					t.Errorf("Reaches(%q, %q) = %v", tc.region, tc.cercle, got)
				}
			}
			if text, lang := edit.Text("bm"); text != "v2" || lang != "fr" {
				t.Errorf("a Bambara subscriber gets %q in %s; want the French", text, lang)
			}
		})
	}
}

// A recording is kept for the version of the text it was made of: only
// the programme role records, only the latest text, audited; callers get
// it while that version is live.
func TestInfoRecordingFollowsItsVersion(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { recordingFollowsVersion(t, newFixture(t, st.open(t))) })
	}
}

func recordingFollowsVersion(t *testing.T, f *fixture) {
	ctx := context.Background()
	p, err := f.svc.SaveInfoPage(ctx, programme, tenenkou("Distribution le 12 mars."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RecordInfoPage(ctx, supervisor, p.ID, 1, "info-00000000000000a1", 2); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("a supervisor records: %v", err)
	}
	if _, err := f.svc.RecordInfoPage(ctx, programme, p.ID, 2, "info-00000000000000a1", 2); !errors.Is(err, casework.ErrStale) {
		t.Errorf("a version never written: %v", err)
	}
	if _, err := f.svc.RecordInfoPage(ctx, programme, p.ID, 1, "info-00000000000000a1", 2); err != nil {
		t.Fatal(err)
	}
	r := casework.InfoRequest{Lang: "fr", Region: "ML05", Cercle: "ML0507", Topic: "dates"}
	if text, _ := heard(t, f, r); text != "" {
		t.Errorf("a recording of an unapproved draft reached callers: %q", text)
	}
	if _, err := f.svc.ApproveInfoPage(ctx, supervisor, p.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, audio := heard(t, f, r); audio != "info-00000000000000a1" {
		t.Errorf("the approved, recorded page plays %q", audio)
	}
	if _, err := f.svc.SaveInfoPage(ctx, programme, tenenkou("Distribution le 14 mars.")); err != nil {
		t.Fatal(err)
	}
	if text, audio := heard(t, f, r); audio == "" || text != "Distribution le 12 mars." {
		t.Errorf("a pending edit silenced the live recording: %q %q", text, audio)
	}
	if _, err := f.svc.ApproveInfoPage(ctx, supervisor, p.ID, 2); err != nil {
		t.Fatal(err)
	}
	if _, audio := heard(t, f, r); audio != "" {
		t.Errorf("version 1's recording %q plays with version 2's text", audio)
	}
	replaced, err := f.svc.RecordInfoPage(ctx, programme, p.ID, 2, "info-00000000000000a2", 2)
	if err != nil || replaced != "info-00000000000000a1" {
		t.Errorf("recording again replaced %q (%v)", replaced, err)
	}
	pg, _ := f.svc.InfoPage(ctx, p.ID)
	var recorded int
	for _, e := range pg.Events {
		if e.Action == "recorded" && e.Actor == "prog" {
			recorded++
		}
	}
	if recorded != 2 {
		t.Errorf("audit trail %+v: want two recordings by prog", pg.Events)
	}

}

// A "you said, we did" page (published by a summary's approval) is
// recorded like any page, until the next month's summary replaces its
// text.
func TestYouSaidRecordingFollowsTheMonth(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.open(t))
			ctx := context.Background()
			yousaid := func(month string) {
				t.Helper()
				s, err := f.svc.SaveSummary(ctx, officer, casework.SummaryInput{Month: month, Region: "ML05", Cercle: "ML0507",
					Found: map[string]string{"fr": "Trouvé " + month}, Changed: map[string]string{"fr": "Changé " + month}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.ApproveSummary(ctx, supervisor, s.ID, s.Version, map[string]string{"fr": "Script " + month}); err != nil {
					t.Fatal(err)
				}
			}
			yousaid("2026-10")
			ys := casework.InfoPageID("", "ML05", "ML0507", "", "yousaid", "fr")
			ysPage, _ := f.svc.InfoPage(ctx, ys)
			if _, err := f.svc.RecordInfoPage(ctx, programme, ys, ysPage.DraftVersion, "info-00000000000000b1", 30); err != nil {
				t.Fatal(err)
			}
			yr := casework.InfoRequest{Lang: "fr", Region: "ML05", Cercle: "ML0507", Topic: "yousaid"}
			if _, audio := heard(t, f, yr); audio != "info-00000000000000b1" {
				t.Errorf("the recorded summary plays %q", audio)
			}
			yousaid("2026-11")
			if text, audio := heard(t, f, yr); audio != "" || text != "Script 2026-11" {
				t.Errorf("last month's recording plays with this month's script: %q %q", text, audio)
			}
		})
	}
}

// heard is the one page a caller gets for r: its text and recording.
func heard(t *testing.T, f *fixture, r casework.InfoRequest) (text, audio string) {
	t.Helper()
	parts, err := f.svc.InfoParts(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	switch len(parts) {
	case 0:
		return "", ""
	case 1:
		return parts[0].Text, parts[0].Audio
	}
	t.Fatalf("%d pages for %+v", len(parts), r)
	return "", ""
}
