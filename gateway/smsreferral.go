package gateway

import (
	"slices"
	"strings"

	"github.com/numerovert/hotline/menus"
)

// An SMS report of sexual abuse or danger gets, with its reference and PIN,
// the referral directory's nearest services and the promise that a trained
// focal point acts within 24 hours, as the USSD and voice ends do. SMS
// reports arrive uncoded, so "sexual abuse or danger" is the words of any
// language's `protection:` list in the message, and "nearest" the first
// cercle or region the message names (else the national services). The
// reply names neither abuse nor the report's subject: a shared phone keeps
// it.

// smsProtection reports whether text holds a protection word of any
// language: a caller may write in a language other than the reply's.
func (t *SMSTexts) smsProtection(text string) bool {
	for _, w := range words(text) {
		for _, code := range t.order {
			if slices.Contains(t.langs[code].Protection, w) {
				return true
			}
		}
	}
	return false
}

// smsNamedPlace is the first cercle (else region) of the catalogue whose
// name the message's words hold, "" when none.
func smsNamedPlace(places []menus.Place, ws []string) (region, cercle string) {
	joined := " " + strings.Join(ws, " ") + " "
	for _, level := range []int{2, 1} {
		for _, p := range places {
			name := strings.Join(words(p.Name), " ")
			if p.Level != level || name == "" || !strings.Contains(joined, " "+name+" ") {
				continue
			}
			if level == 1 {
				return p.Code, ""
			}
			return p.Parent, p.Code
		}
	}
	return "", ""
}

// smsReferral fills the referral acknowledgment (tmpl, with {reference},
// {pin} and {services} in vars but the last) with as many of the nearest
// services as fit MaxSMSSegments, at least the first.
func (s *Server) smsReferral(tmpl, lang, text string, vars map[string]string) string {
	cat := s.catalog()
	region, cercle := smsNamedPlace(cat.Places(), words(text))
	sp := cat.Spelling(lang)
	var parts []string
	body := ""
	for i, svc := range cat.Services(region, cercle, lang) {
		vars["services"] = strings.Join(append(parts, svc.ScreenText()), "; ")
		next := fill(tmpl, vars)
		if i > 0 && !smsFits(sp, next) {
			break // one more would be cut
		}
		parts, body = append(parts, svc.ScreenText()), next
	}
	if body == "" {
		vars["services"] = ""
		body = fill(tmpl, vars)
	}
	return body
}
