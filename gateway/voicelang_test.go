package gateway_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/numerovert/hotline/casework/boltstore"
	"github.com/numerovert/hotline/casework/caseworktest"
	"github.com/numerovert/hotline/gateway"
	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/sessions"
	"github.com/numerovert/hotline/gateway/twilio"
	"github.com/numerovert/hotline/keystore"
	"github.com/numerovert/hotline/locales"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/recordings"
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
	dir := t.TempDir()
	cases, err := boltstore.Open(filepath.Join(dir, "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cases.Close() })
	recs, err := recordings.OpenWithKeys(filepath.Join(dir, "recordings.db"), []keystore.Key{{Version: "k1", Secret: bytes.Repeat([]byte{5}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recs.Close() })
	cat, err := menus.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	return gateway.New(gateway.Options{
		Providers: provider.List{africastalking.Provider, twilio.Provider},
		Config:    gateway.TestConfig(t), Catalog: cat, Cases: caseworktest.Service(t, cases, logs), Sessions: sessions.NewMemory(),
		Keyring: callerid.New(bytes.Repeat([]byte{7}, 32)),
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
		Voice: gateway.VoiceOptions{
			Recordings: recs,
			Audio:      audio,
			Channels: map[string]gateway.VoiceChannel{"demo-twilio": {
				Adapter: twilio.Voice{AuthToken: twilioToken, PublicURL: "http://hotline.example.org"}}},
		},
	})
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
	home := heard(bm.press("1"))
	want := []string{
		// No Bambara recording nor voice, no French recording: French speech.
		"say(fr-FR) Appel gratuit, numéro non gardé. Une équipe indépendante lit, pas les chefs.",
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
