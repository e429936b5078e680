package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
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

// Subscriptions keeps SMS news subscriptions: the subscriber file where
// it is (*subscribers.Store), or on a gateway replica the sealed requests
// that carry each change to it (scaleout.Subscriptions).
type Subscriptions interface {
	Subscribe(ctx context.Context, number, lang, region, cercle, channel string) error
	Unsubscribe(ctx context.Context, number string) (removed bool, err error)
}

// SubscriberList is the subscriber file a broadcast reads (*subscribers.Store).
type SubscriberList interface {
	Each(ctx context.Context, match func(subscribers.Subscriber) bool, fn func(sub subscribers.Subscriber, number string) error) (unreadable int, err error)
}

// BroadcastSource is casework's side of broadcasts (*casework.Service).
type BroadcastSource interface {
	Broadcasts(ctx context.Context, state string) ([]casework.Broadcast, error)
	BroadcastSentTo(ctx context.Context, id string, n int) (casework.Broadcast, error)
}

// Broadcaster queues approved broadcasts on an outbox, each to its
// subscribers once (the outbox's dedupe of "broadcast/<id>/<subscriber>"
// survives a crash mid-send), throttled per channel, in the subscriber's
// language, then marks them sent. It runs where the subscriber file is:
// inside Server (embedded), or on the casework node of a scale-out,
// whose outbox is the gateways' one in Redis (their workers send).
type Broadcaster struct {
	Cases       BroadcastSource
	Outbox      outbox.Queue
	Subscribers SubscriberList
	Texts       *SMSTexts
	// From is each SMS channel's sender (config sms.from) by channel id;
	// a subscriber of a channel not here is skipped.
	From map[string]string
	// Spelling is a language's GSM-7 spelling (menus.Catalog.Spelling).
	Spelling func(lang string) *gsm7.Spelling
	// Rate bounds the messages queued per second on each channel
	// (default DefaultBroadcastRate).
	Rate float64
	// Before runs before each look (a scale-out's casework node applies
	// the gateways' queued subscription changes: a STOP is honoured).
	Before func(ctx context.Context) error
	Log    *slog.Logger
}

// RunBroadcasts sends approved broadcasts until ctx ends, looking every
// interval (see Broadcaster). It does nothing where there are no cases
// or no subscriber file (a gateway replica: the casework node sends).
func (s *Server) RunBroadcasts(ctx context.Context, interval time.Duration) {
	if b := s.broadcaster(); b != nil {
		b.Run(ctx, interval)
	}
}

// SendBroadcasts sends every approved broadcast once.
func (s *Server) SendBroadcasts(ctx context.Context) error {
	if b := s.broadcaster(); b != nil {
		return b.Send(ctx)
	}
	return nil
}

func (s *Server) broadcaster() *Broadcaster {
	list, ok := s.sms.Subscribers.(SubscriberList)
	if s.cases == nil || s.sms.Outbox == nil || !ok {
		return nil
	}
	from := make(map[string]string, len(s.sms.Channels))
	for id, sc := range s.sms.Channels {
		from[id] = sc.From
	}
	return &Broadcaster{Cases: s.cases, Outbox: s.sms.Outbox, Subscribers: list, Texts: s.sms.Texts, From: from,
		Spelling: func(lang string) *gsm7.Spelling { return s.catalog().Spelling(lang) }, Rate: s.sms.BroadcastRate,
		Before: s.sms.BeforeBroadcast, Log: s.log}
}

// Run looks for approved broadcasts every interval until ctx ends.
func (b *Broadcaster) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := b.Send(ctx); err != nil && ctx.Err() == nil {
			b.log().Error("broadcasts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (b *Broadcaster) log() *slog.Logger {
	if b.Log == nil {
		return slog.Default()
	}
	return b.Log
}

// Send queues every approved broadcast once.
func (b *Broadcaster) Send(ctx context.Context) error {
	list, err := b.Cases.Broadcasts(ctx, casework.BroadcastApproved)
	if err != nil || len(list) == 0 {
		return err
	}
	if b.Before != nil {
		if err := b.Before(ctx); err != nil {
			return fmt.Errorf("before broadcasts: %w", err)
		}
	}
	for _, bc := range list {
		n, err := b.send(ctx, bc)
		if err != nil {
			return fmt.Errorf("broadcast %s: %w", bc.ID, err)
		}
		if _, err := b.Cases.BroadcastSentTo(ctx, bc.ID, n); err != nil {
			return err
		}
		b.log().Info("broadcast queued", "broadcast", bc.ID, "recipients", n)
	}
	return nil
}

func (b *Broadcaster) send(ctx context.Context, bc casework.Broadcast) (int, error) {
	rate := b.Rate
	if rate <= 0 {
		rate = DefaultBroadcastRate
	}
	gap := time.Duration(float64(time.Second) / rate)
	next := map[string]time.Time{} // by channel: when the next may be queued
	n := 0
	unreadable, err := b.Subscribers.Each(ctx, func(sub subscribers.Subscriber) bool { return bc.Reaches(sub.Region, sub.Cercle) },
		func(sub subscribers.Subscriber, number string) error {
			from, ok := b.From[sub.Channel]
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
			text, lang := bc.Text(sub.Lang)
			body := fill(b.Texts.lang(lang).InfoBroadcast, map[string]string{"text": text})
			inbound := "broadcast/" + bc.ID + "/" + sub.ID
			var sp *gsm7.Spelling
			if b.Spelling != nil {
				sp = b.Spelling(lang)
			}
			if _, err := b.Outbox.Handled(ctx, sub.Channel, inbound, &outbox.Message{
				ID: outbox.ReplyID(sub.Channel, inbound), Channel: sub.Channel, To: number, From: from,
				Body: FitSMSIn(sp, body, MaxSMSSegments),
			}); err != nil {
				return err
			}
			n++
			return nil
		})
	if unreadable > 0 {
		b.log().Warn("broadcast: subscribers sealed with a destroyed key were skipped", "broadcast", bc.ID, "count", unreadable)
	}
	return n, err
}
