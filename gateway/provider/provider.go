// Package provider describes each aggregator or network the gateway talks
// to in one value, a Descriptor, which the provider's own folder exports
// (africastalking.Provider, twilio.Provider). cmd/hotline keeps the one
// List of them; the config checks, the USSD routes and the SMS and voice
// adapters and senders are all built from that list, so adding a provider
// touches its folder and that list only.
//
// A descriptor must never hold a secret: its constructors take secrets
// already resolved. This package must never import the gateway (the
// gateway takes descriptors, not the other way round).
package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/outbox/outbound"
)

// USSD is a provider's USSD wire format.
type USSD interface {
	Parse(contentType string, body []byte) (turn.USSD, error)
	NewInput(prev, text string) string
	Inputs(text string) []string
	Render(r turn.Reply) (contentType string, body []byte)
	ParseEnd(contentType string, body []byte) (turn.USSDEnd, error)
}

// SMS is a provider's inbound SMS wire format.
type SMS interface {
	// Authenticate refuses a request the provider did not send
	// (twilio.ErrBadSignature → 403) or cannot read (turn.BadRequest).
	Authenticate(requestURL string, header func(string) string, contentType string, body []byte) error
	ParseSMS(contentType string, body []byte) (turn.SMS, error)
	ParseReport(contentType string, body []byte) (turn.DeliveryReport, error)
	Ack() (contentType string, body []byte)
}

// Sender is a provider's send API for SMS replies.
type Sender interface {
	Send(ctx context.Context, m outbound.Message) (providerID string, err error)
}

// Voice is a provider's voice-call wire format.
type Voice interface {
	// Authenticate refuses a request the provider did not send
	// (twilio.ErrBadSignature → 403) or cannot read (turn.BadRequest).
	Authenticate(requestURL string, header func(string) string, contentType string, body []byte) error
	ParseCall(contentType string, body []byte) (turn.Call, error)
	Render(r turn.VoiceReply) (contentType string, body []byte)
	// Authorize adds the provider's credentials to a recording download.
	Authorize(req *http.Request)
}

// Descriptor is everything the hotline knows of one provider.
type Descriptor struct {
	// Name is the config's `provider:` value.
	Name string
	// Unsigned providers sign no callback: their channels must list
	// allow_from, the networks they call from.
	Unsigned bool
	USSD     USSD       // nil: the provider offers no USSD
	SMS      *SMSKind   // nil: no SMS
	Voice    *VoiceKind // nil: no voice
}

// SMSKind is a provider's SMS side.
type SMSKind struct {
	// Secret names the channel's secret for SMS (e.g. "sms.api_key").
	Secret func(config.SMS) (field string, s config.Secret)
	// Check lists what the sms section lacks for this provider.
	Check func(config.SMS) []string
	// New builds the inbound adapter and the send API from the channel's
	// sms section and its resolved secret; client bounds each send.
	New func(ch config.Channel, secret string, client *http.Client) (SMS, Sender)
	// GET: the provider calls with GET and the fields in the query string
	// (Kannel's get-url and dlr-url). The gateway hands the parser that
	// query as a form-encoded body, and refuses a POST on such a channel
	// (and a GET on any other).
	GET bool
}

// VoiceKind is a provider's voice side.
type VoiceKind struct {
	// Secret names the channel's secret for voice; optional secrets may
	// be left out of the config.
	Secret         func(config.Voice) (field string, s config.Secret)
	SecretOptional bool
	Check          func(config.Voice) []string
	New            func(ch config.Channel, secret string) Voice
	// RecordingHosts and APIHosts are the defaults of voice.recording_hosts
	// and voice.api_hosts (see config.Voice).
	RecordingHosts, APIHosts []string
	// NewCaller builds the provider's outbound call API for masked
	// call-backs (voice.callback), from the channel and its resolved
	// voice secret; nil: the provider places no calls.
	NewCaller func(ch config.Channel, secret string, client *http.Client) Caller
	// ScreensDial: a Dial can play a URL to the called party before they
	// are connected (Twilio <Number url>), so a sensitive case's caller is
	// asked first whether it is safe to talk.
	ScreensDial bool
	// Listen, for a provider whose calls the hotline holds itself (SIP),
	// starts answering the channel's calls, each walked step by step
	// through o.Calls; it returns once listening, and stop ends the calls
	// and the listener. nil: the provider calls back over HTTP.
	Listen func(ctx context.Context, ch config.Channel, secret string, o ListenOptions) (stop func(), err error)
}

// Caller is a provider's outbound call API (masked call-back).
type Caller interface {
	// Call asks the provider to place oc and returns its call id.
	Call(ctx context.Context, oc turn.OutboundCall) (callID string, err error)
}

// CallSteps is the gateway's side of a call a provider holds itself:
// gateway.Server.CallStep, the same engine, sessions, submission and
// follow-up as the HTTP voice callbacks.
type CallSteps interface {
	CallStep(ctx context.Context, channelID string, call turn.Call, step int, noInput bool) (turn.VoiceReply, error)
}

// ListenOptions is what a Listen hook needs from the binary.
type ListenOptions struct {
	Calls CallSteps
	// Audio holds the prompts: "<lang>/<key>.wav", the paths of the
	// replies' "/audio/<lang>/<key>.wav" URLs.
	Audio fs.FS
	// Log must never receive a number: hooks log fixed messages.
	Log *slog.Logger
	// Speak, when set, voices a prompt that has no recording (text in a
	// BCP-47 voice) as an 8 kHz 16-bit mono PCM WAV: the text-to-speech
	// an aggregator would do. Texts are the catalogue's or a team's
	// response, never a caller's.
	Speak func(ctx context.Context, voice, text string) ([]byte, error)
}

// List is the providers a binary speaks.
type List []Descriptor

// Get returns the provider named name.
func (l List) Get(name string) (Descriptor, bool) {
	i := slices.IndexFunc(l, func(d Descriptor) bool { return d.Name == name })
	if i < 0 {
		return Descriptor{}, false
	}
	return l[i], true
}

// Names lists the providers' names.
func (l List) Names() []string {
	out := make([]string, len(l))
	for i, d := range l {
		out[i] = d.Name
	}
	return out
}

// Check reports, with file:line, every channel of cfg whose provider is
// unknown, lacks what its provider needs (allow_from for an unsigned one,
// the sms and voice fields), or asks for a medium its provider lacks.
func (l List) Check(cfg *config.Config) error {
	var errs []error
	for _, ch := range cfg.Channels {
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: channel %q: %s", cfg.Source, ch.Line(), ch.ID, fmt.Sprintf(format, args...)))
		}
		d, ok := l.Get(ch.Provider)
		if !ok {
			fail("unknown provider %q (known: %s)", ch.Provider, strings.Join(l.Names(), ", "))
			continue
		}
		if d.Unsigned && len(ch.AllowFrom) == 0 {
			fail("allow_from is required: %s signs nothing, so only the networks it calls from may reach the channel (docs/threat-model.md)", d.Name)
		}
		if ch.SMS != nil {
			for _, p := range d.checkSMS(*ch.SMS) {
				fail("%s", p)
			}
		}
		if ch.Voice != nil {
			for _, p := range d.checkVoice(*ch.Voice) {
				fail("%s", p)
			}
		}
	}
	return errors.Join(errs...)
}

func (d Descriptor) checkSMS(sc config.SMS) []string {
	if d.SMS == nil {
		return []string{fmt.Sprintf("%s offers no SMS here", d.Name)}
	}
	problems := d.SMS.Check(sc)
	field, s := d.SMS.Secret(sc)
	if err := s.Check(field); err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

func (d Descriptor) checkVoice(v config.Voice) []string {
	if d.Voice == nil {
		return []string{fmt.Sprintf("%s offers no voice here", d.Name)}
	}
	problems := d.Voice.Check(v)
	if field, s := d.Voice.Secret(v); !(d.Voice.SecretOptional && s.IsZero()) {
		if err := s.Check(field); err != nil {
			problems = append(problems, err.Error())
		}
	}
	return problems
}
