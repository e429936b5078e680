package web

import (
	"crypto/subtle"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
)

const (
	sessionCookie = "nv_session"
	loginCookie   = "nv_login" // double-submit token of the login form
	langCookie    = "nv_lang"
	csrfField     = "_csrf"
)

// session is a signed-in browser. Sessions live in memory: a restart signs
// everyone out, which is safe and cheap for a handful of officers.
type session struct {
	user    string
	csrf    string
	created time.Time
	last    time.Time
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session // by HashToken(cookie value): a memory dump holds no usable cookie
}

func newSessions() *sessions { return &sessions{m: map[string]*session{}} }

func (s *sessions) create(user string, now time.Time) (token string, sess session) {
	token = casework.NewSecret(32)
	sess = session{user: user, csrf: casework.NewSecret(32), created: now, last: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m { // drop expired ones while we hold the lock
		if expired(v, now) {
			delete(s.m, k)
		}
	}
	s.m[casework.HashToken(token)] = &sess
	return token, sess
}

func expired(s *session, now time.Time) bool {
	return now.Sub(s.last) > IdleTimeout || now.Sub(s.created) > MaxSession
}

// touch returns the live session for token and marks it used now.
func (s *sessions) touch(token string, now time.Time) (session, bool) {
	if token == "" {
		return session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := casework.HashToken(token)
	v, ok := s.m[k]
	if !ok {
		return session{}, false
	}
	if expired(v, now) {
		delete(s.m, k)
		return session{}, false
	}
	v.last = now
	return *v, true
}

func (s *sessions) end(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, casework.HashToken(token))
}

// limiter counts failed logins per subject in a sliding window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	seen   map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, seen: map[string][]time.Time{}}
}

func (l *limiter) recent(subject string, now time.Time) []time.Time {
	ts := l.seen[subject]
	for len(ts) > 0 && now.Sub(ts[0]) >= l.window {
		ts = ts[1:]
	}
	if len(ts) == 0 {
		delete(l.seen, subject)
	} else {
		l.seen[subject] = ts
	}
	return ts
}

func (l *limiter) blocked(now time.Time, subjects ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range subjects {
		if len(l.recent(s, now)) >= l.max {
			return true
		}
	}
	return false
}

func (l *limiter) fail(now time.Time, subjects ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range subjects {
		l.seen[s] = append(l.recent(s, now), now)
	}
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
		sess, ok := w.sessions.touch(c.Cookies(sessionCookie), now)
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
			w.sessions.end(c.Cookies(sessionCookie))
			return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/login")
		}
		if err != nil {
			return err
		}
		if c.Method() == fiber.MethodPost {
			got := c.FormValue(csrfField)
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
	got := c.FormValue(csrfField)
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errForbidden
	}
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	password := c.FormValue("password")
	ip, _ := w.peer(c)
	subjects := []string{"user:" + name, "ip:" + ip.String()}
	fail := func(code int, key string) error {
		p := w.newPage(c, "login")
		p.CSRF = want
		p.Error = p.L[key]
		p.Data = name
		c.Status(code)
		return w.render(c, "login", p)
	}
	if w.logins.blocked(now, subjects...) {
		w.log.Warn("web: login refused, too many attempts")
		return fail(fiber.StatusTooManyRequests, "login_too_many")
	}
	rctx, cancel := ctx(c)
	defer cancel()
	u, err := w.users.User(rctx, name)
	if err != nil && !errors.Is(err, casework.ErrNoUser) {
		return err
	}
	hash := u.PasswordHash
	if err != nil || u.Disabled {
		hash = w.dummy // same work whether or not the user exists
	}
	if !casework.CheckPassword(hash, password) || err != nil || u.Disabled {
		w.logins.fail(now, subjects...)
		w.log.Info("web: login failed")
		return fail(fiber.StatusUnauthorized, "login_failed")
	}
	token, _ := w.sessions.create(u.Name, now)
	w.setCookie(c, sessionCookie, token, Prefix+"/", 0)
	w.clearCookie(c, loginCookie, Prefix+"/login")
	w.log.Info("web: signed in", "user", u.Name, "role", string(u.Role))
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/")
}

func (w *Web) logout(c fiber.Ctx) error {
	u, _ := current(c)
	w.sessions.end(c.Cookies(sessionCookie))
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
