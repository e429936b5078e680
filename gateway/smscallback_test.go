package gateway_test

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/menus/gsm7"
	"github.com/numerovert/hotline/recordings"
)

// withSMSCallBack gives the SMS rig's AT channel a voice side that places
// calls (voice.callback) and the call-back sealer.
func withSMSCallBack(t *testing.T) func(*gateway.Options) {
	sealer, err := gateway.NewCallBackSealer(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := recordings.OpenWithKeys(filepath.Join(t.TempDir(), "recordings.db"), []keystore.Key{{Version: "k1", Secret: bytes.Repeat([]byte{5}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recs.Close() })
	return func(o *gateway.Options) {
		o.CallBack = gateway.CallBackOptions{Sealer: sealer}
		o.Voice.Recordings = recs
		o.Voice.Channels = map[string]gateway.VoiceChannel{"demo-at": {
			Adapter: africastalking.Voice{}, Caller: africastalking.Caller{BaseURL: "http://127.0.0.1:1", Username: "sandbox", APIKey: "k"},
			CallBack: &config.CallBack{From: "+22376000800"},
		}}
	}
}

// In every language an SMS complaint's reply ends with the call-back
// question and names that language's keyword, within two SMS; the keyword
// seals the number for the case only, and is answered the same whether or
// not there was a case. A channel that places no calls asks nothing.
func TestSMSCallBackOfferInEveryLanguage(t *testing.T) {
	r := newSMSRig(t, withSMSCallBack(t))
	refRE := regexp.MustCompile(`\d{4} \d{4}`)
	for i, tt := range []struct{ lang, text, keyword, offer string }{
		{"fr", "Je n'ai pas reçu ma ration, le chef a gardé les sacs", "RAPPEL", "rappeler"},
		{"en", "Hello, my name is not on the list and we got nothing", "CALLBACK", "call you back"},
		{"bm", "N ma dɛmɛ sɔrɔ, n tɔgɔ tɛ lisi kan", "WELE", "wele"},
		{"ff", "Mi heɓaani ballal, innde am alaa e doggol", "NODDAM", "noddaade"},
		{"ses", "Ay mana nooru gar, ay maa si tira ra", "CE", "ce koyne"},
		{"taq", "Ur ǝgrăwăɣ tallalt, esǝm-in wǝr ihe", "RAPPEL", "RAPPEL"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			phone := "+2237600004" + string(rune('0'+i))
			if code, _ := r.at("ATXcb_"+tt.lang, phone, tt.text); code != 200 {
				t.Fatalf("status %d", code)
			}
			_, ack := r.reply("demo-at", "ATXcb_"+tt.lang)
			if !refRE.MatchString(ack) || !strings.Contains(ack, tt.offer) || !strings.Contains(ack[strings.LastIndex(ack, tt.offer):], tt.keyword) {
				t.Errorf("ack %q: want the reference, then the call-back question naming %s", ack, tt.keyword)
			}
			if n := gsm7.MeasureSMS(ack).Segments; n > gateway.MaxSMSSegments || strings.HasSuffix(ack, "...") {
				t.Errorf("ack is %d SMS or cut: %q", n, ack)
			}
			if code, _ := r.at("ATXcb_kw_"+tt.lang, phone, strings.ToLower(tt.keyword)); code != 200 {
				t.Fatalf("status %d", code)
			}
			_, agreed := r.reply("demo-at", "ATXcb_kw_"+tt.lang)
			if n := gsm7.MeasureSMS(agreed).Segments; n > gateway.MaxSMSSegments || refRE.MatchString(agreed) || strings.Contains(agreed, "{") {
				t.Errorf("keyword's answer %q (%d SMS): want no reference, at most 2 SMS", agreed, n)
			}
			var kept string
			for _, c := range r.allCases() {
				if c.Detail == tt.text {
					kept = c.CallBack
				}
			}
			if kept == "" || strings.Contains(kept, strings.TrimPrefix(phone, "+")) {
				t.Errorf("case keeps %q: want the sealed number", kept)
			}
		})
	}
	// Nobody's case: the same answer, nothing kept, no case opened.
	before := len(r.allCases())
	r.at("ATXcb_nobody", "+22376000049", "RAPPEL")
	_, none := r.reply("demo-at", "ATXcb_nobody")
	_, fr := r.reply("demo-at", "ATXcb_kw_fr")
	if none != fr || len(r.allCases()) != before {
		t.Errorf("a stranger's RAPPEL got %q (want %q) and made %d cases", none, fr, len(r.allCases())-before)
	}
}

func TestSMSCallBackNotOfferedWithoutCalls(t *testing.T) {
	r := newSMSRig(t) // no voice.callback: nothing can place the call
	r.at("ATXnocb", "+22376000048", "Je n'ai pas reçu ma ration")
	if _, ack := r.reply("demo-at", "ATXnocb"); strings.Contains(ack, "RAPPEL") {
		t.Errorf("offered a call-back nobody can place: %q", ack)
	}
	r.at("ATXnocb2", "+22376000048", "RAPPEL")
	if _, reply := r.reply("demo-at", "ATXnocb2"); !strings.Contains(reply, "ajouté") {
		t.Errorf("RAPPEL without call-backs is a message like any other: %q", reply)
	}
}
