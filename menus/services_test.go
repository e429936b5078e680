package menus_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus"
)

// directory is a small referral directory: one service for Ansongo
// (ML0701), one for the Gao region (ML07), one national; Bambara text only
// for the first.
func directory(region, cercle, lang string) []menus.Service {
	var out []menus.Service
	if cercle == "ML0701" {
		name := "CSRef Ansongo"
		if lang == "bm" {
			name = "Ansongo dɔgɔtɔrɔso"
		}
		out = append(out, menus.Service{Name: name, Offers: "soins", Reach: "tous les jours"})
	}
	if region == "ML07" {
		out = append(out, menus.Service{Name: "Centre Gao", Offers: "écoute", Reach: "au centre, lun-ven"})
	}
	return append(out, menus.Service{Name: "Ligne VBG", Offers: "aide juridique", Reach: "80 00 00 01"})
}

// seaInAnsongo walks a sexual abuse report from Ansongo (region Gao) to
// its submission: sea, Gao, Ansongo, cash, detail skipped, send.
func seaInAnsongo(t *testing.T, e *menus.Engine, lang string) menus.Turn {
	t.Helper()
	tr := walk(t, e, lang, "4", "7", "1", "1", "1", "1")
	if tr.Submit == nil || tr.Submit.Answers["category"] != "sea" || tr.Submit.Answers["cercle"] != "ML0701" {
		t.Fatalf("walk did not submit a sea report from Ansongo: %+v on %s", tr.Submit, tr.State.Node)
	}
	return tr
}

// A sexual abuse report ends with the reference, the PIN, the 24-hour
// promise and the services nearest the caller's cercle, as many as fit the
// screen; other reports end as before.
func TestSexualAbuseReportEndsWithServices(t *testing.T) {
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	e := menus.NewEngine(c.WithServices(directory), menus.FitsUSSD)
	done := e.Confirmed(seaInAnsongo(t, e, "fr").State, menus.Receipt{Reference: "12345678", PIN: "4321", AnswerDays: 3})
	s := done.Screen
	for _, want := range []string{"1234 5678", "4321", "24 h", "CSRef Ansongo: tous les jours"} {
		if !strings.Contains(s.Prompt, want) {
			t.Errorf("end screen %q lacks %q", s.Prompt, want)
		}
	}
	if i, j := strings.Index(s.Prompt, "CSRef Ansongo"), strings.Index(s.Prompt, "Centre Gao"); j >= 0 && j < i {
		t.Errorf("the region's service comes before the cercle's: %q", s.Prompt)
	}
	if !s.End || !menus.FitsUSSD(s) {
		t.Errorf("end screen does not end or does not fit: %q (%d chars)", s.Prompt, len(menus.USSDText(s)))
	}
	if got := e.Screen(done.State); got.Prompt != s.Prompt {
		t.Errorf("the end state renders another screen: %q", got.Prompt)
	}
	for k := range done.State.Answers {
		if k != "region" && k != "cercle" {
			t.Errorf("end state keeps answer %q", k)
		}
	}

	// The caller's language where the directory has it.
	bm := e.Confirmed(seaInAnsongo(t, e, "bm").State, menus.Receipt{Reference: "12345678"}).Screen
	if !strings.Contains(bm.Prompt, "Ansongo d") {
		t.Errorf("bm end screen %q lacks the Bambara service name", bm.Prompt)
	}

	// Another category: the usual end, no services.
	tr := walk(t, e, "fr", "1", "7", "1", "1", "1", "1", "1")
	other := e.Confirmed(tr.State, menus.Receipt{Reference: "12345678", AnswerDays: 3}).Screen
	if strings.Contains(other.Prompt, "CSRef") || !strings.Contains(other.Prompt, "3 jours") {
		t.Errorf("an exclusion complaint's end screen is %q", other.Prompt)
	}
}

// A directory too long for one screen loses its farthest services, never
// the reference or the PIN.
func TestServicesCutToFit(t *testing.T) {
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	long := func(region, cercle, lang string) []menus.Service {
		out := directory(region, cercle, lang)
		for range 6 {
			out = append(out, menus.Service{Name: "Service très éloigné de Bamako", Reach: "appelez le 80 00 00 09 du lundi au vendredi"})
		}
		return out
	}
	e := menus.NewEngine(c.WithServices(long), menus.FitsUSSD)
	s := e.Confirmed(seaInAnsongo(t, e, "fr").State, menus.Receipt{Reference: "12345678", PIN: "4321"}).Screen
	if !menus.FitsUSSD(s) || !strings.Contains(s.Prompt, "1234 5678") || !strings.Contains(s.Prompt, "4321") {
		t.Fatalf("end screen %q", s.Prompt)
	}
	if !strings.Contains(s.Prompt, "CSRef Ansongo") || strings.Count(s.Prompt, "très éloigné") >= 6 {
		t.Errorf("the nearest service is not kept or nothing was cut: %q", s.Prompt)
	}
}

// By voice the caller hears the reference and PIN, then the 24-hour
// promise and each service in full (what it offers too).
func TestSexualAbuseReportSpokenServices(t *testing.T) {
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithServices(directory)
	ussd := menus.NewEngine(c, menus.FitsUSSD)
	ear := menus.NewEngine(c, nil).ForTheEar()
	done := ear.Confirmed(seaInAnsongo(t, ussd, "fr").State, menus.Receipt{Reference: "12345678", PIN: "4321"})
	v := ear.Voice(done.State, done.Screen, "4321")
	var keys, texts []string
	for _, cl := range v.Clips {
		keys = append(keys, cl.Key)
		texts = append(texts, cl.Text)
	}
	joined := strings.Join(texts, " | ")
	iServices := strings.Index(strings.Join(keys, " "), menus.VoiceServices)
	if iServices < 0 || !strings.Contains(joined, "CSRef Ansongo. soins. tous les jours.") || !strings.Contains(joined, "Ligne VBG") {
		t.Errorf("voice end lacks the services: keys %v texts %q", keys, joined)
	}
	if strings.Index(joined, "CSRef") < strings.LastIndex(joined, "Votre code secret") {
		t.Errorf("services read before the reference and PIN: %q", joined)
	}
}

// A continued report never tells its category (the next holder of the
// phone may not be the caller): a sexual abuse report continued after a
// dropped session ends on the usual screen, without the services.
func TestContinuedReportEndsWithoutServices(t *testing.T) {
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	e := menus.NewEngine(c.WithServices(directory), menus.FitsUSSD)
	// sea, Gao, Ansongo, cash: the session drops on the detail question.
	saved := walk(t, e, "fr", "4", "7", "1", "1").State
	cont := e.Step(e.BeginResume("fr", saved).State, menus.KeyContinue)
	tr := e.Step(e.Step(cont.State, menus.KeySkip).State, "1")
	if tr.Submit == nil || tr.Submit.Answers["category"] != "sea" {
		t.Fatalf("no sea submission after continuing: %+v", tr.Submit)
	}
	s := e.Confirmed(tr.State, menus.Receipt{Reference: "12345678", AnswerDays: 3}).Screen
	if strings.Contains(s.Prompt, "CSRef") || strings.Contains(s.Prompt, "24 h") || len(tr.State.Answers) != 0 {
		t.Errorf("a continued sea report ends with %q, state answers %v", s.Prompt, tr.State.Answers)
	}
}
