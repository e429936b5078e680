// Package gateway is the hotline's HTTP front door: the Fiber app that
// aggregators call. It authenticates the channel by its URL token, bounds
// every request, hands the raw number to callerid and forgets it, drives
// the menu engine and submits complaints to casework.
//
// It must never log, store or echo a phone number, a request body or a
// message; access logs carry the route pattern, status and latency only.
// It knows nothing of the menus' internals or the storage layout.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/internal/clientip"
	"github.com/numerovert/hotline/internal/fiberserve"
	"github.com/numerovert/hotline/menus"
)

// SessionStore keeps conversation state between hops.
type SessionStore interface {
	Load(ctx context.Context, key string) ([]byte, bool, error)
	Save(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
}

// sessionBatcher is what a SessionStore may add to save round trips:
// several keys read (nil where absent), or several writes made, at once.
// sessions.Memory and sessions.Redis (MGET, a pipeline) have it; with a
// store that has not, the gateway reads and writes one key at a time.
type sessionBatcher interface {
	LoadAll(ctx context.Context, keys ...string) ([][]byte, error)
	SaveAll(ctx context.Context, ws ...sessions.Write) error
}

// sessionSwapper is what a shared SessionStore may add to save a read:
// the value this process last wrote under a key (no round trip, possibly
// overtaken by another process), and a batch written only if the store
// still holds a value (else nothing is written and the value held is
// returned). sessions.Redis has it.
type sessionSwapper interface {
	Remembered(key string) ([]byte, bool)
	SaveIf(ctx context.Context, expected []byte, ws ...sessions.Write) (*sessions.Current, error)
}

// Submitter stores a confirmed complaint durably and returns its receipt:
// the reference, and the PIN when one was made. casework.Service is one
// (embedded mode); scaleout.Producer is another (queued in Redis for the
// casework node). Check tells /readyz whether submissions can succeed now.
type Submitter interface {
	Submit(ctx context.Context, in casework.Intake) (casework.Receipt, error)
	Check(ctx context.Context) error
}

// ussdProvider is what a provider adapter offers for USSD.
type ussdProvider = provider.USSD

// FollowUpper answers a caller's follow-up: the case with this reference
// whose PIN matches, for one of the caller's keys (casework.Service). It
// must answer an unknown reference, a wrong PIN and a locked-out reference
// alike (casework.ErrNoMatch or ErrTooManyAttempts).
type FollowUpper interface {
	FollowUp(ctx context.Context, callerKeys []string, reference, pin string) (casework.Answer, error)
}

var _ FollowUpper = (*casework.Service)(nil)

// noFollowUp is a gateway replica's without a PIN key: it can check no PIN, so it
// finds nothing, and says so the way a wrong PIN is answered.
type noFollowUp struct{}

func (noFollowUp) FollowUp(context.Context, []string, string, string) (casework.Answer, error) {
	return casework.Answer{}, casework.ErrNoMatch
}

// Options wires a Server.
type Options struct {
	Config *config.Config
	// Providers are the wire formats the channels speak (cmd/hotline's
	// list); a channel whose provider offers no USSD has no USSD route.
	Providers provider.List
	Catalog   *menus.Catalog
	Cases     *casework.Service
	// Submitter takes complaints; Cases when nil (the gateway role gives a
	// queue in Redis instead, and no Cases).
	Submitter Submitter
	// FollowUp answers follow-ups; Cases when nil, and with no Cases
	// either (a gateway replica) every follow-up finds nothing.
	FollowUp FollowUpper
	// Info answers the information line; Cases when nil (a gateway
	// replica reads the casework node's mirror, scaleout.InfoMirror).
	Info InfoSource
	// Preferences remembers each caller's language; nil forgets it (every
	// call starts at the language screen).
	Preferences casework.Preferences
	Sessions    SessionStore
	Keyring     *callerid.Keyring
	Logger      *slog.Logger
	// Timeout bounds each callback's work; aggregators give up after
	// about 10 s, so the default is well under it.
	Timeout time.Duration
	// Limits on callback rates; nil means DefaultLimits.
	Limits *Limits
	// MetricsElsewhere leaves /metrics off the callback app: the caller
	// serves MetricsHandler on a staff listener of its own.
	MetricsElsewhere bool
	// SMS wires /c/{channel}/sms and its delivery reports (sms.go).
	SMS SMSOptions
	// Voice wires /c/{channel}/voice and /audio/ (voice.go).
	Voice VoiceOptions
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when checking a channel's allow_from (--trusted-proxy).
	TrustedProxies clientip.Trusted
	// CallBack seals the numbers of callers who ask for a call-back and
	// places the calls (callback.go).
	CallBack CallBackOptions
}

// Server is the gateway.
type Server struct {
	app      *fiber.App
	cfg      *config.Config
	cases    *casework.Service
	prefs    casework.Preferences
	submit   Submitter
	follow   FollowUpper
	info     InfoSource // nil: no information line here
	sessions SessionStore
	keyring  *callerid.Keyring
	log      *slog.Logger
	timeout  time.Duration
	proxies  clientip.Trusted

	channelLimit, callerLimit *limiter
	metrics                   *metrics
	sms                       SMSOptions

	menus  atomic.Pointer[menuSet] // the catalogue and its engines (catalog.go)
	voice  VoiceOptions
	audio  atomic.Pointer[map[string]bool] // "<lang>/<key>.wav" present in voice.Audio
	studio PromptStudio                    // recordings made by phone (voicestaff.go); nil: none

	providers provider.List

	callback CallBackOptions
	bridges  bridges  // call-backs in flight
	liveLegs liveLegs // live calls bridged to an officer, by channel and call (live.go)

	background sync.WaitGroup // requests that outlive a callback (deleteProviderCopy); Serve waits for them
}

// New builds the gateway's routes.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	limits := DefaultLimits
	if o.Limits != nil {
		limits = *o.Limits
	}
	m := newMetrics(o.Sessions)
	m.watchCases(o.Cases, o.SMS.Outbox)
	s := &Server{
		cfg:       o.Config,
		providers: o.Providers,
		cases:     o.Cases,
		prefs:     o.Preferences,
		submit:    o.Submitter,
		sessions:  o.Sessions,
		keyring:   o.Keyring,
		log:       o.Logger,
		timeout:   o.Timeout,
		proxies:   o.TrustedProxies,

		channelLimit: newLimiter(limits.Channel, 2*len(o.Config.Channels), nil),
		callerLimit:  newLimiter(limits.Caller, limits.MaxCallers, nil),
		metrics:      m,
		callback:     o.CallBack,
	}
	s.SetCatalog(o.Catalog)
	if s.submit == nil && o.Cases != nil {
		s.submit = o.Cases
	}
	s.info = o.Info
	if s.info == nil && o.Cases != nil {
		s.info = o.Cases
	}
	switch {
	case o.FollowUp != nil:
		s.follow = o.FollowUp
	case o.Cases != nil:
		s.follow = o.Cases
	default:
		s.follow = noFollowUp{}
	}
	s.app = fiber.New(fiber.Config{
		AppName:   "numero-vert",
		BodyLimit: 64 << 10,
		// Kannel's get-url carries a whole (concatenated) SMS in the query
		// string: fasthttp's default 4 KB request line would refuse a long
		// UCS-2 message with 431.
		ReadBufferSize: 16 << 10,
		ReadTimeout:    10 * time.Second,
		WriteTimeout:   10 * time.Second,
		IdleTimeout:    60 * time.Second,
		ErrorHandler:   s.handleError,
	})
	s.app.Use(s.accessLog)
	s.app.Get("/healthz", func(c fiber.Ctx) error { return c.SendString("ok") })
	s.app.Get("/readyz", s.ready)
	if !o.MetricsElsewhere {
		s.app.Get("/metrics", s.metrics.handler())
	}
	s.app.Post("/c/:channel/ussd", s.observe, s.handleUSSD)
	s.app.Post("/c/:channel/ussd/events", s.observe, s.handleUSSDEnd)
	s.routeSMS(o.SMS)
	s.routeVoice(o.Voice)
	return s
}

// MetricsHandler serves /metrics, for a staff listener apart from the
// callbacks (Options.MetricsElsewhere).
func (s *Server) MetricsHandler() fiber.Handler { return s.metrics.handler() }

// App exposes the Fiber app, for tests that drive it in memory.
func (s *Server) App() *fiber.App { return s.app }

// Serve answers on ln until ctx ends, then finishes in-flight requests
// (10 s at most).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	err := fiberserve.Serve(ctx, s.app, ln, 10*time.Second)
	s.background.Wait()
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return nil
}

func (s *Server) ready(c fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.Context(), 2*time.Second)
	defer cancel()
	if err := s.submit.Check(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("store not writable")
	}
	return c.SendString("ready")
}

// channel resolves the URL token and checks where the callback comes
// from, before anything of the request is read: an unknown token is a 404,
// indistinguishable from any other missing page; a source outside the
// channel's allow_from is a 403. Every callback route starts here.
func (s *Server) channel(c fiber.Ctx) (config.Channel, error) {
	ch, ok := s.cfg.Channel(c.Params("channel"))
	if !ok {
		return config.Channel{}, fiber.ErrNotFound
	}
	if !ch.AllowsSource(s.source(c)) {
		s.metrics.refused(ch, "source_refused")
		return config.Channel{}, forbidden
	}
	return ch, nil
}

// forbidden is the 403 of a refused source or signature; it says no more.
var forbidden = fiber.NewError(fiber.StatusForbidden, "forbidden")

// source is the address a callback came from: the TCP peer, or when the
// peer is a trusted proxy the last hop it did not add itself
// (clientip.Trusted.Resolve; never Fiber's c.IP(), which returns the first,
// forgeable, entry of X-Forwarded-For).
func (s *Server) source(c fiber.Ctx) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.RequestCtx().RemoteIP())
	var xff []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		xff = append(xff, string(v))
	}
	addr, _ := s.proxies.Resolve(peer, xff...)
	return addr
}

// accessLog records what an operator needs and nothing a caller said: the
// route pattern (never the path, which holds the channel token), status
// and latency.
func (s *Server) accessLog(c fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
	}
	// One line per callback, so built for the handler directly: typed
	// attributes (no boxing into an any) and no caller's PC (the logger
	// walks the stack for it on every record; the text handler prints none).
	ctx := c.Context()
	if h := s.log.Handler(); h.Enabled(ctx, slog.LevelInfo) {
		now := time.Now()
		r := slog.NewRecord(now, slog.LevelInfo, "request", 0)
		r.AddAttrs(
			slog.String("method", c.Method()),
			slog.String("route", c.Route().Path),
			slog.Int("status", status),
			slog.Float64("ms", float64(now.Sub(start).Microseconds())/1000))
		_ = h.Handle(ctx, r)
	}
	return err
}

// handleError answers refused callbacks with a short reason that never
// quotes the request, and hides internal errors behind a 500.
func (s *Server) handleError(c fiber.Ctx, err error) error {
	var bad *turn.BadRequest
	var fe *fiber.Error
	switch {
	case errors.As(err, &bad):
		return c.Status(fiber.StatusBadRequest).SendString(bad.Reason)
	case errors.As(err, &fe):
		return c.Status(fe.Code).SendString(fe.Message)
	default:
		s.log.Error("callback failed", "route", c.Route().Path, "err", err)
		return c.Status(fiber.StatusInternalServerError).SendString("internal error")
	}
}
