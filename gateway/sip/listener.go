package sip

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/provider"
)

// The SIP and media stacks log requests with their From headers: they are
// silenced once, for the whole process, and this package logs fixed
// messages of its own instead.
var quiet sync.Once

// listener answers one channel's calls.
type listener struct {
	ch    config.Channel
	calls provider.CallSteps
	log   *slog.Logger
	audio *prompts
	// live maps a call's Call-ID to its key queue, for SIP INFO keys.
	live sync.Map
	wg   sync.WaitGroup
}

// Listen answers the channel's calls on voice.listen until ctx ends or
// stop is called; with voice.registrar it also keeps a registration.
func Listen(ctx context.Context, ch config.Channel, password string, o provider.ListenOptions) (func(), error) {
	v := ch.Voice
	ap, err := listenAddr(v.Listen)
	if err != nil {
		return nil, err
	}
	first, last, err := portRange(v.RTPPorts)
	if err != nil {
		return nil, err
	}
	quiet.Do(func() {
		sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
		media.SetDefaultLogger(slog.New(slog.DiscardHandler))
	})
	// The range is process-wide in diago: one SIP channel per process
	// (docs/sip.md).
	media.RTPPortStart, media.RTPPortEnd = first, last
	l := &listener{ch: ch, calls: o.Calls, log: o.Log, audio: newPrompts(o.Audio, o.Speak)}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("numero-vert"))
	if err != nil {
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	tran := diago.Transport{Transport: "udp", BindHost: ap.Addr().String(), BindPort: int(ap.Port())}
	if v.ExternalIP != "" {
		tran.ExternalHost = v.ExternalIP
		tran.MediaExternalIP = netip.MustParseAddr(v.ExternalIP).AsSlice()
	}
	dg := diago.NewDiago(ua,
		diago.WithTransport(tran),
		diago.WithLogger(slog.New(slog.DiscardHandler)),
		diago.WithMediaConfig(diago.MediaConfig{Codecs: []media.Codec{media.CodecAudioUlaw, media.CodecAudioAlaw, media.CodecTelephoneEvent8000}}),
		diago.WithServerRequestMiddleware(l.middleware),
	)
	ctx, cancel := context.WithCancel(ctx)
	if err := dg.ServeBackground(ctx, l.answer); err != nil {
		cancel()
		ua.Close()
		return nil, fmt.Errorf("sip listen on %s: %w", v.Listen, err)
	}
	l.log.Info("sip listening", "channel", ch.Name, "addr", v.Listen, "rtp_ports", fmt.Sprintf("%d-%d", first, last), "registration", v.Registrar != "")
	if v.Registrar != "" {
		l.wg.Add(1)
		go func() { defer l.wg.Done(); l.register(ctx, dg, v, password) }()
	}
	return func() {
		cancel()
		l.wg.Wait()
		ua.Close()
	}, nil
}

// middleware runs before diago sees a request: anything from outside
// allow_from gets 403 (an ACK, which has no answer, is dropped) and reaches
// no call, not even a re-INVITE or BYE naming one; a SIP INFO key goes to
// its call.
func (l *listener) middleware(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if !l.allowed(req.Source()) {
			if req.Method != sip.ACK {
				_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
			}
			if req.Method == sip.INVITE {
				l.log.Warn("sip call refused: source not in allow_from", "channel", l.ch.Name)
			}
			return
		}
		if req.Method == sip.INFO {
			l.info(req, tx)
			return
		}
		next(req, tx)
	}
}

// allowed reports whether a request from src ("ip:port") may reach the
// channel.
func (l *listener) allowed(src string) bool {
	ap, err := netip.ParseAddrPort(src)
	return err == nil && l.ch.AllowsSource(ap.Addr())
}

// info takes a key sent as SIP INFO (from an allowed source): 200 and the
// key to its call, or 4xx and nothing for a malformed body or an unknown
// call.
func (l *listener) info(req *sip.Request, tx sip.ServerTransaction) {
	respond := func(code int, reason string) { _ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil)) }
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	key, err := ParseINFO(ct, req.Body())
	if err != nil {
		respond(415, "Unsupported Media Type")
		return
	}
	id := ""
	if h := req.CallID(); h != nil {
		id = h.Value()
	}
	c, ok := l.live.Load(id)
	if !ok {
		respond(sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	c.(*callAudio).key(key)
	respond(sip.StatusOK, "OK")
}

// register keeps the hotline registered at the trunk's registrar,
// retrying with backoff when the registrar refuses or cannot be reached.
func (l *listener) register(ctx context.Context, dg *diago.Diago, v *config.Voice, password string) {
	host, _ := registrarAddr(v.Registrar) // Check passed at start
	uri := sip.Uri{User: v.Username, Host: host}
	if h, p, ok := strings.Cut(host, ":"); ok {
		uri.Host = h
		fmt.Sscanf(p, "%d", &uri.Port)
	}
	expiry := v.RegisterExpiry
	if expiry == 0 {
		expiry = defaultExpiry
	}
	wait := 5 * time.Second
	for ctx.Err() == nil {
		err := dg.Register(ctx, uri, diago.RegisterOptions{
			Username: v.Username, Password: password, Expiry: expiry,
			OnRegistered: func() { l.log.Info("sip registered", "channel", l.ch.Name) },
		})
		if ctx.Err() != nil {
			return
		}
		// The error may quote the registrar's response; it holds no
		// caller, only our own account, so its status is logged.
		l.log.Warn("sip registration failed, retrying", "channel", l.ch.Name, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Minute)
	}
}

// prompts holds the prompt recordings as G.711 frames, read once per
// file and law, and the speech of prompts with no recording.
type prompts struct {
	fs    fs.FS
	speak func(ctx context.Context, voice, text string) ([]byte, error)
	mu    sync.Mutex
	cache map[string][][]byte
}

// maxSpoken bounds the speech kept: catalogue texts and place names, a
// few hundred per language.
const maxSpoken = 2048

func newPrompts(f fs.FS, speak func(ctx context.Context, voice, text string) ([]byte, error)) *prompts {
	return &prompts{fs: f, speak: speak, cache: map[string][][]byte{}}
}

// spoken returns text voiced in voice, in law; ok is false without a
// speech engine or when it fails (the prompt is then skipped).
func (p *prompts) spoken(ctx context.Context, voice, text string, law Law) ([][]byte, bool) {
	if p.speak == nil || text == "" {
		return nil, false
	}
	k := fmt.Sprint(law, "\x00", voice, "\x00", text)
	p.mu.Lock()
	f, ok := p.cache[k]
	p.mu.Unlock()
	if ok {
		return f, f != nil
	}
	wav, err := p.speak(ctx, voice, text)
	if err != nil {
		return nil, false
	}
	s, err := ReadWAV(wav)
	if err != nil {
		return nil, false
	}
	f = Frames(s, law)
	p.mu.Lock()
	if len(p.cache) < maxSpoken {
		p.cache[k] = f
	}
	p.mu.Unlock()
	return f, true
}

// frames returns the clip at "/audio/<lang>/<key>.wav" in law; ok is false
// when there is no such recording or it is not 8 kHz 16-bit mono PCM.
func (p *prompts) frames(url string, law Law) ([][]byte, bool) {
	name, ok := strings.CutPrefix(url, "/audio/")
	if !ok || p.fs == nil {
		return nil, false
	}
	k := fmt.Sprint(law, "/", name)
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.cache[k]; ok {
		return f, f != nil
	}
	b, err := fs.ReadFile(p.fs, name)
	var f [][]byte
	if err == nil {
		if s, err := ReadWAV(b); err == nil {
			f = Frames(s, law)
		}
	}
	p.cache[k] = f
	return f, f != nil
}
