package web

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/menus"
)

// The information line's pages (issue 15): the programme role writes them
// here, a supervisor reads each draft and approves that version; callers
// get only approved text (casework.Service decides all of it).

func programmeRole(r casework.Role) bool { return r == casework.RoleProgramme }
func infoStaff(r casework.Role) bool {
	return r == casework.RoleProgramme || r == casework.RoleSupervisor
}

// mountInfo adds the information line's routes to the web view's group.
func (w *Web) mountInfo(g fiber.Router) {
	g.Get("/info", w.need(infoStaff, w.infoList))
	g.Get("/info/edit", w.need(programmeRole, w.infoEdit))
	g.Post("/info", w.need(programmeRole, w.infoSave))
	g.Post("/info/approve", w.need(supervisor, w.infoApprove))
	g.Get("/info/broadcasts", w.need(infoStaff, w.broadcastsPage))
	g.Post("/info/broadcasts", w.need(programmeRole, w.broadcastSave))
	g.Post("/info/broadcasts/approve", w.need(supervisor, w.broadcastApprove))
	w.mountYouSaid(g)
	w.mountInfoRecordings(g)
}

type infoRow struct {
	Page                  casework.InfoPage
	Place, Topic, Lang    string
	Programme             string
	Pending, Live, Author bool
}

type infoListData struct {
	Rows                  []infoRow
	Programme, Supervisor bool
}

func (w *Web) infoPlaceName(p casework.InfoPage, L map[string]string) string {
	switch {
	case p.Locality != "":
		return w.placeName(p.Locality) + " (" + w.placeName(p.Cercle) + ")"
	case p.Cercle != "":
		return w.placeName(p.Cercle)
	case p.Region != "":
		return w.placeName(p.Region)
	}
	return L["info_all_mali"]
}

func (w *Web) infoList(c fiber.Ctx) error {
	u, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	ps, err := w.cases.InfoPages(rctx)
	if err != nil {
		return err
	}
	p := w.newPage(c, "info_list")
	d := infoListData{Programme: u.Role == casework.RoleProgramme, Supervisor: u.Role == casework.RoleSupervisor}
	for _, pg := range ps {
		d.Rows = append(d.Rows, infoRow{
			Page: pg, Place: w.infoPlaceName(pg, p.L), Topic: p.L["info_topic_"+pg.Topic], Lang: w.catalog.LanguageName(pg.Lang),
			Programme: w.programmeName(pg.Programme, p.L), Pending: pg.Pending(), Live: pg.Live(), Author: pg.DraftBy == u.Name,
		})
	}
	p.Data = d
	return w.render(c, "info_list", p)
}

func (w *Web) programmeName(id string, L map[string]string) string {
	if id == "" {
		return L["info_all_programmes"]
	}
	for _, pr := range w.cases.Config().Programmes {
		if pr.ID == id {
			return pr.Name
		}
	}
	return id
}

type infoEditData struct {
	Programmes, Places, Topics, Languages []option
	Text                                  string
	Max                                   int
	// Page is the page edited (nil: a new one); Recordings its recording
	// state per language, and Record whether one can be uploaded here.
	Page       *casework.InfoPage
	Recordings []infoAudioRow
	Record     bool
}

func (w *Web) infoEdit(c fiber.Ctx) error { return w.renderInfoEdit(c, c.Query("id"), "") }

// renderInfoEdit shows the editor of page id ("" for a new page), with
// refusal when an upload was refused (422).
func (w *Web) renderInfoEdit(c fiber.Ctx, id, refusal string) error {
	p := w.newPage(c, "info_edit")
	d := infoEditData{Max: casework.MaxInfoRunes}
	var cur casework.InfoPage
	if id != "" {
		rctx, cancel := ctx(c)
		defer cancel()
		pg, err := w.cases.InfoPage(rctx, id)
		if errors.Is(err, casework.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		all, err := w.cases.InfoPages(rctx)
		if err != nil {
			return err
		}
		cur, d.Page, d.Record = pg, &pg, w.studio != nil
		d.Recordings = w.infoAudioRows(pg, all, p.L)
	}
	place := cur.Region
	if cur.Cercle != "" {
		place = cur.Cercle
	}
	if cur.Locality != "" {
		place = cur.Locality
	}
	d.Text = cur.Draft
	d.Programmes = append(d.Programmes, option{Value: "", Label: p.L["info_all_programmes"]})
	for _, pr := range w.cases.Config().Programmes {
		d.Programmes = append(d.Programmes, option{Value: pr.ID, Label: pr.Name, Selected: pr.ID == cur.Programme})
	}
	d.Places = append(d.Places, option{Value: "", Label: p.L["info_all_mali"]})
	for _, r := range w.regions {
		d.Places = append(d.Places, option{Value: r.Code, Label: r.Name, Selected: r.Code == place})
		for _, ce := range w.cercles[r.Code] {
			d.Places = append(d.Places, option{Value: ce.Code, Label: r.Name + " › " + ce.Name, Selected: ce.Code == place})
		}
	}
	for _, t := range casework.InfoTopics {
		d.Topics = append(d.Topics, option{Value: t, Label: p.L["info_topic_"+t], Selected: t == cur.Topic})
	}
	for _, l := range w.infoLanguages() {
		d.Languages = append(d.Languages, option{Value: l.code, Label: l.name, Selected: l.code == cur.Lang || (cur.Lang == "" && l.code == p.Lang)})
	}
	p.Data = d
	if refusal != "" {
		p.Error = refusal
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return w.render(c, "info_edit", p)
}

// infoPlace reads the form's one place: "" (all of Mali), a region or a
// cercle of places.csv. Anything else is refused.
func (w *Web) infoPlace(code string) (region, cercle string, ok bool) {
	if code == "" {
		return "", "", true
	}
	p, found := w.places[code]
	switch {
	case !found:
		return "", "", false
	case p.Level == 1:
		return p.Code, "", true
	case p.Level == 2:
		return p.Parent, p.Code, true
	}
	return "", "", false
}

func (w *Web) infoSave(c fiber.Ctx) error {
	u, _ := current(c)
	region, cercle, ok := w.infoPlace(c.FormValue("place"))
	if !ok || w.catalog.LanguageName(c.FormValue("lang")) == "" {
		return errBadRequest
	}
	rctx, cancel := ctx(c)
	defer cancel()
	// Copies: Fiber's form values live in the request's buffer, and a
	// store may keep what it is given.
	form := func(k string) string { return strings.Clone(c.FormValue(k)) }
	_, err := w.cases.SaveInfoPage(rctx, u, casework.InfoPageInput{
		Programme: form("programme"), Region: strings.Clone(region), Cercle: strings.Clone(cercle),
		Topic: form("topic"), Lang: form("lang"), Text: form("text"),
	})
	switch {
	case errors.Is(err, casework.ErrInvalidIntake):
		return errBadRequest
	case errors.Is(err, casework.ErrForbidden):
		return errForbidden
	case err != nil:
		return err
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/info?ok=info_saved")
}

func (w *Web) infoApprove(c fiber.Ctx) error {
	u, _ := current(c)
	version, err := strconv.Atoi(c.FormValue("version"))
	id := strings.Clone(c.FormValue("id"))
	if err != nil || id == "" || strings.ContainsAny(id, "\r\n") {
		return errBadRequest
	}
	rctx, cancel := ctx(c)
	defer cancel()
	_, err = w.cases.ApproveInfoPage(rctx, u, id, version)
	return w.approved(c, err, "/info", "info_approved")
}

// approved answers a supervisor's approval on page (under Prefix): back
// with ok, or with the stale notice when someone changed the text since it
// was read; an unknown id 404, a user who may not approve 403, something
// that cannot be approved in its state 400.
func (w *Web) approved(c fiber.Ctx, err error, page, ok string) error {
	switch {
	case errors.Is(err, casework.ErrStale):
		return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + page + "?err=info_stale")
	case errors.Is(err, casework.ErrNotFound):
		return errNotFound
	case errors.Is(err, casework.ErrForbidden):
		return errForbidden
	case errors.Is(err, casework.ErrInvalidTransition):
		return errBadRequest
	case err != nil:
		return err
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + page + "?ok=" + ok)
}

// infoEditURL links a page's edit form.
func infoEditURL(id string) string { return Prefix + "/info/edit?id=" + url.QueryEscape(id) }

type infoViewsData struct {
	Months []string
	Rows   []infoViewRow
}

type infoViewRow struct {
	Place, Topic string
	Counts       []casework.Count
}

// infoViews is the dashboard's table of information views over the last
// three months, small counts hidden by casework.
func (w *Web) infoViews(rctx context.Context, p *page) (infoViewsData, error) {
	r, err := w.cases.InfoViews(rctx, 3)
	if err != nil {
		return infoViewsData{}, err
	}
	d := infoViewsData{Months: r.Months}
	for _, row := range r.Rows {
		place := p.L["info_all_mali"]
		if row.Place != casework.InfoNational {
			place = w.placeName(row.Place)
		}
		d.Rows = append(d.Rows, infoViewRow{Place: place, Topic: p.L["info_topic_"+row.Topic], Counts: row.Counts})
	}
	return d, nil
}

// Broadcasts: the programme role writes an SMS for a place's subscribers,
// a supervisor approves the version read, and the gateway's broadcast job
// sends it once.

type broadcastRow struct {
	B            casework.Broadcast
	Place        string
	Texts        []option // language name → text
	Draft, Sent  bool
	Approved     bool
	AuthoredByMe bool
}

type broadcastsData struct {
	Rows                  []broadcastRow
	Places, Languages     []option
	Programme, Supervisor bool
	Max                   int
}

func (w *Web) broadcastsPage(c fiber.Ctx) error {
	u, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	list, err := w.cases.Broadcasts(rctx, "")
	if err != nil {
		return err
	}
	p := w.newPage(c, "info_broadcasts")
	d := broadcastsData{Programme: u.Role == casework.RoleProgramme, Supervisor: u.Role == casework.RoleSupervisor, Max: casework.MaxBroadcastRunes}
	for _, b := range list {
		row := broadcastRow{B: b, Place: w.infoPlaceName(casework.InfoPage{Region: b.Region, Cercle: b.Cercle}, p.L),
			Draft: b.State == casework.BroadcastDraft, Approved: b.State == casework.BroadcastApproved, Sent: b.State == casework.BroadcastSent,
			AuthoredByMe: b.Author == u.Name}
		for _, l := range w.infoLanguages() {
			if t := b.Texts[l.code]; t != "" {
				row.Texts = append(row.Texts, option{Value: t, Label: l.name})
			}
		}
		d.Rows = append(d.Rows, row)
	}
	d.Places = append(d.Places, option{Value: "", Label: p.L["info_all_mali"]})
	for _, r := range w.regions {
		d.Places = append(d.Places, option{Value: r.Code, Label: r.Name})
		for _, ce := range w.cercles[r.Code] {
			d.Places = append(d.Places, option{Value: ce.Code, Label: r.Name + " › " + ce.Name})
		}
	}
	for _, l := range w.infoLanguages() {
		d.Languages = append(d.Languages, option{Value: l.code, Label: l.name, Selected: l.code == casework.InfoFallbackLanguage})
	}
	p.Data = d
	return w.render(c, "info_broadcasts", p)
}

func (w *Web) broadcastSave(c fiber.Ctx) error {
	u, _ := current(c)
	region, cercle, ok := w.infoPlace(c.FormValue("place"))
	if !ok {
		return errBadRequest
	}
	texts := map[string]string{}
	for _, l := range w.infoLanguages() {
		texts[l.code] = strings.Clone(c.FormValue("text_" + l.code))
	}
	rctx, cancel := ctx(c)
	defer cancel()
	_, err := w.cases.SaveBroadcast(rctx, u, casework.BroadcastInput{ID: strings.Clone(c.FormValue("id")),
		Region: strings.Clone(region), Cercle: strings.Clone(cercle), Texts: texts})
	switch {
	case errors.Is(err, casework.ErrInvalidIntake), errors.Is(err, casework.ErrInvalidTransition):
		return errBadRequest
	case errors.Is(err, casework.ErrNotFound):
		return errNotFound
	case err != nil:
		return err
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/info/broadcasts?ok=broadcast_saved")
}

func (w *Web) broadcastApprove(c fiber.Ctx) error {
	u, _ := current(c)
	version, err := strconv.Atoi(c.FormValue("version"))
	if err != nil {
		return errBadRequest
	}
	rctx, cancel := ctx(c)
	defer cancel()
	_, err = w.cases.ApproveBroadcast(rctx, u, strings.Clone(c.FormValue("id")), version)
	return w.approved(c, err, "/info/broadcasts", "broadcast_approved")
}

// "You said, we did": staff write the month's findings per cercle, a
// supervisor approves, which publishes the radio script as the cercle's
// "yousaid" information page; the script is exported per language as
// plain text and a printable page.

func yousaidWriter(r casework.Role) bool {
	return r == casework.RoleProgramme || r == casework.RoleOfficer
}

func yousaidStaff(r casework.Role) bool { return yousaidWriter(r) || r == casework.RoleSupervisor }

func (w *Web) mountYouSaid(g fiber.Router) {
	g.Get("/info/yousaid", w.need(yousaidStaff, w.yousaidPage))
	g.Post("/info/yousaid", w.need(yousaidWriter, w.yousaidSave))
	g.Post("/info/yousaid/approve", w.need(supervisor, w.yousaidApprove))
	g.Get("/info/yousaid/script", w.need(anyone, w.yousaidScript))
}

type summaryRow struct {
	S         casework.MonthSummary
	Place     string
	Raised    []tableRow
	Langs     []option
	Draft     bool
	Approved  bool
	Scripts   []option // language → script (approved or preview)
	AnyHidden bool
}

type yousaidData struct {
	Rows               []summaryRow
	Cercles, Languages []option
	Month              string
	Writer, Supervisor bool
}

func (w *Web) yousaidPage(c fiber.Ctx) error {
	u, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	list, err := w.cases.Summaries(rctx)
	if err != nil {
		return err
	}
	p := w.newPage(c, "info_yousaid")
	d := yousaidData{Writer: yousaidWriter(u.Role), Supervisor: u.Role == casework.RoleSupervisor,
		Month: w.time().AddDate(0, -1, 0).Format("2006-01")}
	for _, s := range list {
		row := summaryRow{S: s, Place: w.placeName(s.Cercle), Draft: s.State == casework.BroadcastDraft, Approved: s.State == casework.BroadcastApproved}
		// Only the counts that may be said are named: a hidden one must
		// not even tell that its category (sexual abuse...) came up.
		shown, hidden := s.Shown()
		for _, r := range shown {
			row.Raised = append(row.Raised, tableRow{Name: w.categoryName(p.Lang, r.Category), Counts: []casework.Count{r.Count()}})
		}
		if hidden {
			row.Raised = append(row.Raised, tableRow{Name: p.L["yousaid_other"], Counts: []casework.Count{{}}})
		}
		for _, l := range s.Languages() {
			row.Scripts = append(row.Scripts, option{Value: l, Label: w.catalog.LanguageName(l), Group: w.script(s, l)})
		}
		d.Rows = append(d.Rows, row)
	}
	for _, r := range w.regions {
		for _, ce := range w.cercles[r.Code] {
			d.Cercles = append(d.Cercles, option{Value: ce.Code, Label: r.Name + " › " + ce.Name})
		}
	}
	for _, l := range w.infoLanguages() {
		d.Languages = append(d.Languages, option{Value: l.code, Label: l.name, Selected: l.code == casework.InfoFallbackLanguage})
	}
	p.Data = d
	return w.render(c, "info_yousaid", p)
}

func (w *Web) yousaidSave(c fiber.Ctx) error {
	u, _ := current(c)
	cercle, ok := w.places[c.FormValue("cercle")]
	if !ok || cercle.Level != 2 {
		return errBadRequest
	}
	in := casework.SummaryInput{Month: strings.Clone(c.FormValue("month")), Region: cercle.Parent, Cercle: cercle.Code,
		Found: map[string]string{}, Changed: map[string]string{}}
	for _, l := range w.infoLanguages() {
		in.Found[l.code] = strings.Clone(c.FormValue("found_" + l.code))
		in.Changed[l.code] = strings.Clone(c.FormValue("changed_" + l.code))
	}
	rctx, cancel := ctx(c)
	defer cancel()
	_, err := w.cases.SaveSummary(rctx, u, in)
	switch {
	case errors.Is(err, casework.ErrInvalidIntake):
		return errBadRequest
	case err != nil:
		return err
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/info/yousaid?ok=summary_saved")
}

func (w *Web) yousaidApprove(c fiber.Ctx) error {
	u, _ := current(c)
	version, err := strconv.Atoi(c.FormValue("version"))
	if err != nil {
		return errBadRequest
	}
	rctx, cancel := ctx(c)
	defer cancel()
	id := strings.Clone(c.FormValue("id"))
	s, err := w.cases.MonthSummary(rctx, id)
	if errors.Is(err, casework.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	scripts := map[string]string{}
	for _, l := range s.Languages() {
		scripts[l] = w.script(s, l)
	}
	_, err = w.cases.ApproveSummary(rctx, u, id, version, scripts)
	return w.approved(c, err, "/info/yousaid", "summary_approved")
}

// yousaidScript exports an approved summary's radio script in one
// language: plain text (format=txt), a PDF to print (format=pdf) or a
// printable page.
func (w *Web) yousaidScript(c fiber.Ctx) error {
	rctx, cancel := ctx(c)
	defer cancel()
	s, err := w.cases.MonthSummary(rctx, c.Query("id"))
	if errors.Is(err, casework.ErrNotFound) || (err == nil && s.State != casework.BroadcastApproved) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	lang := c.Query("lang")
	if w.catalog.LanguageName(lang) == "" {
		return errBadRequest
	}
	text := w.script(s, lang)
	if c.Query("format") == "txt" {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+scriptFile(s, lang)+`.txt"`)
		return c.SendString(text + "\n")
	}
	p := w.newPage(c, "info_script")
	lines := strings.Split(text, "\n")
	if c.Query("format") == "pdf" {
		heading := p.L["title_info_script"] + " — " + w.placeName(s.Cercle) + ", " + s.Month + " (" + w.catalog.LanguageName(lang) + ")"
		b, err := scriptPDF(heading, lines, s.ApprovedAt())
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, `inline; filename="`+scriptFile(s, lang)+`.pdf"`)
		return c.Send(b)
	}
	p.Data = struct {
		Place, Month, Lang string
		Lines              []string
	}{w.placeName(s.Cercle), s.Month, w.catalog.LanguageName(lang), lines}
	return w.render(c, "info_script", p)
}

// scriptFile names a downloaded script (without its extension).
func scriptFile(s casework.MonthSummary, lang string) string {
	return "numero-vert-" + s.Month + "-" + s.Cercle + "-" + lang
}

// script is the radio script of s in lang, in the catalogue's words; the
// counts are those casework lets be shown, the others said together as
// "other subjects".
func (w *Web) script(s casework.MonthSummary, lang string) string {
	t := func(k string) string { return w.liveCatalog().Text(lang, k) }
	or := func(m map[string]string) string { return cmp.Or(m[lang], m[casework.InfoFallbackLanguage]) }
	lines := []string{"Numéro Vert — " + w.placeName(s.Cercle) + ", " + s.Month + ". " + t(menus.YouSaid.Heading)}
	shown, hidden := s.Shown()
	if len(shown) > 0 || hidden {
		lines = append(lines, t(menus.YouSaid.Raised))
	}
	for _, r := range shown {
		key := "category." + r.Category
		label := w.liveCatalog().Text(lang, key)
		if label == key { // no caller-side name (an uncoded SMS): said with the others
			hidden = true
			continue
		}
		lines = append(lines, "- "+label+": "+r.Count().String())
	}
	if hidden {
		lines = append(lines, t(menus.YouSaid.Other))
	}
	return strings.Join(append(lines,
		t(menus.YouSaid.Found)+" "+or(s.Found),
		t(menus.YouSaid.Changed)+" "+or(s.Changed),
		t(menus.YouSaid.Close)), "\n")
}

type infoLanguage struct{ code, name string }

// infoLanguages are the callers' languages, each named in itself, in the
// catalogue's order.
func (w *Web) infoLanguages() []infoLanguage {
	var out []infoLanguage
	for _, code := range w.catalog.Languages() {
		out = append(out, infoLanguage{code, w.catalog.LanguageName(code)})
	}
	return out
}
