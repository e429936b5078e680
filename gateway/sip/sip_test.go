package sip

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"
	"github.com/zaf/g711"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/turn"
)

func tone(n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/sampleRate))
	}
	return s
}

// A WAV written here reads back sample for sample, and the reader refuses
// what the player cannot play (another rate, stereo, not RIFF).
func TestWAVRoundTrip(t *testing.T) {
	in := tone(1234)
	out, err := ReadWAV(WriteWAV(in))
	if err != nil || len(out) != len(in) {
		t.Fatalf("ReadWAV(WriteWAV) = %d samples, %v; want %d", len(out), err, len(in))
	}
	for i := range in {
		if in[i] != out[i] {
			t.Fatalf("sample %d = %d, want %d", i, out[i], in[i])
		}
	}
	wav := WriteWAV(in)
	stereo := bytes.Clone(wav)
	stereo[22] = 2
	rate := bytes.Clone(wav)
	rate[24], rate[25] = 0x44, 0xac // 44100
	for name, b := range map[string][]byte{"stereo": stereo, "44.1 kHz": rate, "empty": nil, "text": []byte("RIFF-prompt-fr/x.wav")} {
		if _, err := ReadWAV(b); !errors.Is(err, errNotPCM) {
			t.Errorf("%s: err = %v, want errNotPCM", name, err)
		}
	}
}

// A clip becomes 20 ms frames of 160 bytes, the last padded with
// silence, each byte the library's companding of its sample in the
// negotiated law; decoding gives the samples back within G.711's error.
func TestFramesAndDecode(t *testing.T) {
	in := tone(2*frameSamples + 7)
	for _, law := range []Law{ULaw, ALaw} {
		frames := Frames(in, law)
		if len(frames) != 3 {
			t.Fatalf("%d frames for %d samples, want 3", len(frames), len(in))
		}
		enc := g711.EncodeUlawFrame
		if law == ALaw {
			enc = g711.EncodeAlawFrame
		}
		for i, f := range frames {
			if len(f) != frameSamples {
				t.Fatalf("frame %d has %d bytes", i, len(f))
			}
		}
		if frames[1][3] != enc(in[frameSamples+3]) || frames[2][6] != enc(in[2*frameSamples+6]) || frames[2][7] != enc(0) {
			t.Errorf("law %d: frames do not hold the companded samples, padded with silence", law)
		}
		back := Decode(bytes.Join(frames, nil), law)
		for i, s := range in {
			if d := math.Abs(float64(back[i]) - float64(s)); d > math.Abs(float64(s))/16+16 {
				t.Fatalf("law %d sample %d: %d → %d", law, i, s, back[i])
			}
		}
	}
}

// Keys sent as SIP INFO in the bodies trunks and gateways send.
func TestParseINFO(t *testing.T) {
	for _, c := range []struct {
		ct, body string
		want     rune
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5'},
		{"application/dtmf-relay", "Signal= #\nDuration=100", '#'},
		{"Application/DTMF-Relay; charset=utf-8", "signal=*\r\n", '*'},
		{"application/dtmf-relay", "Signal=11\r\nDuration=160", '#'},
		{"application/dtmf-relay", "Signal=10", '*'},
		{"application/dtmf", "7", '7'},
		{"application/dtmf-relay", "Signal=a", 'A'},
	} {
		got, err := ParseINFO(c.ct, []byte(c.body))
		if err != nil || got != c.want {
			t.Errorf("ParseINFO(%q, %q) = %q, %v; want %q", c.ct, c.body, got, err, c.want)
		}
	}
	for _, c := range []struct{ ct, body string }{
		{"application/dtmf-relay", "Duration=160"},
		{"application/dtmf-relay", "Signal=55"},
		{"application/dtmf-relay", "Signal=x"},
		{"text/plain", "Signal=5"},
		{"application/dtmf", ""},
		{"", "5"},
	} {
		if k, err := ParseINFO(c.ct, []byte(c.body)); err == nil {
			t.Errorf("ParseINFO(%q, %q) = %q, want an error", c.ct, c.body, k)
		}
	}
}

// The number is the user part of P-Asserted-Identity, else of From.
func TestUserPart(t *testing.T) {
	for v, want := range map[string]string{
		`"Awa" <sip:+22376000001@10.0.0.1;user=phone>`: "+22376000001",
		`<tel:+22376000002>`:                           "+22376000002",
		`sip:76000003@trunk`:                           "76000003",
		`<SIP:0022376000004@x>`:                        "0022376000004",
		`"anonymous"`:                                  "",
	} {
		if got := userPart(v); got != want {
			t.Errorf("userPart(%q) = %q, want %q", v, got, want)
		}
	}
}

// The step a reply's action names, else the one before.
func TestNextStep(t *testing.T) {
	if got := nextStep(turn.VoiceReply{Action: "/c/x/voice?s=7"}, 3); got != 7 {
		t.Errorf("nextStep = %d, want 7", got)
	}
	if got := nextStep(turn.VoiceReply{Hangup: true}, 3); got != 3 {
		t.Errorf("nextStep(hang-up) = %d, want 3", got)
	}
}

// Only allow_from reaches a channel: an INVITE or INFO from elsewhere is
// refused by source address ("ip:port" as sipgo gives it).
func TestSourceAddressCheck(t *testing.T) {
	cfg := loadChannel(t, `    allow_from: [192.0.2.0/28, "2001:db8::1"]
    voice: {listen: "127.0.0.1:5060"}
`)
	l := &listener{ch: cfg.Channels[0]}
	for src, want := range map[string]bool{
		"192.0.2.5:5060": true, "192.0.2.16:5060": false, "[2001:db8::1]:5070": true,
		"[::ffff:192.0.2.1]:5060": true, "198.51.100.1:5060": false, "garbage": false, "": false,
	} {
		if got := l.allowed(src); got != want {
			t.Errorf("allowed(%q) = %v, want %v", src, got, want)
		}
	}
}

// A voice message is what was heard between start and stop; one with
// under half a second of speech is none.
func TestRecordingNeedsSpeech(t *testing.T) {
	a := &callAudio{keys: make(chan rune, 1)}
	speech := bytes.Join(Frames(tone(frameSamples*30), ULaw), nil)
	a.heard(speech[:frameSamples]) // before the beep: not kept
	a.startRecording(120)
	for i := 0; i < 30; i++ {
		a.heard(speech[i*frameSamples : (i+1)*frameSamples])
	}
	wav := a.stopRecording()
	s, err := ReadWAV(wav)
	if err != nil || len(s) != 30*frameSamples {
		t.Fatalf("message: %d samples, %v; want %d", len(s), err, 30*frameSamples)
	}
	a.startRecording(120)
	silence := bytes.Repeat([]byte{g711.EncodeUlawFrame(0)}, frameSamples)
	for i := 0; i < 100; i++ {
		a.heard(silence)
	}
	if wav := a.stopRecording(); wav != nil {
		t.Errorf("2 s of silence kept as a %d-byte message", len(wav))
	}
	a.startRecording(1) // 1 s at most: 50 frames
	for i := 0; i < 80; i++ {
		a.heard(speech[:frameSamples])
	}
	if full, _ := a.recordingState(); !full {
		t.Error("a 1 s message is not full after 1.6 s")
	}
	if s, _ := ReadWAV(a.stopRecording()); len(s) != 50*frameSamples {
		t.Errorf("capped message has %d samples, want %d", len(s), 50*frameSamples)
	}
	_ = time.Second
}

func loadChannel(t *testing.T, extra string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(configHead+extra+configTail))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const configHead = "channels:\n  - id: sip-trunk\n    provider: sip\n    country: ML\n"
const configTail = "teams:\n  - {id: meal, kind: meal, national: true, supervisor: s}\n"

// A sip channel's mistakes are refused at start, each with file:line.
func TestConfigErrors(t *testing.T) {
	list := provider.List{Provider}
	for _, c := range []struct{ name, yaml, want string }{
		{"ok, IP trunk", "    allow_from: [192.0.2.1]\n    voice: {listen: \"0.0.0.0:5060\", rtp_ports: 20000-20099, external_ip: 203.0.113.7}\n", ""},
		{"ok, registration", "    allow_from: [192.0.2.1]\n    voice:\n      listen: \"0.0.0.0:5060\"\n      registrar: sip.operator.ml\n      username: \"80001234\"\n      password: {env: HOTLINE_SIP_PASSWORD}\n", ""},
		{"no allow_from", "    voice: {listen: \"0.0.0.0:5060\"}\n", "test.yaml:2: channel \"sip-trunk\": allow_from is required"},
		{"no listen", "    allow_from: [192.0.2.1]\n    voice: {rtp_ports: 20000-20099}\n", "test.yaml:2: channel \"sip-trunk\": voice.listen is required"},
		{"listen not ip:port", "    allow_from: [192.0.2.1]\n    voice: {listen: \"sip.example.org:5060\"}\n", "voice.listen: \"sip.example.org:5060\" is not an IP:port"},
		{"odd rtp start", "    allow_from: [192.0.2.1]\n    voice: {listen: \"0.0.0.0:5060\", rtp_ports: 20001-20099}\n", "must start on an even port"},
		{"rtp range", "    allow_from: [192.0.2.1]\n    voice: {listen: \"0.0.0.0:5060\", rtp_ports: \"80-90\"}\n", "within 1024-65535"},
		{"rtp words", "    allow_from: [192.0.2.1]\n    voice: {listen: \"0.0.0.0:5060\", rtp_ports: many}\n", "is not a range"},
		{"external ip", "    allow_from: [192.0.2.1]\n    voice: {listen: \"0.0.0.0:5060\", external_ip: my.host}\n", "voice.external_ip: \"my.host\" is not an IP address"},
		{"registrar without password", "    allow_from: [192.0.2.1]\n    voice: {listen: \"0.0.0.0:5060\", registrar: sip.operator.ml, username: u}\n", "voice.registrar needs voice.username and voice.password"},
		{"password without registrar", "    allow_from: [192.0.2.1]\n    voice: {listen: \"0.0.0.0:5060\", username: u, password: {env: X}}\n", "give voice.registrar too"},
		{"password literal", "    allow_from: [192.0.2.1]\n    voice: {listen: \"0.0.0.0:5060\", registrar: r, username: u, password: {demo: hunter2}}\n", "voice.password: a literal (demo:) value must start with \"demo-\""},
		{"http fields", "    allow_from: [192.0.2.1]\n    voice: {listen: \"0.0.0.0:5060\", public_url: \"https://x.org\"}\n", "are for HTTP providers"},
		{"sms", "    allow_from: [192.0.2.1]\n    sms: {from: \"1\"}\n", "sip offers no SMS here"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Parse("test.yaml", []byte(configHead+c.yaml+configTail))
			if err == nil {
				err = list.Check(cfg)
			}
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// The HTTP voice route of a SIP channel takes nothing.
func TestHTTPRefused(t *testing.T) {
	if err := (httpRefused{}).Authenticate("/c/trunk/voice", func(string) string { return "" }, "", nil); err == nil {
		t.Error("a voice callback on a SIP channel was accepted")
	}
}

// A prompt with no recording is voiced once per text, voice and law, and
// kept; without a speech engine, or when it fails, it is skipped.
func TestSpokenPrompts(t *testing.T) {
	calls := 0
	speak := func(_ context.Context, voice, text string) ([]byte, error) {
		calls++
		if text == "fails" {
			return nil, errors.New("espeak-ng: exit status 1")
		}
		return WriteWAV(tone(frameSamples * 3)), nil
	}
	p := newPrompts(nil, speak)
	for range 2 {
		f, ok := p.spoken(context.Background(), "fr-FR", "Mopti", ALaw)
		if !ok || len(f) != 3 || f[0][5] != ALaw.encode(tone(6)[5]) {
			t.Fatalf("spoken = %d frames, %v", len(f), ok)
		}
	}
	if calls != 1 {
		t.Errorf("synthesised %d times, want once", calls)
	}
	if _, ok := p.spoken(context.Background(), "fr-FR", "fails", ULaw); ok {
		t.Error("a failed synthesis played")
	}
	if _, ok := newPrompts(nil, nil).spoken(context.Background(), "fr-FR", "Mopti", ULaw); ok {
		t.Error("spoken without a speech engine")
	}
}

// A withheld number is keyed by the call alone, never shared by callers.
func TestWithheldNumber(t *testing.T) {
	if got := callerOrWithheld("+22376000001", "sip-1"); got != "+22376000001" {
		t.Errorf("a number became %q", got)
	}
	a, b := callerOrWithheld("anonymous", "sip-1"), callerOrWithheld("anonymous", "sip-2")
	if a == b || a == "anonymous" || callerOrWithheld("", "sip-3") == "" {
		t.Errorf("withheld numbers keyed %q and %q", a, b)
	}
}

// Requests reach the call only from allow_from; a SIP INFO key goes to its
// call (200), a malformed one or one for no call is refused (4xx) and
// queues nothing.
func TestMiddleware(t *testing.T) {
	cfg := loadChannel(t, "    allow_from: [192.0.2.1]\n    voice: {listen: \"127.0.0.1:5060\"}\n")
	l := &listener{ch: cfg.Channels[0], log: slog.New(slog.DiscardHandler)}
	a := &callAudio{keys: make(chan rune, 4)}
	l.live.Store("call-1", a)
	passed := 0
	h := l.middleware(func(*sip.Request, sip.ServerTransaction) { passed++ })
	send := func(m sip.RequestMethod, src, callID, ct, body string) int {
		req := sip.NewRequest(m, sip.Uri{User: "80001234", Host: "127.0.0.1"})
		req.SetSource(src)
		req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP "+src+";branch=z9hG4bK1"))
		req.AppendHeader(sip.NewHeader("From", "<sip:+22376000001@trunk>;tag=1"))
		req.AppendHeader(sip.NewHeader("To", "<sip:80001234@hotline>"))
		req.AppendHeader(sip.NewHeader("CSeq", "1 "+string(m)))
		req.AppendHeader(sip.NewHeader("Call-ID", callID))
		if ct != "" {
			req.AppendHeader(sip.NewHeader("Content-Type", ct))
		}
		req.SetBody([]byte(body))
		tx := siptest.NewServerTxRecorder(req)
		h(req, tx)
		if res := tx.Result(); len(res) > 0 {
			return int(res[0].StatusCode)
		}
		return 0
	}
	if code := send(sip.INVITE, "198.51.100.7:5060", "x", "", ""); code != 403 || passed != 0 {
		t.Errorf("stranger's INVITE: %d, passed %d", code, passed)
	}
	if code := send(sip.BYE, "198.51.100.7:5060", "call-1", "", ""); code != 403 || passed != 0 {
		t.Errorf("stranger's BYE: %d, passed %d", code, passed)
	}
	if code := send(sip.INFO, "198.51.100.7:5060", "call-1", "application/dtmf-relay", "Signal=1"); code != 403 || len(a.keys) != 0 {
		t.Errorf("stranger's INFO: %d, %d keys", code, len(a.keys))
	}
	if send(sip.INVITE, "192.0.2.1:5060", "y", "", ""); passed != 1 {
		t.Error("the trunk's INVITE did not pass")
	}
	if code := send(sip.INFO, "192.0.2.1:5060", "call-1", "application/dtmf-relay", "Signal=7\r\nDuration=160"); code != 200 || len(a.keys) != 1 || <-a.keys != '7' {
		t.Errorf("INFO key: %d", code)
	}
	for _, c := range []struct{ callID, ct, body string }{
		{"call-1", "application/dtmf-relay", "Signal=x"},
		{"call-1", "text/plain", "7"},
		{"call-2", "application/dtmf-relay", "Signal=7"},
	} {
		if code := send(sip.INFO, "192.0.2.1:5060", c.callID, c.ct, c.body); code < 400 || code > 499 || len(a.keys) != 0 {
			t.Errorf("INFO %+v: %d, %d keys", c, code, len(a.keys))
		}
	}
}
