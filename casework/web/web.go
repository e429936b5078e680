// Package web is the MEAL web view: the pages where MEAL officers and PSEA
// focal points triage, investigate and answer cases, where staff take in a
// complaint received in person, and where coordination bodies read
// aggregates with small counts suppressed.
//
// Pages are rendered on the server with html/template; the stylesheet is
// embedded in the binary (field offices have poor links: no CDN, no font,
// no script at all). Every decision about cases (who may see or change
// what, audit, aggregates and their suppression) is casework.Service's;
// this package adds staff accounts, sessions, CSRF protection and the
// role gates (viewers see aggregates only, SEA only the psea role).
//
// It knows nothing of providers, never shows a phone number and asks for
// none but an officer's own, for call-backs, which it hands to be sealed at
// once (callback.go); it must never log a caller key, free text, a
// password or a session token.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v3"
	fsession "github.com/gofiber/fiber/v3/middleware/session"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/internal/webstore"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/overlay"
)

// Prefix is where the web view is mounted.
const Prefix = "/meal"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Defaults.
const (
	// IdleTimeout ends a session nobody used for this long.
	IdleTimeout = 30 * time.Minute
	// MaxSession ends any session after a working day.
	MaxSession = 12 * time.Hour
	// LoginAttempts sign-ins per user name from one client address, and
	// AddressAttempts per address whatever the name, may fail in each
	// LoginWindow; a successful one is not counted.
	LoginAttempts   = 5
	AddressAttempts = 30
	LoginWindow     = 15 * time.Minute
	// GlobalFailures failed sign-ins from anywhere in a LoginWindow start
	// the slow-down (Options.LoginSlowDown before every password check).
	GlobalFailures = 50
	// MaxVerifications password checks run at once. One argon2id check
	// takes 19 MiB; with two at a time the heap, GC headroom included,
	// grows about twice as fast under a flood (docs/architecture.md).
	MaxVerifications = 1
)

// Options wires the web view.
type Options struct {
	Cases *casework.Service
	Users casework.UserStore
	// Catalog is the callers' catalogue: the places (locales/places.csv),
	// the languages, each named in itself, and the officers' answer
	// templates in each language. The web view keeps no copy of its own.
	Catalog *menus.Catalog
	Logger  *slog.Logger
	// TrustedProxies are the addresses of TLS-terminating proxies whose
	// X-Forwarded-Proto and X-Forwarded-For headers are believed. Session
	// cookies are Secure when the request came over TLS, directly or
	// through one of them.
	TrustedProxies []netip.Prefix
	// Sessions stores signed-in sessions (a webstore.Bolt file, or
	// gofiber/storage/redis for replicas); default in memory, so a
	// restart signs everyone out. Keys reach it hashed, after
	// SessionPrefix.
	Sessions      fiber.Storage
	SessionPrefix string
	// Now is the clock (tests pass a fake one); default time.Now.
	Now func() time.Time
	// LoginSlowDown is waited before each password check while sign-ins
	// fail everywhere (GlobalFailures); default 1 s, negative for none.
	LoginSlowDown time.Duration
	// CallBacks places masked call-backs (callback.go); nil: none.
	CallBacks CallBacker
	// Studio is the language studio's overlay (studio.go); nil: no
	// /meal/studio.
	Studio *overlay.Store
}

// Web is the MEAL web view. Its configuration is the case service's
// (Service.Config), so a reload reaches both at once.
type Web struct {
	cases      *casework.Service
	catalog    *menus.Catalog
	users      casework.UserStore
	places     map[string]Place
	regions    []Place
	cercles    map[string][]Place // by region
	localities []Place            // communes or sites (config localities)
	log        *slog.Logger
	proxies    []netip.Prefix
	now        func() time.Time
	pages      map[string]*template.Template
	sessions   *fsession.Store
	logins     *casework.Attempts // per name+address
	addresses  *casework.Attempts // per address, whatever the name
	failures   *casework.Attempts // every failed sign-in, for the slow-down
	dummy      string             // a password hash to verify against for unknown users
	calls      CallBacker
	studio     *overlay.Store

	slowDown      time.Duration
	verifySlots   chan struct{}
	verifications atomic.Int64
}

// New builds the web view; Mount adds its routes to an app.
func New(o Options) (*Web, error) {
	if o.Cases == nil || o.Users == nil || o.Catalog == nil {
		return nil, errors.New("web: needs the case service, a user store and the callers' catalogue")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	w := &Web{
		cases: o.Cases, users: o.Users, catalog: o.Catalog, log: o.Logger, proxies: o.TrustedProxies, now: o.Now, calls: o.CallBacks, studio: o.Studio,
		places: map[string]Place{}, cercles: map[string][]Place{},
		logins:    casework.NewAttempts(LoginAttempts, LoginWindow),
		addresses: casework.NewAttempts(AddressAttempts, LoginWindow),
		failures:  casework.NewAttempts(math.MaxInt, LoginWindow),
		slowDown:  o.LoginSlowDown, verifySlots: make(chan struct{}, MaxVerifications),
	}
	if o.Sessions == nil {
		o.Sessions = webstore.NewMemory()
	}
	w.sessions = newSessionStore(webstore.Hashed{Inner: o.Sessions, Prefix: o.SessionPrefix})
	if w.slowDown == 0 {
		w.slowDown = time.Second
	}
	for _, p := range o.Catalog.Places() {
		w.places[p.Code] = p
		switch p.Level {
		case 1:
			w.regions = append(w.regions, p)
		case 2:
			w.cercles[p.Parent] = append(w.cercles[p.Parent], p)
		case 3:
			w.localities = append(w.localities, p)
		}
	}
	var err error
	if w.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if w.dummy, err = casework.HashPassword("not a password, only for timing"); err != nil {
		return nil, err
	}
	return w, nil
}

func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// Mount adds the web view's routes under Prefix.
func (w *Web) Mount(app *fiber.App) {
	g := app.Group(Prefix, requestID(), w.headers, w.errors, recovered)
	g.Get("/static/*", w.static)
	g.Get("/login", w.loginPage)
	g.Post("/login", w.login)
	g.Get("/lang", w.setLang)
	g.Get("/api/v1/report", w.apiReport)

	// Everything else needs a signed-in user of the right role, and a
	// CSRF token on every POST (need checks both).
	g.Get("/", w.need(anyone, w.home))
	g.Post("/logout", w.need(anyone, w.logout))
	g.Get("/queue", w.need(caseworker, w.queue))
	g.Get("/cases/:id", w.need(caseworker, w.casePage))
	g.Get("/cases/:id/recording", w.need(caseworker, w.recording))
	g.Post("/cases/:id/:action", w.need(caseworker, w.caseAction))
	w.mountProfile(g)
	w.mountRoster(g)
	g.Get("/intake", w.need(caseworker, w.intakePage))
	g.Post("/intake", w.need(caseworker, w.intake))
	g.Get("/dashboard", w.need(anyone, w.dashboard))
	g.Get("/export/aggregate.csv", w.need(anyone, w.exportAggregate(false)))
	g.Get("/export/hxl.csv", w.need(anyone, w.exportAggregate(true)))
	g.Get("/export/cases.csv", w.need(supervisor, w.exportCases))
	g.Get("/admin", w.need(admin, w.adminPage))
	g.Post("/admin/users", w.need(admin, w.adminCreate))
	g.Post("/admin/users/:name/:action", w.need(admin, w.adminUser))
	g.Post("/admin/tokens/revoke", w.need(admin, w.adminRevoke))
	w.mountInfo(g)   // the information line (info.go)
	w.mountStudio(g) // the language studio (studio.go)
}

func (w *Web) time() time.Time { return w.now().UTC() }

// ctx gives each request's I/O a deadline well inside the server's write
// timeout.
func ctx(c fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Context(), 8*time.Second)
}
