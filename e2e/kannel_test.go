package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// Where Debian's kannel and kannel-extras packages put the programs.
const (
	bearerboxBin = "/usr/sbin/bearerbox"
	smsboxBin    = "/usr/sbin/smsbox"
	fakesmscBin  = "/usr/lib/kannel/test/fakesmsc"
)

// kannelConf is the test's kannel.conf: docs/kannel.md's, with a fake
// SMSC (fakesmsc playing the operator) in place of the SMPP bind, every
// port free, logs at warning level (no number in them) and the store in
// dir.
func kannelConf(t *testing.T, dir, hotline string, ports map[string]string) string {
	t.Helper()
	conf := fmt.Sprintf(`group = core
admin-port = %[3]s
admin-password = demo-admin
admin-allow-ip = 127.0.0.1
smsbox-port = %[4]s
box-allow-ip = 127.0.0.1
log-file = "%[1]s/bearerbox.log"
log-level = 2
store-type = file
store-location = "%[1]s/kannel.store"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = %[5]s
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %[4]s
sendsms-port = %[6]s
sendsms-interface = 127.0.0.1
log-file = "%[1]s/smsbox.log"
log-level = 2

group = sendsms-user
username = hotline
password = demo-kannel-password
max-messages = 3
concatenation = true

group = sms-service
keyword = default
get-url = "%[2]s/c/demo-kannel/sms?id=%%I&from=%%p&to=%%P&text=%%b&coding=%%c&charset=%%C&time=%%T"
max-messages = 0
concatenation = true
`, dir, hotline, ports["admin"], ports["box"], ports["smsc"], ports["sendsms"])
	path := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func requireKannel(t *testing.T) {
	t.Helper()
	for _, bin := range []string{bearerboxBin, smsboxBin, fakesmscBin} {
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing under CI (apt-get install kannel kannel-extras)", bin)
			}
			t.Skipf("%s not installed (apt-get install kannel kannel-extras)", bin)
		}
	}
}

// startDaemon runs a Kannel box until the test ends, its console at
// warning level (-v 2) as docs/kannel.md runs it, and waits for port.
func startDaemon(t *testing.T, bin, conf, port string) {
	t.Helper()
	cmd := exec.Command(bin, "-v", "2", conf)
	out, err := os.Create(conf + "." + filepath.Base(bin) + ".out")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
	})
	eventually(t, filepath.Base(bin)+" listening", func() bool {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// fakePhone is fakesmsc connected to bearerbox as the operator's SMSC: it
// sends one message from a phone and prints every message Kannel sends it.
type fakePhone struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	got  []string
	done chan struct{}
}

// gotMessage is fakesmsc's line for a message from Kannel:
// "Got message N: <from to type data>".
var gotMessage = regexp.MustCompile(`Got message \d+: <(\S+) (\S+) (text|ucs-2) (.*)>`)

func sendFromPhone(t *testing.T, smscPort, msg string) *fakePhone {
	t.Helper()
	cmd := exec.Command(fakesmscBin, "-H", "127.0.0.1", "-r", smscPort, "-m", "1", msg)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("fakesmsc: %v", err)
	}
	p := &fakePhone{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			m := gotMessage.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			text, err := url.QueryUnescape(m[4])
			if err != nil {
				t.Errorf("fakesmsc printed %q: %v", m[4], err)
				continue
			}
			if m[3] == "ucs-2" {
				u := make([]uint16, len(text)/2)
				for i := range u {
					u[i] = uint16(text[2*i])<<8 | uint16(text[2*i+1])
				}
				text = "[ucs-2] " + string(utf16.Decode(u))
			}
			p.mu.Lock()
			p.got = append(p.got, text)
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { p.hangUp(); pw.Close() })
	return p
}

// hangUp disconnects fakesmsc: bearerbox's fake SMSC serves one at a time.
func (p *fakePhone) hangUp() {
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

func (p *fakePhone) received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

var ackPIN = regexp.MustCompile(`Référence (\d{4} \d{4}), code (\d{4})`)

// A text through real Kannel (bearerbox + smsbox, fakesmsc playing the
// operator's SMSC) becomes a case; the acknowledgement with reference and
// PIN goes back out through sendsms; Kannel's delivery report empties the
// outbox; a second text follows the complaint up; a UCS-2 text in
// Bambara letters arrives whole. Neither the hotline's logs nor Kannel's
// (at the documented log level) hold the number.
func TestKannel(t *testing.T) {
	requireKannel(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	ports := map[string]string{}
	for _, p := range []string{"admin", "box", "smsc", "sendsms"} {
		_, port, _ := strings.Cut(freeAddr(t), ":")
		ports[p] = port
	}
	cfg := fmt.Sprintf(`channels:
  - id: demo-kannel
    name: e2e Kannel
    provider: kannel
    country: ML
    allow_from: [127.0.0.1]
    sms: {from: "80001234", base_url: "http://127.0.0.1:%s", public_url: "http://%s", username: hotline, password: {demo: demo-kannel-password}}
`+e2eRouting, ports["sendsms"], addr)
	cfgPath := filepath.Join(dir, "hotline.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "", "--addr", addr, "--config", cfgPath, "--sms-retry-min", "100ms", "--sms-retry-max", "1s")
	conf := kannelConf(t, dir, "http://"+addr, ports)
	startDaemon(t, bearerboxBin, conf, ports["smsc"])
	startDaemon(t, smsboxBin, conf, ports["sendsms"])
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range []string{"bearerbox.log", "smsbox.log", "kannel.conf.bearerbox.out", "kannel.conf.smsbox.out"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				t.Logf("%s:\n%s", f, b)
			}
			t.Logf("hotline:\n%s", srv.logs)
		}
	})

	const phone = "+22376000031"
	complaint := sendFromPhone(t, ports["smsc"], phone+" 80001234 text Je n'ai pas reçu ma ration à Ténenkou")
	var ack []string
	eventually(t, "the acknowledgement through Kannel", func() bool {
		for _, m := range complaint.received() {
			if ack = ackPIN.FindStringSubmatch(m); ack != nil {
				return true
			}
		}
		return false
	})
	eventually(t, "Kannel's delivery report", func() bool { return strings.Contains(srv.logs.String(), "state=delivered") })
	complaint.hangUp()

	followUp := sendFromPhone(t, ports["smsc"], phone+" 80001234 text SUIVI "+ack[1]+" "+ack[2])
	eventually(t, "the follow-up answer", func() bool {
		for _, m := range followUp.received() {
			if strings.Contains(m, strings.ReplaceAll(ack[1], " ", "")) || strings.Contains(m, ack[1]) {
				return !ackPIN.MatchString(m)
			}
		}
		return false
	})
	t.Logf("follow-up answer: %q", followUp.received())
	followUp.hangUp()

	// "ɛsi tɔgɔ tɛ sɛbɛn" (my name is not written) as UCS-2, from another phone.
	bambara := sendFromPhone(t, ports["smsc"], "+22376000032 80001234 ucs2 "+ucs2URL("ɛsi tɔgɔ tɛ sɛbɛn"))
	eventually(t, "the acknowledgement of the UCS-2 text", func() bool { return len(bambara.received()) > 0 })
	bambara.hangUp()
	eventually(t, "every reply delivered", func() bool { return strings.Count(srv.logs.String(), "state=delivered") >= 3 })
	srv.stop(t)

	stored := cases(t, srv.DataDir)
	if len(stored) != 2 {
		t.Fatalf("%d cases, want 2", len(stored))
	}
	var texts []string
	for _, c := range stored {
		texts = append(texts, c.Detail)
	}
	if !strings.Contains(strings.Join(texts, "|"), "ɛsi tɔgɔ tɛ sɛbɛn") || !strings.Contains(strings.Join(texts, "|"), "reçu ma ration") {
		t.Errorf("case texts %q", texts)
	}
	if left := outboxList(t, srv.DataDir, srv.KeysDir); len(left) != 0 {
		t.Errorf("outbox after delivery reports: %+v", left)
	}
	logs := []string{srv.logs.String()}
	for _, f := range []string{"bearerbox.log", "smsbox.log", "kannel.conf.bearerbox.out", "kannel.conf.smsbox.out"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		logs = append(logs, string(b))
	}
	for i, l := range logs {
		if strings.Contains(l, "76000031") || strings.Contains(l, "76000032") {
			t.Errorf("log %d holds a number", i)
		}
	}
}

func ucs2URL(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%%%02X%%%02X", u>>8, u&0xff)
	}
	return b.String()
}
