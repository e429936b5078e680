package twilio_test

import (
	"testing"

	"github.com/numerovert/hotline/gateway/twilio"
	"github.com/numerovert/hotline/internal/fixture"
)

// Whatever a forged or broken request carries, the parsers never panic and
// refuse with a short reason quoting nothing (the signature check runs
// first in the gateway; these run on what it lets through).
func FuzzParseSMS(f *testing.F) {
	fixture.FuzzParser(f, "testdata/sms/*.http", twilio.SMS{}.ParseSMS)
}

func FuzzParseReport(f *testing.F) {
	fixture.FuzzParser(f, "testdata/status/*.http", twilio.SMS{}.ParseReport)
}

func FuzzParseCall(f *testing.F) {
	fixture.FuzzParser(f, "testdata/voice/*.http", twilio.Voice{}.ParseCall)
}

// The signature check itself takes any URL, headers and body.
func FuzzAuthenticate(f *testing.F) {
	for _, c := range fixture.Load(f, "testdata/sms/*.http") {
		f.Add(c.URL, c.Header.Get("X-Twilio-Signature"), c.ContentType(), c.Body)
	}
	f.Fuzz(func(t *testing.T, url, signature, contentType string, body []byte) {
		s := twilio.SMS{AuthToken: "fuzz-token", PublicURL: "https://hotline.example.org"}
		header := func(name string) string {
			if name == "X-Twilio-Signature" {
				return signature
			}
			return ""
		}
		if err := s.Authenticate(url, header, contentType, body); err == nil && signature == "" {
			t.Fatal("accepted a request without a signature")
		}
	})
}
