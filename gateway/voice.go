package gateway

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/menus"
)

// VoiceAdapter is what a provider adapter offers for voice calls
// (africastalking.Voice, twilio.Voice).
type VoiceAdapter = provider.Voice

// RecordingDeleter is a VoiceAdapter whose provider can delete its copy of
// a voice message (twilio.Voice): once the message is stored here,
// encrypted, the gateway has the provider delete it, so a caller's voice
// does not stay in the provider's account.
type RecordingDeleter interface {
	// DeleteRecording returns the request, with the provider's
	// credentials, that deletes the recording at u; ok is false when u is
	// not one of this account's recordings.
	DeleteRecording(ctx context.Context, u *url.URL) (req *http.Request, ok bool)
}

// VoiceChannel is one channel's voice side.
type VoiceChannel struct {
	Adapter VoiceAdapter
	// PublicURL is the scheme and host the provider reaches us at; empty:
	// each request's own.
	PublicURL string
	// RecordingHosts are where voice messages may be fetched from: "host"
	// or "host:port" (https on 443 unless a port is given), or ".domain"
	// for any host under it (voicefetch.go).
	RecordingHosts []string
	// CredentialHosts are the provider's own API hosts ("host" or
	// "host:port"): the only ones its credentials are sent to.
	CredentialHosts []string
	// DownloadTimeout bounds one recording fetch (default 8 s).
	DownloadTimeout time.Duration
	// Caller places call-backs (voice.callback, callback.go); nil: none.
	Caller   provider.Caller
	CallBack *config.CallBack
	// Screens: the provider plays a URL to the called party before
	// bridging (Twilio <Number url>), so a caller can be asked first
	// whether it is safe to talk.
	Screens bool
	// MissedCalls: every inbound call is rejected and called back
	// (voice.callback_on_missed_call, missedcall.go).
	MissedCalls bool
}

// Recordings keeps voice messages encrypted (recordings.Store).
type Recordings interface {
	Put(ctx context.Context, id string, data []byte) error
	Has(ctx context.Context, id string) (bool, error)
}

// VoiceOptions wires /c/{channel}/voice and /audio/. Without Recordings
// the routes are not served.
type VoiceOptions struct {
	Channels   map[string]VoiceChannel // by channel id
	Recordings Recordings
	// Audio is the prompts directory (locales/audio): <lang>/<key>.wav.
	Audio fs.FS
	// MaxRecording bounds a downloaded voice message (default 8 MB).
	MaxRecording int64
	// Client fetches recordings (default: no cross-host redirects).
	Client *http.Client
}

// Call-flow constants.
const (
	// voiceMaxRecord is the longest voice message, in seconds.
	voiceMaxRecord = 120
	// voiceKeyTimeout is how long a call waits for a key, in seconds.
	voiceKeyTimeout = 10
	// voiceSilence ends a recording after this many silent seconds.
	voiceSilence = 5
	// voiceMisses: no answer or a wrong key repeats the prompt once; the
	// second ends the call politely.
	voiceMisses = 2
	// voiceSessionTTL outlives a call of 120 s of message plus menus.
	voiceSessionTTL = 30 * time.Minute
)

// voiceSession is what the gateway remembers between the steps of a call.
// It holds no number.
type voiceSession struct {
	State     menus.State     `json:"state"`
	CallerKey string          `json:"caller_key"`
	Step      int             `json:"step"`  // the step the reply out now answers to (?s=)
	Reply     turn.VoiceReply `json:"reply"` // that reply, for providers' retries
	Misses    int             `json:"misses,omitempty"`
	Recording string          `json:"recording,omitempty"`
	// A live call (live.go): its case, and while the officer's leg is
	// pending, the officer and their phone as sealed on their account
	// (to bridge again on a provider's retry).
	LiveCase    string     `json:"live_case,omitempty"`
	LiveOfficer string     `json:"live_officer,omitempty"`
	LivePhone   string     `json:"live_phone,omitempty"`
	Staff       *staffCall `json:"staff,omitempty"`  // voicestaff.go: a staff member recording prompts
	Spoken      string     `json:"spoken,omitempty"` // call-audio token of the team's spoken answer (callaudio.go)
}

var audioName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,80}\.wav$`)

func (s *Server) routeVoice(o VoiceOptions) {
	if o.Recordings == nil {
		return
	}
	if o.MaxRecording == 0 {
		o.MaxRecording = 8 << 20
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	s.voice = o
	s.RefreshAudio()
	s.app.Post("/c/:channel/voice", s.observe, s.handleVoice)
	s.app.Post("/c/:channel/callback/:token/:step", s.observe, s.handleCallBack)
	s.app.Get("/audio/call/:file", s.handleCallAudio) // callaudio.go: one call's own recordings
	s.app.Get("/audio/:lang/:file", s.handleAudio)
}

// handleAudio serves a prompt recording to the provider's player.
func (s *Server) handleAudio(c fiber.Ctx) error {
	lang, file := c.Params("lang"), c.Params("file")
	if handled, err := s.sendInfoAudio(c, lang, file); handled {
		return err
	}
	if !s.catalog().HasLanguage(lang) || !audioName.MatchString(file) || !s.hasAudio(lang+"/"+file) {
		return fiber.ErrNotFound
	}
	b, err := fs.ReadFile(s.voice.Audio, lang+"/"+file)
	if err != nil {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, "audio/wav")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(b)
}

func (s *Server) handleVoice(c fiber.Ctx) error {
	ch, err := s.channel(c)
	if err != nil {
		return err
	}
	vc, ok := s.voice.Channels[ch.ID]
	if !ok {
		return fiber.ErrNotFound
	}
	if err := s.authenticate(c, ch, vc.Adapter.Authenticate, c.Get(fiber.HeaderContentType), c.Body()); err != nil {
		return err
	}
	call, err := vc.Adapter.ParseCall(c.Get(fiber.HeaderContentType), c.Body())
	if err != nil {
		return err
	}
	if tok, ok := s.bridges.session(ch.ID, call.CallID); ok {
		return s.atCallBack(c, vc, tok, call) // a call-back the hotline placed (callback.go)
	}
	a := arrival{medium: mediumVoice, phone: call.Phone}
	if call.Final {
		a.phone = "" // the hang-up notice may carry no number
	}
	if err := s.admit(ch, a); err != nil {
		return err
	}
	base := strings.TrimRight(vc.PublicURL, "/")
	if base == "" {
		base = c.BaseURL()
	}
	step := -1
	if v := c.Query("s"); v != "" {
		if step, err = strconv.Atoi(v); err != nil || step < 0 {
			return &turn.BadRequest{Reason: "bad step"}
		}
	}
	timeout := s.timeout
	if call.RecordingURL != "" {
		timeout += downloadTimeout(vc)
	}
	ctx, cancel := context.WithTimeout(c.Context(), timeout)
	defer cancel()
	var reply turn.VoiceReply
	switch {
	case c.Query("dialed") == "1": // the officer's leg of a live call ended (live.go)
		status, seconds, _ := s.dialResult(vc, c)
		reply, err = s.liveDialed(ctx, ch, base, call, step, status, seconds)
	case vc.MissedCalls && !call.Outbound && !call.Final && step < 0:
		reply, err = s.missedCall(ctx, ch, vc, call) // rejected, called back (missedcall.go)
	default:
		if vc.MissedCalls && call.Outbound && (call.Final || step < 0) {
			s.calledBack(ctx, ch, call, !call.Final)
		}
		if ender, ok := vc.Adapter.(CallEnder); ok && call.Final && s.liveCapable(vc) {
			seconds, cause, _ := ender.CallEnd(c.Get(fiber.HeaderContentType), c.Body())
			s.liveEnded(ctx, ch.ID, call.CallID, seconds, cause)
		}
		reply, err = s.callStep(ctx, ch, vc, base, call, step, c.Query("noinput") == "1")
	}
	if err != nil {
		return err
	}
	ct, body := vc.Adapter.Render(reply)
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(body)
}

// CallStep runs one step of a call on a voice channel whose provider holds
// the call itself (SIP: gateway/sip answers it and plays the audio): the
// same admission, sessions, engine, submission and follow-up as a
// provider's callback. step is the `s` of the previous reply's Action (-1
// on the first step); audio URLs in the reply are "/audio/<lang>/<key>.wav",
// paths in VoiceOptions.Audio. The call's number stays in call.Phone: it is
// hashed here and never logged.
func (s *Server) CallStep(ctx context.Context, channelID string, call turn.Call, step int, noInput bool) (turn.VoiceReply, error) {
	ch, ok := s.cfg.Channel(channelID)
	if !ok {
		return turn.VoiceReply{}, fmt.Errorf("voice channel %q is not configured", channelID)
	}
	vc, ok := s.voice.Channels[ch.ID]
	if !ok {
		return turn.VoiceReply{}, fmt.Errorf("channel %q has no voice", channelID)
	}
	if err := call.Check(turn.CallFields{CallID: "Call-ID", Phone: "From", RecordingURL: "recording"}); err != nil {
		return turn.VoiceReply{}, err
	}
	a := arrival{medium: mediumVoice, phone: call.Phone}
	if call.Final {
		a.phone = ""
	}
	if err := s.admit(ch, a); err != nil {
		return turn.VoiceReply{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.callStep(ctx, ch, vc, "", call, step, noInput)
}

func downloadTimeout(vc VoiceChannel) time.Duration {
	if vc.DownloadTimeout > 0 {
		return vc.DownloadTimeout
	}
	return 8 * time.Second
}

// callStep runs one step of a call. Steps are numbered in the callback
// URLs (?s=N): a request for the step the session waits on moves the menu
// on; any other (a provider's retry, a late duplicate) gets the reply
// already given, so every step is idempotent.
func (s *Server) callStep(ctx context.Context, ch config.Channel, vc VoiceChannel, base string, call turn.Call, step int, noInput bool) (turn.VoiceReply, error) {
	key, sess, found, err := s.loadCall(ctx, ch, call)
	if err != nil {
		return turn.VoiceReply{}, err
	}
	callerKey := sess.CallerKey
	if !found && call.Phone != "" {
		callerKey = s.keyring.Key(call.Phone, ch.Country)
	}
	if call.Final {
		// The call is over: keep unfinished answers for a redial.
		if found {
			if sess.Staff != nil {
				s.dropCallAudio(ctx, sess.Staff.Take, true)
			}
			s.dropCallAudio(ctx, sess.Spoken, false)
			s.keepForResume(ctx, s.voiceEng(), mediumVoice, sess.CallerKey, nil, sess.State)
			if err := s.sessions.Delete(ctx, key); err != nil {
				return turn.VoiceReply{}, fmt.Errorf("delete call: %w", err)
			}
		}
		return turn.VoiceReply{}, nil
	}
	if found && step != sess.Step {
		if sess.LivePhone != "" { // the Dial is never kept: it holds a number
			if r, ok := s.liveDial(ch, vc, base, sess); ok {
				return r, nil
			}
		}
		return sess.Reply, nil
	}

	var t menus.Turn
	pin, spoken := "", ""
	switch {
	case !found:
		sess.CallerKey = callerKey
		t = s.begin(ctx, s.voiceEng(), mediumVoice, sess.CallerKey)
		sess.Staff = s.staffFor(call.Phone, ch.Country, base)
	case staffTakes(&sess, call, noInput):
		return s.staffStep(ctx, ch, vc, base, key, call, noInput, sess)
	default:
		sess.State = s.withLive(ctx, vc, sess.State)
		cur := s.voiceEng().Screen(sess.State)
		input, miss := s.callInput(ctx, ch, vc, call, cur, noInput, &sess)
		if miss {
			t = menus.Turn{State: sess.State, Screen: cur}
		} else {
			t = s.voiceEng().Step(sess.State, input)
			miss = s.voiceEng().Invalid(t.Screen)
		}
		if miss {
			sess.Misses++
			if sess.Misses >= voiceMisses {
				return s.endCall(ctx, key, sess, s.goodbye(sess.State.Lang, base))
			}
		} else {
			sess.Misses = 0
		}
		if t.Info != nil {
			t = s.showInfo(ctx, s.voiceEng(), ch, call.Phone, t)
		}
		if t.Lookup != nil {
			t, spoken = s.callLookup(ctx, ch, base, call, t, &sess)
		}
		if t.Submit != nil {
			if t, pin, err = s.submitCall(ctx, ch, call, sess, t); err != nil {
				s.log.Error("voice submission failed", "channel", ch.Name, "err", err)
				// The engine's "could not save" screen; the session stays
				// on the confirmation so a retry of this step tries again.
				return s.renderVoice(ch, base, s.voiceEng().Voice(t.State, t.Screen, ""), sess.Step), nil
			}
		}
	}
	sess.Step++
	sess.State = t.State
	if t.Live != nil {
		sess.Reply = s.liveReply(ctx, ch, vc, base, call.CallID, &sess, t)
	} else {
		vp := s.voiceEng().Voice(t.State, t.Screen, pin)
		if sess.Staff != nil {
			vp.Clips = append(s.staffOffer(sess.Staff), vp.Clips...)
		}
		sess.Reply = s.renderVoice(ch, base, vp, sess.Step)
		if spoken != "" {
			sess.Reply.Audio = append(sess.Reply.Audio, turn.Audio{URL: spoken})
		}
	}
	if err := s.saveCall(ctx, key, sess); err != nil {
		if sess.Reply.Hangup {
			s.log.Warn("voice session not saved after its last step", "channel", ch.Name, "err", err)
			return sess.Reply, nil
		}
		return turn.VoiceReply{}, err
	}
	s.keepForResume(ctx, s.voiceEng(), mediumVoice, sess.CallerKey, nil, t.State)
	return sess.Reply, nil
}

// loadCall reads the session of a call, by its channel, call id and the
// caller key of its number.
func (s *Server) loadCall(ctx context.Context, ch config.Channel, call turn.Call) (key string, sess voiceSession, found bool, err error) {
	callerKey := ""
	if call.Phone != "" {
		callerKey = s.keyring.Key(call.Phone, ch.Country)
	}
	key = sessionKey("voice", ch.ID, call.CallID, callerKey)
	raw, found, err := s.sessions.Load(ctx, key)
	if err != nil {
		return key, sess, false, fmt.Errorf("load call: %w", err)
	}
	if found {
		if err := json.Unmarshal(raw, &sess); err != nil {
			return key, sess, false, fmt.Errorf("decode call: %w", err)
		}
	}
	return key, sess, found, nil
}

// callLookup answers a call's follow-up: the written answer read by
// text-to-speech, or the team's spoken answer played from a URL of this
// call only (spoken, "" when there is none).
func (s *Server) callLookup(ctx context.Context, ch config.Channel, base string, call turn.Call, t menus.Turn, sess *voiceSession) (_ menus.Turn, spoken string) {
	a := t.Lookup.Answers
	ans, outcome := s.followUp(ctx, s.keyring.Keys(call.Phone, ch.Country), a["followup_ref"], a["followup_pin"])
	if spoken = s.spokenAnswer(ctx, base, ans, sess); spoken != "" {
		ans.Response = "" // heard in the team's own voice instead
	}
	return s.voiceEng().LookedUp(t.State, menus.LookupResult{
		Outcome: outcome, Reference: ans.Reference, Status: string(ans.Status), Response: ans.Response,
	}), spoken
}

// callInput reads what the caller gave on screen cur: digits (a reference
// or PIN ended by #, else one key), or a voice message, kept here before
// the step moves on. miss: nothing usable, the question is asked again.
func (s *Server) callInput(ctx context.Context, ch config.Channel, vc VoiceChannel, call turn.Call, cur menus.Screen, noInput bool, sess *voiceSession) (input string, miss bool) {
	switch {
	case cur.Digits:
		input = strings.TrimSuffix(call.Digits, "#")
		return input, input == "" || noInput
	case cur.FreeText && (call.RecordingURL != "" || len(call.Recording) > 0):
		id, err := s.keepRecording(ctx, ch, vc, call)
		if err != nil {
			// Nothing acknowledged: the provider may retry; if not, the
			// caller hears the question again.
			s.log.Error("voice message not kept", "channel", ch.Name, "err", err)
			return "", true
		}
		sess.Recording = id
		return menus.VoiceMessage, false
	case cur.FreeText:
		// Silence, or a key instead of a message: no detail (it is
		// optional), as USSD's "skip".
		return menus.KeySkip, false
	case noInput || call.Digits == "":
		return "", true
	}
	return call.Digits[:1], false
}

// endCall says goodbye and hangs up, keeping the answers for a redial.
func (s *Server) endCall(ctx context.Context, key string, sess voiceSession, r turn.VoiceReply) (turn.VoiceReply, error) {
	sess.Step++
	sess.Reply = r
	if err := s.saveCall(ctx, key, sess); err != nil {
		s.log.Warn("voice session not saved after goodbye", "err", err)
	}
	s.keepForResume(ctx, s.voiceEng(), mediumVoice, sess.CallerKey, nil, sess.State)
	return r, nil
}

func (s *Server) saveCall(ctx context.Context, key string, sess voiceSession) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("encode call: %w", err)
	}
	if err := s.sessions.Save(ctx, key, b, voiceSessionTTL); err != nil {
		return fmt.Errorf("save call: %w", err)
	}
	return nil
}

// submitCall stores the complaint, idempotent on the call, with the voice
// message's id in place of typed detail.
func (s *Server) submitCall(ctx context.Context, ch config.Channel, call turn.Call, sess voiceSession, t menus.Turn) (menus.Turn, string, error) {
	a := t.Submit.Answers
	detail, rec := a["detail"], ""
	for _, v := range a {
		// The detail's, or the short voice path's own recording step.
		if v == menus.VoiceMessage {
			rec = sess.Recording
		}
	}
	if detail == menus.VoiceMessage {
		detail = ""
	}
	in := casework.Intake{
		IdempotencyKey: ch.ID + "/voice/" + call.CallID + "/" + sess.CallerKey,
		CallerKey:      sess.CallerKey,
		Channel:        ch.ID,
		Medium:         mediumVoice,
		Language:       t.Submit.Lang,
		Category:       a["category"],
		Region:         a["region"],
		Cercle:         a["cercle"],
		Locality:       a["locality"],
		Assistance:     a["assistance"],
		Detail:         detail,
		Recording:      rec,
	}
	s.sealCallBack(&in, a, call.Phone, ch.Country)
	r, err := s.submit.Submit(ctx, in)
	s.metrics.submission(ch, err)
	if err != nil {
		return t, "", fmt.Errorf("submit case: %w", err)
	}
	if t.Submit.RememberLanguage {
		s.rememberLanguage(ctx, sess.CallerKey, t.Submit.Lang)
	}
	return s.answerQuestion(ctx, s.voiceEng(), s.voiceEng().Confirmed(t.State, receipt(r, time.Now())), in), r.PIN, nil
}

// goodbye is the polite end after two missed answers: call again.
func (s *Server) goodbye(lang, base string) turn.VoiceReply {
	if !s.catalog().HasLanguage(lang) {
		lang = s.catalog().Fallback()
	}
	clip := menus.Clip{Lang: lang, Key: menus.VoiceGoodbye, Text: s.catalog().Text(lang, menus.VoiceGoodbye),
		Say: s.catalog().Text(s.catalog().Fallback(), menus.VoiceGoodbye)}
	return turn.VoiceReply{Audio: s.audioFor(base, []menus.Clip{clip}), Hangup: true}
}

// renderVoice turns a voice prompt into the provider-neutral reply whose
// callbacks carry step.
func (s *Server) renderVoice(ch config.Channel, base string, vp menus.VoicePrompt, step int) turn.VoiceReply {
	r := turn.VoiceReply{Audio: s.audioFor(base, vp.Clips)}
	action := base + "/c/" + ch.ID + "/voice?s=" + strconv.Itoa(step)
	switch {
	case vp.End:
		r.Hangup = true
	case vp.Record:
		r.Record, r.MaxLength, r.Timeout = true, voiceMaxRecord, voiceSilence
		r.Action, r.Fallback = action, action+"&noinput=1"
	case vp.Number:
		r.Gather, r.Number, r.Timeout = true, true, voiceKeyTimeout
		r.Action, r.Fallback = action, action+"&noinput=1"
	default:
		r.Gather, r.Timeout = true, voiceKeyTimeout
		r.Action, r.Fallback = action, action+"&noinput=1"
	}
	return r
}

// audioFor says each clip the best way there is, in this order: its
// recording in the caller's language; that language's text-to-speech
// (the locale's `tts:`); the fallback language's recording; the fallback's
// text-to-speech. Runs of speech in one voice are merged.
func (s *Server) audioFor(base string, clips []menus.Clip) []turn.Audio {
	var out []turn.Audio
	fb := s.catalog().Fallback()
	speak := func(text, lang string) {
		if text == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].URL == "" && out[n-1].Lang == lang {
			out[n-1].Text += " " + text
			return
		}
		out = append(out, turn.Audio{Text: text, Lang: lang})
	}
	for _, c := range clips {
		own := s.catalog().TTS(c.Lang)
		switch {
		case c.Key != "" && (s.hasAudio(c.Lang+"/"+c.Key+".wav") || s.remoteInfoAudio(c.Lang, c.Key)):
			out = append(out, turn.Audio{URL: base + "/audio/" + c.Lang + "/" + c.Key + ".wav"})
		case own != "" && c.Text != "":
			speak(c.Text, own)
		case c.Key != "" && c.Key != menus.LanguageNameKey && s.hasAudio(fb+"/"+c.Key+".wav"):
			// A language's name is never said by another language's voice.
			out = append(out, turn.Audio{URL: base + "/audio/" + fb + "/" + c.Key + ".wav"})
		default:
			speak(c.Say, cmp.Or(s.catalog().TTS(fb), "fr-FR"))
		}
	}
	return out
}

// recordingID is the store's id of a call's voice message: derived from
// the call, so a retried step keeps one recording.
func recordingID(channelID, callID string) string {
	h := sha256.Sum256([]byte("recording\x00" + channelID + "\x00" + callID))
	return hex.EncodeToString(h[:16])
}

// keepRecording fetches the voice message from the provider and stores it
// encrypted. The URL is checked against the channel's recording hosts and
// never logged or put in an error: it opens the caller's voice.
func (s *Server) keepRecording(ctx context.Context, ch config.Channel, vc VoiceChannel, call turn.Call) (string, error) {
	id := recordingID(ch.ID, call.CallID)
	if len(call.Recording) > 0 {
		// Recorded here (SIP): the same limit and store as a download.
		if int64(len(call.Recording)) > s.voice.MaxRecording {
			return "", errRecordingSize
		}
		if err := s.voice.Recordings.Put(ctx, id, call.Recording); err != nil {
			return "", fmt.Errorf("store recording: %w", err)
		}
		return id, nil
	}
	data, err := s.fetchRecording(ctx, vc, call.RecordingURL)
	if err != nil {
		// A provider retrying this step after we kept the message and had
		// its copy deleted: the fetch fails, but the message is here.
		if has, herr := s.voice.Recordings.Has(ctx, id); herr == nil && has {
			return id, nil
		}
		return "", err
	}
	if err := s.voice.Recordings.Put(ctx, id, data); err != nil {
		return "", fmt.Errorf("store recording: %w", err)
	}
	s.deleteProviderCopy(ch, vc, call.RecordingURL)
	return id, nil
}

// authenticate asks a provider adapter whether callback c came from the
// provider. Only the path and query are given: a signing adapter puts its
// configured public URL in front, never the request's Host header. A
// malformed callback is the adapter's 4xx; a bad signature is 403, counted.
func (s *Server) authenticate(c fiber.Ctx, ch config.Channel, auth func(requestURL string, header func(string) string, contentType string, body []byte) error, contentType string, body []byte) error {
	err := auth(string(c.Request().URI().RequestURI()), func(h string) string { return c.Get(h) }, contentType, body)
	var bad *turn.BadRequest
	switch {
	case errors.As(err, &bad):
		return err
	case err != nil:
		s.metrics.refused(ch, "bad_signature")
		return forbidden
	}
	return nil
}
