package e2e

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/numerovert/hotline/menus/gsm7"
	"github.com/numerovert/hotline/simulator"
)

// e2eReferrals is a referral directory: a service for the cercle of
// Ansongo and one for Goundam, then a national line.
const e2eReferrals = `referrals:
  - id: csref-ansongo
    places: [ML0701]
    name: {fr: CSRef Ansongo, en: Ansongo health centre}
    offers: {fr: soins médicaux et écoute, en: medical care and listening}
    reach: {fr: "au CSRef, tous les jours", en: "at the CSRef, every day"}
  - id: csref-goundam
    places: [ML0602]
    name: {fr: CSRef Goundam, en: Goundam health centre}
    reach: {fr: "au CSRef, tous les jours", en: "at the CSRef, every day"}
  - id: vbg-national
    national: true
    name: {fr: Ligne VBG, en: GBV line}
    reach: {fr: "80 00 00 01, lun-ven", en: "80 00 00 01, Mon-Fri"}
`

// A report of sexual abuse or danger made by SMS is answered, like the
// USSD and voice ends, with the reference and PIN, the promise that a
// trained person acts within 24 hours and the nearest services of the
// referral directory (those of the cercle the message names, then the
// national ones), in the caller's language, within two SMS. Other
// messages get the ordinary acknowledgment.
func TestSMSAbuseReportEndsWithReferral(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	prov := httptest.NewServer(fake)
	defer prov.Close()
	addr := freeAddr(t)
	cfg := smsConfig(t, prov.URL, addr)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(e2eReferrals); err != nil {
		t.Fatal(err)
	}
	f.Close()
	srv := startServer(t, "", "", "--addr", addr, "--config", cfg)

	cases := []struct {
		phone, text string
		want        []string
		not         []string
	}{
		{"+22376000031", "Un agent de distribution m'a demandé des rapports sexuels pour rester sur la liste, à Ansongo",
			[]string{"24 h", "CSRef Ansongo: au CSRef, tous les jours", "Ligne VBG: 80 00 00 01", "SUIVI"}, []string{"Goundam", "sexuel"}},
		{"+22376000032", "I was raped near the distribution site in Goundam, please help",
			[]string{"24 h", "Goundam health centre: at the CSRef, every day", "STATUS"}, []string{"Ansongo", "raped"}},
		{"+22376000033", "On nous menace au village si nous parlons de la liste",
			[]string{"24 h", "Ligne VBG: 80 00 00 01, lun-ven"}, []string{"CSRef"}},
		{"+22376000034", "Je n'ai pas reçu ma ration à Ansongo",
			[]string{"SUIVI"}, []string{"CSRef", "24 h", "VBG"}},
	}
	ctx := context.Background()
	for _, c := range cases {
		s := simulator.SMS{Provider: simulator.ProviderAT, URL: srv.url("/c/demo-at/sms"), Phone: c.phone}
		if _, r, err := s.Send(ctx, c.text); err != nil || r.Status != 200 {
			t.Fatalf("send: %v %v", r, err)
		}
	}
	eventually(t, "every reply delivered", func() bool { return len(fake.Delivered()) >= len(cases) })
	got := map[string]string{}
	for _, d := range fake.Delivered() {
		got[d.To] = d.Body
	}
	for _, c := range cases {
		body, ok := got[c.phone]
		if !ok {
			t.Errorf("no reply to %s", c.phone)
			continue
		}
		if smsReference.FindStringSubmatch(body) == nil || gsm7.MeasureSMS(body).Segments > 2 {
			t.Errorf("reply to %q has no reference or is over two SMS (%d): %q", c.text, gsm7.MeasureSMS(body).Segments, body)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("reply to %q lacks %q: %q", c.text, w, body)
			}
		}
		for _, w := range c.not {
			if strings.Contains(body, w) {
				t.Errorf("reply to %q holds %q: %q", c.text, w, body)
			}
		}
	}
}
