package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/extractors"
	fsession "github.com/gofiber/fiber/v3/middleware/session"

	"github.com/numerovert/hotline/casework"
)

const (
	sessionCookie = "nv_session"
	loginCookie   = "nv_login" // double-submit token of the login form
	langCookie    = "nv_lang"
	csrfField     = "_csrf"
)

// session is a signed-in browser. Sessions are kept by Fiber's session
// store over Options.Sessions (a bbolt file or Redis), so a restart or
// another replica keeps everyone signed in; the store sees only hashed ids
// (webstore.Hashed). Expiry is decided here, on the web view's clock.
type session struct {
	user    string
	csrf    string
	created time.Time
	last    time.Time
}

// Keys of a session's data.
const (
	keyUser    = "u"
	keyCSRF    = "c"
	keyCreated = "t0"
	keyLast    = "t1"
)

// touchEvery is how stale "last used" may be before a request writes it:
// a session is saved at most once a minute, not on every page.
const touchEvery = time.Minute

func expired(s session, now time.Time) bool {
	return now.Sub(s.last) > IdleTimeout || now.Sub(s.created) > MaxSession
}

func newSessionStore(storage fiber.Storage) *fsession.Store {
	return fsession.NewStore(fsession.Config{
		Storage:     storage,
		IdleTimeout: IdleTimeout,
		// The cookie is written by setCookie (Secure per request, behind
		// a trusted proxy too); the store only reads it.
		Extractor: extractors.FromCustom(sessionCookie, func(c fiber.Ctx) (string, error) {
			if v := c.Cookies(sessionCookie); v != "" {
				return v, nil
			}
			return "", extractors.ErrNotFound
		}),
		KeyGenerator: func() string { return casework.NewSecret(32) },
	})
}

// signedIn returns the live session of the request's cookie, touching it
// when it was last used over touchEvery ago.
func (w *Web) signedIn(c fiber.Ctx, now time.Time) (session, bool, error) {
	if c.Cookies(sessionCookie) == "" {
		return session{}, false, nil
	}
	fs, err := w.sessions.Get(c)
	if err != nil {
		return session{}, false, fmt.Errorf("web: load session: %w", err)
	}
	defer fs.Release()
	if fs.Fresh() {
		return session{}, false, nil
	}
	s := session{user: str(fs.Get(keyUser)), csrf: str(fs.Get(keyCSRF)),
		created: unix(fs.Get(keyCreated)), last: unix(fs.Get(keyLast))}
	if s.user == "" || s.csrf == "" || expired(s, now) {
		if err := fs.Destroy(); err != nil {
			return session{}, false, fmt.Errorf("web: end session: %w", err)
		}
		return session{}, false, nil
	}
	if now.Sub(s.last) > touchEvery {
		s.last = now
		fs.Set(keyLast, now.UnixNano())
		if err := fs.Save(); err != nil {
			return session{}, false, fmt.Errorf("web: save session: %w", err)
		}
	}
	return s, true, nil
}

// startSession signs user in: a new session id (any old one is deleted),
// saved before the cookie is set.
func (w *Web) startSession(c fiber.Ctx, user string, now time.Time) error {
	fs, err := w.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("web: load session: %w", err)
	}
	defer fs.Release()
	if !fs.Fresh() {
		if err := fs.Reset(); err != nil {
			return fmt.Errorf("web: renew session: %w", err)
		}
	}
	fs.Set(keyUser, user)
	fs.Set(keyCSRF, casework.NewSecret(32))
	fs.Set(keyCreated, now.UnixNano())
	fs.Set(keyLast, now.UnixNano())
	if err := fs.Save(); err != nil {
		return fmt.Errorf("web: save session: %w", err)
	}
	w.setCookie(c, sessionCookie, fs.ID(), Prefix+"/", 0)
	return nil
}

// endSession deletes the request's session from the store.
func (w *Web) endSession(c fiber.Ctx) error {
	if c.Cookies(sessionCookie) == "" {
		return nil
	}
	fs, err := w.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("web: load session: %w", err)
	}
	defer fs.Release()
	if fs.Fresh() {
		return nil
	}
	if err := fs.Destroy(); err != nil {
		return fmt.Errorf("web: end session: %w", err)
	}
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

func unix(v any) time.Time {
	n, ok := v.(int64)
	if !ok {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// peer is the client's address: the TCP peer, or the address a trusted
// proxy says it forwarded for.
func (w *Web) peer(c fiber.Ctx) (addr netip.Addr, viaTrusted bool) {
	addr, _ = netip.AddrFromSlice(c.RequestCtx().RemoteIP())
	addr = addr.Unmap()
	for _, p := range w.proxies {
		if p.Contains(addr) {
			viaTrusted = true
			break
		}
	}
	if viaTrusted {
		hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
		if a, err := netip.ParseAddr(strings.TrimSpace(hops[len(hops)-1])); err == nil {
			return a.Unmap(), true
		}
	}
	return addr, viaTrusted
}

// secure reports whether the browser reached us over TLS.
func (w *Web) secure(c fiber.Ctx) bool {
	if c.RequestCtx().IsTLS() {
		return true
	}
	_, trusted := w.peer(c)
	return trusted && strings.EqualFold(c.Get(fiber.HeaderXForwardedProto), "https")
}

func (w *Web) setCookie(c fiber.Ctx, name, value, path string, maxAge int) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: w.secure(c),
		SessionOnly: maxAge == 0,
	})
}

func (w *Web) clearCookie(c fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: "", Path: path, MaxAge: -1, Expires: time.Unix(1, 0),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: w.secure(c),
	})
}

// gate says which roles may use a route.
type gate func(casework.Role) bool

func anyone(casework.Role) bool       { return true }
func caseworker(r casework.Role) bool { return r.Casework() }
func supervisor(r casework.Role) bool { return r == casework.RoleSupervisor }

// need signs the user in from the session cookie, checks the role and, on
// every POST, the CSRF token. Locals "user" and "session" carry them on.
func (w *Web) need(allowed gate, next fiber.Handler) fiber.Handler {
	return func(c fiber.Ctx) error {
		now := w.time()
		sess, ok, err := w.signedIn(c, now)
		if err != nil {
			return err
		}
		if !ok {
			if c.Method() == fiber.MethodGet {
				return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/login")
			}
			return errForbidden
		}
		rctx, cancel := ctx(c)
		defer cancel()
		u, err := w.users.User(rctx, sess.user)
		if errors.Is(err, casework.ErrNoUser) || (err == nil && u.Disabled) {
			if err := w.endSession(c); err != nil {
				return err
			}
			return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/login")
		}
		if err != nil {
			return err
		}
		if c.Method() == fiber.MethodPost {
			got := csrfToken(c)
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) != 1 {
				w.log.Warn("web: refused a POST without a valid CSRF token", "route", c.Route().Path, "user", u.Name)
				return errForbidden
			}
		}
		if !allowed(u.Role) {
			return errForbidden
		}
		c.Locals("user", u)
		c.Locals("session", sess)
		return next(c)
	}
}

// csrfHeader carries the CSRF token for a client that sends no form.
const csrfHeader = "X-CSRF-Token"

// csrfToken is the CSRF token from the form body or the X-CSRF-Token
// header, never from the query string: a URL ends up in logs, the
// browser's history and Referer headers (fasthttp's FormValue would read
// the query first).
func csrfToken(c fiber.Ctx) string {
	if h := c.Get(csrfHeader); h != "" {
		return h
	}
	rc := c.RequestCtx()
	if v := rc.PostArgs().Peek(csrfField); len(v) > 0 {
		return string(v)
	}
	if mf, err := rc.MultipartForm(); err == nil && len(mf.Value[csrfField]) > 0 {
		return mf.Value[csrfField][0]
	}
	return ""
}

func current(c fiber.Ctx) (casework.User, session) {
	u, _ := c.Locals("user").(casework.User)
	s, _ := c.Locals("session").(session)
	return u, s
}

func (w *Web) loginPage(c fiber.Ctx) error {
	token := casework.NewSecret(16)
	w.setCookie(c, loginCookie, token, Prefix+"/login", 0)
	p := w.newPage(c, "login")
	p.CSRF = token
	if c.Query("expired") != "" {
		p.Error = p.L["session_expired"]
	}
	return w.render(c, "login", p)
}

func (w *Web) login(c fiber.Ctx) error {
	now := w.time()
	want := c.Cookies(loginCookie)
	got := csrfToken(c)
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errForbidden
	}
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	password := c.FormValue("password")
	ip, _ := w.peer(c)
	// Per name and address, and per address: guessing a name's password
	// from one place does not lock its owner out everywhere else. Every
	// address together only slows down (see verify).
	subjects := []string{name + "|" + ip.String()}
	fail := func(code int, key string) error {
		p := w.newPage(c, "login")
		p.CSRF = want
		p.Error = p.L[key]
		p.Data = name
		c.Status(code)
		return w.render(c, "login", p)
	}
	// Charge the attempt before the password is checked, in one step:
	// parallel guesses cannot all pass the limit before any is counted.
	if !w.logins.Take(now, subjects...) {
		w.log.Warn("web: login refused, too many attempts")
		return fail(fiber.StatusTooManyRequests, "login_too_many")
	}
	if !w.addresses.Take(now, ip.String()) {
		w.logins.Refund(subjects...)
		w.log.Warn("web: login refused, too many attempts")
		return fail(fiber.StatusTooManyRequests, "login_too_many")
	}
	rctx, cancel := ctx(c)
	defer cancel()
	u, err := w.users.User(rctx, name)
	if err != nil && !errors.Is(err, casework.ErrNoUser) {
		w.logins.Refund(subjects...)
		w.addresses.Refund(ip.String())
		return err
	}
	hash := u.PasswordHash
	if err != nil || u.Disabled {
		hash = w.dummy // same work whether or not the user exists
	}
	ok, verr := w.verify(rctx, now, hash, password)
	if verr != nil {
		w.logins.Refund(subjects...) // never checked: the guess cost nothing
		w.addresses.Refund(ip.String())
		w.log.Warn("web: login refused, password checks busy")
		return fail(fiber.StatusTooManyRequests, "login_too_many")
	}
	if !ok || err != nil || u.Disabled {
		w.failures.Take(now, "all")
		w.log.Info("web: login failed")
		return fail(fiber.StatusUnauthorized, "login_failed")
	}
	w.logins.Refund(subjects...)
	w.addresses.Refund(ip.String())
	if err := w.startSession(c, u.Name, now); err != nil {
		return err
	}
	w.clearCookie(c, loginCookie, Prefix+"/login")
	w.log.Info("web: signed in", "user", u.Name, "role", string(u.Role))
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/")
}

// verify checks a password against an argon2id hash, at most
// MaxVerifications at a time: each check takes 19 MiB, so a flood of
// sign-ins queues here instead of growing the process. While many
// sign-ins fail everywhere (GlobalFailures in a LoginWindow), each check
// first waits the slow-down.
func (w *Web) verify(ctx context.Context, now time.Time, hash, password string) (bool, error) {
	if w.failures.Count(now, "all") >= GlobalFailures && w.slowDown > 0 {
		t := time.NewTimer(w.slowDown)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	select {
	case w.verifySlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-w.verifySlots }()
	w.verifications.Add(1)
	return casework.CheckPassword(hash, password), nil
}

// Verifications is how many password checks (argon2id) the web view has
// run since it started.
func (w *Web) Verifications() int64 { return w.verifications.Load() }

func (w *Web) logout(c fiber.Ctx) error {
	u, _ := current(c)
	if err := w.endSession(c); err != nil {
		return err
	}
	w.clearCookie(c, sessionCookie, Prefix+"/")
	w.log.Info("web: signed out", "user", u.Name)
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/login")
}

func (w *Web) home(c fiber.Ctx) error {
	u, _ := current(c)
	if u.Role.Casework() {
		return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/queue")
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/dashboard")
}
