package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/callerid"
	"github.com/numerovert/hotline/gateway/turn"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
)

// The masked call-back on SMS (issue #16): an SMS complaint's reply ends
// with the question every channel asks ("may an independent officer call
// you back? they will not see your number"), in the catalogue's words
// (menus.CallBackSMSOffer), and the caller agrees by answering with the
// call-back keyword of locales/sms (RAPPEL). Silence is no: nothing is
// kept. The keyword binds the number, sealed here for that case only
// (CallBackSealer.SealCaller), to the caller's latest case of the append
// window, still open (casework.Service.AgreeCallBack); the case deletes
// it when it closes, after 30 days or at purge, as for USSD and voice.
// The answer is the same whether or not a case was found, so the keyword
// tells a borrowed phone nothing. Offered only where the case store is
// (a gateway replica has none to bind the seal to) and the channel can
// place the call (voice.callback).

// smsOffersCallBack reports whether an SMS complaint on ch may be answered
// with the call-back offer.
func (s *Server) smsOffersCallBack(ch config.Channel) bool {
	if s.callback.Sealer == nil || s.cases == nil {
		return false
	}
	vc, ok := s.voice.Channels[ch.ID]
	return ok && vc.CallBack != nil && vc.Caller != nil
}

// withCallBackOffer ends an SMS complaint's reply in lang with the
// call-back question, when the channel offers it and both fit the
// reply's MaxSMSSegments; otherwise the reply goes alone.
func (s *Server) withCallBackOffer(ch config.Channel, lang, reply string) string {
	if !s.smsOffersCallBack(ch) {
		return reply
	}
	sep := " "
	if !strings.HasSuffix(reply, ".") && !strings.HasSuffix(reply, "?") && !strings.HasSuffix(reply, "!") {
		sep = ". " // the acks end on the follow-up keyword and reference
	}
	both := reply + sep + s.callBackSMSText(lang, menus.CallBackSMSOffer)
	if smsFits(s.catalog().Spelling(lang), both) {
		return both
	}
	return reply
}

// smsFits reports whether text is sent whole within MaxSMSSegments.
func smsFits(sp *gsm7.Spelling, text string) bool {
	return gsm7.MeasureSMS(FitSMSIn(sp, text, 1<<20)).Segments <= MaxSMSSegments
}

// callBackSMSText is a catalogue string of the offer in lang with the
// language's call-back keyword.
func (s *Server) callBackSMSText(lang, key string) string {
	return fill(s.catalog().Text(lang, key), map[string]string{menus.PhKeyword: s.sms.Texts.lang(lang).callBackWord})
}

// CallBackKeyword reports whether text is only a call-back keyword, and
// the languages that list it (sorted).
func (t *SMSTexts) CallBackKeyword(text string) (langs []string, ok bool) {
	w := words(text)
	if len(w) != 1 {
		return nil, false
	}
	for _, code := range t.order {
		if slices.Contains(t.langs[code].CallBack, w[0]) {
			langs = append(langs, code)
		}
	}
	return langs, len(langs) > 0
}

// smsCallBack answers a call-back keyword: ok is false when m is not one
// (or the channel offers no call-back), and the message is read as any other.
func (s *Server) smsCallBack(ctx context.Context, ch config.Channel, m turn.SMS, callerKey, text string) (outcome, lang, reply string, ok bool, err error) {
	if !s.smsOffersCallBack(ch) {
		return "", "", "", false, nil
	}
	langs, ok := s.sms.Texts.CallBackKeyword(text)
	if !ok {
		return "", "", "", false, nil
	}
	// The caller's language when it has the word, else the word's own.
	lang, err = s.smsLanguage(ctx, callerKey, "")
	if err != nil {
		return "callback", "", "", true, err
	}
	if !slices.Contains(langs, lang) {
		lang = langs[0]
	}
	number := callerid.Normalize(m.From, ch.Country)
	_, agreed, err := s.cases.AgreeCallBack(ctx, callerKey, s.sms.AppendWindow, func(caseID string) string {
		return s.callback.Sealer.SealCaller(caseID, number)
	})
	if err != nil {
		return "callback", "", "", true, fmt.Errorf("call-back by sms: %w", err)
	}
	outcome = "callback"
	if !agreed {
		outcome = "callback_none"
	}
	return outcome, lang, s.callBackSMSText(lang, menus.CallBackSMSAgreed), true, nil
}
