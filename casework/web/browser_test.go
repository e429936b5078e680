package web_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/simulator"
)

// chromium finds the browser: $CHROMIUM, /usr/bin/chromium or one on the
// PATH. Under CI=true a missing browser fails the test instead of
// skipping it (.ci/run installs one).
func chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (set CHROMIUM or install chromium): browser tests are required under CI")
	}
	t.Skip("no Chromium found; set CHROMIUM to run the browser tests")
	return ""
}

// serve runs the env's app on a free port and returns its base URL.
func (e *env) serve(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() { _ = e.app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// browser starts one headless Chromium for a whole test; each subtest
// opens its own tab in a separate browser context (its own cookies).
func browser(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

func tab(t testing.TB, b context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	return ctx
}

func signIn(base, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/meal/login"),
		chromedp.WaitVisible(`input[name=name]`),
		chromedp.SendKeys(`input[name=name]`, name),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`header nav`),
	)
}

func status(ctx context.Context, url string) (int, error) {
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	if err != nil {
		return 0, err
	}
	if resp == nil {
		return 0, errors.New("no response")
	}
	return int(resp.Status), nil
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestBrowser(t *testing.T) {
	e := newEnv(t)
	base := e.serve(t)
	b := browser(t, 1366, 768)
	ctx0 := context.Background()

	// Example-range number: the caller who will dial back over USSD.
	const phone = "+22376000061"
	caller := e.keyring.Key(phone, "ML")
	hostile := `<script>window.pwned=1</script><img src=x onerror="window.pwned=2"><b id="injected">bold</b> & "quotes"`
	mine := e.submit(t, caller, "exclusion", "ML05", "ML0501", hostile)
	e.submit(t, caller, "distribution", "ML05", "ML0502", "earlier report")
	north := e.submit(t, "k1:other", "distribution", "ML06", "unknown", "")

	t.Run("OfficerAnswersAndCallerHearsIt", func(t *testing.T) {
		ctx := tab(t, b)
		str := must[string](t)
		ref := casework.FormatReference(mine.Case.Reference)
		// Awa works in French (headless Chromium asks for English).
		if err := chromedp.Do(ctx, signIn(base, "awa"), chromedp.Navigate(base+"/meal/lang?l=fr&next=/meal/queue"), chromedp.WaitVisible(`table.queue`)); err != nil {
			t.Fatal(err)
		}
		queue := str(chromedp.Run(ctx, chromedp.Text(`table.queue`)))
		if !strings.Contains(queue, ref) || strings.Contains(queue, casework.FormatReference(north.Case.Reference)) {
			t.Fatalf("queue shows %q; want %s and not team B's case", queue, ref)
		}
		// The interface is in French: so are the codebook's names.
		if !strings.Contains(queue, "Exclusion de l'aide") || strings.Contains(queue, "Left out of assistance") {
			t.Errorf("the French queue names the category %q; want the codebook's French name", queue)
		}
		if err := chromedp.Do(ctx, chromedp.Click(`a[href="/meal/cases/`+mine.Case.ID+`"]`), chromedp.WaitVisible(`#detail`)); err != nil {
			t.Fatal(err)
		}
		detail := str(chromedp.Run(ctx, chromedp.Text(`#detail`)))
		if page := str(chromedp.Run(ctx, chromedp.Text(`main`))); !strings.Contains(page, "Exclusion de l'aide") || strings.Contains(page, "Left out of assistance") {
			t.Errorf("the French case page does not name the category in French:\n%s", page)
		}
		others := str(chromedp.Run(ctx, chromedp.Text(`.others`)))
		injected := must[[]string](t)(chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#injected, #detail img, #detail script')).map(e => e.tagName)`)))
		pwned := must[bool](t)(chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pwned !== undefined`)))
		if !strings.Contains(detail, "<script>window.pwned=1</script>") || len(injected) != 0 || pwned {
			t.Errorf("hostile text not inert: text %q, injected elements %v, script ran %v", detail, injected, pwned)
		}
		if !strings.Contains(others, "1") {
			t.Errorf("other reports: %q, want 1", others)
		}
		err := chromedp.Do(ctx,
			chromedp.Click(`#assign`), // to me, preselected
			chromedp.WaitVisible(`#status`),
			chromedp.Click(`#status`), // in progress
			chromedp.WaitVisible(`#respond`),
			chromedp.SetValue(`select[name=template]`, "resolved"),
		)
		if err != nil {
			t.Fatal(err)
		}
		// The template is a plain GET form: wait for the new page.
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`#use-template`)); err != nil {
			t.Fatal(err)
		}
		draft := str(chromedp.Run(ctx, chromedp.Value(`#response`)))
		if !strings.Contains(draft, ref) {
			t.Fatalf("template draft %q does not name the reference", draft)
		}
		checkAnswerCounter(t, ctx)
		answer := draft + " Nous passerons au village jeudi, avec le comité de plaintes et l'équipe de suivi, pour vérifier la liste des ménages avec vous."
		if err := chromedp.Do(ctx, chromedp.SetValue(`#response`, answer), chromedp.Click(`#respond`), chromedp.WaitVisible(`.flash`)); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.FollowUp(ctx0, []string{caller}, mine.Case.Reference, mine.PIN)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != casework.PublicAnswered || a.Response != answer || a.Language != "fr" {
			t.Errorf("the caller hears %+v; want the answer written in the browser", a)
		}

		// The caller dials back over USSD: French, follow my complaint,
		// the reference, the PIN. The screen shows the status and the answer (its
		// start, when the answer is longer than a USSD screen).
		s := simulator.USSD{URL: base + "/c/demo-at/ussd", Phone: phone}.NewSession()
		var scr simulator.Screen
		for _, in := range []string{"", "2", "2", mine.Case.Reference, mine.PIN} {
			if scr, err = s.Send(ctx0, in); err != nil {
				t.Fatal(err)
			}
		}
		all := ussdPages(t, ctx0, s, scr) // a longer answer than one screen is paged (9), never cut
		if !strings.Contains(all, ref) || !strings.Contains(all, "réponse donnée") || !strings.Contains(all, "avec vous.") ||
			!strings.Contains(all, "Réponse 2/") || strings.Contains(all, "...") {
			t.Errorf("USSD follow-up shows %q; want the status and the whole answer %q", all, answer)
		}
	})

	t.Run("OtherTeamsCaseIs404", func(t *testing.T) {
		ctx := tab(t, b)
		if err := chromedp.Do(ctx, signIn(base, "awa")); err != nil {
			t.Fatal(err)
		}
		code, err := status(ctx, base+"/meal/cases/"+north.Case.ID)
		if err != nil || code != 404 {
			t.Errorf("team B's case: status %d, %v; want 404", code, err)
		}
	})

	t.Run("PostWithoutCSRFIsRefused", func(t *testing.T) {
		ctx := tab(t, b)
		if err := chromedp.Do(ctx, signIn(base, "awa"), chromedp.Navigate(base+"/meal/cases/"+mine.Case.ID), chromedp.WaitVisible(`#note`)); err != nil {
			t.Fatal(err)
		}
		// Strip the token from the real form and send it: the session
		// cookie goes along, the token does not. (The CSP's default-src
		// 'none' already stops a script from posting with fetch.)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action$="/note"] input[name=_csrf]').remove()`)); err != nil {
			t.Fatal(err)
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.SendKeys(`#note`, "forged"), chromedp.Click(`#add-note`))
		if err != nil || resp == nil || resp.Status != 403 {
			t.Errorf("POST without the token: %+v, %v; want 403", resp, err)
		}
		v, err := e.svc.View(ctx0, casework.Actor{ID: "awa", Team: "meal-mopti"}, mine.Case.ID)
		if err != nil || len(v.Notes) != 0 {
			t.Errorf("a forged note was stored: %+v %v", v.Notes, err)
		}
	})

	t.Run("ViewerCannotOpenACase", func(t *testing.T) {
		ctx := tab(t, b)
		if err := chromedp.Do(ctx, signIn(base, "vera"), chromedp.WaitVisible(`svg.chart`)); err != nil {
			t.Fatal(err)
		}
		code, err := status(ctx, base+"/meal/cases/"+mine.Case.ID)
		if err != nil || code != 403 {
			t.Errorf("viewer on a case page: status %d, %v; want 403", code, err)
		}
		if text := must[string](t)(chromedp.Run(ctx, chromedp.Text(`main`))); strings.Contains(text, "pwned") {
			t.Errorf("viewer sees the case text: %q", text)
		}
	})

	t.Run("PhoneWidth", func(t *testing.T) {
		ctx := tab(t, b)
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(375, 740),
			signIn(base, "awa"),
			chromedp.Navigate(base+"/meal/cases/"+mine.Case.ID),
			chromedp.WaitVisible(`#detail`),
		)
		if err != nil {
			t.Fatal(err)
		}
		if must[bool](t)(chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))) {
			t.Error("the case page scrolls sideways on a 375 px phone")
		}
	})
}

// checkAnswerCounter types into the answer form and reads its live
// counter (static/answer.js, allowed by the CSP): one USSD screen's room
// and the SMS segments.
func checkAnswerCounter(t *testing.T, ctx context.Context) {
	t.Helper()
	str := must[string](t)
	if got := str(chromedp.Run(ctx, chromedp.Text(`#response-count`))); !strings.Contains(got, "Écran USSD") {
		t.Errorf("no counter on load: %q", got)
	}
	counter := func(text string) string {
		t.Helper()
		// SetValue fires no input event: the last letter is typed.
		if err := chromedp.Do(ctx, chromedp.SetValue(`#response`, text[:len(text)-1]), chromedp.SendKeys(`#response`, text[len(text)-1:])); err != nil {
			t.Fatal(err)
		}
		return str(chromedp.Run(ctx, chromedp.Text(`#response-count`)))
	}
	short, long := counter("Nous passons jeudi."), counter(strings.Repeat("Nous passons jeudi. ", 12))
	if !strings.Contains(short, "caractères restants") || !strings.Contains(short, "SMS : 1 segment(s) en GSM-7") {
		t.Errorf("counter of a short answer: %q", short)
	}
	if !strings.Contains(long, "caractères de trop") || !strings.Contains(long, "paginée") || !strings.Contains(long, "SMS : 2 segment(s) en GSM-7") {
		t.Errorf("counter of a long answer: %q", long)
	}
	if bm := counter("An bɛ na sɔgɔma."); !strings.Contains(bm, "UCS-2") {
		t.Errorf("counter of a Bambara answer: %q", bm)
	}
}

// ussdPages reads a follow-up answer over USSD to its last page (9 turns
// the page) and returns every screen's text.
func ussdPages(t *testing.T, ctx context.Context, s *simulator.Session, scr simulator.Screen) string {
	t.Helper()
	all := scr.Text
	for pages := 0; !scr.End && pages < 10; pages++ {
		if _, more := scr.Key("Suivant"); !more {
			break
		}
		var err error
		if scr, err = s.Send(ctx, "9"); err != nil {
			t.Fatal(err)
		}
		all += "\n" + scr.Text
	}
	return all
}
