package gateway

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/gateway/turn"
)

// The information line by SMS (issue 15):
//
//	INFO [place] [topic 1-5]   the approved pages for the place (a cercle or a
//	                           region, by name or P-code; none: all of Mali);
//	                           words that name no place make it free text (a case)
//	INFO ON [place]            subscribe to the place's broadcasts
//	STOP                       (the whole message) unsubscribe: the number is deleted
//
// The keywords are each language's (the `sms:` section of <lang>.yaml: `info`, `stop`); a
// keyword of several languages (INFO) answers in the caller's language as
// for free text.

// smsKeyword reports which language lists w (folded) in the list that
// pick returns; several is true when more than one does.
func (t *SMSTexts) smsKeyword(w string, pick func(smsLang) []string) (lang string, several, ok bool) {
	for _, code := range t.order {
		if slices.Contains(pick(t.langs[code]), w) {
			if ok {
				return lang, true, true
			}
			lang, ok = code, true
		}
	}
	return lang, false, ok
}

// smsInfo answers INFO and STOP; ok is false for any other message.
func (s *Server) smsInfo(ctx context.Context, ch config.Channel, m turn.SMS, callerKey, text string) (outcome, lang, reply string, ok bool, err error) {
	t := s.sms.Texts
	ws := words(text)
	if len(ws) == 0 {
		return "", "", "", false, nil
	}
	langOf := func(kw string, several bool) (string, error) {
		if !several {
			return kw, nil
		}
		return s.smsLanguage(ctx, callerKey, "")
	}
	if kwLang, several, isStop := t.smsKeyword(ws[0], func(l smsLang) []string { return l.Stop }); isStop && len(ws) == 1 {
		if lang, err = langOf(kwLang, several); err != nil {
			return "stop", "", "", true, err
		}
		if err := s.unsubscribe(ctx, ch, m.From); err != nil {
			return "stop", "", "", true, err
		}
		return "stop", lang, t.lang(lang).InfoUnsubscribed, true, nil
	}
	kwLang, several, isInfo := t.smsKeyword(ws[0], func(l smsLang) []string { return l.Info })
	if !isInfo {
		return "", "", "", false, nil
	}
	if lang, err = langOf(kwLang, several); err != nil {
		return "info", "", "", true, err
	}
	l := t.lang(lang)
	rest := ws[1:]
	on := len(rest) > 0 && rest[0] == "on"
	if on {
		rest = rest[1:]
	}
	topic := ""
	if n := len(rest); n > 0 {
		if i, err := strconv.Atoi(rest[n-1]); err == nil && i >= 1 && i <= len(casework.InfoTopics) {
			topic, rest = casework.InfoTopics[i-1], rest[:n-1]
		}
	}
	region, cercle, name, known := s.smsPlace(rest)
	if !known {
		// Words after INFO that name no place: a complaint or a question
		// that happens to start with "info" ("Info: on m'a retiré..."),
		// which must not be lost. It is answered as free text.
		return "", "", "", false, nil
	}
	if on {
		if cercle == "" && region == "" {
			return "info_on", lang, l.InfoNeedPlace, true, nil
		}
		if err := s.subscribe(ctx, ch, m.From, lang, region, cercle); err != nil {
			return "info_on", "", "", true, err
		}
		return "info_on", lang, fill(l.InfoSubscribed, map[string]string{"place": name}), true, nil
	}
	text, err = s.smsInfoText(ctx, lang, region, cercle, topic)
	if err != nil {
		return "info", "", "", true, err
	}
	if text == "" {
		return "info", lang, fill(l.InfoNone, map[string]string{"place": name}), true, nil
	}
	return "info", lang, fill(l.InfoReply, map[string]string{"place": name, "text": text}), true, nil
}

// smsInfoText joins the approved pages of topic (every topic when "") for
// the place; FitSMS cuts what does not fit two SMS.
func (s *Server) smsInfoText(ctx context.Context, lang, region, cercle, topic string) (string, error) {
	if s.info == nil {
		return "", nil
	}
	topics := casework.InfoTopics
	if topic != "" {
		topics = []string{topic}
	}
	var parts []string
	for _, tp := range topics {
		pages, err := s.info.InfoParts(ctx, casework.InfoRequest{Lang: lang, Region: region, Cercle: cercle, Topic: tp})
		if err != nil {
			return "", fmt.Errorf("information page: %w", err)
		}
		if len(pages) > 0 {
			parts = append(parts, strings.ReplaceAll(casework.InfoText(pages), "\n", " "))
		}
	}
	return strings.Join(parts, " / "), nil
}

// smsPlace reads a place typed after INFO: a cercle or region by its name
// (accents and case ignored) or P-code. None typed is all of Mali ("Mali",
// known). known is false for words that name no place.
func (s *Server) smsPlace(ws []string) (region, cercle, name string, known bool) {
	if len(ws) == 0 {
		return "", "", "Mali", true
	}
	typed := strings.Join(ws, " ")
	for _, p := range s.catalog().Places() {
		if p.Level > 2 || (foldWord(p.Name) != typed && foldWord(p.Code) != typed && strings.Join(words(p.Name), " ") != typed) {
			continue
		}
		if p.Level == 1 {
			return p.Code, "", p.Name, true
		}
		return p.Parent, p.Code, p.Name, true
	}
	return "", "", "", false
}
