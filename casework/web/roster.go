package web

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
)

// The on-duty roster (issue #16, live operator): per team, whether it is
// within its office hours now and which officers take live calls, in
// which languages, since when; each officer sets their own duty here or
// on their profile, their team's supervisor and admins set others'
// (casework.Accounts.SetDuty decides and audits). No number is shown.

func rosterReader(r casework.Role) bool { return r.Casework() || r == casework.RoleAdmin }

func (w *Web) mountRoster(g fiber.Router) {
	g.Get("/roster", w.need(rosterReader, w.rosterPage))
	g.Post("/roster/duty", w.need(rosterReader, w.setDuty))
}

type rosterOfficer struct {
	casework.User
	Languages string // names, comma-separated
	CanSet    bool
}

type rosterTeam struct {
	casework.RosterTeam
	Hours    string
	Officers []rosterOfficer
}

type rosterData struct {
	Teams     []rosterTeam
	Languages []dutyLanguage
	Events    []casework.AdminEvent
}

func (w *Web) rosterPage(c fiber.Ctx) error {
	u, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	cfg := w.cases.Config()
	teams, err := casework.Roster(rctx, w.users, cfg, w.time())
	if err != nil {
		return err
	}
	acc := casework.Accounts{Store: w.users, Config: cfg, Now: w.now}
	p := w.newPage(c, "roster")
	d := rosterData{Languages: w.dutyLanguages()}
	for _, t := range teams {
		rt := rosterTeam{RosterTeam: t, Hours: officeHours(t, p.L)}
		for _, o := range t.Officers {
			names := make([]string, 0, len(o.DutyLanguages))
			for _, l := range o.DutyLanguages {
				names = append(names, w.catalog.LanguageName(l))
			}
			rt.Officers = append(rt.Officers, rosterOfficer{User: o, Languages: strings.Join(names, ", "), CanSet: acc.MayRoster(u, o)})
		}
		d.Teams = append(d.Teams, rt)
	}
	events, err := w.users.AdminEvents(rctx)
	if err != nil {
		return err
	}
	for i := len(events) - 1; i >= 0 && len(d.Events) < 20; i-- {
		if strings.HasPrefix(events[i].Action, "duty_") {
			d.Events = append(d.Events, events[i])
		}
	}
	p.Data = d
	return w.render(c, "roster", p)
}

// dutyLanguage is a callers' language an officer may take calls in.
type dutyLanguage struct{ Code, Name string }

func (w *Web) dutyLanguages() []dutyLanguage {
	var out []dutyLanguage
	for _, code := range w.catalog.Languages() {
		out = append(out, dutyLanguage{code, w.catalog.LanguageName(code)})
	}
	return out
}

// officeHours says a team's office hours as the page shows them.
func officeHours(t casework.RosterTeam, L map[string]string) string {
	oh := t.Team.OfficeHours
	switch {
	case oh == nil:
		return L["roster_no_hours"]
	case oh.Always:
		return L["roster_always"]
	}
	return strings.Join(oh.Days, ", ") + " " + oh.Hours + " (" + oh.TimeZone + ")"
}

func (w *Web) setDuty(c fiber.Ctx) error {
	u, _ := current(c)
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" {
		name = u.Name
	}
	back := strings.TrimSpace(c.FormValue("back"))
	if back != "profile" {
		back = "roster"
	}
	on := c.FormValue("on") == "1"
	var langs []string
	if form, err := url.ParseQuery(string(c.Body())); err == nil {
		langs = form["lang"]
	}
	langs = slices.DeleteFunc(langs, func(l string) bool { return !w.catalog.HasLanguage(l) })
	rctx, cancel := ctx(c)
	defer cancel()
	acc := casework.Accounts{Store: w.users, Config: w.cases.Config(), Now: w.now}
	err := acc.SetDuty(rctx, u, name, on, langs)
	to := Prefix + "/" + back
	switch {
	case errors.Is(err, casework.ErrForbidden), errors.Is(err, casework.ErrNoUser):
		return errForbidden
	case errors.Is(err, casework.ErrNoPhone):
		return c.Redirect().Status(fiber.StatusSeeOther).To(to + "?err=duty_phone")
	case errors.Is(err, casework.ErrInvalidAccount):
		return c.Redirect().Status(fiber.StatusSeeOther).To(to + "?err=duty_langs")
	case err != nil:
		return err
	}
	w.log.Info("web: duty changed", "user", u.Name, "officer", name, "on", on)
	return c.Redirect().Status(fiber.StatusSeeOther).To(to + "?ok=duty")
}

// rosterMessages are the roster's strings, merged into messages.
var rosterMessages = map[string]map[string]string{
	"fr": {
		"title_roster": "Permanence", "nav_roster": "Permanence",
		"roster_note": "Pendant les heures d'ouverture de son équipe, un agent de permanence reçoit les appels « parler à une personne » dans ses langues, sur son téléphone (enregistré sur « Mon téléphone »). Il ne voit jamais le numéro de l'appelant·e; chaque appel ouvre un cas qui lui est attribué, pour ses notes. Les abus sexuels ne vont qu'aux points focaux PSEA.",
		"roster_open": "ouverte maintenant", "roster_closed": "fermée maintenant",
		"roster_always": "toujours ouverte", "roster_no_hours": "pas d'heures d'ouverture : aucun appel en direct",
		"roster_officer": "Agent", "roster_duty": "De permanence", "roster_langs": "Langues", "roster_since": "Depuis",
		"roster_on": "Prendre la permanence", "roster_off": "Quitter la permanence", "roster_yes": "oui", "roster_no": "non",
		"roster_none": "Aucun agent dans cette équipe.", "roster_history": "Journal de la permanence",
		"roster_mine": "Ma permanence", "roster_link": "Voir la permanence de toutes les équipes",
		"ok_duty":        "Permanence enregistrée.",
		"err_duty_phone": "Enregistrez d'abord un téléphone sur « Mon téléphone » : c'est lui qui sonne.",
		"err_duty_langs": "Cochez au moins une langue.",
		"admin_duty_on":  "de permanence", "admin_duty_off": "fin de permanence",
		"act_live_call": "appel en direct", "act_live_outcome": "issue de l'appel en direct",
		"roster_when": "Quand", "roster_who": "Par", "roster_what": "Quoi", "roster_whom": "Agent",
	},
	"en": {
		"title_roster": "On duty", "nav_roster": "On duty",
		"roster_note": "During their team's office hours, an officer on duty takes \"talk to a person\" calls in their languages, on their own phone (set on \"My phone\"). They never see the caller's number; each call opens a case assigned to them, for their notes. Sexual abuse calls go to PSEA focal points only.",
		"roster_open": "open now", "roster_closed": "closed now",
		"roster_always": "always open", "roster_no_hours": "no office hours: no live calls",
		"roster_officer": "Officer", "roster_duty": "On duty", "roster_langs": "Languages", "roster_since": "Since",
		"roster_on": "Go on duty", "roster_off": "Go off duty", "roster_yes": "yes", "roster_no": "no",
		"roster_none": "No officer in this team.", "roster_history": "Duty log",
		"roster_mine": "My duty", "roster_link": "See every team's roster",
		"ok_duty":        "Duty saved.",
		"err_duty_phone": "First set a phone on \"My phone\": that is the phone that rings.",
		"err_duty_langs": "Tick at least one language.",
		"admin_duty_on":  "on duty", "admin_duty_off": "off duty",
		"act_live_call": "live call", "act_live_outcome": "live call outcome",
		"roster_when": "When", "roster_who": "By", "roster_what": "What", "roster_whom": "Officer",
	},
}

func init() {
	for lang, m := range rosterMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}
