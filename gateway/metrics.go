package gateway

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/outbox"
)

// Label values come only from the operator's config (a channel's Name,
// made into a slug, and its provider) or from the fixed sets below: never
// from a request. So no label can carry a number, a caller key, a session
// id, a channel token or anything a caller typed.
const (
	labelChannel  = "channel"
	labelProvider = "provider"
	labelKind     = "kind"
	labelOutcome  = "outcome"
)

// unknownChannel labels callbacks to a token that matches no channel.
const unknownChannel = "unknown"

// metrics are the gateway's Prometheus series, on a registry of its own so
// that several servers (tests) never share counters.
type metrics struct {
	reg         *prometheus.Registry
	hops        *prometheus.CounterVec
	sessions    *prometheus.CounterVec
	submissions *prometheus.CounterVec
	errors      *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	// providerCopies counts voice messages whose copy at the provider we
	// had deleted, or failed to.
	providerCopies *prometheus.CounterVec
}

func newMetrics(sessions SessionStore) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		hops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_hops_total",
			Help: "Callbacks (USSD hops) answered, by channel, provider and outcome (ok, refused, error).",
		}, []string{labelChannel, labelProvider, labelOutcome}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_sessions_started_total",
			Help: "USSD sessions started (first hops admitted; a retried first hop counts again).",
		}, []string{labelChannel, labelProvider}),
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_submissions_total",
			Help: "Complaints durably stored (a replayed confirmation that returns the first case counts again).",
		}, []string{labelChannel, labelProvider}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_errors_total",
			Help: "Refused or failed callbacks and submissions, by kind: bad_request, unknown_channel, source_refused, bad_signature, rate_limited_channel, rate_limited_caller, submit, internal.",
		}, []string{labelChannel, labelProvider, labelKind}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hotline_hop_duration_seconds",
			Help:    "Time to answer one callback, from request read to response written by the handler.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{labelChannel, labelProvider}),
		providerCopies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_recording_provider_copies_total",
			Help: "Voice messages stored here whose copy at the provider was deleted (outcome deleted) or was not (failed: delete it in the provider's console).",
		}, []string{labelChannel, labelProvider, labelOutcome}),
	}
	m.reg.MustRegister(m.hops, m.sessions, m.submissions, m.errors, m.latency, m.providerCopies,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if counter, ok := sessions.(interface{ Len() int }); ok {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hotline_open_sessions",
			Help: "Conversation states held in memory (expired ones until the next sweep).",
		}, func() float64 { return float64(counter.Len()) }))
	}
	return m
}

// watchCases adds the gauges of what waits: cases past a deadline (as of
// the last deadline check) and SMS replies in the outbox. Counts only: no
// label names a case, a team or a caller.
func (m *metrics) watchCases(cases *casework.Service, box outbox.Queue) {
	if cases != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hotline_cases_overdue",
			Help: "Cases past their acknowledge or resolve deadline at the last deadline check (-1 before the first).",
		}, func() float64 {
			n, ok := cases.Overdue()
			if !ok {
				return -1
			}
			return float64(n)
		}))
	}
	if box != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hotline_outbox_depth",
			Help: "SMS replies waiting to be sent or confirmed delivered.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			n, err := box.Len(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

// channelLabels are the label values that name a channel: a slug of its
// configured Name and its provider, never its id (a URL token).
//
// They are computed once per channel (a hop's callback used to slug the
// same three strings up to three times) and remembered: channels are
// fixed for the life of the process (config.CheckReload refuses to change
// them), so the memo holds a handful of entries.
func channelLabels(ch config.Channel) (name, provider string) {
	k := labelKey{ch.Name, ch.ID, ch.Provider}
	if v, ok := labelMemo.Load(k); ok {
		l := v.([2]string)
		return l[0], l[1]
	}
	name, provider = computeLabels(ch)
	labelMemo.Store(k, [2]string{name, provider})
	return name, provider
}

// labelKey is what channelLabels depends on.
type labelKey struct{ name, id, provider string }

var labelMemo sync.Map // labelKey → [2]string

func computeLabels(ch config.Channel) (name, provider string) {
	name = slug(ch.Name)
	if name == "" || (slug(ch.ID) != "" && strings.Contains(name, slug(ch.ID))) {
		name = "unnamed"
	}
	provider = slug(ch.Provider)
	if provider == "" {
		provider = unknownChannel
	}
	return name, provider
}

// slug lowercases s, keeps ASCII letters and runs of at most three digits,
// and turns everything else into single underscores, at most 40 bytes.
// Dropping longer digit runs means that even a careless channel name such
// as "Orange 76000001" cannot put a number in a label.
func slug(s string) string {
	var b strings.Builder
	digits := ""
	flush := func() {
		if len(digits) > 0 && len(digits) <= 3 {
			b.WriteString(digits)
		}
		digits = ""
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= '0' && r <= '9':
			digits += string(r)
			continue
		case r >= 'a' && r <= 'z':
			flush()
			b.WriteRune(r)
		default:
			flush()
			if out := b.String(); out != "" && !strings.HasSuffix(out, "_") {
				b.WriteByte('_')
			}
		}
	}
	flush()
	out := strings.Trim(b.String(), "_")
	if len(out) > 40 {
		out = strings.TrimRight(out[:40], "_")
	}
	return out
}

func (m *metrics) refused(ch config.Channel, kind string) {
	name, provider := channelLabels(ch)
	m.errors.WithLabelValues(name, provider, kind).Inc()
}

func (m *metrics) sessionStarted(ch config.Channel) {
	name, provider := channelLabels(ch)
	m.sessions.WithLabelValues(name, provider).Inc()
}

// observe is the middleware on callback routes: latency, outcome and the
// kind of refusal, labelled by the channel the token resolves to.
func (s *Server) observe(c fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	name, provider := unknownChannel, unknownChannel
	if ch, ok := s.cfg.Channel(c.Params("channel")); ok {
		name, provider = channelLabels(ch)
	}
	status := c.Response().StatusCode()
	var fe *fiber.Error
	var bad *turn.BadRequest
	switch {
	case errors.As(err, &fe):
		status = fe.Code
	case errors.As(err, &bad):
		status = fiber.StatusBadRequest
	case err != nil:
		status = fiber.StatusInternalServerError
	}
	outcome := "ok"
	switch {
	case status == fiber.StatusTooManyRequests, status == fiber.StatusForbidden:
		outcome = "refused" // counted by kind where refused (admit, channel, signatures)
	case status == fiber.StatusNotFound:
		outcome = "refused"
		s.metrics.errors.WithLabelValues(name, provider, "unknown_channel").Inc()
	case status >= 500:
		outcome = "error"
		s.metrics.errors.WithLabelValues(name, provider, "internal").Inc()
	case status >= 400:
		outcome = "refused"
		s.metrics.errors.WithLabelValues(name, provider, "bad_request").Inc()
	}
	s.metrics.hops.WithLabelValues(name, provider, outcome).Inc()
	s.metrics.latency.WithLabelValues(name, provider).Observe(time.Since(start).Seconds())
	return err
}

// submission counts one attempt to store a complaint from ch.
func (m *metrics) submission(ch config.Channel, err error) {
	name, provider := channelLabels(ch)
	if err != nil {
		m.errors.WithLabelValues(name, provider, "submit").Inc()
		return
	}
	m.submissions.WithLabelValues(name, provider).Inc()
}
