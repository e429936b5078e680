package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/gateway/sip"
)

// sippListener is a caller who says nothing for the length of the call
// and hangs up: the hotline reads the language menu meanwhile.
const sippListener = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="listener">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+2237600[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
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
      c=IN IP4 127.0.0.1
      t=0 0
      m=audio {MEDIA} RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+2237600[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="{HOLD}"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+2237600[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
</scenario>
`

// longPrompts replaces every prompt of loc with 2 s of tone, so that a
// call streams audio without a gap for most of its first minute.
func longPrompts(b *testing.B, loc string) {
	b.Helper()
	tone := make([]int16, 2*8000)
	for i := range tone {
		tone[i] = int16(6000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	wav := sip.WriteWAV(tone)
	err := filepath.WalkDir(filepath.Join(loc, "audio"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".wav") {
			return err
		}
		return os.WriteFile(p, wav, 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// cpuSeconds is the user + system CPU time of process pid so far.
func cpuSeconds(b *testing.B, pid int) float64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// BenchmarkSIPConcurrentCalls holds N simultaneous calls (sipp, one
// process) for 20 s each while the hotline reads the menu to all of them,
// and measures at the callers' side how evenly the 20 ms packets arrive
// (the deviation of each packet's interval from 20 ms, per call stream;
// p50, p99, max) and the hotline's CPU per call. The receiver is this
// test process on the same 2 cores, so its own scheduling is in the
// figures: they are an upper bound of the hotline's.
func BenchmarkSIPConcurrentCalls(b *testing.B) {
	if _, err := os.Stat(sippBin); err != nil {
		b.Skipf("%s not installed", sippBin)
	}
	const hold = 20 * time.Second
	for _, n := range []int{1, 50, 100, 200, 400} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			loc, clips := sipLocales(b)
			longPrompts(b, loc)
			srv, sipAddr := sipServer(b, loc, "127.0.0.1", false)
			for range b.N {
				ph := newPhone(b, clips)
				scen := strings.NewReplacer("{MEDIA}", strconv.Itoa(ph.port()), "{HOLD}", strconv.Itoa(int(hold/time.Millisecond))).Replace(sippListener)
				dir := b.TempDir()
				path := filepath.Join(dir, "listener.xml")
				if err := os.WriteFile(path, []byte(scen), 0o644); err != nil {
					b.Fatal(err)
				}
				cpu0 := cpuSeconds(b, srv.cmd.Process.Pid)
				ctx, cancel := context.WithTimeout(context.Background(), hold+60*time.Second)
				_, sport, _ := strings.Cut(freeAddr(b), ":")
				cmd := exec.CommandContext(ctx, sippBin, sipAddr, "-sf", path, "-p", sport, "-m", strconv.Itoa(n), "-l", strconv.Itoa(n),
					"-r", strconv.Itoa(min(n, 50)), "-nostdin", "-i", "127.0.0.1", "-s", "80001234", "-timeout", "90s", "-timeout_error")
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				cancel()
				if err != nil {
					b.Fatalf("sipp: %v\n%s", err, tail(out, 2000))
				}
				cpu := cpuSeconds(b, srv.cmd.Process.Pid) - cpu0
				devs, streams, packets := ph.deviations()
				if streams != n {
					b.Errorf("%d RTP streams, want %d", streams, n)
				}
				slices.Sort(devs)
				q := func(p float64) float64 {
					if len(devs) == 0 {
						return 0
					}
					return devs[int(p*float64(len(devs)-1))]
				}
				b.ReportMetric(q(0.5), "jitter-p50-ms")
				b.ReportMetric(q(0.99), "jitter-p99-ms")
				b.ReportMetric(q(1), "jitter-max-ms")
				b.ReportMetric(float64(packets)/float64(n), "packets/call")
				b.ReportMetric(cpu/float64(n)*1000, "cpu-ms/call")
				b.ReportMetric(cpu/hold.Seconds()*100, "cpu-%")
			}
		})
	}
}
