package africastalking_test

import (
	"strings"
	"testing"

	"github.com/numerovert/hotline/gateway/africastalking"
	"github.com/numerovert/hotline/gateway/turn"
)

// A Dial is AT's `<Dial phoneNumbers callerId maxDuration/>`; with an
// Action (a live call) a Redirect follows it, which AT runs only when the
// Dial was not answered. A call-back's Dial (no Action) ends the reply.
func TestRenderDial(t *testing.T) {
	d := &turn.Dial{Number: "+22376000082", CallerID: "+22376000800", MaxDuration: 3600, Action: "https://h.example/c/x/voice?s=4&dialed=1"}
	_, body := africastalking.Voice{}.Render(turn.VoiceReply{Audio: []turn.Audio{{Text: "Restez en ligne"}}, Dial: d})
	want := `<Response><Say>Restez en ligne</Say><Dial phoneNumbers="+22376000082" callerId="+22376000800" maxDuration="3600"/>` +
		`<Redirect>https://h.example/c/x/voice?s=4&amp;dialed=1</Redirect></Response>`
	if !strings.HasSuffix(string(body), want) {
		t.Errorf("live Dial:\n%s\nwant it to end with\n%s", body, want)
	}
	d.Action = ""
	if _, body = (africastalking.Voice{}).Render(turn.VoiceReply{Dial: d, Fallback: "https://h.example/x"}); strings.Contains(string(body), "Redirect") {
		t.Errorf("call-back Dial followed by a Redirect: %s", body)
	}
}
