package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/outbox"
)

// SMSAdapter is what a provider adapter offers for SMS
// (africastalking.SMS, twilio.SMS).
type SMSAdapter = provider.SMS

// SMSChannel is one channel's SMS side.
type SMSChannel struct {
	Adapter SMSAdapter
	From    string // our short code or number; empty: the number the caller texted
	// GET: the provider calls with GET, the fields in the query string
	// (provider.SMSKind.GET); such a channel refuses POST, others GET.
	GET bool
}

// SMSOptions wires the SMS routes. Without an Outbox they are not served.
type SMSOptions struct {
	Outbox   outbox.Queue // outbox.Store, or scaleout.Outbox on gateway replicas
	Texts    *SMSTexts
	Channels map[string]SMSChannel // by channel id; a channel not here has no SMS
	// AppendWindow: a caller's SMS within this time of their open case is
	// added to it instead of opening another (default 24 h).
	AppendWindow time.Duration
	// Threads, on a gateway replica (no case store), submits SMS
	// complaints and joins later messages to them (scaleout.SMSThreads);
	// where the cases are it is nil and the case service does both.
	Threads SMSThreads
	// RetryAfterFailure is when a message the provider reported
	// undelivered is tried again (default 1 min).
	RetryAfterFailure time.Duration
	// Subscribers keeps the information line's SMS news subscribers
	// (subscribe.go): the subscriber file, or on a gateway replica the
	// queue of sealed changes to it (scaleout.Subscriptions); nil offers
	// no subscription. Broadcasts are sent where it is a SubscriberList.
	Subscribers Subscriptions
	// BeforeBroadcast, when set, runs before broadcasts read the list.
	BeforeBroadcast func(ctx context.Context) error
	// BroadcastRate bounds the broadcast messages queued per second on
	// each channel (default DefaultBroadcastRate).
	BroadcastRate float64
}

// SMSThreads submits SMS complaints and lets a caller's later message join
// their open case of the last window without a case store: Join returns the
// case (reference and language) it was queued to join, or joined false when
// in must be submitted instead.
type SMSThreads interface {
	Submitter
	Join(ctx context.Context, in casework.Intake, window time.Duration) (c casework.Case, joined bool, err error)
}

// Medium and category of cases opened by SMS.
const (
	MediumSMS       = "sms"
	CategoryUncoded = "uncoded"
)

func (s *Server) routeSMS(o SMSOptions) {
	if o.Outbox == nil {
		return
	}
	if o.AppendWindow == 0 {
		o.AppendWindow = 24 * time.Hour
	}
	if o.RetryAfterFailure == 0 {
		o.RetryAfterFailure = time.Minute
	}
	s.sms = o
	for _, add := range []func(string, any, ...any) fiber.Router{s.app.Post, s.app.Get} {
		add("/c/:channel/sms", s.observe, s.handleSMS)
		add("/c/:channel/sms/status", s.observe, s.handleSMSStatus)
	}
}

// smsCallback is what the adapter parses: the body and its type, or, for
// a provider that calls with GET, the query string as a form-encoded body.
func smsCallback(c fiber.Ctx, sc SMSChannel) (contentType string, body []byte, err error) {
	if (c.Method() == fiber.MethodGet) != sc.GET {
		return "", nil, fiber.ErrMethodNotAllowed
	}
	if sc.GET {
		return fiber.MIMEApplicationForm, c.Request().URI().QueryString(), nil
	}
	return c.Get(fiber.HeaderContentType), c.Body(), nil
}

func (s *Server) smsChannel(c fiber.Ctx) (config.Channel, SMSChannel, error) {
	ch, err := s.channel(c)
	if err != nil {
		return config.Channel{}, SMSChannel{}, err
	}
	sc, ok := s.sms.Channels[ch.ID]
	if !ok {
		return config.Channel{}, SMSChannel{}, fiber.ErrNotFound
	}
	contentType, body, err := smsCallback(c, sc)
	if err != nil {
		return config.Channel{}, SMSChannel{}, err
	}
	if err := s.authenticate(c, ch, sc.Adapter.Authenticate, contentType, body); err != nil {
		return config.Channel{}, SMSChannel{}, err
	}
	return ch, sc, nil
}

func (s *Server) handleSMS(c fiber.Ctx) error {
	ch, sc, err := s.smsChannel(c)
	if err != nil {
		return err
	}
	contentType, body, _ := smsCallback(c, sc) // smsChannel checked the method
	m, err := sc.Adapter.ParseSMS(contentType, body)
	if err != nil {
		return err
	}
	if !callerid.Possible(m.From, ch.Country) {
		// An alphanumeric sender ("MTN") or a short code: nobody to
		// answer, and no caller to key a case by.
		return &turn.BadRequest{Reason: "sender is not a phone number"}
	}
	if err := s.admit(ch, arrival{medium: MediumSMS, phone: m.From}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context(), s.timeout)
	defer cancel()
	seen, err := s.sms.Outbox.Seen(ctx, ch.ID, m.ID)
	if err != nil {
		return fmt.Errorf("sms dedupe: %w", err)
	}
	outcome := "duplicate"
	if !seen {
		var reply, lang string
		if outcome, lang, reply, err = s.smsTurn(ctx, ch, m); err != nil {
			// Nothing was acknowledged: the provider retries, and the
			// case store's idempotency keys make the retry safe.
			return fmt.Errorf("sms %s: %w", outcome, err)
		}
		from := sc.From
		if from == "" {
			from = m.To
		}
		first, err := s.sms.Outbox.Handled(ctx, ch.ID, m.ID, &outbox.Message{
			ID: outbox.ReplyID(ch.ID, m.ID), Channel: ch.ID, To: m.From, From: from, Body: FitSMSIn(s.catalog().Spelling(lang), reply, MaxSMSSegments),
		})
		if err != nil {
			return fmt.Errorf("sms queue reply: %w", err)
		}
		if !first {
			outcome = "duplicate"
		}
	}
	s.log.Info("sms handled", "channel", ch.Name, "outcome", outcome)
	ct, body := sc.Adapter.Ack()
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(body)
}

// smsTurn does what one message asks and returns the reply to send and
// its language:
// a follow-up keyword gets the case's status; free text opens a case, or
// joins the caller's open case of the last AppendWindow.
func (s *Server) smsTurn(ctx context.Context, ch config.Channel, m turn.SMS) (outcome, replyLang, reply string, err error) {
	keys := s.keyring.Keys(m.From, ch.Country)
	callerKey := keys[0]
	text := strings.TrimSpace(m.Text)
	t := s.sms.Texts

	if lang, rest, ok := t.FollowUp(text); ok {
		return "followup", lang, s.smsFollowUp(ctx, t.lang(lang), keys, rest), nil
	}
	if outcome, lang, reply, ok, err := s.smsInfo(ctx, ch, m, callerKey, text); ok {
		return outcome, lang, reply, err
	}
	if outcome, lang, reply, ok, err := s.smsCallBack(ctx, ch, m, callerKey, text); ok {
		return outcome, lang, reply, err
	}

	lang, err := s.smsLanguage(ctx, callerKey, text)
	if err != nil {
		return "case", "", "", err
	}
	if text == "" {
		return "empty", lang, t.lang(lang).Empty, nil
	}

	in := casework.Intake{
		IdempotencyKey: ch.ID + "/sms/" + m.ID,
		CallerKey:      callerKey,
		Channel:        ch.ID,
		Medium:         MediumSMS,
		Language:       lang,
		Category:       CategoryUncoded,
		Detail:         text,
	}
	c, joined, err := s.joinOpenCase(ctx, in)
	if err != nil {
		return "appended", "", "", fmt.Errorf("append to case: %w", err)
	}
	if joined {
		return "appended", c.Language, fill(t.lang(c.Language).Added, map[string]string{"reference": casework.FormatReference(c.Reference)}), nil
	}
	submit := s.submit
	if s.sms.Threads != nil {
		submit = s.sms.Threads
	}
	r, err := submit.Submit(ctx, in)
	s.metrics.submission(ch, err)
	if err != nil {
		return "case", "", "", fmt.Errorf("submit case: %w", err)
	}
	l := t.lang(r.Case.Language)
	vars := map[string]string{"reference": casework.FormatReference(r.Case.Reference), "pin": r.PIN}
	if t.smsProtection(text) {
		tmpl := l.AckReferralPIN
		if r.PIN == "" {
			tmpl = l.AckReferral
		}
		return "case", r.Case.Language, s.smsReferral(tmpl, r.Case.Language, text, vars), nil
	}
	if r.PIN == "" {
		// A retried message: the PIN was given with the first reply and
		// cannot be recovered, and it still works.
		return "case", r.Case.Language, s.withCallBackOffer(ch, r.Case.Language, fill(l.Ack, vars)), nil
	}
	return "case", r.Case.Language, s.withCallBackOffer(ch, r.Case.Language, fill(l.AckPIN, vars)), nil
}

// joinOpenCase adds an SMS to its caller's open case of the last
// AppendWindow: through the case service where the cases are, through
// Threads on a gateway replica.
func (s *Server) joinOpenCase(ctx context.Context, in casework.Intake) (casework.Case, bool, error) {
	switch {
	case s.cases != nil:
		return s.cases.AppendToOpenCase(ctx, in.CallerKey, s.sms.AppendWindow, in.IdempotencyKey, in.Detail)
	case s.sms.Threads != nil:
		return s.sms.Threads.Join(ctx, in, s.sms.AppendWindow)
	}
	return casework.Case{}, false, nil
}

// smsFollowUp answers "SUIVI <reference> [PIN]". Every way of not matching
// gets the same neutral reply, so a reference cannot be probed by SMS.
func (s *Server) smsFollowUp(ctx context.Context, l smsLang, keys []string, rest string) string {
	ref, pin := splitReference(rest)
	ans, outcome := s.followUp(ctx, keys, ref, pin)
	if outcome != menus.LookupFound {
		return l.NotFound
	}
	status, ok := l.Statuses[string(ans.Status)]
	if !ok {
		status = l.Statuses["other"]
	}
	vars := map[string]string{"reference": casework.FormatReference(ans.Reference), "status": status, "response": ans.Response}
	if ans.Response != "" {
		return fill(l.StatusResponse, vars)
	}
	return fill(l.Status, vars)
}

// smsLanguage picks the reply language: the caller's stored preference,
// else the language the text is written in, else French.
func (s *Server) smsLanguage(ctx context.Context, callerKey, text string) (string, error) {
	t := s.sms.Texts
	if s.prefs != nil {
		lang, ok, err := s.prefs.Language(ctx, callerKey)
		if err != nil {
			return "", fmt.Errorf("language preference: %w", err)
		}
		if ok && t.Has(lang) {
			return lang, nil
		}
	}
	if lang, ok := t.Detect(text); ok {
		return lang, nil
	}
	return DefaultSMSLanguage, nil
}

// splitReference reads "1234 5678 [PIN]" or "12345678 [PIN]".
func splitReference(rest string) (ref, pin string) {
	f := strings.Fields(rest)
	switch {
	case len(f) >= 2 && len(f[0]) == 4 && len(f[1]) == 4:
		return f[0] + f[1], strings.Join(f[2:], " ")
	case len(f) >= 1:
		return f[0], strings.Join(f[1:], " ")
	}
	return "", ""
}

func (s *Server) handleSMSStatus(c fiber.Ctx) error {
	ch, sc, err := s.smsChannel(c)
	if err != nil {
		return err
	}
	contentType, body, _ := smsCallback(c, sc) // smsChannel checked the method
	r, err := sc.Adapter.ParseReport(contentType, body)
	if err != nil {
		return err
	}
	if err := s.admit(ch, arrival{medium: MediumSMS}); err != nil {
		return err
	}
	if r.State != turn.DeliveryPending {
		ctx, cancel := context.WithTimeout(c.Context(), s.timeout)
		defer cancel()
		known, err := s.sms.Outbox.Report(ctx, ch.ID, r.ProviderID, r.State == turn.DeliveryDelivered, s.sms.RetryAfterFailure)
		if err != nil {
			return fmt.Errorf("delivery report: %w", err)
		}
		s.log.Info("sms delivery report", "channel", ch.Name, "state", r.State, "matched", known)
	}
	ct, body := sc.Adapter.Ack()
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(body)
}
