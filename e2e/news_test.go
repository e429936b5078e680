package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/simulator"
)

// SMS news on two `--role gateway` replicas (issues 15 and 19): callers
// subscribe on USSD, by voice and by SMS INFO ON through either replica,
// one sends STOP on the other replica than the one they subscribed on;
// the casework node applies the sealed changes, and a broadcast approved
// there reaches each subscriber of the cercle once through the gateways'
// Redis outbox (both replicas run a worker), nobody who sent STOP, nobody
// of another cercle. No form of any number is in Redis, in a log, on a
// gateway's disk or in clear in the casework node's files.
func TestScaleOutBroadcastOnGateways(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	prov := httptest.NewServer(fake)
	defer prov.Close()
	flags := []string{"--config", gatewayConfig(t, prov.URL), "--locales", voiceLocales(t), "--sms-retry-min", "50ms", "--sms-retry-max", "300ms"}
	cl := newCluster(t)
	cl.startCasework(flags...)
	a, b := cl.startGateway("", flags...), cl.startGateway("", flags...)
	fake.SetReportURL(simulator.ProviderAT, b.url("/c/demo-at/sms/status"))
	for _, u := range [][]string{{"prog", "programme", ""}, {"fanta", "supervisor", "meal-mopti"}} {
		hotline(t, "a long passphrase for "+u[0], "users", "add", "--data", cl.dataDir, "--name", u[0], "--role", u[1], "--team", u[2])
	}
	const (
		byUSSD  = "+22376000161" // subscribes on USSD through a (Ténenkou)
		byVoice = "+22376000162" // subscribes in a call through b
		bySMS   = "+22376000163" // INFO ON Tenenkou by SMS through b
		stopper = "+22376000164" // subscribes on USSD through a, STOP through b
		other   = "+22376000165" // subscribes to Bandiagara through b
	)
	subscribeUSSD := func(gw *server, phone, cercle string) {
		c := dial(t, gw, phone)
		for _, in := range []string{"2", "3", "5", cercle, "6", "1"} {
			c.send(in)
		}
		if !strings.Contains(c.screen.Text, "Inscrit") {
			t.Fatalf("%s: subscribing on a gateway's USSD showed:\n%s", phone, c.screen.Text)
		}
	}
	subscribeUSSD(a, byUSSD, "7")
	subscribeUSSD(a, stopper, "7")
	subscribeUSSD(b, other, "1")
	v := &simulator.Voice{Provider: simulator.ProviderAT, URL: b.url("/c/demo-at/voice"), Phone: byVoice}
	res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "3", "3", "6", "1"}), nil)
	if err != nil && !errors.Is(err, simulator.ErrHungUp) {
		t.Fatalf("call: %v\n%s", err, strings.Join(res.Heard, "\n"))
	}
	if heard := strings.Join(res.Heard, "\n"); !strings.Contains(heard, "Inscrit") {
		t.Fatalf("subscribing in a call through a gateway:\n%s", heard)
	}
	sms := func(gw *server, phone, text string) {
		s := simulator.SMS{Provider: simulator.ProviderAT, URL: gw.url("/c/demo-at/sms"), Phone: phone}
		if _, r, err := s.Send(context.Background(), text); err != nil || r.Status != 200 {
			t.Fatalf("send %q: %v %v", text, r, err)
		}
	}
	sms(b, bySMS, "INFO ON Tenenkou")
	sms(b, stopper, "STOP")
	eventually(t, "the INFO ON and STOP replies", func() bool { return len(fake.Delivered()) >= 2 })
	for _, d := range fake.Delivered() {
		if d.To == stopper && !strings.Contains(d.Body, "effacé") {
			t.Errorf("STOP on a gateway answered %q", d.Body)
		}
		if d.To == bySMS && !strings.Contains(d.Body, "inscrit") {
			t.Errorf("INFO ON on a gateway answered %q", d.Body)
		}
	}

	const news = "Distribution reportée au 19 mars à Ténenkou."
	prog := signInStaff(t, cl.casework, "prog")
	prog.get("/meal/info/broadcasts")
	prog.post("/meal/info/broadcasts", url.Values{"place": {"ML0507"}, "text_fr": {news}, "text_en": {"Distribution moved to 19 March."}})
	sup := signInStaff(t, cl.casework, "fanta")
	id := broadcastToApprove(t, sup)
	sup.post("/meal/info/broadcasts/approve", url.Values{"id": {id}, "version": {"1"}})
	received := func() map[string]int { return deliveredTo(fake, "19 mars") }
	eventually(t, "the broadcast through the gateways", func() bool { return len(received()) >= 3 })
	eventually(t, "the broadcast marked sent", func() bool {
		return strings.Contains(sup.get("/meal/info/broadcasts"), "envoyé à 3 abonné")
	})
	time.Sleep(2 * time.Second) // both gateways' workers look again: a second send would show
	fake.Wait()
	got := received()
	if len(got) != 3 || got[byUSSD] != 1 || got[byVoice] != 1 || got[bySMS] != 1 {
		t.Errorf("broadcast deliveries by number: %v; want one each to %s, %s and %s, none to %s (STOP) or %s (Bandiagara)",
			got, byUSSD, byVoice, bySMS, stopper, other)
	}
	eventually(t, "the outbox emptied by the delivery reports", func() bool {
		return cl.rdb.ZCard(context.Background(), cl.prefix+"outbox:all").Val() == 0
	})
	if n := cl.rdb.XLen(context.Background(), cl.prefix+"subscribers:requests").Val(); n != 0 {
		t.Errorf("%d subscription changes left in Redis after they were applied", n)
	}

	phones := []string{byUSSD, byVoice, bySMS, stopper, other}
	noNumbersLeft(t, cl, phones, a, b) // Redis, logs, gateways' disks; stops every server
	var forms []string
	for _, p := range phones {
		n := strings.TrimPrefix(p, "+")
		forms = append(forms, n, n[3:])
	}
	files := filesUnder(t, cl.dataDir)
	if _, ok := files[filepath.Join(cl.dataDir, "subscribers.db")]; !ok {
		t.Fatal("no subscribers.db on the casework node")
	}
	for path, b := range files {
		if found := containsAny(b, forms...); len(found) > 0 {
			t.Errorf("%s contains %v", path, found)
		}
	}
}

// A page's recording made on the casework node is what a call through a
// gateway replica plays (mirrored through Redis with the page), served by
// the replica as 8 kHz WAV; a new recording replaces it on the replica
// and the old one leaves Redis.
func TestScaleOutInformationRecordingOnGateway(t *testing.T) {
	fake := &simulator.FakeProvider{TwilioToken: demoTwilioToken}
	prov := httptest.NewServer(fake)
	defer prov.Close()
	flags := []string{"--config", gatewayConfig(t, prov.URL), "--locales", voiceLocales(t)}
	cl := newCluster(t)
	cl.startCasework(flags...)
	gw := cl.startGateway("", flags...)
	for _, u := range [][]string{{"prog", "programme", ""}, {"fanta", "supervisor", "meal-mopti"}} {
		hotline(t, "a long passphrase for "+u[0], "users", "add", "--data", cl.dataDir, "--name", u[0], "--role", u[1], "--team", u[2])
	}
	const id = "|ML05|ML0507||dates|fr"
	prog := signInStaff(t, cl.casework, "prog")
	prog.get("/meal/info/edit")
	prog.post("/meal/info", url.Values{"place": {"ML0507"}, "topic": {"dates"}, "lang": {"fr"}, "text": {"Distribution à Ténenkou le 12 mars au marché."}})
	sup := signInStaff(t, cl.casework, "fanta")
	sup.get("/meal/info")
	sup.post("/meal/info/approve", url.Values{"id": {id}, "version": {"1"}})
	record := func(words string) {
		prog.get("/meal/info/edit?id=" + url.QueryEscape(id))
		page := prog.upload("/meal/info/recording", url.Values{"id": {id}, "version": {"1"}}, spokenSmall(t, words))
		if !strings.Contains(page, "les appelant·es l&#39;entendent") {
			t.Fatalf("the editor after the upload:\n%s", page)
		}
	}
	// call plays the page through the gateway and returns the recording
	// played ("" when the text was read instead).
	calls := 0
	call := func() (played, heard string) {
		calls++ // a new caller each time: the per-caller limit is not what is tested
		v := &simulator.Voice{Provider: simulator.ProviderAT, URL: gw.url("/c/demo-at/voice"), Phone: fmt.Sprintf("+2237600%04d", 180+calls)}
		res, err := v.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "3", "3", "3"}), nil)
		if err != nil && !errors.Is(err, simulator.ErrHungUp) {
			t.Fatalf("call: %v\n%s", err, strings.Join(res.Heard, "\n"))
		}
		for _, p := range res.Plays {
			if strings.HasPrefix(p, "fr/info-") {
				played = p
			}
		}
		return played, strings.Join(res.Heard, "\n")
	}
	fetch := func(played string) (int, []byte) {
		resp, err := http.Get(gw.url("/audio/" + played + ".wav"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	eventually(t, "the page on the gateway", func() bool { _, heard := call(); return strings.Contains(heard, "au marché") })

	record("Distribution le douze mars au marché")
	var first string
	eventually(t, "the recording played through the gateway", func() bool { first, _ = call(); return first != "" })
	if _, heard := call(); strings.Contains(heard, "au marché") {
		t.Errorf("the call both played the recording and read the text:\n%s", heard)
	}
	if code, b := fetch(first); code != http.StatusOK || len(b) < 44 || string(b[:4]) != "RIFF" || int(b[24])|int(b[25])<<8 != 8000 {
		t.Errorf("gateway /audio/%s.wav: %d, %d bytes", first, code, len(b))
	}

	// A question by voice through the gateway (the keys of
	// TestInformationLine) is answered at the end of the call by the
	// page's recording, not its text read by text-to-speech.
	q := &simulator.Voice{Provider: simulator.ProviderAT, URL: gw.url("/c/demo-at/voice"), Phone: "+22376000179"}
	stopRec, err := q.ServeRecording()
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.Call(context.Background(), simulator.ScriptedKeypad([]string{"2", "2", "1", "9", "1", "3", "1", "2", "rec", "1", "1"}), nil)
	stopRec()
	heard := strings.Join(res.Heard, "\n")
	ref, answer := strings.LastIndex(heard, "voice.reference"), strings.LastIndex(heard, "/audio/"+first+".wav")
	if err != nil || !res.Ended || ref < 0 || answer < ref || strings.Contains(heard, "au marché") {
		t.Errorf("a question by voice on the gateway did not end with the page's recording (%v):\n%s", err, heard)
	}

	record("Distribution le douze mars, au marché de Ténenkou")
	var second string
	eventually(t, "the new recording on the gateway", func() bool { second, _ = call(); return second != "" && second != first })
	eventually(t, "the replaced recording gone from the gateway", func() bool { code, _ := fetch(first); return code == http.StatusNotFound })
	if code, _ := fetch("fr/info-0123456789abcdef"); code != http.StatusNotFound {
		t.Errorf("an unknown recording on the gateway: %d", code)
	}
}
