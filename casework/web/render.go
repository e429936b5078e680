package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/helmet"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/gofiber/fiber/v3/middleware/requestid"

	"github.com/numerovert/hotline/casework"
)

// csp allows only our own stylesheet, images and scripts (static/*.js,
// embedded: the answer form's live counter): no inline script or style,
// no frames, forms only to us.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// hstsMaxAge is a year: once a browser has seen the web view over TLS it
// never tries plain HTTP for it again.
const hstsMaxAge = 365 * 24 * 3600

// helmetHeaders are Fiber's helmet with our policy: no script at all, no
// frames, no referrer.
var helmetHeaders = helmet.New(helmet.Config{
	ContentSecurityPolicy:     csp,
	XFrameOptions:             "DENY",
	ReferrerPolicy:            "no-referrer",
	CrossOriginEmbedderPolicy: "require-corp",
	CrossOriginOpenerPolicy:   "same-origin",
	CrossOriginResourcePolicy: "same-origin",
	PermissionPolicy:          "camera=(), microphone=(), geolocation=()",
})

// headers sets the security headers on every response of the web view:
// helmet's, then HSTS, which helmet (Fiber v3.1.0) never sends: it
// compares c.Protocol(), "HTTP/1.1", with "https". We send it when the
// request came over TLS, directly or through a trusted proxy (secure).
func (w *Web) headers(c fiber.Ctx) error {
	if w.secure(c) {
		c.Set(fiber.HeaderStrictTransportSecurity, fmt.Sprintf("max-age=%d; includeSubDomains", hstsMaxAge))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return helmetHeaders(c)
}

// requestID gives every request a fresh X-Request-ID (Fiber's requestid),
// never the one the client sent: the id is what the 500 page's log line
// is found by.
func requestID() fiber.Handler {
	rid := requestid.New()
	return func(c fiber.Ctx) error {
		c.Request().Header.Del(fiber.HeaderXRequestID)
		return rid(c)
	}
}

// panicked marks a request whose handler panicked (Locals key).
const panicked = "web.panicked"

// recovered turns a panic into an error (Fiber's recover), marking the
// request so that errors logs the route only: the panic value may hold
// anything from the request. (Fiber's own stack trace handler would print
// the value to stderr; the error it returns carries it too.)
var recovered = recover.New(recover.Config{
	EnableStackTrace:  true,
	StackTraceHandler: func(c fiber.Ctx, _ any) { c.Locals(panicked, true) },
})

// httpError is an answer other than the page asked for.
type httpError struct {
	code int
	key  string // message key
}

func (e *httpError) Error() string { return fmt.Sprintf("web: %d %s", e.code, e.key) }

var (
	errNotFound   = &httpError{fiber.StatusNotFound, "not_found"}
	errForbidden  = &httpError{fiber.StatusForbidden, "forbidden"}
	errBadRequest = &httpError{fiber.StatusBadRequest, "bad_request"}
)

// errors renders what handlers return as a page in the user's language.
// Internal errors are logged (they carry no caller data: casework's errors
// name fields and ids, never values) and shown as a plain 500.
func (w *Web) errors(c fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	var he *httpError
	var fe *fiber.Error
	switch {
	case errors.As(err, &he):
	case errors.As(err, &fe) && fe.Code == fiber.StatusNotFound:
		he = errNotFound
	case errors.As(err, &fe) && fe.Code < 500:
		he = &httpError{fe.Code, "bad_request"}
	case c.Locals(panicked) != nil:
		w.log.Error("web: handler panicked", "route", c.Route().Path, "request_id", requestid.FromContext(c))
		he = &httpError{fiber.StatusInternalServerError, "internal"}
	default:
		w.log.Error("web: request failed", "route", c.Route().Path, "request_id", requestid.FromContext(c), "err", err)
		he = &httpError{fiber.StatusInternalServerError, "internal"}
	}
	p := w.newPage(c, "error")
	p.Title = p.L[he.key]
	c.Status(he.code)
	return w.render(c, "error", p)
}

func (w *Web) static(c fiber.Ctx) error {
	name := path.Clean("static/" + c.Params("*"))
	if !strings.HasPrefix(name, "static/") {
		return errNotFound
	}
	data, err := fs.ReadFile(staticFS, name)
	if err != nil {
		return errNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	c.Set(fiber.HeaderContentType, mime.TypeByExtension(path.Ext(name)))
	return c.Send(data)
}

// page is what every template receives.
type page struct {
	Name  string
	Title string
	Lang  string
	L     map[string]string
	User  casework.User
	CSRF  string
	Path  string
	Flash string
	Error string
	Data  any
}

func (w *Web) newPage(c fiber.Ctx, name string) *page {
	lang := pickLang(c)
	u, s := current(c)
	p := &page{Name: name, Lang: lang, L: messages[lang], User: u, CSRF: s.csrf, Path: c.Path()}
	p.Title = p.L["title_"+name]
	if k := c.Query("ok"); k != "" {
		p.Flash = p.L["ok_"+k]
	}
	if k := c.Query("err"); k != "" {
		p.Error = p.L["err_"+k]
	}
	return p
}

func (w *Web) render(c fiber.Ctx, name string, p *page) error {
	t, ok := w.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %s", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

func pickLang(c fiber.Ctx) string {
	if l := c.Cookies(langCookie); messages[l] != nil {
		return l
	}
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderAcceptLanguage)), "en") {
		return "en"
	}
	return "fr"
}

// setLang switches the interface language and goes back where the user was.
func (w *Web) setLang(c fiber.Ctx) error {
	l := c.Query("l")
	if messages[l] == nil {
		return errBadRequest
	}
	w.setCookie(c, langCookie, l, Prefix+"/", 365*24*3600)
	next := c.Query("next")
	if !strings.HasPrefix(next, Prefix+"/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		next = Prefix + "/"
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(next)
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"day":  func(t time.Time) string { return t.UTC().Format("02/01") },
	"ref":  casework.FormatReference,
	"dict": dict,
	"hours": func(h float64) string {
		if h >= 48 {
			return fmt.Sprintf("%.1f d", h/24)
		}
		return fmt.Sprintf("%.1f h", h)
	},
	"status": func(l map[string]string, s casework.Status) string {
		if v := l["status_"+string(s)]; v != "" {
			return v
		}
		return string(s)
	},
	"msg": func(l map[string]string, prefix, key string) string {
		if v := l[prefix+key]; v != "" {
			return v
		}
		return key
	},
}
