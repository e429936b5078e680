package gateway_test

import (
	"io/fs"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus/gsm7"
)

// TestSMSInTheCallersLanguage: a message written in Bambara, Fulfulde,
// Songhay or Tamasheq is answered in that language (its follow-up keyword
// in the ack), the case stores the language, and the follow-up keyword of
// the language gets the status in it. A caller who asked the hotline to
// keep their language is answered in it whatever they write; nothing
// recognisable is answered in French.
func TestSMSInTheCallersLanguage(t *testing.T) {
	r := newSMSRig(t)
	pinRE := regexp.MustCompile(`(\d{4} \d{4})\D+(\d{4})`)
	for i, tt := range []struct {
		lang, text, keyword, status string
	}{
		{"bm", "N ma dɛmɛ sɔrɔ, n tɔgɔ tɛ lisi kan", "KOLOSI", "a sɔrɔla"},
		{"ff", "Mi heɓaani ballal, innde am alaa e doggol", "NDAARDE", "heɓaama"},
		{"ses", "Ay mana nooru gar, ay maa si tira ra", "GUNAYAN", "a to"},
		{"taq", "Ur ǝgrăwăɣ tallalt, esǝm-in wǝr ihe", "ENHI", "ilkam"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			phone := "+2237600003" + string(rune('1'+i))
			id := "ATXlang_" + tt.lang
			if code, _ := r.at(id, phone, tt.text); code != 200 {
				t.Fatalf("status %d", code)
			}
			_, ack := r.reply("demo-at", id)
			m := pinRE.FindStringSubmatch(ack)
			if m == nil || !strings.Contains(ack, tt.keyword+" "+m[1]) || gsm7.MeasureSMS(ack).Segments > 2 {
				t.Fatalf("ack %q: want the %s keyword, reference and PIN in at most 2 SMS", ack, tt.keyword)
			}
			if tt.lang == "bm" && !strings.Contains(ack, "nimòrò") {
				t.Errorf("ack %q: want GSM-7 letters in bm.yaml's spelling (ɔ → ò)", ack)
			}
			var lang string
			for _, c := range r.allCases() {
				if c.Detail == tt.text {
					lang = c.Language
				}
			}
			if lang != tt.lang {
				t.Errorf("case language = %q, want %s", lang, tt.lang)
			}
			r.at(id+"_f", phone, strings.ToLower(tt.keyword)+" "+m[1]+" "+m[2])
			if _, st := r.reply("demo-at", id+"_f"); !strings.Contains(gsm7.Fold(st), gsm7.Fold(tt.status)) {
				t.Errorf("follow-up %q, want the status %q", st, tt.status)
			}
		})
	}

	// A Bambara caller who kept their language (the USSD confirmation's
	// "send, keep my language") is answered in Bambara, even to a message
	// with no Bambara word, and the new case is in Bambara. (A window of
	// 1 ns: the message opens a case instead of joining the USSD one.)
	r = newSMSRig(t, func(o *gateway.Options) { o.SMS.AppendWindow = time.Nanosecond })
	const kept, other = "+22376000041", "+22376000042"
	for i, in := range []string{"", "1", "1*1", "1*1*2", "1*1*2*5", "1*1*2*5*7", "1*1*2*5*7*2", "1*1*2*5*7*2*1", "1*1*2*5*7*2*1*3"} {
		code, body := r.post("/c/demo-at/ussd", url.Values{"sessionId": {"ussd-kept"}, "phoneNumber": {kept},
			"serviceCode": {"*384*1234#"}, "text": {in}}, nil)
		if code != 200 || (i == 8) != strings.HasPrefix(body, "END ") {
			t.Fatalf("ussd %q: %d %q", in, code, body)
		}
	}
	for _, c := range []struct{ phone, want string }{{kept, "KOLOSI"}, {other, "SUIVI"}} {
		id := "ATXkept" + c.phone[len(c.phone)-1:]
		r.at(id, c.phone, "Mopti 12")
		if _, body := r.reply("demo-at", id); !strings.Contains(body, c.want) {
			t.Errorf("%s: reply %q, want %s", c.want, body, c.want)
		}
	}
	langs := map[string]int{}
	for _, c := range r.allCases() {
		langs[c.Medium+"/"+c.Language]++
	}
	if langs["sms/bm"] != 1 || langs["sms/fr"] != 1 || langs["ussd/bm"] != 1 {
		t.Errorf("cases by medium and language: %v", langs)
	}
}

// TestLintSMS: a reply that needs more than two SMS in the encoding it is
// sent in is an error on its line; a menu language with no `sms:` section is a
// Gap (an error under --strict); a detect word two languages share is
// pointed out.
func TestLintSMS(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, lang := range []string{"fr", "en", "bm"} {
		b, err := fs.ReadFile(locales.FS, lang+".yaml")
		if err != nil {
			t.Fatal(err)
		}
		fsys[lang+".yaml"] = &fstest.MapFile{Data: b}
	}
	if ps := gateway.LintSMS(fsys, []string{"fr", "en", "bm"}, nil); len(ps) != 0 {
		t.Fatalf("shipped files: %v", ps)
	}
	bm := string(fsys["bm.yaml"].Data)
	// About 380 letters: 3 SMS even in GSM-7 letters (6 in UCS-2).
	long := strings.Repeat("ɛ", 320)
	bm = strings.Replace(bm, `added: "Numero Vert:`, `added: "`+long+` Numero Vert:`, 1)
	bm = strings.Replace(bm, "detect: [", "detect: [bonjour, ", 1)
	fsys["bm.yaml"] = &fstest.MapFile{Data: []byte(bm)}
	ps := gateway.LintSMS(fsys, []string{"fr", "en", "bm", "ff"}, nil)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	line := strings.Count(bm[:strings.Index(bm, "added:")], "\n") + 1
	for _, want := range []string{
		"bm.yaml:" + strconv.Itoa(line) + ": sms.added is 3 SMS",
		"ff.yaml:0: warning: no `sms:` section: no SMS replies in ff",
		`warning: sms.detect word "bonjour" is also in`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("want %q in:\n%s", want, all)
		}
	}
	for _, p := range ps {
		if strings.Contains(p.Msg, "no SMS replies") != p.Gap {
			t.Errorf("Gap = %v for %s", p.Gap, p)
		}
	}
}
