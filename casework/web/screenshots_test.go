package web_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/web"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus/overlay"
)

// TestScreenshots writes PNGs of the queue and the dashboard at 1366×768
// into $SCREENSHOTS (make screenshots); without it, it is skipped.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("SCREENSHOTS")
	if dir == "" {
		t.Skip("set SCREENSHOTS=DIR (make screenshots)")
	}
	st, err := overlay.Open(overlay.Options{DataDir: t.TempDir(), Base: locales.FS})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEnv(t, func(o *web.Options) { o.Studio = st })
	e.addUser(t, "tina", casework.RoleTranslator, "")
	seed(t, e)
	base := e.serve(t)
	b := browser(t, 1366, 768)
	for _, shot := range []struct {
		user, path, file string
		full             bool
	}{
		{"awa", "/meal/queue", "queue.png", false}, // what a 1366×768 laptop shows
		{"vera", "/meal/dashboard", "dashboard.png", true},
		{"tina", "/meal/studio/edit?lang=bm&key=home.prompt", "studio.png", true}, // the language studio (issue 13)
	} {
		ctx := tab(t, b)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768), signIn(base, shot.user), chromedp.Navigate(base+shot.path), chromedp.WaitVisible(`main`)); err != nil {
			t.Fatal(err)
		}
		shoot := chromedp.CaptureScreenshot()
		if shot.full {
			shoot = chromedp.FullScreenshot(100) // 100 means PNG
		}
		png, err := chromedp.Run(ctx, shoot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, shot.file), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", shot.file, len(png))
	}
}

// seed fills 12 weeks of made-up cases across teams, some handled.
func seed(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	start := e.clock.Now()
	e.clock.Add(-12 * 7 * 24 * time.Hour)
	officer := casework.Actor{ID: "awa", Team: "meal-mopti"}
	places := [][2]string{{"ML05", "ML0501"}, {"ML05", "ML0503"}, {"ML06", "unknown"}, {"ML07", "unknown"}, {"ML02", "unknown"}}
	cats := []string{"exclusion", "exclusion", "distribution", "distribution", "question", "feedback", "fraud"}
	for i := 0; e.clock.Now().Before(start.Add(-2 * time.Hour)); i++ {
		e.clock.Add(time.Duration(2+rng.IntN(5)) * time.Hour)
		p := places[rng.IntN(len(places))]
		r := e.submit(t, fmt.Sprintf("k1:seed-%d", rng.IntN(150)), cats[rng.IntN(len(cats))], p[0], p[1], "")
		if r.Case.Team != officer.Team || e.clock.Now().After(start.Add(-10*24*time.Hour)) || rng.IntN(4) == 0 {
			continue
		}
		at := e.clock.Now()
		e.clock.Add(time.Duration(rng.IntN(40)) * time.Hour)
		if _, err := e.svc.Assign(ctx, officer, r.Case.ID, "awa"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Start(ctx, officer, r.Case.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Duration(rng.IntN(200)) * time.Hour)
		if _, err := e.svc.Resolve(ctx, officer, r.Case.ID, map[string]string{"fr": "Réponse."}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(at.Sub(e.clock.Now())) // back, so intake keeps its pace
	}
	e.clock.Add(start.Sub(e.clock.Now()))
}
