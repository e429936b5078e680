package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/web"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus/overlay"
)

// axeSource is axe-core's axe.min.js (Deque's accessibility rules engine):
// $AXE_CORE, or the copy `make axe` installs with npm under the user's
// cache (~/.cache/hotline/axe). Under CI=true a missing copy fails the test.
func axeSource(t testing.TB) string {
	t.Helper()
	path := os.Getenv("AXE_CORE")
	if path == "" {
		cache, _ := os.UserCacheDir()
		path = filepath.Join(cache, "hotline", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core not found (%v): install it with `make axe`; required under CI", err)
		}
		t.Skipf("axe-core not found (%v); `make axe` installs it", err)
	}
	return string(b)
}

// axeRun checks the page against WCAG 2.1 A and AA and lists each
// violation as "rule (impact) × nodes: first node — help".
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
  .then(r => r.violations.map(v => v.id + ' (' + v.impact + ') ×' + v.nodes.length + ': ' + v.nodes[0].target.join(' ') + ' — ' + v.help))`

// Every page of the web view, signed out and in each role that sees it,
// at a laptop's 1366 px and a phone's 375 px, has no axe-core violation.
func TestAccessibilityAxe(t *testing.T) {
	axe := axeSource(t)
	st, stErr := overlay.Open(overlay.Options{DataDir: t.TempDir(), Base: locales.FS})
	if stErr != nil {
		t.Fatal(stErr)
	}
	defer st.Close()
	e := newEnv(t, func(o *web.Options) { o.CallBacks = &dialled{}; o.Studio = st })
	e.addUser(t, "root", casework.RoleAdmin, "")
	e.addUser(t, "tina", casework.RoleTranslator, "")
	e.addUser(t, "prog", casework.RoleProgramme, "")
	caller := e.keyring.Key("+22376000062", "ML")
	mine := e.submit(t, caller, "exclusion", "ML05", "ML0501", "On m'a retiré de la liste")
	callBack, err := e.svc.Submit(context.Background(), casework.Intake{
		IdempotencyKey: "axe/callback", CallerKey: caller, Channel: "demo-at", Medium: "ussd", Language: "fr",
		Category: "exclusion", Region: "ML05", Cercle: "ML0501", Assistance: "food", ID: casework.NewID(), CallBack: sealedCaller,
	})
	if err != nil {
		t.Fatal(err)
	}
	base := e.serve(t)
	pages := []struct{ user, path, ready string }{
		{"", "/meal/login", "#login"},
		{"awa", "/meal/queue", "main"},
		{"awa", "/meal/cases/" + mine.Case.ID, "#detail"},
		{"awa", "/meal/intake", "main"},
		{"awa", "/meal/dashboard", "main"},
		{"root", "/meal/admin", "#create-user"},
		{"awa", "/meal/cases/" + callBack.Case.ID, "#callback"},
		{"awa", "/meal/profile", "#save-phone"},
		// The information line (issue 15).
		{"prog", "/meal/info", "main"},
		{"prog", "/meal/info/edit", "#info-save"},
		{"prog", "/meal/info/broadcasts", "#broadcast-save"},
		{"awa", "/meal/info/yousaid", "#summary-save"},
		{"fanta", "/meal/info", "main"},
		// The language studio (issue 13).
		{"tina", "/meal/studio", "#coverage"},
		{"tina", "/meal/studio/lang?lang=bm", "#minimum"},
		{"tina", "/meal/studio/edit?lang=bm&key=home.prompt", "#save"},
		{"root", "/meal/studio/edit?lang=bm&key=language.name", "#upload"},
	}
	for _, width := range []int{1366, 375} {
		b := browser(t, width, 800)
		for _, p := range pages {
			ctx := tab(t, b)
			steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(int64(width), 800)}
			if p.user != "" {
				steps = append(steps, signIn(base, p.user))
			}
			steps = append(steps, chromedp.Navigate(base+p.path), chromedp.WaitVisible(p.ready))
			if err := chromedp.Do(ctx, steps...); err != nil {
				t.Fatalf("%s at %d px: %v", p.path, width, err)
			}
			// Folded parts (the dashboard's table of figures) are
			// checked open.
			open := `document.querySelectorAll('details').forEach(d => d.open = true)`
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](open+";"+axe)); err != nil {
				t.Fatalf("load axe-core: %v", err)
			}
			found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](axeRun, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("axe.run on %s: %v", p.path, err)
			}
			// Header cells say what they head (html-validate's rule;
			// axe does not require it).
			loose, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('th:not([scope])').length`))
			if err != nil {
				t.Fatal(err)
			}
			if loose > 0 {
				found = append(found, fmt.Sprintf("th-scope: %d header cell(s) without scope", loose))
			}
			if len(found) > 0 {
				t.Errorf("%s at %d px (%s): %d axe-core violation(s):\n  %s", p.path, width, p.user, len(found), strings.Join(found, "\n  "))
			}
		}
	}
}
