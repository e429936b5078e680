package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/outbox"
	"github.com/numerovert/hotline/subscribers"
)

// SMS news of the information line (issue 15): a caller subscribes their
// number to a place's approved broadcasts (USSD, voice, SMS INFO ON) and
// leaves with STOP on any channel, which deletes the sealed number. The
// number goes to the subscribers store only, normalised, never a caller
// key: the list cannot be joined to cases.

// DefaultBroadcastRate is how many broadcast messages are queued per
// second on one channel: aggregators and operators throttle bulk sends.
const DefaultBroadcastRate = 5

// saveFailed is the catalogue's "a problem, nothing was saved, call again
// later" (tree.yaml messages.save_failed).
const saveFailed = "error.save_failed"

// smsNews subscribes (or unsubscribes) phone and returns what to show, in
// lang: done, or that SMS news is not possible here (no SMS on this
// channel, no subscriber store), or that it failed (call again later).
func (s *Server) smsNews(ctx context.Context, ch config.Channel, phone, lang string, on bool, region, cercle string) string {
	if s.sms.Subscribers == nil {
		return s.catalog().Text(lang, menus.InfoNoSMS)
	}
	if !on {
		if err := s.unsubscribe(ctx, ch, phone); err != nil {
			s.log.Error("unsubscribe", "channel", ch.Name, "err", err)
			return s.catalog().Text(lang, saveFailed)
		}
		return s.catalog().Text(lang, menus.InfoUnsubscribed)
	}
	if _, ok := s.sms.Channels[ch.ID]; !ok {
		return s.catalog().Text(lang, menus.InfoNoSMS) // nothing could reach them
	}
	if err := s.subscribe(ctx, ch, phone, lang, region, cercle); err != nil {
		s.log.Error("subscribe", "channel", ch.Name, "err", err)
		return s.catalog().Text(lang, saveFailed)
	}
	return s.catalog().Text(lang, menus.InfoSubscribed)
}

// subscribe keeps phone, sealed, as a subscriber of the place.
func (s *Server) subscribe(ctx context.Context, ch config.Channel, phone, lang, region, cercle string) error {
	if s.sms.Subscribers == nil {
		return fmt.Errorf("no subscriber store")
	}
	if region == casework.Unknown {
		region = ""
	}
	if cercle == casework.Unknown || region == "" {
		cercle = ""
	}
	return s.sms.Subscribers.Subscribe(ctx, callerid.Normalize(phone, ch.Country), lang, region, cercle, ch.ID)
}

// unsubscribe deletes phone's subscription, sealed number included.
func (s *Server) unsubscribe(ctx context.Context, ch config.Channel, phone string) error {
	if s.sms.Subscribers == nil {
		return nil
	}
	_, err := s.sms.Subscribers.Unsubscribe(ctx, callerid.Normalize(phone, ch.Country))
	return err
}

// RunBroadcasts sends approved broadcasts until ctx ends, looking every
// interval: each to its subscribers once (the outbox's dedupe of
// "broadcast/<id>/<subscriber>" survives a crash mid-send), throttled per
// channel, in the subscriber's language, then marks it sent.
func (s *Server) RunBroadcasts(ctx context.Context, interval time.Duration) {
	if s.cases == nil || s.sms.Outbox == nil || s.sms.Subscribers == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.SendBroadcasts(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("broadcasts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendBroadcasts sends every approved broadcast once.
func (s *Server) SendBroadcasts(ctx context.Context) error {
	list, err := s.cases.Broadcasts(ctx, casework.BroadcastApproved)
	if err != nil {
		return err
	}
	for _, b := range list {
		n, err := s.sendBroadcast(ctx, b)
		if err != nil {
			return fmt.Errorf("broadcast %s: %w", b.ID, err)
		}
		if _, err := s.cases.BroadcastSentTo(ctx, b.ID, n); err != nil {
			return err
		}
		s.log.Info("broadcast queued", "broadcast", b.ID, "recipients", n)
	}
	return nil
}

func (s *Server) sendBroadcast(ctx context.Context, b casework.Broadcast) (int, error) {
	rate := s.sms.BroadcastRate
	if rate <= 0 {
		rate = DefaultBroadcastRate
	}
	gap := time.Duration(float64(time.Second) / rate)
	next := map[string]time.Time{} // by channel: when the next may be queued
	n := 0
	unreadable, err := s.sms.Subscribers.Each(ctx, func(sub subscribers.Subscriber) bool { return b.Reaches(sub.Region, sub.Cercle) },
		func(sub subscribers.Subscriber, number string) error {
			sc, ok := s.sms.Channels[sub.Channel]
			if !ok {
				return nil // the channel lost its SMS side: nobody to send through
			}
			if wait := time.Until(next[sub.Channel]); wait > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(wait):
				}
			}
			next[sub.Channel] = time.Now().Add(gap)
			text, lang := b.Text(sub.Lang)
			body := fill(s.sms.Texts.lang(lang).InfoBroadcast, map[string]string{"text": text})
			inbound := "broadcast/" + b.ID + "/" + sub.ID
			if _, err := s.sms.Outbox.Handled(ctx, sub.Channel, inbound, &outbox.Message{
				ID: outbox.ReplyID(sub.Channel, inbound), Channel: sub.Channel, To: number, From: sc.From,
				Body: FitSMSIn(s.catalog().Spelling(lang), body, MaxSMSSegments),
			}); err != nil {
				return err
			}
			n++
			return nil
		})
	if unreadable > 0 {
		s.log.Warn("broadcast: subscribers sealed with a destroyed key were skipped", "broadcast", b.ID, "count", unreadable)
	}
	return n, err
}
