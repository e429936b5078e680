package gateway

import (
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/menus"
)

// A sensitive call-back (PSEA or protection) through a provider that plays
// nothing to a dialled party before connecting it (Africa's Talking's
// Dial has no <Number url>): the caller must still be asked first whether
// it is safe to talk. So the caller's phone is the call's first leg: they
// hear who calls and that their number is hidden, then "is it safe to
// talk now? press 1" (GetDigits); 1 dials the officer's own phone from
// the hotline's number; anything else, or nothing, ends politely
// (callback.later). The officer clicked Call back a moment before, so
// they are there; if they do not answer, the Redirect after the Dial
// comes back (cb=dialed) and the caller hears callback.later too. Every
// request is matched by the provider's session id, like the officer-first
// call-back; the numbers stay sealed in the bridge, opened only for the
// provider's request and reply.

// atCallerFirst serves one notification of a caller-first call-back.
func (s *Server) atCallerFirst(c fiber.Ctx, vc VoiceChannel, base, tok string, call turn.Call) error {
	var t casework.CallBackTicket
	var answered, declined, dialled bool
	var officerPhone string
	s.bridges.with(tok, func(br *bridge) {
		t, answered, declined, dialled, officerPhone = br.ticket, br.answered, br.declined, br.dialled, br.officerPhone
	})
	voice := base + "/c/" + t.Channel + "/voice?cb="
	later := turn.VoiceReply{Audio: s.audioFor(base, s.clips(t.Language, menus.CallBackLater)), Hangup: true}
	var reply turn.VoiceReply
	switch {
	case call.Final:
		seconds, cause := 0, ""
		if ender, ok := vc.Adapter.(CallEnder); ok {
			seconds, cause, _ = ender.CallEnd(c.Get(fiber.HeaderContentType), c.Body())
		}
		switch {
		case declined:
			s.callBackOutcome(tok, casework.CallBackCallerDeclined, 0)
		case !answered && strings.Contains(strings.ToUpper(cause), "BUSY"):
			s.callBackOutcome(tok, casework.CallBackCallerBusy, 0)
		case !answered:
			s.callBackOutcome(tok, casework.CallBackCallerMissed, 0)
		case dialled && seconds > 0:
			s.callBackOutcome(tok, casework.CallBackConnected, seconds)
		case dialled:
			s.callBackOutcome(tok, casework.CallBackOfficerMissed, 0)
		default: // answered, hung up before saying it was safe
			s.callBackOutcome(tok, casework.CallBackCallerDeclined, 0)
		}
		c.Set(fiber.HeaderContentType, "text/plain")
		return c.SendString("")
	case c.Query("cb") == "safe":
		if strings.TrimSpace(call.Digits) != "1" {
			s.bridges.with(tok, func(br *bridge) { br.declined = true })
			reply = later
			break
		}
		officer, err := s.callback.Sealer.open(officerPhone, officerAAD(t.Officer))
		if err != nil {
			s.callBackOutcome(tok, casework.CallBackFailed, 0)
			s.log.Error("call-back: the officer's phone cannot be opened", "case", t.CaseID, "err", err)
			reply = later
			break
		}
		s.bridges.with(tok, func(br *bridge) { br.dialled = true })
		reply = turn.VoiceReply{Dial: &turn.Dial{
			Number: officer, CallerID: vc.CallBack.From, Timeout: callBackRing, MaxDuration: callBackMaxTalk,
			Action: voice + "dialed", // followed only when the officer did not answer
		}}
	case c.Query("cb") == "dialed": // the officer did not answer
		s.callBackOutcome(tok, casework.CallBackOfficerMissed, 0)
		reply = later
	default: // the caller answered
		s.bridges.with(tok, func(br *bridge) { br.answered = true })
		reply = turn.VoiceReply{
			Audio:  s.audioFor(base, s.clips(t.Language, menus.CallBackIntro, menus.CallBackSafe)),
			Gather: true, Timeout: voiceKeyTimeout, Action: voice + "safe", Fallback: voice + "safe",
		}
	}
	ct, body := vc.Adapter.Render(reply)
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(body)
}
