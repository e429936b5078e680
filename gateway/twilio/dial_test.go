package twilio_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/gateway/twilio"
)

// A live call's Dial in TwiML: the hotline's number as callerId, the
// action where Twilio posts DialCallStatus, the officer's phone alone in
// <Number>.
func TestRenderLiveDial(t *testing.T) {
	d := &turn.Dial{Number: "+22376000082", CallerID: "+22376000801", Timeout: 30, MaxDuration: 3600, Action: "https://h.example/c/x/voice?s=4&dialed=1"}
	_, body := twilio.Voice{}.Render(turn.VoiceReply{Dial: d})
	want := `<Response><Dial callerId="+22376000801" action="https://h.example/c/x/voice?s=4&amp;dialed=1" method="POST" timeout="30" timeLimit="3600"><Number>+22376000082</Number></Dial></Response>`
	if !strings.HasSuffix(string(body), want) {
		t.Errorf("got\n%s\nwant it to end with\n%s", body, want)
	}
}
