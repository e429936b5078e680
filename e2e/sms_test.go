package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/simulator"
)

const demoTwilioToken = "demo-twilio-auth-token-NOT-A-SECRET"

// e2eRouting is the smallest routing a deployment of the shipped menus
// needs: a national MEAL team, PSEA focal points for sexual abuse, and a
// codebook holding every category callers can pick (the sensitive ones
// naming who may receive them).
const e2eRouting = `teams:
  - {id: meal-national, name: MEAL national, kind: meal, organisation: e2e, national: true, supervisor: meal-lead,
     categories: [exclusion, inclusion, distribution, site, fraud, conduct, question, feedback]}
  - {id: psea, name: PSEA focal points, kind: psea, organisation: e2e, national: true, supervisor: meal-lead, categories: [sea]}
codebook:
  - id: complaint
    categories: [{id: exclusion}, {id: inclusion}, {id: distribution}, {id: site}, {id: question}, {id: feedback}]
  - id: sensitive
    categories:
      - {id: fraud, sensitive: true, recipients: [meal]}
      - {id: conduct, sensitive: true, recipients: [meal]}
      - {id: sea, sensitive: true}
`

// smsConfig writes a deployment whose SMS channels send to the fake
// provider at base.
func smsConfig(t *testing.T, base, addr string) string {
	t.Helper()
	cfg := fmt.Sprintf(`channels:
  - id: demo-at
    name: e2e AT
    provider: africastalking
    country: ML
    allow_from: [127.0.0.1]
    sms: {from: "36061", base_url: %q, username: sandbox, api_key: {demo: demo-at-key}}
  - id: demo-twilio
    name: e2e Twilio
    provider: twilio
    country: ML
    sms: {from: "+22376000900", base_url: %q, public_url: %q, account_sid: ACe2e, auth_token: {demo: %s}}
`+e2eRouting, base, base, "http://"+addr, demoTwilioToken)
	path := filepath.Join(t.TempDir(), "hotline.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("server did not die")
	}
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type outboxEntry struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

func outboxList(t *testing.T, dataDir, keysDir string) []outboxEntry {
	t.Helper()
	out, err := exec.Command(binary, "outbox", "list", "--data", dataDir, "--keys", keysDir).Output()
	if err != nil {
		t.Fatalf("outbox list: %v", err)
	}
	var list []outboxEntry
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var e outboxEntry
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		list = append(list, e)
	}
	return list
}

var smsReference = regexp.MustCompile(`(\d{4}) (\d{4})`)

// A provider outage, then a SIGKILL while sends are in flight, then a
// restart: every reply reaches the fake provider exactly once (counted by
// outbox id), delivery reports empty the outbox, and no form of any
// number is left on disk or in the logs.
func TestSMSOutageAndCrash(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	fake.SetFailing(true)
	prov := httptest.NewServer(fake)
	defer prov.Close()
	addr := freeAddr(t)
	cfg := smsConfig(t, prov.URL, addr)
	flags := []string{"--addr", addr, "--config", cfg, "--sms-retry-min", "50ms", "--sms-retry-max", "300ms"}
	srv := startServer(t, "", "", flags...)

	type sent struct {
		provider, phone, text string
	}
	msgs := []sent{
		{simulator.ProviderAT, "+22376000021", "Je n'ai pas reçu ma ration à Ténenkou"},
		{simulator.ProviderAT, "+22376000022", "Hello, my name is not on the list"},
		{simulator.ProviderAT, "+22376000023", "On nous a demandé de payer pour être inscrits"},
		{simulator.ProviderTwilio, "+22376000024", "Le distributeur garde une partie des sacs"},
		{simulator.ProviderTwilio, "+22376000025", "We were left out of the cash transfer"},
	}
	ctx := context.Background()
	phones := map[string]string{}
	for _, m := range msgs {
		path := "/c/demo-at/sms"
		if m.provider == simulator.ProviderTwilio {
			path = "/c/demo-twilio/sms"
		}
		s := simulator.SMS{Provider: m.provider, URL: srv.url(path), Phone: m.phone, AuthToken: demoTwilioToken}
		in, r, err := s.Send(ctx, m.text)
		if err != nil || r.Status != 200 {
			t.Fatalf("send %s: %v %v", m.provider, r, err)
		}
		// The provider retries: no second case, no second reply.
		if r, err := s.Post(ctx, in); err != nil || r.Status != 200 {
			t.Fatalf("retry: %v %v", r, err)
		}
		phones[m.phone] = m.text
	}
	// A forged Twilio request is refused and leaves nothing behind.
	forged := simulator.SMS{Provider: simulator.ProviderTwilio, URL: srv.url("/c/demo-twilio/sms"), Phone: "+22376000029", AuthToken: "not-the-token"}
	if _, r, _ := forged.Send(ctx, "forged"); r.Status != 403 {
		t.Fatalf("forged twilio request: %d", r.Status)
	}

	// The outage: every reply is tried and fails, more than once.
	eventually(t, "retries during the outage", func() bool { return fake.Attempts() >= 2*len(msgs) })
	if n := len(fake.Delivered()); n != 0 {
		t.Fatalf("%d delivered while failing", n)
	}
	// The provider comes back slow; the server dies with sends in flight.
	before := fake.Attempts()
	fake.SetDelay(700 * time.Millisecond)
	fake.SetFailing(false)
	eventually(t, "sends in flight", func() bool { return fake.Attempts() > before })
	srv.kill(t)

	srv2 := startServer(t, srv.DataDir, srv.KeysDir, flags...)
	fake.SetDelay(0)
	fake.SetReportURL(simulator.ProviderAT, srv2.url("/c/demo-at/sms/status"))
	fake.SetReportURL(simulator.ProviderTwilio, srv2.url("/c/demo-twilio/sms/status"))
	eventually(t, "every reply delivered", func() bool { return len(fake.Delivered()) >= len(msgs) })
	// Let any stray resend arrive before counting.
	time.Sleep(500 * time.Millisecond)
	fake.Wait()

	delivered := fake.Delivered()
	if len(delivered) != len(msgs) {
		t.Fatalf("delivered %d messages, want %d: %+v", len(delivered), len(msgs), delivered)
	}
	refs := map[string]bool{}
	for _, d := range delivered {
		if _, ok := phones[d.To]; !ok {
			t.Errorf("delivered to an unknown number %q", d.To)
		}
		delete(phones, d.To)
		m := smsReference.FindStringSubmatch(d.Body)
		if m == nil || !(strings.Contains(d.Body, "SUIVI") || strings.Contains(d.Body, "STATUS")) {
			t.Errorf("reply without reference or follow-up keyword: %q", d.Body)
			continue
		}
		refs[m[1]+m[2]] = true
	}
	if len(phones) != 0 {
		t.Errorf("no reply reached %d callers", len(phones))
	}
	t.Logf("provider saw %d send attempts; %d resends of an already accepted message (a real provider would deliver those twice)", fake.Attempts(), fake.Duplicates())

	// Delivery reports empty the outbox. A report may overtake the commit
	// of its send (matched=false): the outbox keeps it and applies it when
	// the send is recorded, which the empty outbox below proves.
	eventually(t, "delivery reports", func() bool {
		return strings.Count(srv2.logs.String(), "state=delivered") >= len(msgs)
	})
	srv2.stop(t)
	if left := outboxList(t, srv.DataDir, srv.KeysDir); len(left) != 0 {
		t.Errorf("outbox after delivery: %+v", left)
	}
	stored := cases(t, srv.DataDir)
	if len(stored) != len(msgs) {
		t.Fatalf("%d cases, want %d", len(stored), len(msgs))
	}
	for _, c := range stored {
		if !refs[c.Reference] || c.Medium != "sms" || c.Category != gateway.CategoryUncoded {
			t.Errorf("case %+v: reference not in a reply, or wrong medium/category", c)
		}
	}

	// Privacy: no form of any number on disk or in either server's logs.
	var forms []string
	for _, m := range msgs {
		n := strings.TrimPrefix(m.phone, "+")
		forms = append(forms, "+"+n, n, n[3:], n[3:5]+" "+n[5:7]+" "+n[7:9]+" "+n[9:])
	}
	for _, dir := range []string{srv.DataDir, srv.KeysDir} {
		for path, b := range filesUnder(t, dir) {
			if found := containsAny(b, forms...); len(found) > 0 {
				t.Errorf("%s contains %v", path, found)
			}
		}
	}
	for i, logs := range []string{srv.logs.String(), srv2.logs.String()} {
		if found := containsAny([]byte(logs), append(forms, "ration", "Ténenkou", "demo-at", "demo-twilio", demoTwilioToken)...); len(found) > 0 {
			t.Errorf("server %d logs contain %v:\n%s", i+1, found, logs)
		}
	}
}
