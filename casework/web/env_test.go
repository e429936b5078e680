package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/memstore"
	"github.com/numerovert/hotline/casework/web"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/gateway/twilio"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
)

// recordings is an in-memory recordings store for the voice case pages.
type recordings map[string][]byte

func (r recordings) Delete(_ context.Context, id string) error {
	delete(r, id)
	return nil
}

func (r recordings) Get(_ context.Context, id string) ([]byte, error) {
	b, ok := r[id]
	if !ok {
		return nil, casework.ErrNotFound
	}
	return b, nil
}

// clock is a settable clock shared by the service and the web view.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	svc     *casework.Service
	keyring *callerid.Keyring // the gateway's: a phone's caller key, for USSD follow-up
	users   *memstore.Users
	web     *web.Web
	app     *fiber.App
	clock   *clock
	n       int
}

const password = "correct horse battery"

var (
	hashOnce     sync.Once
	passwordHash string
	hashErr      error
)

// newEnv builds the hotline and its web view; opts may change the web
// view's options.
func newEnv(t testing.TB, opts ...func(*web.Options)) *env {
	t.Helper()
	cfg, err := config.Demo()
	if err != nil {
		t.Fatal(err)
	}
	key := func(purpose string) []keystore.Key {
		return []keystore.Key{{Version: "k1", Secret: []byte(strings.Repeat(purpose[:1], keystore.Size))}}
	}
	clk := &clock{t: time.Now().UTC()}
	svc, err := casework.NewService(casework.Options{
		Store: memstore.New(), Config: cfg, PINKeys: key("pin"), SealKeys: key("seal"), Now: clk.Now,
		Recordings: recordings{"rec-1": []byte("RIFF-voice-message")},
	})
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	users := memstore.NewUsers()
	o := web.Options{Cases: svc, Users: users, Catalog: catalog, Now: clk.Now}
	for _, f := range opts {
		f(&o)
	}
	w, err := web.New(o)
	if err != nil {
		t.Fatal(err)
	}
	// The web view is mounted on the gateway's app, as `hotline serve`
	// does, so a test can also call the hotline over USSD.
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	keyring := callerid.New([]byte(strings.Repeat("c", keystore.Size)))
	gw := gateway.New(gateway.Options{
		Providers: provider.List{africastalking.Provider, twilio.Provider},
		Config:    cfg, Catalog: cat, Cases: svc, Sessions: sessions.NewMemory(), Keyring: keyring,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	app := gw.App()
	w.Mount(app)
	e := &env{svc: svc, keyring: keyring, users: users, web: w, app: app, clock: clk}
	e.addUser(t, "awa", casework.RoleOfficer, "meal-mopti")
	e.addUser(t, "moussa", casework.RoleOfficer, "meal-mopti")
	e.addUser(t, "fanta", casework.RoleSupervisor, "meal-mopti")
	e.addUser(t, "ibrahim", casework.RoleOfficer, "meal-north")
	e.addUser(t, "mariam", casework.RolePSEA, "psea-focal")
	e.addUser(t, "vera", casework.RoleViewer, "")
	return e
}

func (e *env) addUser(t testing.TB, name string, role casework.Role, team string) {
	t.Helper()
	// argon2id is slow by design, more so under the race detector: hash
	// the shared test password once.
	hashOnce.Do(func() { passwordHash, hashErr = casework.HashPassword(password) })
	if hashErr != nil {
		t.Fatal(hashErr)
	}
	h := passwordHash
	if err := e.users.PutUser(context.Background(), casework.User{Name: name, Role: role, Team: team, PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
}

// submit files a case as the USSD channel would; region ML05 (Mopti)
// routes exclusion and distribution to meal-mopti, ML06 (Gao) to
// meal-north, sea anywhere to psea-focal.
func (e *env) submit(t testing.TB, callerKey, category, region, cercle, detail string) casework.Receipt {
	t.Helper()
	e.n++
	r, err := e.svc.Submit(context.Background(), casework.Intake{
		IdempotencyKey: fmt.Sprintf("test/%d-%d", e.n, time.Now().UnixNano()), CallerKey: callerKey, Channel: "demo-at", Medium: "ussd",
		Language: "fr", Category: category, Region: region, Cercle: cercle, Assistance: "food", Detail: detail,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// client is a cookie-keeping client of the app in memory.
type client struct {
	t       testing.TB
	e       *env
	cookies map[string]string
	csrf    string
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (e *env) client(t testing.TB) *client {
	return &client{t: t, e: e, cookies: map[string]string{}}
}

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := c.e.app.Test(req, fiber.TestConfig{Timeout: 10 * time.Second})
	if err != nil {
		c.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if m := csrfInput.FindStringSubmatch(string(body)); m != nil {
		c.csrf = m[1]
	}
	return resp, string(body)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	return c.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// post sends a form; the CSRF token of the last page is added unless
// form sets _csrf itself (even to "").
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (e *env) login(t testing.TB, name string) *client {
	t.Helper()
	c := e.client(t)
	c.get("/meal/login")
	resp, _ := c.post("/meal/login", url.Values{"name": {name}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", name, resp.StatusCode)
	}
	home, _ := c.get("/meal/")
	c.get(home.Header.Get("Location")) // picks up the session's CSRF token
	return c
}
