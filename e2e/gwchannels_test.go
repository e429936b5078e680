package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/internal/redistest"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/recordings"
	"github.com/numerovert/hotline/simulator"
)

// gatewayConfig is the shipped demo config with its SMS and call APIs at
// the fake provider's base.
func gatewayConfig(t *testing.T, base string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("http://127.0.0.1:8090"), []byte(base))
	path := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var smsPIN = regexp.MustCompile(`code (\d{4})`)

// SMS and voice on two `--role gateway` replicas and one casework node:
// each SMS complaint reaches casework and its reply is sent exactly once
// although the provider's retry of the message lands on the other
// gateway and both gateways run an outbox worker; delivery reports taken
// by either gateway empty the shared outbox; a follow-up by SMS on the
// other gateway answers from the mirror; a voice complaint through
// gateway B lands in casework with its message, which opens there with
// the keys directory; no form of any number is in Redis or in any log.
func TestScaleOutSMSAndVoiceOnGateways(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	prov := httptest.NewServer(fake)
	defer prov.Close()
	cfg := gatewayConfig(t, prov.URL)
	loc := voiceLocales(t)
	flags := []string{"--config", cfg, "--locales", loc, "--sms-retry-min", "50ms", "--sms-retry-max", "300ms"}

	cl := newCluster(t)
	cl.startCasework(flags...)
	a, b := cl.startGateway("", flags...), cl.startGateway("", flags...)
	fake.SetReportURL(simulator.ProviderAT, b.url("/c/demo-at/sms/status"))

	phones := []string{"+22376000051", "+22376000052", "+22376000053"}
	refs := smsOnTwoGateways(t, cl, fake, a, b, phones)
	const caller = "+22376000054"
	vref := voiceOnGateway(t, cl, b, caller)
	noNumbersLeft(t, cl, append(phones, caller), a, b)
	caseworkHolds(t, cl, refs, vref)
}

// TestScaleOutSMSJoinsOpenCase: a caller who writes their story in two
// messages, each taken by another gateway replica, makes one case under one
// reference, as where the cases are; another phone's message is a case of
// its own.
func TestScaleOutSMSJoinsOpenCase(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	prov := httptest.NewServer(fake)
	defer prov.Close()
	cfg := gatewayConfig(t, prov.URL)
	flags := []string{"--config", cfg, "--sms-retry-min", "50ms", "--sms-retry-max", "300ms"}
	cl := newCluster(t)
	cl.startCasework(flags...)
	a, b := cl.startGateway("", flags...), cl.startGateway("", flags...)
	ctx := context.Background()
	const phone, other = "+22376000061", "+22376000062"
	send := func(g *server, from, text string) {
		t.Helper()
		s := simulator.SMS{Provider: simulator.ProviderAT, URL: g.url("/c/demo-at/sms"), Phone: from}
		if _, r, err := s.Send(ctx, text); err != nil || r.Status != 200 {
			t.Fatalf("send: %v %v", r, err)
		}
	}
	reply := func(n int) simulator.Delivery {
		t.Helper()
		eventually(t, fmt.Sprintf("reply %d", n), func() bool { return len(fake.Delivered()) >= n })
		return fake.Delivered()[n-1]
	}
	send(a, phone, "Je n'ai pas reçu ma ration ce mois")
	first := smsReference.FindStringSubmatch(reply(1).Body)
	if first == nil {
		t.Fatalf("first reply without a reference: %q", reply(1).Body)
	}
	send(b, phone, "et mon voisin non plus")
	if got := reply(2).Body; !strings.Contains(got, "ajouté à la plainte "+first[0]) {
		t.Fatalf("second message on the other replica: %q; want it added to %s", got, first[0])
	}
	send(b, other, "Le chef a pris une part")
	if got := reply(3).Body; strings.Contains(got, first[0]) || smsReference.FindString(got) == "" {
		t.Fatalf("another phone's message: %q; want a reference of its own", got)
	}
	ref := first[1] + first[2]
	cl.waitStatus("new", ref)
	eventually(t, "casework took every entry", func() bool { return cl.rdb.XLen(ctx, cl.prefix+"intake").Val() == 0 })
	noNumbersLeft(t, cl, []string{phone, other}, a, b)
	stored := cases(t, cl.dataDir)
	if len(stored) != 2 {
		t.Fatalf("casework stored %d cases, want 2 (one per phone)", len(stored))
	}
	for _, c := range stored {
		if c.Reference == ref && c.Detail != "Je n'ai pas reçu ma ration ce mois"+casework.MessageSeparator+"et mon voisin non plus" {
			t.Errorf("joined case's detail = %q", c.Detail)
		}
	}
}

// TestScaleOutSMSJoinsCallCase: a caller who files a complaint by USSD on
// one gateway replica and then texts what they forgot to the other makes
// one case under the reference the USSD screen showed, as where the cases
// are; the SMS reply says so in the case's language.
func TestScaleOutSMSJoinsCallCase(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	prov := httptest.NewServer(fake)
	defer prov.Close()
	cfg := gatewayConfig(t, prov.URL)
	flags := []string{"--config", cfg, "--sms-retry-min", "50ms", "--sms-retry-max", "300ms"}
	cl := newCluster(t)
	cl.startCasework(flags...)
	a, b := cl.startGateway("", flags...), cl.startGateway("", flags...)
	ctx := context.Background()
	const phone = "+22376000063"

	ref := complainFR(dialVia(t, a.base, phone, "Suivant", nil), "Mon nom manque")
	s := simulator.SMS{Provider: simulator.ProviderAT, URL: b.url("/c/demo-at/sms"), Phone: phone}
	if _, r, err := s.Send(ctx, "et celui de ma soeur aussi"); err != nil || r.Status != 200 {
		t.Fatalf("send: %v %v", r, err)
	}
	eventually(t, "the SMS reply", func() bool { return len(fake.Delivered()) >= 1 })
	if got := fake.Delivered()[0].Body; !strings.Contains(got, "ajouté à la plainte "+ref[:4]+" "+ref[4:]) {
		t.Fatalf("SMS after a USSD complaint on the other replica: %q; want it added to %s", got, ref)
	}
	cl.waitStatus("new", ref)
	eventually(t, "casework took every entry", func() bool { return cl.rdb.XLen(ctx, cl.prefix+"intake").Val() == 0 })
	noNumbersLeft(t, cl, []string{phone}, a, b)
	stored := cases(t, cl.dataDir)
	if len(stored) != 1 || stored[0].Reference != ref || stored[0].Medium != "ussd" ||
		stored[0].Detail != "Mon nom manque"+casework.MessageSeparator+"et celui de ma soeur aussi" {
		t.Fatalf("casework stored %+v; want one USSD case %s holding both texts", stored, ref)
	}
}

// smsOnTwoGateways sends one complaint per phone to a, with the
// provider's retry to b, and checks one reply each, the outbox emptied by
// reports to b, and a follow-up on b. It returns phone → reference.
func smsOnTwoGateways(t *testing.T, cl *cluster, fake *simulator.FakeProvider, a, b *server, phones []string) map[string]string {
	t.Helper()
	ctx := context.Background()
	for i, phone := range phones {
		s := simulator.SMS{Provider: simulator.ProviderAT, URL: a.url("/c/demo-at/sms"), Phone: phone}
		in, r, err := s.Send(ctx, fmt.Sprintf("Je n'ai pas reçu ma ration, plainte %d", i))
		if err != nil || r.Status != 200 {
			t.Fatalf("send: %v %v", r, err)
		}
		// The provider retries on the other gateway: no second reply.
		retry := simulator.SMS{Provider: simulator.ProviderAT, URL: b.url("/c/demo-at/sms"), Phone: phone}
		if r, err := retry.Post(ctx, in); err != nil || r.Status != 200 {
			t.Fatalf("retry: %v %v", r, err)
		}
	}
	eventually(t, "every reply delivered", func() bool { return len(fake.Delivered()) >= len(phones) })
	time.Sleep(700 * time.Millisecond) // room for a second gateway's duplicate
	fake.Wait()
	delivered := fake.Delivered()
	if len(delivered) != len(phones) || fake.Duplicates() != 0 {
		t.Fatalf("delivered %d replies (%d resends of an accepted one), want %d once each: %+v", len(delivered), fake.Duplicates(), len(phones), delivered)
	}
	refs := map[string]string{} // phone → reference
	var pin string
	for _, d := range delivered {
		m := smsReference.FindStringSubmatch(d.Body)
		if m == nil {
			t.Fatalf("reply without a reference: %q", d.Body)
		}
		refs[d.To] = m[1] + m[2]
		if p := smsPIN.FindStringSubmatch(d.Body); p != nil && d.To == phones[0] {
			pin = p[1]
		}
	}
	if len(refs) != len(phones) || pin == "" {
		t.Fatalf("replies reached %v (PIN %q), want each of %v once with a PIN", refs, pin, phones)
	}
	eventually(t, "the shared outbox emptied by delivery reports", func() bool {
		return cl.rdb.ZCard(ctx, cl.prefix+"outbox:all").Val() == 0
	})
	for _, ref := range refs {
		cl.waitStatus("new", ref)
	}

	// Follow-up by SMS on the other gateway, from the status mirror.
	follow := simulator.SMS{Provider: simulator.ProviderAT, URL: b.url("/c/demo-at/sms"), Phone: phones[0]}
	if _, r, err := follow.Send(ctx, "SUIVI "+refs[phones[0]][:4]+" "+refs[phones[0]][4:]+" "+pin); err != nil || r.Status != 200 {
		t.Fatalf("follow-up: %v %v", r, err)
	}
	eventually(t, "the follow-up answer", func() bool { return len(fake.Delivered()) > len(phones) })
	if ans := fake.Delivered()[len(phones)]; ans.To != phones[0] || !strings.Contains(ans.Body, "plainte "+refs[phones[0]][:4]) || strings.Contains(ans.Body, "rien trouvé") {
		t.Errorf("follow-up answered %q to %s", ans.Body, maskedTo(ans.To))
	}
	return refs
}

// voiceOnGateway files a voice complaint through gateway b (prompts
// served from b) and waits until casework took its message; it returns
// the reference.
func voiceOnGateway(t *testing.T, cl *cluster, b *server, caller string) string {
	t.Helper()
	ctx := context.Background()
	v := &simulator.Voice{Provider: simulator.ProviderAT, URL: voiceURL(b, simulator.ProviderAT), Phone: caller}
	stop, err := v.ServeRecording()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, err := v.Call(ctx, simulator.ScriptedKeypad([]string{"2", "2", "1", "1", "3", "1", "2", "rec", "1", "3"}), nil)
	if err != nil || !res.Ended {
		t.Fatalf("call: %v\n%s", err, strings.Join(res.Heard, "\n"))
	}
	vrefs := digitsAfter(res.Plays, "voice.reference")
	if len(vrefs) != 2 || len(vrefs[0]) != 8 {
		t.Fatalf("reference read back %q", vrefs)
	}
	if code := getStatus(t, b.url("/audio/fr/digit-7.wav")); code != http.StatusOK {
		t.Errorf("gateway B serves the prompts: %d", code)
	}
	cl.waitStatus("new", vrefs[0])
	eventually(t, "the voice message taken by casework", func() bool {
		n, _ := cl.rdb.XLen(ctx, cl.prefix+"recordings").Result()
		keys, _ := redistest.Keys(ctx, cl.rdb, cl.prefix)
		chunks := 0
		for _, k := range keys {
			if strings.HasPrefix(k, cl.prefix+"rec:") && !strings.HasPrefix(k, cl.prefix+"rec:kept:") {
				chunks++
			}
		}
		return n == 0 && chunks == 0
	})
	return vrefs[0]
}

// noNumbersLeft scans every Redis key and value under the cluster's
// prefix, the gateways' data directories and every log for the phones,
// then stops every server.
func noNumbersLeft(t *testing.T, cl *cluster, phones []string, gateways ...*server) {
	t.Helper()
	ctx := context.Background()
	forms := []string{}
	for _, p := range phones {
		n := strings.TrimPrefix(p, "+")
		forms = append(forms, n, n[3:])
	}
	keys, err := redistest.Keys(ctx, cl.rdb, cl.prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		dump, _ := cl.rdb.Dump(ctx, k).Result()
		if found := containsAny([]byte(k+dump), append(forms, "NVSIMVOICE", "ration")...); len(found) > 0 {
			t.Errorf("Redis key %s holds %v", k, found)
		}
	}
	for _, g := range gateways {
		g.stop(t)
		if _, err := os.Stat(g.DataDir); err != nil {
			continue // not even made: nothing written
		}
		if files := filesUnder(t, g.DataDir); len(files) > 0 {
			t.Errorf("a gateway wrote data files: %v", files)
		}
	}
	cl.casework.stop(t)
	for i, s := range append(gateways, cl.casework) {
		if found := containsAny([]byte(s.logs.String()), append(forms, "ration", "demo-at")...); len(found) > 0 {
			t.Errorf("server %d logs hold %v:\n%s", i, found, s.logs)
		}
	}

}

// caseworkHolds checks the stopped casework node's data: the SMS cases,
// and the voice case with its message, which opens with the keys.
func caseworkHolds(t *testing.T, cl *cluster, refs map[string]string, vref string) {
	t.Helper()
	ctx := context.Background()
	byRef := map[string]string{}
	var recording string
	for _, c := range cases(t, cl.dataDir) {
		byRef[c.Reference] = c.Medium
		if c.Reference == vref {
			recording = c.Recording
		}
	}
	for _, ref := range refs {
		if byRef[ref] != "sms" {
			t.Errorf("SMS complaint %s: medium %q in casework", ref, byRef[ref])
		}
	}
	if byRef[vref] != "voice" || recording == "" {
		t.Fatalf("voice complaint %s: medium %q, recording %q", vref, byRef[vref], recording)
	}
	kd, _, err := keystore.Open(cl.keysDir)
	if err != nil {
		t.Fatal(err)
	}
	store, _, err := recordings.Open(filepath.Join(cl.dataDir, "recordings.db"), kd)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, recording)
	store.Close()
	if err != nil || !bytes.Equal(got, simulator.FakeWAV()) {
		t.Errorf("recording in casework: %d bytes, %v; want the caller's message", len(got), err)
	}
}

func maskedTo(n string) string {
	if len(n) < 2 {
		return "**"
	}
	return strings.Repeat("*", len(n)-2) + n[len(n)-2:]
}

// A gateway with SMS and voice channels needs the casework node's outbox
// and recording keys: without one it is refused, and one of its own
// (made by --init-keys) is refused as differing from the casework node's.
func TestScaleOutGatewayNeedsChannelKeys(t *testing.T) {
	cl := newCluster(t)
	cl.startCasework()
	waitReady(t, cl.casework, 200)
	for _, tc := range []struct {
		drop     string
		initKeys bool
		want     string
	}{
		{"outbox-k1.key", false, "no outbox key"},
		{"recording-k1.key", false, "no recording key"},
		{"outbox-k1.key", true, "differs from the casework node's (outbox-k1)"},
	} {
		keys := filepath.Join(t.TempDir(), "keys")
		if err := os.CopyFS(keys, os.DirFS(cl.keysDir)); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(keys, tc.drop)); err != nil {
			t.Fatal(err)
		}
		args := []string{"serve", "--role", "gateway", "--addr", "127.0.0.1:0",
			"--redis", redistest.URL(), "--redis-prefix", cl.prefix,
			"--data", filepath.Join(t.TempDir(), "gw-data"), "--keys", keys}
		if tc.initKeys {
			args = append(args, "--init-keys")
		}
		cmd := exec.Command(binary, args...)
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("a gateway without the casework node's %s started serving:\n%s", tc.drop, out)
		}
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("without %s (init %v): exit %v, output:\n%s\nwant %q", tc.drop, tc.initKeys, err, out, tc.want)
		}
	}
}
