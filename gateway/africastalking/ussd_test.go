package africastalking_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/internal/fixture"
)

// Each testdata/<kind>/NAME.http is a raw callback as AT sends it; NAME.want
// holds either the parsed value as JSON or "error: <reason>".
func TestParseFixtures(t *testing.T) {
	fixture.Check(t, "testdata/ussd/*.http", parseWith(africastalking.USSD{}.Parse), nil)
}

func TestParseEndFixtures(t *testing.T) {
	fixture.Check(t, "testdata/ussd-events/*.http", parseWith(africastalking.USSD{}.ParseEnd), nil)
}

// parseWith adapts a (content type, body) parser to fixture.Check.
func parseWith[T any](parse func(contentType string, body []byte) (T, error)) func(fixture.Callback) (T, error) {
	return func(c fixture.Callback) (T, error) { return parse(c.ContentType(), c.Body) }
}

func TestNewInput(t *testing.T) {
	tests := []struct{ prev, text, want string }{
		{"", "1", "1"},
		{"", "", ""},
		{"1", "1*3", "3"},
		{"1*3", "1*3*12", "12"},
		{"1*3*2", "1*3*2*je suis * exclu", "je suis * exclu"}, // free text keeps its stars
		{"1*3", "5", "5"},     // an operator that sends only the newest input
		{"1*3", "1*4*2", "2"}, // text that does not extend the previous one
		{"1*3", "1*3*", ""},   // empty input
		{"1*3", "1*3**", "*"}, // a lone star
	}
	for _, tt := range tests {
		if got := (africastalking.USSD{}).NewInput(tt.prev, tt.text); got != tt.want {
			t.Errorf("NewInput(%q, %q) = %q, want %q", tt.prev, tt.text, got, tt.want)
		}
	}
}

func TestInputs(t *testing.T) {
	if got := (africastalking.USSD{}).Inputs(""); len(got) != 0 {
		t.Errorf("Inputs(\"\") = %q", got)
	}
	if got := strings.Join((africastalking.USSD{}).Inputs("1*3*12"), "|"); got != "1|3|12" {
		t.Errorf("Inputs = %q", got)
	}
}

func TestRender(t *testing.T) {
	ct, body := africastalking.USSD{}.Render(turn.Reply{Text: "Choisissez:\n1. Oui"})
	if !strings.HasPrefix(ct, "text/plain") || string(body) != "CON Choisissez:\n1. Oui" {
		t.Errorf("Render CON = %q %q", ct, body)
	}
	_, body = africastalking.USSD{}.Render(turn.Reply{Text: "Merci", End: true})
	if string(body) != "END Merci" {
		t.Errorf("Render END = %q", body)
	}
}

func TestParseCallFixtures(t *testing.T) {
	fixture.Check(t, "testdata/voice/*.http", parseWith(africastalking.Voice{}.ParseCall), nil)
}

func TestVoiceRender(t *testing.T) {
	_, body := africastalking.Voice{}.Render(turn.VoiceReply{
		Audio:  []turn.Audio{{URL: "https://h.example/audio/fr/digit-1.wav"}, {Text: "Ténenkou"}},
		Gather: true, Timeout: 8, Action: "https://h.example/c/x/voice?s=2", Fallback: "https://h.example/c/x/voice?s=2&noinput=1",
	})
	want := `<Response><GetDigits numDigits="1" timeout="8" callbackUrl="https://h.example/c/x/voice?s=2">` +
		`<Play url="https://h.example/audio/fr/digit-1.wav"/><Say>Ténenkou</Say></GetDigits>` +
		`<Redirect>https://h.example/c/x/voice?s=2&amp;noinput=1</Redirect></Response>`
	if !strings.HasSuffix(string(body), want) {
		t.Errorf("XML =\n%s\nwant suffix\n%s", body, want)
	}
	_, body = africastalking.Voice{}.Render(turn.VoiceReply{Record: true, MaxLength: 120, Timeout: 5, Action: "A", Fallback: "F"})
	if !strings.Contains(string(body), `<Record finishOnKey="#" maxLength="120" timeout="5" trimSilence="true" playBeep="true" callbackUrl="A"></Record><Redirect>F</Redirect>`) {
		t.Errorf("record XML = %s", body)
	}
}
