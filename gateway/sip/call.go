package sip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo/sip"

	"github.com/numerovert/hotline/gateway/turn"
)

// Call-flow limits of the SIP side.
const (
	// keyQueue bounds the keys typed ahead of the menu.
	keyQueue = 32
	// minMessage: a voice message shorter than this (0.5 s of speech) is
	// no message: the detail is skipped, as for silence on the other
	// providers.
	minMessage = 25 // loud frames
)

// callAudio is one call's media: keys from RTP events and SIP INFO, and
// the caller's audio while a voice message is recorded.
type callAudio struct {
	keys chan rune
	law  Law

	mu        sync.Mutex
	recording bool
	samples   []int16
	loud      int       // loud frames recorded
	lastLoud  time.Time // when speech was last heard
	maxFrames int
}

func (a *callAudio) key(k rune) {
	select {
	case a.keys <- k:
	default: // a caller leaning on the keypad: extra keys are dropped
	}
}

// heard takes one RTP payload of the caller's audio.
func (a *callAudio) heard(payload []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.recording || len(a.samples)/frameSamples >= a.maxFrames {
		return
	}
	s := Decode(payload, a.law)
	a.samples = append(a.samples, s...)
	if loud(s) {
		a.loud++
		a.lastLoud = time.Now()
	}
}

func (a *callAudio) startRecording(maxSeconds int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recording, a.samples, a.loud, a.lastLoud = true, nil, 0, time.Now()
	a.maxFrames = maxSeconds * 1000 / frameDuration
}

// stopRecording returns the message as WAV, or nil when it held no speech.
func (a *callAudio) stopRecording() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recording = false
	s, n := a.samples, a.loud
	a.samples = nil
	if n < minMessage {
		return nil
	}
	return WriteWAV(s)
}

// recordingState says whether the message is full and how long the caller
// has been silent.
func (a *callAudio) recordingState() (full bool, silent time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.samples)/frameSamples >= a.maxFrames, time.Since(a.lastLoud)
}

// answer is one call, from INVITE to hang-up.
func (l *listener) answer(d *diago.DialogServerSession) {
	l.wg.Add(1)
	defer l.wg.Done()
	phone := callerNumber(d.InviteRequest)
	if err := d.Trying(); err != nil {
		return
	}
	med, err := d.Answer(diago.AnswerOptions{})
	if err != nil {
		l.log.Warn("sip call not answered", "channel", l.ch.Name) // the error may quote the INVITE
		return
	}
	codec := media.CodecAudioFromSession(med.MediaSession())
	a := &callAudio{keys: make(chan rune, keyQueue)}
	if codec.PayloadType == media.CodecAudioAlaw.PayloadType {
		a.law = ALaw
	}
	w, err := med.AudioWriter()
	if err != nil {
		return
	}
	id := callID(d.InviteRequest)
	l.live.Store(id, a)
	defer l.live.Delete(id)
	go l.listen(med, codec, a)

	cid := newCallID()
	c := &sipCall{l: l, a: a, w: w, ctx: d.Context(), call: turn.Call{CallID: cid, Phone: callerOrWithheld(phone, cid)}}
	c.run()
	hctx, cancel := context.WithTimeout(context.WithoutCancel(d.Context()), 5*time.Second)
	defer cancel()
	_ = d.Hangup(hctx)
}

// listen reads the caller's RTP until the call ends: keys (RFC 4733) to
// the queue, audio to the recording when one is being made.
func (l *listener) listen(med *diago.DialogMedia, codec media.Codec, a *callAudio) {
	var r io.Reader
	if dr, err := med.AudioReaderDTMF(); err == nil {
		dr.OnDTMF(func(k rune) error { a.key(k); return nil })
		r = dr
	} else if r, err = med.AudioReader(); err != nil {
		return // no telephone-event offered: keys come by SIP INFO only
	}
	buf := make([]byte, media.RTPBufSize)
	for {
		n, err := r.Read(buf)
		if err != nil {
			return
		}
		if med.RTPPacketReader.PacketHeader.PayloadType == codec.PayloadType {
			a.heard(buf[:n])
		}
	}
}

// sipCall walks one call through the gateway's voice engine.
type sipCall struct {
	l    *listener
	a    *callAudio
	w    io.Writer
	ctx  context.Context
	call turn.Call
}

func (c *sipCall) run() {
	step, noInput := -1, false
	defer func() {
		if c.ctx.Err() != nil {
			// The caller hung up: the gateway keeps unfinished answers
			// for a redial.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 5*time.Second)
			defer cancel()
			_, _ = c.l.calls.CallStep(ctx, c.l.ch.ID, turn.Call{CallID: c.call.CallID, Final: true}, step, false)
		}
	}()
	for c.ctx.Err() == nil {
		reply, err := c.l.calls.CallStep(c.ctx, c.l.ch.ID, c.call, step, noInput)
		if err != nil {
			if c.ctx.Err() == nil {
				c.l.log.Warn("sip call step failed; hanging up", "channel", c.l.ch.Name, "err", err)
			}
			return
		}
		step = nextStep(reply, step)
		c.call.Digits, c.call.HasDigits, c.call.Recording, noInput = "", false, nil, false
		c.play(reply.Audio, reply.Gather)
		switch {
		case reply.Hangup || c.ctx.Err() != nil:
			c.drain()
			return
		case reply.Record:
			c.call.Recording = c.record(reply)
			noInput = c.call.Recording == nil
		case reply.Gather:
			c.call.Digits, noInput = c.gather(reply)
			c.call.HasDigits = !noInput
		}
	}
}

// nextStep is the step the reply's Action names (?s=N): the gateway's
// numbering, so a retried step is answered as on the HTTP providers.
func nextStep(r turn.VoiceReply, prev int) int {
	if u, err := url.Parse(r.Action); err == nil {
		if n, err := strconv.Atoi(u.Query().Get("s")); err == nil {
			return n
		}
	}
	return prev
}

// play sends the reply's recordings, 20 ms per packet (diago's writer
// paces them). A key pressed during a menu stops it (the caller knows
// the answer). Text with no recording (place names) is voiced by
// espeak-ng where installed, else skipped (docs/sip.md).
func (c *sipCall) play(audio []turn.Audio, bargeIn bool) {
	for _, au := range audio {
		if c.ctx.Err() != nil || (bargeIn && len(c.a.keys) > 0) {
			return
		}
		var frames [][]byte
		var ok bool
		if au.URL != "" {
			frames, ok = c.l.audio.frames(au.URL, c.a.law)
		} else {
			frames, ok = c.l.audio.spoken(c.ctx, au.Lang, au.Text, c.a.law)
		}
		if !ok {
			continue
		}
		for i, f := range frames {
			if i > 0 && (c.ctx.Err() != nil || (bargeIn && len(c.a.keys) > 0)) {
				return
			}
			if _, err := c.w.Write(f); err != nil {
				return
			}
		}
	}
}

// drain lets the last packets leave before the BYE.
func (c *sipCall) drain() {
	select {
	case <-c.ctx.Done():
	case <-time.After(200 * time.Millisecond):
	}
}

// gather waits for one key, or for digits ended by # (r.Number).
func (c *sipCall) gather(r turn.VoiceReply) (digits string, noInput bool) {
	timeout := time.Duration(max(r.Timeout, 1)) * time.Second
	var b strings.Builder
	for {
		t := time.NewTimer(timeout)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return "", true
		case <-t.C:
			return "", true
		case k := <-c.a.keys:
			t.Stop()
			if !r.Number {
				return string(k), false
			}
			b.WriteRune(k)
			if k == '#' {
				return b.String(), false
			}
			if b.Len() > 64 {
				return "", true
			}
		}
	}
}

// record plays the beep and records the caller until a key, r.Timeout
// seconds of silence, r.MaxLength seconds, or the hang-up.
func (c *sipCall) record(r turn.VoiceReply) []byte {
	for _, f := range Frames(beep(), c.a.law) {
		if _, err := c.w.Write(f); err != nil {
			return nil
		}
	}
	for len(c.a.keys) > 0 { // keys typed before the beep are not the end
		<-c.a.keys
	}
	c.a.startRecording(max(r.MaxLength, 1))
	silence := time.Duration(max(r.Timeout, 1)) * time.Second
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.ctx.Done():
			c.a.stopRecording()
			return nil
		case <-c.a.keys:
			return c.a.stopRecording()
		case <-tick.C:
			if full, silent := c.a.recordingState(); full || silent >= silence {
				return c.a.stopRecording()
			}
		}
	}
}

// callerNumber is the caller's number as the trunk gives it: the user part
// of P-Asserted-Identity (a trusted network's assertion), else of From.
// Never logged; CallStep hashes it.
func callerNumber(req *sip.Request) string {
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		if u := userPart(h.Value()); u != "" {
			return u
		}
	}
	if f := req.From(); f != nil {
		return f.Address.User
	}
	return ""
}

// callerOrWithheld is the number the gateway keys the call by: the
// caller's, or for a withheld number ("anonymous", no digits) one of this
// call alone, so that withheld callers do not share one caller key (and
// its rate limit, resumed answers and remembered language).
func callerOrWithheld(phone, callID string) string {
	if strings.ContainsAny(phone, "0123456789") {
		return phone
	}
	return "withheld-" + callID
}

// userPart is the user of the first sip:, sips: or tel: URI in a header
// value such as `"x" <sip:+22376000001@trunk;user=phone>`.
func userPart(v string) string {
	for _, scheme := range []string{"sip:", "sips:", "tel:"} {
		i := strings.Index(strings.ToLower(v), scheme)
		if i < 0 {
			continue
		}
		rest := v[i+len(scheme):]
		if j := strings.IndexAny(rest, "@;>? "); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	return ""
}

func callID(req *sip.Request) string {
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// newCallID is the call's id for the gateway: drawn here, never the SIP
// Call-ID, which the caller's side chooses (two calls could share one and
// so a recording id).
func newCallID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return "sip-" + hex.EncodeToString(b)
}
