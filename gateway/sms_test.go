package gateway_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/kannel"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/gateway/twilio"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
	"github.com/numerovert/hotline/outbox"
)

const twilioToken = "demo-twilio-auth-token-NOT-A-SECRET"

type smsRig struct {
	t     *testing.T
	srv   *gateway.Server
	cases *boltstore.Store
	box   *outbox.Store
	logs  *bytes.Buffer
}

func smsTexts(t *testing.T) *gateway.SMSTexts {
	t.Helper()
	texts, err := gateway.LoadSMSTexts(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return texts
}

func newSMSRig(t *testing.T, changes ...func(*gateway.Options)) *smsRig {
	t.Helper()
	dir := t.TempDir()
	cases, err := boltstore.Open(filepath.Join(dir, "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cases.Close() })
	sealer, _ := outbox.NewSealer(bytes.Repeat([]byte{3}, 32))
	box, err := outbox.Open(filepath.Join(dir, "outbox.db"), sealer, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	cfg := gateway.TestConfig(t)
	cat, _ := menus.Load(locales.FS)
	logs := &bytes.Buffer{}
	svc := caseworktest.Service(t, cases, logs)
	o := gateway.Options{
		Providers: provider.List{africastalking.Provider, twilio.Provider},
		Config:    cfg, Catalog: cat, Cases: svc, Preferences: cases, Sessions: sessions.NewMemory(),
		Keyring: callerid.New(bytes.Repeat([]byte{7}, 32)),
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
		SMS: gateway.SMSOptions{
			Outbox: box,
			Texts:  smsTexts(t),
			Channels: map[string]gateway.SMSChannel{
				"demo-at":     {Adapter: africastalking.SMS{}, From: "36061"},
				"demo-twilio": {Adapter: twilio.SMS{AuthToken: twilioToken, PublicURL: "http://hotline.example.org"}},
			},
		},
	}
	for _, change := range changes {
		change(&o)
	}
	srv := gateway.New(o)
	return &smsRig{t: t, srv: srv, cases: cases, box: box, logs: logs}
}

func (r *smsRig) post(path string, form url.Values, header map[string]string) (int, string) {
	r.t.Helper()
	req := httptest.NewRequest("POST", "http://hotline.example.org"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := r.srv.App().Test(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r *smsRig) get(path string) (int, string) {
	r.t.Helper()
	resp, err := r.srv.App().Test(httptest.NewRequest("GET", path, nil))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r *smsRig) at(id, from, text string) (int, string) {
	return r.post("/c/demo-at/sms", url.Values{"id": {id}, "from": {from}, "to": {"36061"}, "text": {text}, "date": {"2025-03-01 10:00:00"}}, nil)
}

// reply returns the body queued in answer to the inbound message.
func (r *smsRig) reply(channel, inboundID string) (to, body string) {
	r.t.Helper()
	to, body, err := r.box.Unseal(context.Background(), outbox.ReplyID(channel, inboundID))
	if err != nil {
		r.t.Fatalf("no reply queued for %s: %v", inboundID, err)
	}
	return to, body
}

func (r *smsRig) allCases() []casework.Case {
	var out []casework.Case
	r.cases.Each(context.Background(), func(c casework.Case) error { out = append(out, c); return nil })
	return out
}

var refInReply = regexp.MustCompile(`(\d{4}) (\d{4})`)

func TestSMSComplaintAndFollowUp(t *testing.T) {
	r := newSMSRig(t)
	const fr, en = "+22376000011", "+22376000012"

	code, _ := r.at("ATXid_1", fr, "Bonjour, je n'ai pas reçu ma ration à Ténenkou")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	to, body := r.reply("demo-at", "ATXid_1")
	m := refInReply.FindStringSubmatch(body)
	if to != fr || m == nil || !strings.Contains(body, "SUIVI "+m[0]) || gsm7.MeasureSMS(body).Segments > 2 {
		t.Fatalf("ack to %q: %q", to, body)
	}
	ref := m[1] + m[2]

	// AT retries the same id: no second case, no second reply.
	for range 3 {
		if code, _ := r.at("ATXid_1", fr, "Bonjour, je n'ai pas reçu ma ration à Ténenkou"); code != 200 {
			t.Fatalf("retry status %d", code)
		}
	}
	// A second message from the same caller joins the open case.
	r.at("ATXid_2", "0022376000011", "Le chef a gardé les sacs")
	if _, body := r.reply("demo-at", "ATXid_2"); !strings.Contains(body, "ajouté") || !strings.Contains(body, m[0]) {
		t.Errorf("append reply: %q", body)
	}
	// English free text from another caller opens an English case.
	r.at("ATXid_3", en, "Hello, my name is not on the list")
	if _, body := r.reply("demo-at", "ATXid_3"); !strings.Contains(body, "STATUS") {
		t.Errorf("english ack: %q", body)
	}

	cs := r.allCases()
	if len(cs) != 2 {
		t.Fatalf("%d cases, want 2: %+v", len(cs), cs)
	}
	c := cs[0]
	if c.Reference != ref || c.Medium != "sms" || c.Category != "uncoded" || c.Language != "fr" || c.Channel != "demo-at" ||
		c.Detail != "Bonjour, je n'ai pas reçu ma ration à Ténenkou\n---\nLe chef a gardé les sacs" {
		t.Errorf("case = %+v", c)
	}
	if cs[1].Language != "en" {
		t.Errorf("english case language = %q", cs[1].Language)
	}

	pin := regexp.MustCompile(`code (\d{4})`).FindStringSubmatch(body)
	if pin == nil {
		t.Fatalf("no PIN in the ack: %q", body)
	}
	// The reference and the PIN are always needed, from the phone that
	// made the complaint too. Without a valid PIN the reply says only how
	// to ask: never a status, never whether the reference exists.
	followups := []struct {
		name, id, from, text, want string
	}{
		{"own case, reference and PIN", "ATXid_4", fr, "SUIVI " + m[0] + " " + pin[1], "pas encore"},
		{"english keyword, no space in ref", "ATXid_5", en, "status " + ref + " " + pin[1], "not yet reviewed"},
		{"accented keyword and colon", "ATXid_6", fr, "Suívi:" + ref + " " + pin[1], "pas encore"},
		{"own case, reference alone", "ATXid_7", fr, "SUIVI " + m[0], "rien trouvé"},
		{"keyword alone, own phone", "ATXid_8", fr, "SUIVI", "rien trouvé"},
		{"no such reference", "ATXid_9", fr, "SUIVI 1111 2222 1234", "rien trouvé"},
	}
	for _, tt := range followups {
		r.at(tt.id, tt.from, tt.text)
		_, body := r.reply("demo-at", tt.id)
		if !strings.Contains(body, tt.want) {
			t.Errorf("%s: reply %q, want %q", tt.name, body, tt.want)
		}
		if tt.want == "rien trouvé" && (strings.Contains(body, "pas encore") || strings.Contains(body, m[0])) {
			t.Errorf("%s: a status without a PIN: %q", tt.name, body)
		}
	}
	// Unknown reference, wrong PIN and a locked-out reference answer
	// exactly alike.
	wrong := "0000"
	if pin[1] == wrong {
		wrong = "0001"
	}
	replies := map[string]string{}
	for i, tt := range []struct{ name, text string }{
		{"unknown", "SUIVI 1111 2222 " + pin[1]},
		{"wrong PIN", "SUIVI " + m[0] + " " + wrong},
		{"wrong PIN 2", "SUIVI " + m[0] + " " + wrong},
		{"wrong PIN 3", "SUIVI " + m[0] + " " + wrong},
		{"wrong PIN 4", "SUIVI " + m[0] + " " + wrong},
		{"locked out, right PIN", "SUIVI " + m[0] + " " + pin[1]},
	} {
		id := "ATXlock" + string(rune('a'+i))
		r.at(id, "+22376000019", tt.text)
		_, replies[tt.name] = r.reply("demo-at", id)
	}
	for name, body := range replies {
		if body != replies["unknown"] {
			t.Errorf("%s answers %q; unknown answers %q", name, body, replies["unknown"])
		}
	}
	if n := len(r.allCases()); n != 2 {
		t.Errorf("follow-ups changed the cases: %d", n)
	}
	list, _ := r.box.List(context.Background())
	if len(list) != 15 {
		t.Errorf("outbox holds %d replies, want 15 (one per distinct message)", len(list))
	}
	if strings.Contains(r.logs.String(), "76000011") || strings.Contains(r.logs.String(), "ration") {
		t.Errorf("logs hold a number or a message:\n%s", r.logs)
	}
}

func TestSMSTwilioSignature(t *testing.T) {
	r := newSMSRig(t)
	const path = "/c/demo-twilio/sms"
	form := url.Values{"MessageSid": {"SM1"}, "From": {"+22376000013"}, "To": {"+22376000900"}, "Body": {"On nous a demandé de payer"}, "AccountSid": {"ACdemo"}}
	sig := twilio.Signature(twilioToken, "http://hotline.example.org"+path, form)
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no signature", nil, 403},
		{"wrong signature", map[string]string{"X-Twilio-Signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ="}, 403},
		{"other token", map[string]string{"X-Twilio-Signature": twilio.Signature("other", "http://hotline.example.org"+path, form)}, 403},
	}
	for _, tt := range tests {
		if code, _ := r.post(path, form, tt.header); code != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, code, tt.want)
		}
	}
	if n := len(r.allCases()); n != 0 {
		t.Fatalf("refused requests stored %d cases", n)
	}
	if l, _ := r.box.List(context.Background()); len(l) != 0 {
		t.Fatalf("refused requests queued %d replies", len(l))
	}
	code, body := r.post(path, form, map[string]string{"X-Twilio-Signature": sig})
	if code != 200 || !strings.HasSuffix(body, "<Response/>") {
		t.Fatalf("signed: %d %q", code, body)
	}
	if to, reply := r.reply("demo-twilio", "SM1"); to != "+22376000013" || !strings.Contains(reply, "SUIVI") {
		t.Errorf("reply to %q: %q", to, reply)
	}
	// USSD is not served on a Twilio channel, nor SMS on an unknown one.
	if code, _ := r.post("/c/demo-twilio/ussd", url.Values{}, nil); code != 404 {
		t.Errorf("ussd on twilio channel: %d", code)
	}
	if code, _ := r.post("/c/nope-nope/sms", form, nil); code != 404 {
		t.Errorf("unknown channel: %d", code)
	}
}

func TestSMSDeliveryReport(t *testing.T) {
	r := newSMSRig(t)
	ctx := context.Background()
	r.at("ATXid_1", "+22376000014", "Je suis exclu")
	id := outbox.ReplyID("demo-at", "ATXid_1")
	if err := r.box.Sent(ctx, id, "ATXid_out1"); err != nil {
		t.Fatal(err)
	}
	report := func(status string) int {
		code, _ := r.post("/c/demo-at/sms/status", url.Values{"id": {"ATXid_out1"}, "status": {status}, "phoneNumber": {"+22376000014"}}, nil)
		return code
	}
	if report("Buffered") != 200 {
		t.Fatal("pending report refused")
	}
	if l, _ := r.box.List(ctx); len(l) != 1 {
		t.Fatalf("pending report changed the outbox: %+v", l)
	}
	if report("Success") != 200 {
		t.Fatal("report refused")
	}
	if l, _ := r.box.List(ctx); len(l) != 0 {
		t.Errorf("delivered message still in the outbox: %+v", l)
	}
	if code, _ := r.post("/c/demo-at/sms/status", url.Values{"status": {"Success"}}, nil); code != 400 {
		t.Errorf("report without id: %d", code)
	}
}

func TestFitSMS(t *testing.T) {
	long := strings.Repeat("Votre plainte est enregistrée à Ségou. ", 12)
	tests := []struct {
		name     string
		in       string
		want     string // "" means: check only the limits
		encoding gsm7.Encoding
	}{
		{"short GSM-7 kept", "Référence 1234 5678", "Référence 1234 5678", gsm7.GSM7},
		{"short UCS-2 kept when one segment either way", "Réf 1234, reçu", "Réf 1234, reçu", gsm7.UCS2},
		{"folded when it saves a segment", "Bonjour, votre plainte est bien enregistrée. Une équipe indépendante la lira: ç", "Bonjour, votre plainte est bien enregistrée. Une équipe indépendante la lira: c", gsm7.GSM7},
		{"Bambara folded", strings.Repeat("ɛ", 100), strings.Repeat("e", 100), gsm7.GSM7},
		{"too long is cut", long, "", gsm7.GSM7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := gateway.FitSMS(tt.in, 2)
			m := gsm7.MeasureSMS(got)
			if m.Segments > 2 || m.Encoding != tt.encoding {
				t.Errorf("FitSMS = %q: %+v", got, m)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("FitSMS = %q, want %q", got, tt.want)
			}
			if tt.want == "" && (!strings.HasSuffix(got, "...") || m.Units < 280) {
				t.Errorf("cut badly: %q (%d units)", got, m.Units)
			}
		})
	}
}

func TestSMSTexts(t *testing.T) {
	texts := smsTexts(t)
	detect := []struct {
		text, want string
		ok         bool
	}{
		{"Bonjour je suis exclu de la liste", "fr", true},
		{"Hello I was not on the list", "en", true},
		{"Mopti", "", false},
	}
	for _, tt := range detect {
		if got, ok := texts.Detect(tt.text); got != tt.want || ok != tt.ok {
			t.Errorf("Detect(%q) = %q, %v", tt.text, got, ok)
		}
	}
	for kw, lang := range map[string]string{"SUIVI 1234 5678": "fr", "status 12345678": "en", "Suivi: 1234 5678": "fr"} {
		if got, rest, ok := texts.FollowUp(kw); !ok || got != lang || !strings.HasPrefix(rest, "1234") {
			t.Errorf("FollowUp(%q) = %q %q %v", kw, got, rest, ok)
		}
	}
	if _, _, ok := texts.FollowUp("Je veux suivre ma plainte"); ok {
		t.Error("free text that merely contains a keyword is a follow-up")
	}
}

// SMS goes through the same admission as USSD and voice: a caller past
// their limit gets 429, no case and no reply, and the refusal is counted.
func TestSMSRateLimitedLikeOtherChannels(t *testing.T) {
	r := newSMSRig(t, func(o *gateway.Options) {
		o.Limits = &gateway.Limits{Caller: gateway.RateLimit{PerSecond: 0.001, Burst: 1}, MaxCallers: 10}
	})
	if code, _ := r.at("ATXid_l1", "+22376000031", "Je n'ai rien reçu"); code != 200 {
		t.Fatalf("first SMS: %d", code)
	}
	if code, _ := r.at("ATXid_l2", "+22376000031", "Toujours rien"); code != http.StatusTooManyRequests {
		t.Fatalf("second SMS past the caller limit: %d, want 429", code)
	}
	if n := len(r.allCases()); n != 1 {
		t.Fatalf("cases = %d, want 1", n)
	}
	if _, _, err := r.box.Unseal(context.Background(), outbox.ReplyID("demo-at", "ATXid_l2")); err == nil {
		t.Fatal("a refused SMS got a reply queued")
	}
	if code, _ := r.at("ATXid_l3", "+22376000032", "Bonjour"); code != 200 {
		t.Fatalf("another caller: %d", code)
	}
	// A forged Twilio signature is refused and counted too.
	if code, _ := r.post("/c/demo-twilio/sms", url.Values{"MessageSid": {"SMx"}, "From": {"+22376000033"}, "To": {"+22376000900"}, "Body": {"x"}},
		map[string]string{"X-Twilio-Signature": "AAAA"}); code != http.StatusForbidden {
		t.Fatalf("forged signature: %d, want 403", code)
	}
	_, body := r.get("/metrics")
	for _, want := range []string{
		`hotline_errors_total{channel="demo_ussd_and_sms_africa_s_talking",kind="rate_limited_caller",provider="africastalking"} 1`,
		`hotline_errors_total{channel="demo_sms_twilio",kind="bad_signature",provider="twilio"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// An SMS whose sender is not a possible phone number (an operator's
// alphanumeric sender, a short code) is refused with 400: no case, no
// reply queued, by either provider.
func TestSMSSenderMustBeAPhoneNumber(t *testing.T) {
	r := newSMSRig(t)
	const path = "/c/demo-twilio/sms"
	for i, from := range []string{"MTN", "Orange", "36061", "123", "+2237600ABCD"} {
		id := "ATXbad" + string(rune('a'+i))
		if code, body := r.at(id, from, "Votre forfait est épuisé"); code != 400 || !strings.Contains(body, "sender") {
			t.Errorf("AT from %q: %d %q, want 400", from, code, body)
		}
		form := url.Values{"MessageSid": {"SMbad" + id}, "From": {from}, "To": {"+22376000900"}, "Body": {"Promo"}, "AccountSid": {"ACdemo"}}
		sig := twilio.Signature(twilioToken, "http://hotline.example.org"+path, form)
		if code, body := r.post(path, form, map[string]string{"X-Twilio-Signature": sig}); code != 400 || !strings.Contains(body, "sender") {
			t.Errorf("Twilio from %q: %d %q, want 400", from, code, body)
		}
	}
	if n := len(r.allCases()); n != 0 {
		t.Errorf("refused senders made %d cases", n)
	}
	if l, _ := r.box.List(context.Background()); len(l) != 0 {
		t.Errorf("refused senders queued %d replies", len(l))
	}
	// A number, written either way, is still taken (the check above can fail).
	if code, _ := r.at("ATXgood", "0022376000014", "Je n'ai rien reçu"); code != 200 || len(r.allCases()) != 1 {
		t.Fatalf("a real number was refused: %d", code)
	}
}

// Twilio signs the URL it called; the gateway checks the signature against
// the channel's public_url only. A webhook signed for the forger's own
// host and sent with that Host header is refused and changes nothing.
func TestTwilioForgedHostRefused(t *testing.T) {
	r := newSMSRig(t)
	form := url.Values{"MessageSid": {"SMforged"}, "From": {"+22376000034"}, "To": {"+22376000900"}, "Body": {"x"}}
	req := httptest.NewRequest("POST", "http://evil.example/c/demo-twilio/sms", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilio.Signature(twilioToken, "http://evil.example/c/demo-twilio/sms", form))
	resp, err := r.srv.App().Test(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(r.allCases()) != 0 {
		t.Fatalf("forged Host: status %d, %d cases; want 403 and none", resp.StatusCode, len(r.allCases()))
	}
}

// A channel takes its provider's method only: a GET on a POST provider's
// channel and a POST on a GET provider's (Kannel) get 405 and change
// nothing; a Kannel get-url with its fields in the query opens a case, a
// malformed one gets 400 and none.
func TestSMSCallbackMethodIsTheProviders(t *testing.T) {
	query := "?id=k-1&from=%2B22376000041&to=80001234&text=Je+suis+exclue&coding=0&charset=UTF-8"
	at := newSMSRig(t)
	if code, _ := at.get("/c/demo-at/sms" + query); code != 405 {
		t.Errorf("GET on an AT channel: %d", code)
	}
	if n := len(at.allCases()); n != 0 {
		t.Fatalf("%d cases after a refused GET", n)
	}

	k := newSMSRig(t, func(o *gateway.Options) {
		o.SMS.Channels["demo-at"] = gateway.SMSChannel{Adapter: kannel.SMS{}, From: "80001234", GET: true}
	})
	if code, _ := k.post("/c/demo-at/sms", url.Values{"id": {"k-1"}, "from": {"+22376000041"}, "text": {"x"}}, nil); code != 405 {
		t.Errorf("POST on a Kannel channel: %d", code)
	}
	if code, body := k.get("/c/demo-at/sms?id=k-2&to=80001234&text=x"); code != 400 || body != "missing from" {
		t.Errorf("get-url without from: %d %q", code, body)
	}
	if n := len(k.allCases()); n != 0 {
		t.Fatalf("%d cases after refused callbacks", n)
	}
	if code, body := k.get("/c/demo-at/sms" + query); code != 200 || body != "" {
		t.Fatalf("get-url: %d %q (Kannel would text a non-empty body to the caller)", code, body)
	}
	if code, _ := k.get("/c/demo-at/sms" + query); code != 200 {
		t.Fatalf("repeated get-url: %d", code)
	}
	if c := k.allCases(); len(c) != 1 || c[0].Detail != "Je suis exclue" {
		t.Fatalf("cases = %+v", c)
	}
	if to, body := k.reply("demo-at", "k-1"); to != "+22376000041" || !refInReply.MatchString(body) {
		t.Errorf("reply to %q: %q", to, body)
	}
}
