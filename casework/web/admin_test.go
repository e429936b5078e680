package web_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/numerovert/hotline/casework"
)

// TestAdminPageInBrowser: an admin creates an account (password shown
// once) that then signs in, disables it (its open session ends), enables it,
// resets its password and revokes an API token; each step is in the
// accounts' audit trail. Other roles get 403.
func TestAdminPageInBrowser(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "root", casework.RoleAdmin, "")
	ctx := context.Background()
	tok := casework.APIToken{Name: "cluster-dashboard", Hash: casework.HashToken("nv_test"), CreatedAt: time.Now().UTC()}
	if err := e.users.PutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	base := e.serve(t)
	b := browser(t, 1366, 900)
	adm := tab(t, b)
	str := must[string](t)
	do := func(ctx context.Context, a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a...); err != nil {
			t.Fatal(err)
		}
	}
	do(adm,
		signIn(base, "root"),
		chromedp.Navigate(base+"/meal/admin"),
		chromedp.WaitVisible(`#create-user`),
		chromedp.SendKeys(`input[name=name]`, "kadi"),
		chromedp.SetValue(`select[name=role]`, "officer"),
		chromedp.SetValue(`select[name=team]`, "meal-mopti"),
		chromedp.Click(`#create-user`),
		chromedp.WaitVisible(`#new-password`),
	)
	pw1 := str(chromedp.Run(adm, chromedp.Text(`#new-password`)))
	if len(pw1) < casework.MinPasswordLen {
		t.Fatalf("shown password %q", pw1)
	}
	kadi := tab(t, b)
	signInWith := func(pw string) error {
		return chromedp.Do(kadi,
			chromedp.Navigate(base+"/meal/login"),
			chromedp.WaitVisible(`input[name=name]`),
			chromedp.SendKeys(`input[name=name]`, "kadi"),
			chromedp.SendKeys(`input[name=password]`, pw),
			chromedp.Click(`#login`),
			chromedp.WaitVisible(`header nav`),
		)
	}
	if err := signInWith(pw1); err != nil {
		t.Fatalf("the new account cannot sign in: %v", err)
	}
	do(adm,
		chromedp.Click(`#user-kadi form[action$="/disable"] button`),
		chromedp.WaitVisible(`#user-kadi form[action$="/enable"]`),
	)
	// Every button reads against what is behind it (WCAG AA, 4.5:1): the
	// header's white link style once made the list's buttons invisible.
	if low := str(chromedp.Run(adm, chromedp.Evaluate[string](lowContrastButtons))); low != "" {
		t.Errorf("buttons below 4.5:1 contrast on the admin page: %s", low)
	}
	do(kadi, chromedp.Navigate(base+"/meal/queue"), chromedp.WaitVisible(`input[name=name]`))
	url := str(chromedp.Run(kadi, chromedp.Location()))
	if !strings.HasSuffix(url, "/meal/login") {
		t.Fatalf("disabled account still reaches %s", url)
	}
	do(adm,
		chromedp.Click(`#user-kadi form[action$="/enable"] button`),
		chromedp.WaitVisible(`#user-kadi form[action$="/disable"]`),
		chromedp.Click(`#user-kadi form[action$="/reset"] button`),
		chromedp.WaitVisible(`#new-password`),
	)
	pw2 := str(chromedp.Run(adm, chromedp.Text(`#new-password`)))
	do(adm, chromedp.Click(`form[action$="/tokens/revoke"] button`), chromedp.WaitVisible(`p.flash`))
	if pw2 == "" || pw2 == pw1 {
		t.Fatalf("reset showed %q (first %q)", pw2, pw1)
	}
	if err := signInWith(pw2); err != nil {
		t.Fatalf("the reset password does not sign in: %v", err)
	}
	if _, err := e.users.Token(ctx, tok.Hash); !errors.Is(err, casework.ErrNoUser) {
		t.Fatalf("revoked token still there: %v", err)
	}
	events, err := e.users.AdminEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		if ev.Actor != "root" {
			t.Errorf("event %+v: actor is not the admin", ev)
		}
		got = append(got, ev.Action+" "+ev.Target)
	}
	want := []string{"user_created kadi", "user_disabled kadi", "user_enabled kadi", "password_reset kadi", "token_revoked cluster-dashboard"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit trail %v, want %v", got, want)
	}
	do(adm, chromedp.Navigate(base+"/meal/admin"), chromedp.WaitVisible(`#create-user`))
	page := str(chromedp.Run(adm, chromedp.Text(`main`)))
	if strings.Contains(page, pw1) || strings.Contains(page, pw2) {
		t.Fatal("a password is shown again")
	}

	officer := e.login(t, "awa")
	if resp, _ := officer.get("/meal/admin"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("officer on /meal/admin: %d", resp.StatusCode)
	}
}

// lowContrastButtons lists the visible buttons whose text is below 4.5:1
// contrast against the first opaque background behind them.
const lowContrastButtons = `(() => {
  const lum = c => c.match(/[\d.]+/g).slice(0, 3).map(Number).map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const behind = el => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  return Array.from(document.querySelectorAll('button')).filter(b => b.offsetParent !== null).map(b => {
    const a = lum(getComputedStyle(b).color), z = lum(behind(b));
    const ratio = (Math.max(a, z) + 0.05) / (Math.min(a, z) + 0.05);
    return ratio < 4.5 ? JSON.stringify(b.textContent.trim()) + ' ' + ratio.toFixed(2) + ':1' : '';
  }).filter(Boolean).join(', ');
})()`
