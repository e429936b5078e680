package e2e

import (
	"bytes"
	"cmp"
	"context"
	be "encoding/binary"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zaf/g711"

	"github.com/numerovert/hotline/gateway/sip"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/recordings"
)

// Debian's sip-tester package.
const sippBin = "/usr/bin/sipp"

func requireSIPp(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(sippBin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing under CI (apt-get install sip-tester)", sippBin)
		}
		t.Skipf("%s not installed (apt-get install sip-tester)", sippBin)
	}
}

// sipLocales copies the shipped locales and gives every French prompt of
// the script a recording of its own: one 20 ms frame whose G.711 bytes
// name it, so that the test knows which prompt each RTP packet the hotline
// sends belongs to. It returns the directory and that frame → prompt map.
func sipLocales(t testing.TB) (string, map[string]string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "locales")
	if err := os.CopyFS(dir, os.DirFS("../locales")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "audio")); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "prompts", "script", "--lang", "fr", dir).Output()
	if err != nil {
		t.Fatalf("prompts script: %v", err)
	}
	clips := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "fr" {
			continue
		}
		i := len(clips)
		frame := make([]byte, 160)
		for k := range frame {
			frame[k] = byte(0x20 + k%64)
		}
		frame[0], frame[1] = byte(0x10+i/64), byte(0x10+i%64)
		samples := make([]int16, len(frame))
		for k, b := range frame {
			samples[k] = g711.DecodeUlawFrame(b)
		}
		p := filepath.Join(dir, filepath.FromSlash(f[1]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, sip.WriteWAV(samples), 0o644); err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(f[1], "audio/"), ".wav")
		clips[string(frame)] = name
		alaw := make([]byte, len(samples)) // the same prompt as PCMA
		for k, v := range samples {
			alaw[k] = g711.EncodeAlawFrame(v)
		}
		clips[string(alaw)] = name
	}
	if len(clips) < 80 {
		t.Fatalf("prompt script lists %d French recordings, want the whole menu:\n%s", len(clips), out)
	}
	return dir, clips
}

// phone is the caller's side of the media: a UDP socket the hotline's RTP
// is sent to (the INVITE's SDP names it), which tells the prompts heard
// from the packets and keeps each packet's arrival time.
type phone struct {
	conn  *net.UDPConn
	clips map[string]string
	mu    sync.Mutex
	plays []string
	times []time.Time
	seqs  []uint16
	ssrcs []uint32
	other int // packets of no prompt (the beep)
}

func newPhone(t testing.TB, clips map[string]string) *phone {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &phone{conn: conn, clips: clips}
	go p.run()
	t.Cleanup(func() { conn.Close() })
	return p
}

func (p *phone) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

func (p *phone) run() {
	buf := make([]byte, 2048)
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			return
		}
		if pt := buf[1] & 0x7f; n < 12 || buf[0]>>6 != 2 || (pt != 0 && pt != 8) {
			continue // not G.711 RTP
		}
		hdr := 12 + 4*int(buf[0]&0x0f)
		if buf[0]&0x10 != 0 && n >= hdr+4 {
			hdr += 4 + 4*int(be.BigEndian.Uint16(buf[hdr+2:]))
		}
		if hdr > n {
			continue
		}
		p.mu.Lock()
		p.times = append(p.times, time.Now())
		p.seqs = append(p.seqs, be.BigEndian.Uint16(buf[2:]))
		p.ssrcs = append(p.ssrcs, be.BigEndian.Uint32(buf[8:]))
		if name, ok := p.clips[string(buf[hdr:n])]; ok {
			p.plays = append(p.plays, name)
		} else {
			p.other++
		}
		p.mu.Unlock()
	}
}

func (p *phone) heard() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.plays)
}

// rtpStream is one continuous RTP stream from the caller, written as a
// pcap for sipp's play_pcap_audio: one SSRC, sequence numbers and
// timestamps running on over keys, pauses and speech (sipp sends each
// packet as captured, so separate captures would restart them).
type rtpStream struct {
	buf bytes.Buffer
	at  time.Duration // capture time of the next packet
	seq uint16
	ts  uint32
}

func newRTPStream() *rtpStream {
	s := &rtpStream{seq: 1000, ts: 160000}
	// pcap global header: microseconds, v2.4, snaplen 65535, Ethernet.
	for _, v := range []any{uint32(0xa1b2c3d4), uint16(2), uint16(4), int32(0), uint32(0), uint32(65535), uint32(1)} {
		_ = be.Write(&s.buf, be.LittleEndian, v)
	}
	return s
}

func (s *rtpStream) packet(pt byte, marker bool, ts uint32, payload []byte) {
	rtp := make([]byte, 12, 12+len(payload))
	rtp[0], rtp[1] = 0x80, pt
	if marker {
		rtp[1] |= 0x80
	}
	be.BigEndian.PutUint16(rtp[2:], s.seq)
	be.BigEndian.PutUint32(rtp[4:], ts)
	be.BigEndian.PutUint32(rtp[8:], 0x4e56_5349)
	rtp = append(rtp, payload...)
	s.seq++
	udp := make([]byte, 8, 8+len(rtp))
	be.BigEndian.PutUint16(udp[0:], 6000)
	be.BigEndian.PutUint16(udp[2:], 6000)
	be.BigEndian.PutUint16(udp[4:], uint16(8+len(rtp)))
	udp = append(udp, rtp...)
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1}
	be.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(be.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	be.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	frame := append([]byte{0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00}, ip...)
	frame = append(frame, udp...)
	for _, v := range []uint32{uint32(s.at / time.Second), uint32(s.at % time.Second / time.Microsecond), uint32(len(frame)), uint32(len(frame))} {
		_ = be.Write(&s.buf, be.LittleEndian, v)
	}
	s.buf.Write(frame)
	s.at += 20 * time.Millisecond
	s.ts += 160
}

// key sends an RFC 4733 event: 100 ms of tone in five updates, then the
// end three times, all on the event's first timestamp.
func (s *rtpStream) key(k rune) {
	ev := byte(strings.IndexRune("0123456789*#", k))
	start := s.ts
	for i := 1; i <= 5; i++ {
		d := uint16(160 * i)
		s.packet(101, i == 1, start, []byte{ev, 10, byte(d >> 8), byte(d)})
	}
	for range 3 {
		s.packet(101, false, start, []byte{ev, 0x80 | 10, 0x03, 0x20})
	}
}

func (s *rtpStream) keys(ks string, gap time.Duration) {
	for _, k := range ks {
		s.key(k)
		s.pause(gap)
	}
}

// pause leaves a gap in the capture with no packet (silence suppressed).
func (s *rtpStream) pause(d time.Duration) {
	s.at += d
	s.ts += uint32(d / time.Millisecond * 8)
}

// speak sends d of a 300 Hz tone as PCMU: the voice message.
func (s *rtpStream) speak(d time.Duration) {
	n := int(d / (20 * time.Millisecond))
	for i := range n {
		f := make([]byte, 160)
		for j := range f {
			f[j] = g711.EncodeUlawFrame(int16(9000 * math.Sin(2*math.Pi*300*float64(i*160+j)/8000)))
		}
		s.packet(0, i == 0, s.ts, f)
	}
}

func (s *rtpStream) write(t testing.TB, path string) string {
	t.Helper()
	if err := os.WriteFile(path, s.buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sippScenario is a UAC call: INVITE from number (PCMU and
// telephone-event, media to the test's phone), ACK, then body (keys by
// RTP or SIP INFO), then the hotline's BYE, answered 200.
const sippScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="hotline caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{NUMBER}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:caller@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 53655765 2353687637 IN IP4 [local_ip]
      s=-
      c=IN IP4 127.0.0.1
      t=0 0
      m=audio {MEDIA} RTP/AVP {CODEC} 101
      a=rtpmap:{CODEC} {CODECNAME}/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=sendrecv
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{NUMBER}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:caller@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
{BODY}
  <recv request="BYE" timeout="{WAIT}"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:caller@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
</scenario>
`

// sippRefused is a call the hotline must refuse with 403 (a stranger's
// address): INVITE, 403, ACK.
const sippRefused = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="stranger">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{NUMBER}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:caller@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio {MEDIA} RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="403"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{NUMBER}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
</scenario>
`

// playPCAP is a scenario body that plays one RTP capture.
func playPCAP(path string) string {
	return `  <nop><action><exec play_pcap_audio="` + path + `"/></action></nop>`
}

// infoKeys is a scenario body that sends keys as SIP INFO
// (application/dtmf-relay), gap apart.
func infoKeys(keys string, gap time.Duration) string {
	var b strings.Builder
	for i, k := range keys {
		fmt.Fprintf(&b, `  <pause milliseconds="%d"/>
  <send>
    <![CDATA[
      INFO sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{NUMBER}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: %d INFO
      Contact: sip:caller@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=%c
      Duration=160
    ]]>
  </send>
  <recv response="200"/>
`, gap/time.Millisecond, i+2, k)
	}
	return b.String()
}

// sipCall is one call placed with sipp.
type sipCall struct {
	number, body string
	alaw         bool
	from         string        // the caller's address (default 127.0.0.1)
	refused      bool          // the hotline must answer 403
	wait         time.Duration // for the hotline's BYE after the body
}

// place runs sipp for one call to the hotline's SIP address and returns
// its output; the call must end with the hotline's BYE.
func (c sipCall) place(t *testing.T, dir, hotline string, ph *phone) {
	t.Helper()
	codec, name := "0", "PCMU"
	if c.alaw {
		codec, name = "8", "PCMA"
	}
	r := strings.NewReplacer("{BODY}", c.body, "{NUMBER}", c.number, "{MEDIA}", strconv.Itoa(ph.port()),
		"{CODEC}", codec, "{CODECNAME}", name, "{WAIT}", strconv.Itoa(int(c.wait/time.Millisecond)))
	scen := r.Replace(sippScenario)
	if c.refused {
		scen = r.Replace(sippRefused)
	}
	from := cmp.Or(c.from, "127.0.0.1")
	path := filepath.Join(dir, fmt.Sprintf("call-%d.xml", time.Now().UnixNano()))
	if err := os.WriteFile(path, []byte(scen), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.wait+60*time.Second)
	defer cancel()
	_, sport, _ := strings.Cut(freeAddr(t), ":")
	_, mport, _ := strings.Cut(freeAddr(t), ":")
	cmd := exec.CommandContext(ctx, sippBin, hotline, "-sf", path, "-m", "1", "-l", "1", "-nostdin",
		"-i", from, "-mi", from, "-p", sport, "-mp", mport, "-s", "80001234",
		"-timeout", strconv.Itoa(int((c.wait+50*time.Second)/time.Second))+"s", "-timeout_error", "-trace_err")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		errs, _ := filepath.Glob(filepath.Join(dir, "*errors.log"))
		var logs []byte
		for _, e := range errs {
			b, _ := os.ReadFile(e)
			logs = append(logs, b...)
		}
		t.Fatalf("sipp: %v\n%s\n%s\nheard: %v", err, tail(out, 3000), tail(logs, 3000), ph.heard())
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// sipServer runs the hotline with the demo config plus a SIP channel on a
// free UDP port that allows loopback only; it returns the server and the
// SIP address.
func sipServer(t testing.TB, loc, allow string, tts bool) (*server, string) {
	t.Helper()
	return sipServerWith(t, loc, "", allow, fmt.Sprintf("      tts: %t\n", tts))
}

// sipServerWith is sipServer with more voice settings, and a keys
// directory (fresh when empty).
func sipServerWith(t testing.TB, loc, keys, allow, voice string) (*server, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sipAddr := uc.LocalAddr().String()
	uc.Close()
	rtp := 20000 + 2000*(os.Getpid()%10)
	channel := fmt.Sprintf(`channels:
  - id: demo-sip-trunk
    name: Demo SIP trunk
    provider: sip
    country: ML
    allow_from: [%s]
    voice:
      listen: "%s"
      rtp_ports: %d-%d
`, allow, sipAddr, rtp, rtp+1999) + voice
	cfg := bytes.Replace(b, []byte("channels:\n"), []byte(channel), 1)
	addr := freeAddr(t)
	cfg = bytes.ReplaceAll(cfg, []byte("127.0.0.1:8080"), []byte(addr))
	path := filepath.Join(t.TempDir(), "hotline.yaml")
	if err := os.WriteFile(path, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", keys, "--addr", addr, "--config", path, "--locales", loc)
	eventually(t, "sip listening", func() bool { return strings.Contains(srv.logs.String(), "sip listening") })
	return srv, sipAddr
}

// complaintStream is a caller who presses the keys of a complaint
// (French, the menu, left out, Ténenkou, its first commune, food, a voice message), speaks
// for 3 s after the beep, ends the message with #, declines the call-back
// (1), then sends and keeps the language (3): one RTP capture.
func complaintStream() *rtpStream {
	s := newRTPStream()
	s.pause(700 * time.Millisecond)
	s.keys("2211312", 700*time.Millisecond)
	s.pause(800 * time.Millisecond) // the record prompt and the beep
	s.speak(3 * time.Second)
	s.pause(300 * time.Millisecond)
	s.keys("#", 900*time.Millisecond)
	s.keys("1", 900*time.Millisecond) // no call-back
	s.keys("3", 0)
	return s
}

// A call from the trunk files a complaint by keypad (RFC 4733 events) and
// voice message: the case is stored with the message encrypted, and the
// caller hears the reference and PIN read back twice. A second call from
// the same number follows it up with keys sent as SIP INFO and hears the
// reference and status; a call in PCMA works the same. Nothing of the
// number is left in data or logs.
func TestSIPComplaint(t *testing.T) {
	requireSIPp(t)
	loc, clips := sipLocales(t)
	// No text-to-speech: the capture's key timing then meets the menu
	// (espeak-ng's first synthesis of each place name takes a while).
	srv, sipAddr := sipServer(t, loc, "127.0.0.1", false)
	dir := t.TempDir()
	const number = "+22376000051"

	ph := newPhone(t, clips)
	pcap := complaintStream().write(t, filepath.Join(dir, "complaint.pcap"))
	sipCall{number: number, body: playPCAP(pcap), wait: 40 * time.Second}.place(t, dir, sipAddr, ph)
	plays := ph.heard()
	if !slices.Contains(plays, "fr/voice.record") || !slices.Contains(plays, "fr/voice.recorded") {
		t.Fatalf("no voice message step or summary: %v", plays)
	}
	refs, pins := digitsAfter(plays, "voice.reference"), digitsAfter(plays, "voice.pin")
	if len(refs) != 2 || refs[0] != refs[1] || len(refs[0]) != 8 {
		t.Fatalf("reference read back %q, want the same 8 digits twice; heard %v", refs, plays)
	}
	if len(pins) != 2 || pins[0] != pins[1] || len(pins[0]) != 4 {
		t.Fatalf("PIN read back %q, want the same 4 digits twice", pins)
	}

	// Follow-up, keys by SIP INFO: the language is remembered (3), so 2
	// is the menu, 2 "follow my complaint", then reference and PIN, each ended by #.
	follow := newPhone(t, clips)
	sipCall{number: number, body: infoKeys("22"+refs[0]+"#"+pins[0]+"#", 400*time.Millisecond), wait: 40 * time.Second}.place(t, dir, sipAddr, follow)
	heard := follow.heard()
	if got := digitsAfter(heard, "voice.reference"); len(got) == 0 || got[0] != refs[0] || !slices.Contains(heard, "fr/status.received") {
		t.Errorf("follow-up by SIP heard: %v", heard)
	}
	srv.stop(t)

	list := cases(t, srv.DataDir)
	if len(list) != 1 {
		t.Fatalf("%d cases, want 1", len(list))
	}
	c := list[0]
	if c.Medium != "voice" || c.Channel != "demo-sip-trunk" || c.Language != "fr" || c.Category != "exclusion" ||
		c.Region != "ML05" || c.Assistance != "food" || c.Reference != refs[0] || c.Recording == "" {
		t.Errorf("case = %+v", c)
	}
	kd, _, err := keystore.Open(srv.KeysDir)
	if err != nil {
		t.Fatal(err)
	}
	store, _, err := recordings.Open(filepath.Join(srv.DataDir, "recordings.db"), kd)
	if err != nil {
		t.Fatal(err)
	}
	wav, err := store.Get(context.Background(), c.Recording)
	store.Close()
	if err != nil {
		t.Fatalf("stored recording: %v", err)
	}
	samples, err := sip.ReadWAV(wav)
	if err != nil || len(samples) < 2*8000 || len(samples) > 5*8000 {
		t.Errorf("voice message: %d samples (%v), want the 3 s spoken", len(samples), err)
	}
	for path, b := range filesUnder(t, srv.DataDir) {
		if bytes.Contains(b, wav[44:2000]) {
			t.Errorf("%s holds the voice message in clear", path)
		}
	}
	needles := []string{"76000051", "22376000051"}
	for path, b := range filesUnder(t, srv.DataDir) {
		if f := containsAny(b, needles...); len(f) > 0 {
			t.Errorf("%s holds %v", path, f)
		}
	}
	if f := containsAny([]byte(srv.logs.String()), needles...); len(f) > 0 {
		t.Errorf("log holds %v:\n%s", f, srv.logs)
	}
}

// A complaint made over USSD is followed up from another phone through
// the SIP trunk, in PCMA with keys as RFC 4733 events: the caller hears
// the reference and its status. A wrong PIN hears neither, and a call
// from an address outside allow_from is refused with 403 and reaches
// nothing.
func TestSIPFollowUp(t *testing.T) {
	requireSIPp(t)
	loc, clips := sipLocales(t)
	srv, sipAddr := sipServer(t, loc, "127.0.0.1", true)
	dir := t.TempDir()

	c := dial(t, srv, "+22376000052")
	c.next = "Suivant"
	c.choose("Francais")
	c.complaint()
	c.choose("Pas sur la liste")
	c.choose("Mopti")
	c.choose("Tenenkou")
	c.choose("Diafarabé")
	c.choose("Nourriture")
	c.choose("Passer")
	c.choose("Envoyer")
	ref := c.reference()
	m := pinOnScreen.FindStringSubmatch(c.screen.Text)
	if m == nil {
		t.Fatalf("no PIN on the end screen:\n%s", c.screen.Text)
	}
	pin, wrong := m[1], "0000"
	if pin == wrong {
		wrong = "1111"
	}

	followUp := func(pin string) ([]string, int) {
		t.Helper()
		s := newRTPStream()
		s.pause(700 * time.Millisecond)
		s.keys("222", 700*time.Millisecond) // French, the menu, follow my complaint
		s.keys(ref+"#", 250*time.Millisecond)
		s.keys(pin+"#", 250*time.Millisecond)
		ph := newPhone(t, clips)
		pcap := s.write(t, filepath.Join(dir, "follow-"+pin+".pcap"))
		sipCall{number: "+22376000053", alaw: true, body: playPCAP(pcap), wait: 40 * time.Second}.place(t, dir, sipAddr, ph)
		ph.mu.Lock()
		defer ph.mu.Unlock()
		return slices.Clone(ph.plays), ph.other
	}
	heard, spoken := followUp(pin)
	if got := digitsAfter(heard, "voice.reference"); len(got) == 0 || got[0] != ref || !slices.Contains(heard, "fr/status.received") {
		t.Errorf("follow-up in PCMA heard: %v", heard)
	}
	// What has no recording here is voiced with espeak-ng when installed.
	if _, err := exec.LookPath("espeak-ng"); err == nil && spoken == 0 {
		t.Error("nothing was voiced by text-to-speech")
	}
	heard, _ = followUp(wrong)
	if slices.Contains(heard, "fr/status.received") || len(digitsAfter(heard, "voice.reference")) > 0 {
		t.Errorf("a wrong PIN heard the case: %v", heard)
	}

	// 127.0.0.2 is loopback too, but not in allow_from.
	stranger := newPhone(t, clips)
	sipCall{number: "+22376000054", from: "127.0.0.2", refused: true, wait: time.Second}.place(t, dir, sipAddr, stranger)
	if got := stranger.heard(); len(got) > 0 {
		t.Errorf("a refused call heard %v", got)
	}
	srv.stop(t)
	if n := len(cases(t, srv.DataDir)); n != 1 {
		t.Errorf("%d cases, want the one made over USSD", n)
	}
	if f := containsAny([]byte(srv.logs.String()), "76000052", "76000053", "76000054"); len(f) > 0 {
		t.Errorf("log holds %v:\n%s", f, srv.logs)
	}
}

// sippRegistrar plays the operator's registrar: it challenges the first
// REGISTER (digest, MD5) and accepts the second only if its credentials
// are the account's (sipp's verifyauth); anything else gets 403.
const sippRegistrar = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="registrar">
  <recv request="REGISTER"/>
  <send>
    <![CDATA[
      SIP/2.0 401 Unauthorized
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      WWW-Authenticate: Digest realm="trunk.test", nonce="4e756d65726f56657274", algorithm=MD5
      Content-Length: 0
    ]]>
  </send>
  <recv request="REGISTER">
    <action>
      <verifyauth assign_to="authvalid" username="80001234" password="demo-sip-password"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good"/>
  <send next="end">
    <![CDATA[
      SIP/2.0 403 Forbidden
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <label id="good"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Contact:];expires=300
      Expires: 300
      Content-Length: 0
    ]]>
  </send>
  <label id="end"/>
</scenario>
`

// With voice.registrar the hotline registers with the trunk as its
// account, answering the registrar's digest challenge with the password
// from the keys directory; a wrong password is not registered.
func TestSIPRegistration(t *testing.T) {
	requireSIPp(t)
	for _, c := range []struct {
		name, password string
		registered     bool
	}{{"right password", "demo-sip-password", true}, {"wrong password", "demo-not-the-password", false}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			scen := filepath.Join(dir, "registrar.xml")
			if err := os.WriteFile(scen, []byte(sippRegistrar), 0o644); err != nil {
				t.Fatal(err)
			}
			_, port, _ := strings.Cut(freeAddr(t), ":")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			registrar := exec.CommandContext(ctx, sippBin, "-sf", scen, "-i", "127.0.0.1", "-p", port, "-m", "1", "-nostdin", "-timeout", "25s", "-trace_err")
			registrar.Dir = dir
			var out syncBuffer
			registrar.Stdout, registrar.Stderr = &out, &out
			if err := registrar.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			var waitErr error
			go func() { waitErr = registrar.Wait(); close(done) }()
			t.Cleanup(func() { cancel(); <-done })

			keys := filepath.Join(t.TempDir(), "keys")
			if err := os.MkdirAll(keys, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(keys, "sip-password"), []byte(c.password+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			loc, _ := sipLocales(t)
			srv, _ := sipServerWith(t, loc, keys, "127.0.0.1", fmt.Sprintf(`      registrar: "127.0.0.1:%s"
      username: "80001234"
      password: {file: sip-password}
      register_expiry: 120s
`, port))
			select {
			case <-done:
				if c.registered && waitErr != nil {
					t.Errorf("registrar: %v\n%s", waitErr, tail([]byte(out.String()), 2000))
				}
			case <-ctx.Done():
				t.Fatal("the registrar saw no registration")
			}
			if c.registered {
				eventually(t, "registered", func() bool { return strings.Contains(srv.logs.String(), "sip registered") })
			} else {
				time.Sleep(500 * time.Millisecond)
				if strings.Contains(srv.logs.String(), "sip registered") {
					t.Error("registered with a wrong password")
				}
				if !strings.Contains(srv.logs.String(), "sip registration failed") {
					t.Errorf("no registration failure logged:\n%s", srv.logs)
				}
			}
			if strings.Contains(srv.logs.String(), c.password) {
				t.Error("the log holds the SIP password")
			}
		})
	}
}

// deviations returns, over every call stream (SSRC) the phone received,
// how far each packet's arrival interval was from 20 ms, in ms; gaps of
// over 200 ms (silence between prompts, waiting for a key) are not
// intervals of a stream.
func (p *phone) deviations() (devs []float64, streams, packets int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	last := map[uint32]time.Time{}
	for i, at := range p.times {
		ssrc := p.ssrcs[i]
		if prev, ok := last[ssrc]; ok {
			if d := at.Sub(prev); d < 200*time.Millisecond {
				devs = append(devs, math.Abs(float64(d-20*time.Millisecond))/float64(time.Millisecond))
			}
		}
		last[ssrc] = at
	}
	return devs, len(last), len(p.times)
}
