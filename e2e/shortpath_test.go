package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/sip"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/recordings"
	"github.com/numerovert/hotline/simulator"
)

// The short voice path, on each provider's webhooks: French, 1 "in your
// own words", a voice message, no call-back: the case is stored uncoded
// with the message encrypted, routed to the national MEAL team as the
// routing rules do for an uncoded case, and the caller hears the
// reference and PIN digit by digit, twice, then the thanks. Nothing else
// is asked: no category, place or assistance question is played.
func TestVoiceShortPath(t *testing.T) {
	loc := voiceLocales(t)
	srv := startServer(t, "", "", append(demoAt(t), "--locales", loc)...)
	phones := map[string]string{simulator.ProviderAT: "+22376000061", simulator.ProviderTwilio: "+22376000062"}
	refs := map[string]string{}
	for _, provider := range []string{simulator.ProviderAT, simulator.ProviderTwilio} {
		refs[provider] = shortPathCall(t, srv, provider, phones[provider])
	}
	srv.stop(t)

	kd, _, err := keystore.Open(srv.KeysDir)
	if err != nil {
		t.Fatal(err)
	}
	store, _, err := recordings.Open(filepath.Join(srv.DataDir, "recordings.db"), kd)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	list := cases(t, srv.DataDir)
	if len(list) != 2 {
		t.Fatalf("%d cases, want 2", len(list))
	}
	for _, c := range list {
		if c.Medium != "voice" || c.Category != gateway.CategoryUncoded || (c.Region != "" && c.Region != "unknown") || c.Assistance != "" || c.Detail != "" || c.Recording == "" {
			t.Errorf("case = %+v; want an uncoded voice case with only its recording", c)
		}
		if c.Team != "meal-national" || !strings.Contains(c.Rule, "not in the codebook") {
			t.Errorf("routed to %q by %q; want the national MEAL fallback of uncoded cases", c.Team, c.Rule)
		}
		if c.Reference != refs[simulator.ProviderAT] && c.Reference != refs[simulator.ProviderTwilio] {
			t.Errorf("stored reference %s was not the one read back (%v)", c.Reference, refs)
		}
		got, err := store.Get(context.Background(), c.Recording)
		if err != nil || !bytes.Equal(got, simulator.FakeWAV()) {
			t.Errorf("recording of %s: %d bytes, %v", c.Reference, len(got), err)
		}
	}
	for path, b := range filesUnder(t, srv.DataDir) {
		if f := containsAny(b, "76000061", "76000062", "NVSIMVOICE"); len(f) > 0 {
			t.Errorf("%s holds %v", path, f)
		}
	}
	if f := containsAny([]byte(srv.logs.String()), "76000061", "76000062"); len(f) > 0 {
		t.Errorf("log holds %v", f)
	}
}

// shortPathCall takes the short voice path on provider's webhooks and
// returns the reference read back, after checking what the call played.
func shortPathCall(t *testing.T, srv *server, provider, phone string) string {
	t.Helper()
	v := &simulator.Voice{Provider: provider, URL: voiceURL(srv, provider), Phone: phone, AuthToken: "demo-twilio-auth-token-NOT-A-SECRET"}
	stop, err := v.ServeRecording()
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "1", "rec", "1"}), nil)
	stop()
	if err != nil || !res.Ended {
		t.Fatalf("%s: call: %v\n%s", provider, err, strings.Join(res.Heard, "\n"))
	}
	plays := res.Plays
	for _, want := range []string{"fr/promise.line", "fr/voice.short.own_words", "fr/voice.record", "fr/callback.prompt", "fr/voice.saved"} {
		if !slices.Contains(plays, want) {
			t.Errorf("%s: %s not played:\n%s", provider, want, strings.Join(plays, "\n"))
		}
	}
	for _, never := range []string{"fr/category.prompt", "fr/region.prompt", "fr/assistance.prompt", "fr/voice.summary"} {
		if slices.Contains(plays, never) {
			t.Errorf("%s: the short path asked %s", provider, never)
		}
	}
	if plays[len(plays)-1] != "fr/voice.thanks" {
		t.Errorf("%s: the call ends on %s, want the thanks", provider, plays[len(plays)-1])
	}
	r, pins := digitsAfter(plays, "voice.reference"), digitsAfter(plays, "voice.pin")
	if len(r) != 2 || r[0] != r[1] || len(r[0]) != 8 || len(pins) != 2 || pins[0] != pins[1] || len(pins[0]) != 4 {
		t.Fatalf("%s: reference %q and PIN %q read back; want each twice", provider, r, pins)
	}
	return r[0]

}

// The short voice path over the SIP trunk (gateway/sip through CallStep):
// French, 1, 3 s spoken after the beep and #, no call-back: an uncoded
// case holding the spoken message, its reference and PIN read back twice.
func TestSIPShortPath(t *testing.T) {
	requireSIPp(t)
	loc, clips := sipLocales(t)
	srv, sipAddr := sipServer(t, loc, "127.0.0.1", false)
	dir := t.TempDir()
	s := newRTPStream()
	s.pause(700 * time.Millisecond)
	s.keys("21", 700*time.Millisecond) // French, in my own words
	s.pause(800 * time.Millisecond)    // the record prompt and the beep
	s.speak(3 * time.Second)
	s.pause(300 * time.Millisecond)
	s.keys("#", 900*time.Millisecond)
	s.keys("1", 0) // no call-back
	ph := newPhone(t, clips)
	pcap := s.write(t, filepath.Join(dir, "short.pcap"))
	sipCall{number: "+22376000063", body: playPCAP(pcap), wait: 30 * time.Second}.place(t, dir, sipAddr, ph)
	plays := ph.heard()
	refs, pins := digitsAfter(plays, "voice.reference"), digitsAfter(plays, "voice.pin")
	if len(refs) != 2 || refs[0] != refs[1] || len(refs[0]) != 8 || len(pins) != 2 || pins[0] != pins[1] {
		t.Fatalf("reference %q and PIN %q read back; heard %v", refs, pins, plays)
	}
	if slices.Contains(plays, "fr/category.prompt") {
		t.Errorf("the short path asked the category: %v", plays)
	}
	srv.stop(t)
	list := cases(t, srv.DataDir)
	if len(list) != 1 || list[0].Category != gateway.CategoryUncoded || list[0].Channel != "demo-sip-trunk" || list[0].Reference != refs[0] || list[0].Recording == "" {
		t.Fatalf("cases = %+v; want the uncoded SIP case with its recording", list)
	}
	kd, _, err := keystore.Open(srv.KeysDir)
	if err != nil {
		t.Fatal(err)
	}
	store, _, err := recordings.Open(filepath.Join(srv.DataDir, "recordings.db"), kd)
	if err != nil {
		t.Fatal(err)
	}
	wav, err := store.Get(context.Background(), list[0].Recording)
	store.Close()
	if samples, rerr := sip.ReadWAV(wav); err != nil || rerr != nil || len(samples) < 2*8000 || len(samples) > 5*8000 {
		t.Errorf("voice message: %d samples (%v, %v), want the 3 s spoken", len(samples), err, rerr)
	}
}
