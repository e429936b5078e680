package gateway

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/provider"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/outbox"
	"github.com/numerovert/hotline/outbox/outbound"
)

// Missed-call call-back (issue #16): many callers cannot afford airtime and
// give a missed call ("bip"). On a channel with callback_on_missed_call the
// call is rejected before it is answered (the caller pays nothing) and the
// hotline calls back with the normal voice menu, at its own cost. The
// number waits in the SMS outbox, sealed like an SMS reply's, under the
// pseudo-channel "<channel>#call", retried with the outbox's backoff and
// deleted once the call-back is answered or the window ends.

// DefaultMissedCallsPerDay bounds the call-backs one caller key gets a day.
const DefaultMissedCallsPerDay = 2

// missedCallRetry is when an unanswered call-back is tried again.
const missedCallRetry = 2 * time.Minute

// MissedCallChannel is the outbox channel of channel's missed-call
// call-backs.
func MissedCallChannel(channel string) string { return channel + "#call" }

// CallSender places a queued missed-call call-back (an outbox.Sender):
// the provider calls the caller from the hotline's number and, once
// answered, fetches AnswerURL, the channel's voice menu.
type CallSender struct {
	Caller    provider.Caller
	AnswerURL string
}

// Send places the call; the provider's call id is the outbox's provider id.
func (c CallSender) Send(ctx context.Context, m outbound.Message) (string, error) {
	id, err := c.Caller.Call(ctx, turn.OutboundCall{To: m.To, From: m.From, AnswerURL: c.AnswerURL, StatusURL: c.AnswerURL, RequestID: m.ID, Timeout: callBackRing})
	if err != nil {
		return "", &outbound.SendError{Code: "call not placed"}
	}
	return id, nil
}

func missedCallsPerDay(v *config.Voice) int {
	if v != nil && v.MissedCallsPerDay > 0 {
		return v.MissedCallsPerDay
	}
	return DefaultMissedCallsPerDay
}

// missedCall handles the first request of a call to a missed-call channel:
// it queues the call-back (idempotent on the provider's call id, and at
// most the day's allowance per caller key) and rejects the call.
func (s *Server) missedCall(ctx context.Context, ch config.Channel, vc VoiceChannel, call turn.Call) (turn.VoiceReply, error) {
	reject := turn.VoiceReply{Reject: true}
	box := s.sms.Outbox
	if box == nil || vc.CallBack == nil {
		return reject, nil
	}
	key := s.keyring.Key(call.Phone, ch.Country)
	day := "missed/" + ch.ID + "/" + key + "/" + time.Now().UTC().Format(time.DateOnly)
	n := 0
	if raw, ok, err := s.sessions.Load(ctx, day); err != nil {
		return turn.VoiceReply{}, fmt.Errorf("missed call: %w", err)
	} else if ok {
		n, _ = strconv.Atoi(string(raw))
	}
	if n >= missedCallsPerDay(ch.Voice) {
		s.log.Info("missed call: today's call-backs used up", "channel", ch.ID)
		return reject, nil
	}
	pseudo := MissedCallChannel(ch.ID)
	first, err := box.Handled(ctx, pseudo, call.CallID, &outbox.Message{
		ID: outbox.ReplyID(pseudo, call.CallID), Channel: pseudo,
		To: callerid.Normalize(call.Phone, ch.Country), From: vc.CallBack.From, Body: "call-back",
	})
	if err != nil {
		return turn.VoiceReply{}, fmt.Errorf("missed call: queue the call-back: %w", err)
	}
	if first {
		if err := s.sessions.Save(ctx, day, []byte(strconv.Itoa(n+1)), 25*time.Hour); err != nil {
			return turn.VoiceReply{}, fmt.Errorf("missed call: %w", err)
		}
		s.log.Info("missed call: call-back queued", "channel", ch.ID)
	}
	return reject, nil
}

// calledBack tells the outbox how a placed call-back went: answered (its
// first request) deletes the sealed number; over without having been
// answered retries it.
func (s *Server) calledBack(ctx context.Context, ch config.Channel, call turn.Call, answered bool) {
	if s.sms.Outbox == nil {
		return
	}
	if _, err := s.sms.Outbox.Report(ctx, MissedCallChannel(ch.ID), call.CallID, answered, missedCallRetry); err != nil {
		s.log.Warn("missed call: call-back report", "channel", ch.ID, "err", err)
	}
}
