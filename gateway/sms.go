package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/outbox"
)

// SMSAdapter is what a provider adapter offers for SMS
// (africastalking.SMS, twilio.SMS).
type SMSAdapter interface {
	// Authenticate refuses a request the provider did not send
	// (twilio.ErrBadSignature → 403) or cannot read (turn.BadRequest).
	Authenticate(requestURL string, header func(string) string, contentType string, body []byte) error
	ParseSMS(contentType string, body []byte) (turn.SMS, error)
	ParseReport(contentType string, body []byte) (turn.DeliveryReport, error)
	Ack() (contentType string, body []byte)
}

// SMSChannel is one channel's SMS side.
type SMSChannel struct {
	Adapter SMSAdapter
	From    string // our short code or number; empty: the number the caller texted
}

// FollowUp answers "what happened to my complaint?".
type FollowUp interface {
	// Lookup returns the case's public status, or an error wrapping
	// casework.ErrNotFound when the reference does not exist or the
	// asker may not see it (the two are indistinguishable on purpose).
	Lookup(ctx context.Context, q FollowUpQuery) (FollowUpAnswer, error)
}

// FollowUpQuery is a follow-up request.
type FollowUpQuery struct {
	Reference  string
	PIN        string   // what followed the reference, if anything (branch i4 checks it)
	CallerKeys []string // the asker's keys under every key version
}

// FollowUpAnswer is what a caller may learn about their case.
type FollowUpAnswer struct {
	Reference string
	Status    casework.Status
	Response  string // the team's answer, once casework has one (branch i4)
}

// PINIssuer gives a caller the PIN that lets them follow a case from any
// phone. Hook for branch i4: nil until casework issues PINs, and the
// acknowledgement then has no PIN.
type PINIssuer interface {
	IssuePIN(ctx context.Context, c casework.Case) (string, error)
}

// LanguagePreference is a caller's stored language. Hook for branch i3;
// nil means none is stored.
type LanguagePreference interface {
	Language(ctx context.Context, callerKey string) (lang string, ok bool, err error)
}

// CaseAppender adds a follow-up message to an open case, idempotently
// on key (casework/boltstore implements it).
type CaseAppender interface {
	AppendDetail(ctx context.Context, id, key, text string) (casework.Case, error)
}

// SMSOptions wires the SMS routes. Without an Outbox they are not served.
type SMSOptions struct {
	Outbox   *outbox.Store
	Texts    *SMSTexts
	Channels map[string]SMSChannel // by channel id; a channel not here has no SMS
	FollowUp FollowUp              // default: status from the case store, own cases only
	PINs     PINIssuer
	Prefs    LanguagePreference
	// AppendWindow: a caller's SMS within this time of their open case is
	// added to it instead of opening another (default 24 h).
	AppendWindow time.Duration
	// RetryAfterFailure is when a message the provider reported
	// undelivered is tried again (default 1 min).
	RetryAfterFailure time.Duration
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
	if o.FollowUp == nil {
		o.FollowUp = StoreFollowUp{Cases: s.cases}
	}
	s.sms = o
	s.app.Post("/c/:channel/sms", s.handleSMS)
	s.app.Post("/c/:channel/sms/status", s.handleSMSStatus)
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
	// The URL as the provider called it: scheme, host, path and query
	// (Twilio signs all of it).
	requestURL := c.BaseURL() + string(c.Request().URI().RequestURI())
	err = sc.Adapter.Authenticate(requestURL, func(h string) string { return c.Get(h) }, c.Get(fiber.HeaderContentType), c.Body())
	var bad *turn.BadRequest
	switch {
	case errors.As(err, &bad):
		return config.Channel{}, SMSChannel{}, err
	case err != nil:
		return config.Channel{}, SMSChannel{}, fiber.NewError(fiber.StatusForbidden, "forbidden")
	}
	return ch, sc, nil
}

func (s *Server) handleSMS(c fiber.Ctx) error {
	ch, sc, err := s.smsChannel(c)
	if err != nil {
		return err
	}
	m, err := sc.Adapter.ParseSMS(c.Get(fiber.HeaderContentType), c.Body())
	if err != nil {
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
		var reply string
		if outcome, reply, err = s.smsTurn(ctx, ch, m); err != nil {
			// Nothing was acknowledged: the provider retries, and the
			// case store's idempotency keys make the retry safe.
			return fmt.Errorf("sms %s: %w", outcome, err)
		}
		from := sc.From
		if from == "" {
			from = m.To
		}
		first, err := s.sms.Outbox.Handled(ctx, ch.ID, m.ID, &outbox.Message{
			ID: outbox.ReplyID(ch.ID, m.ID), Channel: ch.ID, To: m.From, From: from, Body: FitSMS(reply, MaxSMSSegments),
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

// smsTurn does what one message asks and returns the reply to send:
// a follow-up keyword gets the case's status; free text opens a case, or
// joins the caller's open case of the last AppendWindow.
func (s *Server) smsTurn(ctx context.Context, ch config.Channel, m turn.SMS) (outcome, reply string, err error) {
	keys := s.keyring.Keys(m.From, ch.Country)
	callerKey := keys[0]
	text := strings.TrimSpace(m.Text)
	t := s.sms.Texts

	if lang, rest, ok := t.FollowUp(text); ok {
		l := t.lang(lang)
		ref, pin := splitReference(rest)
		ans, err := s.sms.FollowUp.Lookup(ctx, FollowUpQuery{Reference: ref, PIN: pin, CallerKeys: keys})
		if errors.Is(err, casework.ErrNotFound) {
			return "followup", l.NotFound, nil
		}
		if err != nil {
			return "followup", "", fmt.Errorf("follow-up: %w", err)
		}
		status, ok := l.Statuses[string(ans.Status)]
		if !ok {
			status = l.Statuses["other"]
		}
		vars := map[string]string{"reference": casework.FormatReference(ans.Reference), "status": status, "response": ans.Response}
		if ans.Response != "" {
			return "followup", fill(l.StatusResponse, vars), nil
		}
		return "followup", fill(l.Status, vars), nil
	}

	previous, err := s.cases.ByCallerKey(ctx, callerKey)
	if err != nil {
		return "case", "", fmt.Errorf("caller's cases: %w", err)
	}
	lang, err := s.smsLanguage(ctx, callerKey, text, previous)
	if err != nil {
		return "case", "", err
	}
	if text == "" {
		return "empty", t.lang(lang).Empty, nil
	}

	idem := ch.ID + "/sms/" + m.ID
	if open, ok := s.openCase(previous); ok {
		c, err := open.appender.AppendDetail(ctx, open.c.ID, idem, text)
		switch {
		case err == nil:
			return "appended", fill(t.lang(c.Language).Added, map[string]string{"reference": casework.FormatReference(c.Reference)}), nil
		case !errors.Is(err, casework.ErrInvalidIntake): // a full detail opens a new case instead
			return "appended", "", fmt.Errorf("append to case: %w", err)
		}
	}
	c, err := s.cases.Submit(ctx, casework.Intake{
		IdempotencyKey: idem,
		CallerKey:      callerKey,
		Channel:        ch.ID,
		Medium:         MediumSMS,
		Language:       lang,
		Category:       CategoryUncoded,
		Detail:         text,
	})
	if err != nil {
		return "case", "", fmt.Errorf("submit case: %w", err)
	}
	l := t.lang(c.Language)
	vars := map[string]string{"reference": casework.FormatReference(c.Reference)}
	if s.sms.PINs != nil {
		pin, err := s.sms.PINs.IssuePIN(ctx, c)
		if err != nil {
			return "case", "", fmt.Errorf("issue pin: %w", err)
		}
		if pin != "" {
			vars["pin"] = pin
			return "case", fill(l.AckPIN, vars), nil
		}
	}
	return "case", fill(l.Ack, vars), nil
}

// smsLanguage picks the reply language: the caller's stored preference,
// else the language the text is written in, else that of their latest
// case, else French.
func (s *Server) smsLanguage(ctx context.Context, callerKey, text string, previous []casework.Case) (string, error) {
	t := s.sms.Texts
	if s.sms.Prefs != nil {
		lang, ok, err := s.sms.Prefs.Language(ctx, callerKey)
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
	for _, c := range slices.Backward(previous) {
		if t.Has(c.Language) {
			return c.Language, nil
		}
	}
	return DefaultSMSLanguage, nil
}

type openCase struct {
	c        casework.Case
	appender CaseAppender
}

// openCase returns the caller's newest case if it is still open and was
// made within AppendWindow, and the store can append to it.
func (s *Server) openCase(previous []casework.Case) (openCase, bool) {
	a, ok := s.cases.(CaseAppender)
	if !ok || len(previous) == 0 {
		return openCase{}, false
	}
	c := previous[len(previous)-1]
	if !isOpen(c.Status) || time.Since(c.CreatedAt) > s.sms.AppendWindow {
		return openCase{}, false
	}
	return openCase{c: c, appender: a}, true
}

// isOpen reports whether a case still takes messages. Until casework has a
// lifecycle (branch i4) every case is "new"; these names are the likely
// closed states and should be replaced by casework's own predicate.
func isOpen(st casework.Status) bool {
	return st != "closed" && st != "resolved" && st != "rejected"
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

// StoreFollowUp answers from the case store with the status only, and
// only to the caller key that made the case: without PINs (branch i4) a
// reference alone must not reveal anything to another phone.
type StoreFollowUp struct {
	Cases casework.Store
}

// Lookup implements FollowUp.
func (f StoreFollowUp) Lookup(ctx context.Context, q FollowUpQuery) (FollowUpAnswer, error) {
	c, err := f.Cases.ByReference(ctx, q.Reference)
	if err != nil {
		return FollowUpAnswer{}, err
	}
	if !slices.Contains(q.CallerKeys, c.CallerKey) {
		return FollowUpAnswer{}, fmt.Errorf("follow-up from another caller: %w", casework.ErrNotFound)
	}
	return FollowUpAnswer{Reference: c.Reference, Status: c.Status}, nil
}

func (s *Server) handleSMSStatus(c fiber.Ctx) error {
	ch, sc, err := s.smsChannel(c)
	if err != nil {
		return err
	}
	r, err := sc.Adapter.ParseReport(c.Get(fiber.HeaderContentType), c.Body())
	if err != nil {
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
