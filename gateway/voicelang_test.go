package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/twilio"
)

// twilioCall plays one Twilio call against a server with the prompt
// recordings audio, returning the TwiML of each step.
type twilioCall struct {
	t    *testing.T
	srv  *gateway.Server
	sid  string
	step int
}

func newTwilioVoice(t *testing.T, audio fstest.MapFS) *gateway.Server {
	t.Helper()
	srv, _, _ := newVoiceServer(t, map[string]gateway.VoiceChannel{"demo-twilio": {
		Adapter: twilio.Voice{AuthToken: twilioToken, PublicURL: "http://hotline.example.org"}}}, audio)
	return srv
}

// press sends the next step with digits ("" for the first request).
func (c *twilioCall) press(digits string) string {
	c.t.Helper()
	path := "/c/demo-twilio/voice"
	if c.step > 0 {
		path += "?s=" + string(rune('0'+c.step))
	}
	form := url.Values{"CallSid": {c.sid}, "From": {"+22376000071"}, "CallStatus": {"in-progress"}}
	if digits != "" {
		form.Set("Digits", digits)
	}
	req := httptest.NewRequest("POST", "http://hotline.example.org"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Signature(twilioToken, "http://hotline.example.org"+path, form))
	resp, err := c.srv.App().Test(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	c.step++
	return string(b)
}

var twimlPrompt = regexp.MustCompile(`<Play>[^<]*/audio/([^<]+)\.wav</Play>|<Say language="([^"]+)">([^<]*)</Say>`)

// heard lists a TwiML reply's prompts as "play lang/key" or "say(lang) text".
func heard(twiml string) []string {
	var out []string
	for _, m := range twimlPrompt.FindAllStringSubmatch(twiml, -1) {
		if m[1] != "" {
			out = append(out, "play "+m[1])
		} else {
			out = append(out, "say("+m[2]+") "+m[3])
		}
	}
	return out
}

// TestVoicePromptFallbackOrder: each prompt is said the best way there is,
// in this order: the caller's language's recording, its text-to-speech
// (`tts:`), the French recording, French text-to-speech. The language menu
// offers each language in itself.
func TestVoicePromptFallbackOrder(t *testing.T) {
	wav := &fstest.MapFile{Data: []byte("RIFF....WAVE")}
	srv := newTwilioVoice(t, fstest.MapFS{
		"bm/language.name.wav":  wav, // "Bamanankan", said by a Bambara speaker
		"bm/home.prompt.wav":    wav,
		"fr/home.prompt.wav":    wav,
		"fr/home.complaint.wav": wav,
	})
	bm := &twilioCall{t: t, srv: srv, sid: "CAbm"}
	menu := strings.Join(heard(bm.press("")), "\n")
	for _, want := range []string{
		"play bm/language.name",            // own recording
		"say(en-US) For English press six", // own text-to-speech, in itself
		"Pour Français tapez deux",         // French text-to-speech, merged with its neighbours
	} {
		if !strings.Contains(menu, want) {
			t.Errorf("language menu lacks %q:\n%s", want, menu)
		}
	}
	// The short voice path's offer opens with the promise: no Bambara
	// recording nor voice, no French recording: French speech.
	offer := heard(bm.press("1"))
	if len(offer) == 0 || offer[0] != "say(fr-FR) Appel gratuit, numéro non gardé. Une équipe indépendante lit, pas les chefs. Vous pouvez nous parler directement. Pour nous le dire avec vos mots tapez un Pour le menu tapez deux Pour Langue tapez zéro" {
		t.Errorf("Bambara offer heard:\n%s", strings.Join(offer, "\n"))
	}
	home := heard(bm.press("2")) // the menu
	want := []string{
		"play bm/home.prompt", // the Bambara recording
		"say(fr-FR) Pour",
		"play fr/home.complaint", // no Bambara recording nor voice: the French recording
	}
	if len(home) < len(want) || strings.Join(home[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Errorf("Bambara home heard:\n%s\nwant first:\n%s", strings.Join(home, "\n"), strings.Join(want, "\n"))
	}

	en := &twilioCall{t: t, srv: srv, sid: "CAen"}
	en.press("")
	home = heard(en.press("6"))
	// English has a voice: it speaks before the French recording plays.
	if len(home) < 1 || !strings.HasPrefix(home[0], "say(en-US) Free call") || strings.Contains(strings.Join(home, "\n"), "play fr/") {
		t.Errorf("English home heard:\n%s", strings.Join(home, "\n"))
	}
}
