package web

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
)

// CallBacker places a masked call-back (gateway.Server.CallBack): the
// hotline calls the officer's own phone, sealed on their account, then
// bridges to the caller. Neither number ever reaches this package.
type CallBacker interface {
	CallBack(ctx context.Context, t casework.CallBackTicket, officerPhone string) error
	// SealOfficer seals an officer's own phone for their account; false
	// when raw is not a phone number.
	SealOfficer(name, raw string) (sealed string, ok bool)
}

// mountProfile adds the officer's own page: whether a phone for
// call-backs is on their account, and a form to set or remove it. The
// number is sealed at once and never shown again, not even to its owner.
func (w *Web) mountProfile(g fiber.Router) {
	g.Get("/profile", w.need(caseworker, w.profilePage))
	g.Post("/profile/phone", w.need(caseworker, w.setPhone))
}

type profileData struct {
	HasPhone, CanCall, OnDuty bool
	DutyLanguages             string
	Languages                 []dutyLanguage
}

func (w *Web) profilePage(c fiber.Ctx) error {
	u, _ := current(c)
	p := w.newPage(c, "profile")
	p.Data = profileData{HasPhone: u.Phone != "", CanCall: w.calls != nil, OnDuty: u.OnDuty,
		DutyLanguages: strings.Join(u.DutyLanguages, ", "), Languages: w.dutyLanguages()}
	return w.render(c, "profile", p)
}

func (w *Web) setPhone(c fiber.Ctx) error {
	u, _ := current(c)
	if w.calls == nil {
		return errNotFound
	}
	sealed := ""
	if raw := strings.TrimSpace(c.FormValue("phone")); raw != "" && c.FormValue("remove") == "" {
		var ok bool
		if sealed, ok = w.calls.SealOfficer(u.Name, raw); !ok {
			return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/profile?err=phone")
		}
	}
	rctx, cancel := ctx(c)
	defer cancel()
	acc := casework.Accounts{Store: w.users, Config: w.cases.Config(), Now: w.now}
	if err := acc.SetPhone(rctx, u.Name, u.Name, sealed); err != nil {
		return err
	}
	w.log.Info("web: call-back phone changed", "user", u.Name, "set", sealed != "")
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/profile?ok=phone")
}

// callBack is the case page's "Call back": casework decides whether this
// officer may call now (team, PSEA/protection, hours, attempts) and audits
// the request; the gateway places the call. The page never shows a number.
func (w *Web) callBack(c fiber.Ctx, u casework.User, v casework.CaseView) error {
	switch {
	case w.calls == nil || !v.HasCallBack:
		return w.back(c, v.ID, "", "callback_none")
	case u.Phone == "":
		return w.back(c, v.ID, "", "callback_no_phone")
	}
	rctx, cancel := ctx(c)
	defer cancel()
	t, err := w.cases.RequestCallBack(rctx, u.Actor(), v.ID)
	switch {
	case errors.Is(err, casework.ErrForbidden):
		return w.back(c, v.ID, "", "callback_forbidden")
	case errors.Is(err, casework.ErrNoCallBack):
		return w.back(c, v.ID, "", "callback_none")
	case errors.Is(err, casework.ErrCallBackUnavailable):
		return w.back(c, v.ID, "", "callback_hours")
	case errors.Is(err, casework.ErrCallBackExhausted):
		return w.back(c, v.ID, "", "callback_exhausted")
	case err != nil:
		return err
	}
	if err := w.calls.CallBack(rctx, t, u.Phone); err != nil {
		// The error names the step, never a number.
		w.log.Warn("web: call-back not placed", "user", u.Name, "case", v.ID, "err", err)
		return w.back(c, v.ID, "", "callback_failed")
	}
	w.log.Info("web: call-back placed", "user", u.Name, "case", v.ID, "attempt", t.Attempt)
	return w.back(c, v.ID, "callback", "")
}

// callBackMessages are the call-back's strings, merged into messages.
var callBackMessages = map[string]map[string]string{
	"fr": {
		"call_back":     "Rappeler l'appelant·e",
		"title_profile": "Mon téléphone pour les rappels", "nav_profile": "Mon téléphone",
		"profile_note": "Le Numéro Vert vous appelle sur ce téléphone avant de vous mettre en relation avec un·e appelant·e qui a demandé un rappel. Il est scellé dès l'enregistrement et n'est plus jamais affiché, même à vous.",
		"phone_set":    "Un téléphone est enregistré sur votre compte.", "phone_unset": "Aucun téléphone n'est enregistré sur votre compte.",
		"phone_label": "Nouveau numéro (format international, +223…)", "phone_save": "Enregistrer", "phone_remove": "Retirer mon téléphone",
		"no_dialler": "Les rappels ne sont pas possibles depuis ce serveur.",
		"ok_phone":   "Enregistré.", "err_phone": "Ce n'est pas un numéro de téléphone.",
		"callback_note":          "L'appelant·e a demandé à être rappelé·e. Le Numéro Vert vous appelle d'abord sur votre téléphone, puis vous met en relation : ni vous ni cette page ne voyez son numéro. Chaque tentative est inscrite au journal.",
		"ok_callback":            "Appel en cours : décrochez quand le Numéro Vert vous appelle.",
		"err_callback_none":      "Pas de rappel possible pour ce cas (non demandé, cas clos ou plus de 30 jours).",
		"err_callback_no_phone":  "Aucun téléphone n'est enregistré sur votre compte pour les rappels : enregistrez-le sur « Mon téléphone ».",
		"err_callback_forbidden": "Seuls les points focaux PSEA ou protection peuvent rappeler dans ce cas.",
		"err_callback_hours":     "Rappel impossible maintenant : hors des heures d'appel du canal.",
		"err_callback_exhausted": "L'appelant·e n'a pas répondu aux dernières tentatives : plus de rappel.",
		"err_callback_failed":    "L'opérateur n'a pas pu passer l'appel. Réessayez plus tard.",
		"act_callback_agreed":    "rappel accepté", "act_callback_requested": "rappel demandé",
		"act_callback_outcome": "issue du rappel", "act_callback_deleted": "numéro de rappel effacé",
		"admin_phone_set": "téléphone de rappel enregistré (scellé)", "admin_phone_removed": "téléphone de rappel retiré",
	},
	"en": {
		"call_back":     "Call the caller back",
		"title_profile": "My phone for call-backs", "nav_profile": "My phone",
		"profile_note": "The Numéro Vert calls you on this phone before connecting you to a caller who asked to be called back. It is sealed as soon as it is saved and never shown again, not even to you.",
		"phone_set":    "A phone is on your account.", "phone_unset": "No phone is on your account.",
		"phone_label": "New number (international format, +223…)", "phone_save": "Save", "phone_remove": "Remove my phone",
		"no_dialler": "Call-backs cannot be placed from this server.",
		"ok_phone":   "Saved.", "err_phone": "That is not a phone number.",
		"callback_note":          "The caller asked to be called back. The Numéro Vert first calls your own phone, then connects you: neither you nor this page sees their number. Every attempt is in the audit trail.",
		"ok_callback":            "Calling: answer when the Numéro Vert calls you.",
		"err_callback_none":      "No call-back for this case (not asked for, closed, or over 30 days).",
		"err_callback_no_phone":  "Your account has no phone for call-backs: set it on \"My phone\".",
		"err_callback_forbidden": "Only PSEA or protection focal points may call back in this case.",
		"err_callback_hours":     "No call-back now: outside the channel's calling hours.",
		"err_callback_exhausted": "The caller did not answer the last attempts: no more call-backs.",
		"err_callback_failed":    "The provider could not place the call. Try again later.",
		"act_callback_agreed":    "call-back agreed", "act_callback_requested": "call-back requested",
		"act_callback_outcome": "call-back outcome", "act_callback_deleted": "call-back number deleted",
		"admin_phone_set": "call-back phone set (sealed)", "admin_phone_removed": "call-back phone removed",
	},
}

func init() {
	for lang, m := range callBackMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}
