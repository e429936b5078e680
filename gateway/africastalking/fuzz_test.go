package africastalking_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/internal/fixture"
)

// fixedReasons are every reason Parse may give: constants, so a refusal can
// never echo a number or a message back into a log or a response.
var fixedReasons = map[string]bool{
	"body over 8 KB": true, "body is not form-encoded": true, "missing sessionId": true,
	"missing phoneNumber": true, "text over 1 KB": true, "field too long": true, "text is not UTF-8": true,
	"content type must be application/x-www-form-urlencoded": true,
}

// FuzzParse feeds arbitrary bodies and content types to the USSD parser,
// seeded with every fixture. Whatever arrives, Parse must not panic; it
// either refuses with a short reason that quotes nothing from the request,
// or returns a hop within the documented bounds.
func FuzzParse(f *testing.F) {
	for _, c := range fixture.Load(f, "testdata/ussd/*.http") {
		f.Add(c.ContentType(), c.Body)
	}
	f.Add("application/x-www-form-urlencoded", []byte("sessionId=%ZZ&phoneNumber=1"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		hop, err := africastalking.USSD{}.Parse(contentType, body)
		if err != nil {
			var bad *turn.BadRequest
			if !errors.As(err, &bad) {
				t.Fatalf("error %v is not a BadRequest", err)
			}
			if !fixedReasons[bad.Reason] {
				t.Fatalf("reason %q is not one of the fixed reasons: it may quote the request", bad.Reason)
			}
			return
		}
		switch {
		case len(body) > africastalking.MaxUSSDBody:
			t.Fatalf("accepted a %d-byte body", len(body))
		case strings.TrimSpace(hop.SessionID) == "" || strings.TrimSpace(hop.Phone) == "":
			t.Fatalf("accepted a hop without session or phone: %+v", hop)
		case len(hop.Text) > africastalking.MaxUSSDText:
			t.Fatalf("accepted %d bytes of text", len(hop.Text))
		case !utf8.ValidString(hop.Text) || !utf8.ValidString(hop.SessionID):
			t.Fatalf("accepted text that is not UTF-8")
		case len(hop.SessionID) > 128 || len(hop.Phone) > 128 || len(hop.ServiceCode) > 128 || len(hop.NetworkCode) > 128:
			t.Fatalf("accepted an overlong field: %+v", hop)
		}
	})
}

// FuzzNewInput checks the text splitter against AT's cumulative format: the
// newest input is a suffix of the text; a text that extends the previous
// one by "*" + input gives that input back exactly, stars and all; and
// Inputs splits a text into parts that join back to it.
func FuzzNewInput(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", ""}, {"", "1", "1"}, {"1", "1*3", "3"}, {"1*3*2", "1*3*2*je suis * exclu", "x"},
		{"1*3", "5", "5"}, {"1*3", "1*4*2", "2"}, {"1*3", "1*3*", ""}, {"1*3", "1*3**", "*"},
		{"2*1", "2*1*nɛ tɔgɔ", "é*"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, prev, text, input string) {
		at := africastalking.USSD{}
		got := at.NewInput(prev, text)
		if !strings.HasSuffix(text, got) {
			t.Fatalf("NewInput(%q, %q) = %q is not a suffix of the text", prev, text, got)
		}
		if prev != "" {
			if got := at.NewInput(prev, prev+"*"+input); got != input {
				t.Fatalf("NewInput(%q, %q) = %q, want %q", prev, prev+"*"+input, got, input)
			}
		}
		parts := at.Inputs(text)
		if strings.Join(parts, "*") != text || (text == "") != (len(parts) == 0) {
			t.Fatalf("Inputs(%q) = %q does not join back", text, parts)
		}
	})
}

func FuzzParseEnd(f *testing.F) {
	fixture.FuzzParser(f, "testdata/ussd-events/*.http", africastalking.USSD{}.ParseEnd)
}

func FuzzParseSMS(f *testing.F) {
	fixture.FuzzParser(f, "testdata/sms/*.http", africastalking.SMS{}.ParseSMS)
}

func FuzzParseReport(f *testing.F) {
	fixture.FuzzParser(f, "testdata/report/*.http", africastalking.SMS{}.ParseReport)
}

func FuzzParseCall(f *testing.F) {
	fixture.FuzzParser(f, "testdata/voice/*.http", africastalking.Voice{}.ParseCall)
}
