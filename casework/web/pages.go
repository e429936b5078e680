package web

import (
	"cmp"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/config"
	"github.com/numerovert/hotline/internal/promptaudio"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/gsm7"
)

// option is one choice of a <select>.
type option struct {
	Value, Label string
	Selected     bool
	Group        string
}

// categoryOptions are the codebook's categories, named in the officer's
// interface language lang (the codebook's `names`).
func (w *Web) categoryOptions(lang, selected string) []option {
	var out []option
	for _, t := range w.cases.Config().Codebook {
		for _, cat := range t.Categories {
			out = append(out, option{Value: cat.ID, Label: cat.NameIn(lang), Selected: cat.ID == selected, Group: t.NameIn(lang)})
		}
	}
	return out
}

// categoryName is the category id's name in lang, or the id when the
// codebook no longer has it.
func (w *Web) categoryName(lang, id string) string {
	if cat, ok := w.cases.Config().Category(id); ok {
		return cat.NameIn(lang)
	}
	return id
}

func (w *Web) regionOptions(selected string) []option {
	out := make([]option, 0, len(w.regions))
	for _, p := range w.regions {
		out = append(out, option{Value: p.Code, Label: p.Name, Selected: p.Code == selected})
	}
	return out
}

type queueData struct {
	Cases      []queueRow
	Counts     []statusCount
	Status     string
	Categories []option
	Regions    []option
	Localities []option // communes or sites of the deployment, by cercle; none: no filter
	Overdue    bool
	Statuses   []option
}

type queueRow struct {
	casework.Summary
	CategoryName, RegionName string
}

type statusCount struct {
	Status casework.Status
	N      int
}

func (w *Web) queue(c fiber.Ctx) error {
	u, _ := current(c)
	f := casework.Filter{
		Status:   casework.Status(c.Query("status")),
		Category: c.Query("category"),
		Region:   c.Query("region"),
		Locality: c.Query("locality"),
		Overdue:  c.Query("overdue") == "1",
	}
	if f.Status != "" && !slices.Contains(casework.Statuses, f.Status) {
		return errBadRequest
	}
	rctx, cancel := ctx(c)
	defer cancel()
	list, err := w.cases.List(rctx, u.Actor(), f)
	if err != nil {
		return err
	}
	p := w.newPage(c, "queue")
	d := queueData{Status: string(f.Status), Categories: w.categoryOptions(p.Lang, f.Category), Regions: w.regionOptions(f.Region), Overdue: f.Overdue,
		Localities: w.localityOptions(f.Locality)}
	for _, s := range casework.Statuses {
		d.Counts = append(d.Counts, statusCount{s, list.Counts[s]})
		d.Statuses = append(d.Statuses, option{Value: string(s), Label: p.L["status_"+string(s)], Selected: s == f.Status})
	}
	for _, s := range list.Cases {
		d.Cases = append(d.Cases, queueRow{Summary: s, CategoryName: w.categoryName(p.Lang, s.Category), RegionName: w.placeName(s.Region)})
	}
	p.Data = d
	return w.render(c, "queue", p)
}

type caseData struct {
	Case         casework.CaseView
	CategoryName string
	CallerChoice string
	RegionName   string
	CercleName   string
	LocalityName string // the commune or site, when the caller was asked
	Audit        []casework.Event
	Officers     []option
	Next         []option // status moves offered
	Recode       []option
	Templates    []option
	Draft        string
	// AnswerRoom is what one USSD follow-up screen leaves for the answer
	// in the caller's language (the form's live counter, static/answer.js).
	AnswerRoom               menus.AnswerRoom
	GSM7Basic, GSM7Extension string
	Reopenable               bool
	Resolvable               bool
	Assignable               bool
	Recordable               bool // a voice case: show the player
	LanguageName             string
	// Contact is the opened sealed contact, only when asked for (each
	// reading is audited by casework).
	Contact *casework.Contact
	// Services: the referral directory near the case's place, on
	// sensitive cases (what a sexual abuse caller heard at the end).
	Services []referralRow
}

type referralRow struct {
	ID, Name, Offers, Reach string
	Referred                bool
}

// referrals lists the directory's services for the case, nearest first,
// in the officer's language, with those it was referred to marked; a
// service no longer in the directory is still listed by its id.
func (w *Web) referrals(lang string, v casework.CaseView) []referralRow {
	if !v.Sensitive && len(v.ReferredTo) == 0 {
		return nil
	}
	var out []referralRow
	for _, r := range w.cases.Config().ReferralsFor(v.Region, v.Cercle) {
		out = append(out, referralRow{ID: r.ID, Name: r.Text(r.Name, lang), Offers: r.Text(r.Offers, lang), Reach: r.Text(r.Reach, lang),
			Referred: slices.Contains(v.ReferredTo, r.ID)})
	}
	for _, id := range v.ReferredTo {
		if !slices.ContainsFunc(out, func(r referralRow) bool { return r.ID == id }) {
			out = append(out, referralRow{ID: id, Name: id, Referred: true})
		}
	}
	return out
}

// visible reports whether the user's role may see a case at all: the
// sexual exploitation and abuse category only reaches the psea role, even
// if a team were misconfigured.
func visible(u casework.User, v casework.CaseView) bool {
	return (!v.PSEAOnly && v.Category != config.SEA && v.CallerCategory != config.SEA) || u.Role == casework.RolePSEA
}

func (w *Web) viewCase(c fiber.Ctx) (casework.User, casework.CaseView, error) {
	u, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	// View audits every view of a sensitive case before returning it.
	v, err := w.cases.View(rctx, u.Actor(), c.Params("id"))
	if errors.Is(err, casework.ErrForbidden) || errors.Is(err, casework.ErrNotFound) {
		return u, v, errNotFound // another team's case looks like no case
	}
	if err != nil {
		return u, v, err
	}
	if !visible(u, v) {
		w.log.Warn("web: SEA case refused to a non-PSEA role", "user", u.Name, "role", string(u.Role))
		return u, casework.CaseView{}, errNotFound
	}
	return u, v, nil
}

// recording plays a voice case's message to the case's team, through the
// same visibility rules as the case page; casework audits every listen.
func (w *Web) recording(c fiber.Ctx) error {
	u, v, err := w.viewCase(c)
	if err != nil {
		return err
	}
	rctx, cancel := ctx(c)
	defer cancel()
	audio, err := w.cases.Recording(rctx, u.Actor(), v.ID)
	if errors.Is(err, casework.ErrNotFound) || errors.Is(err, casework.ErrForbidden) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "audio/wav")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(audio)
}

func (w *Web) casePage(c fiber.Ctx) error {
	u, v, err := w.viewCase(c)
	if err != nil {
		return err
	}
	rctx, cancel := ctx(c)
	defer cancel()
	audit, err := w.cases.Audit(rctx, u.Actor(), v.ID)
	if err != nil {
		return err
	}
	p := w.newPage(c, "case")
	p.Title = p.L["title_case"] + " " + casework.FormatReference(v.Reference)
	d := caseData{
		Case: v, CategoryName: w.categoryName(p.Lang, v.Category), CallerChoice: w.categoryName(p.Lang, v.CallerCategory),
		RegionName: w.placeName(v.Region), CercleName: w.placeName(v.Cercle), Audit: audit,
		LocalityName: w.localityName(v.Locality),
		Reopenable:   v.Status == casework.StatusResolved || v.Status == casework.StatusClosed,
		Resolvable:   v.Status == casework.StatusInProgress,
		Assignable:   v.Status == casework.StatusNew || v.Status == casework.StatusAssigned,
		Recordable:   v.Medium == "voice",
		LanguageName: w.catalog.LanguageName(v.Language),
		Services:     w.referrals(p.Lang, v),
	}
	if v.HasContact && c.Query("contact") == "1" {
		contact, err := w.cases.Contact(rctx, u.Actor(), v.ID)
		if err != nil {
			return err
		}
		d.Contact = &contact
	}
	users, err := w.users.Users(rctx)
	if err != nil {
		return err
	}
	for _, o := range users {
		if o.Team == u.Team && o.Role.Casework() && !o.Disabled {
			d.Officers = append(d.Officers, option{Value: o.Name, Label: cmpOr(o.FullName, o.Name), Selected: o.Name == cmpOr(v.Officer, u.Name)})
		}
	}
	switch v.Status {
	case casework.StatusAssigned:
		d.Next = []option{{Value: string(casework.StatusInProgress), Label: p.L["status_in_progress"]}}
	case casework.StatusResolved:
		d.Next = []option{{Value: string(casework.StatusClosed), Label: p.L["status_closed"]}}
	}
	for _, t := range w.cases.Config().Codebook {
		for _, cat := range t.Categories {
			name, group := cat.NameIn(p.Lang), t.NameIn(p.Lang)
			d.Recode = append(d.Recode, option{Value: cat.ID + "/", Label: name, Group: group, Selected: cat.ID == v.Category && v.Code == ""})
			for _, code := range cat.Codes {
				d.Recode = append(d.Recode, option{Value: cat.ID + "/" + code.ID, Label: name + " — " + code.NameIn(p.Lang), Group: group,
					Selected: cat.ID == v.Category && code.ID == v.Code})
			}
		}
	}
	chosen := c.Query("template")
	// The templates in the caller's language, from the catalogue.
	for _, t := range w.liveCatalog().Answers(v.Language, v.Reference) {
		d.Templates = append(d.Templates, option{Value: t.ID, Label: p.L["tpl_"+t.ID], Selected: t.ID == chosen})
		if t.ID == chosen {
			d.Draft = t.Text
		}
	}
	if d.Draft == "" {
		d.Draft = v.Response[v.Language]
	}
	d.AnswerRoom, d.GSM7Basic, d.GSM7Extension = w.liveCatalog().AnswerRoom(v.Language), gsm7.Basic, gsm7.Extension
	p.Data = d
	return w.render(c, "case", p)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// caseAction runs one action of the case page and goes back to it with a
// message. The user must be able to see the case (viewCase) first.
func (w *Web) caseAction(c fiber.Ctx) error {
	u, v, err := w.viewCase(c)
	if err != nil {
		return err
	}
	who := u.Actor()
	rctx, cancel := ctx(c)
	defer cancel()
	action := c.Params("action")
	switch action {
	case "assign":
		officer := c.FormValue("officer")
		target, uerr := w.users.User(rctx, officer)
		if uerr != nil || target.Team != u.Team || !target.Role.Casework() {
			return w.back(c, v.ID, "", "officer")
		}
		_, err = w.cases.Assign(rctx, who, v.ID, officer)
	case "status":
		switch casework.Status(c.FormValue("to")) {
		case casework.StatusInProgress:
			_, err = w.cases.Start(rctx, who, v.ID)
		case casework.StatusClosed:
			_, err = w.cases.Close(rctx, who, v.ID)
		default:
			return errBadRequest
		}
	case "respond":
		text := strings.TrimSpace(c.FormValue("response"))
		if text == "" {
			return w.back(c, v.ID, "", "response")
		}
		_, err = w.cases.Resolve(rctx, who, v.ID, map[string]string{v.Language: text})
	case "recode":
		cat, code, _ := strings.Cut(c.FormValue("coding"), "/")
		_, err = w.cases.Recode(rctx, who, v.ID, cat, code)
	case "note":
		_, err = w.cases.Note(rctx, who, v.ID, strings.TrimSpace(c.FormValue("note")))
	case "refer":
		_, err = w.cases.Refer(rctx, who, v.ID, c.FormValue("service"))
	case "reopen":
		_, err = w.cases.Reopen(rctx, who, v.ID, strings.TrimSpace(c.FormValue("reason")))
	case "callback":
		return w.callBack(c, u, v)
	case "spoken":
		// The team's spoken answer, converted like the studio's
		// recordings; a voice follow-up plays it once the case is answered.
		data, uerr := readUpload(c, "audio")
		if uerr != nil {
			return w.back(c, v.ID, "", "audio")
		}
		conv, cerr := promptaudio.Convert(data)
		if cerr != nil {
			return w.back(c, v.ID, "", "audio")
		}
		_, err = w.cases.SpeakAnswer(rctx, who, v.ID, conv.WAV)
	default:
		return errNotFound
	}
	switch {
	case errors.Is(err, casework.ErrInvalidTransition):
		return w.back(c, v.ID, "", "transition")
	case err != nil && (errors.Is(err, casework.ErrForbidden) || errors.Is(err, casework.ErrNotFound)):
		return errNotFound
	case err != nil:
		// Validation failures (empty note, unknown code, missing
		// response language) name fields, never their content.
		w.log.Info("web: case action refused", "action", action, "user", u.Name, "err", err)
		return w.back(c, v.ID, "", "invalid")
	}
	w.log.Info("web: case action", "action", action, "user", u.Name, "case", v.ID)
	if action == "recode" {
		if after, verr := w.cases.View(rctx, who, v.ID); verr != nil || after.Team != v.Team {
			// Rerouted to another team: it has left this user's queue.
			return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/queue?ok=rerouted")
		}
	}
	return w.back(c, v.ID, action, "")
}

func (w *Web) back(c fiber.Ctx, id, ok, bad string) error {
	q := "?ok=" + ok
	if bad != "" {
		q = "?err=" + bad
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/cases/" + id + q)
}

type intakeData struct {
	Nonce      string
	Languages  []option
	Categories []option
	Regions    []option
	Cercles    []option
	Assistance []option
	Receipt    *casework.Receipt
	PIN        string
	Repeated   bool
}

var assistance = casework.Assistance

func (w *Web) intakeForm(p *page) intakeData {
	d := intakeData{Nonce: casework.NewSecret(16), Categories: w.categoryOptions(p.Lang, "")}
	for _, code := range w.catalog.Languages() {
		d.Languages = append(d.Languages, option{Value: code, Label: w.catalog.LanguageName(code), Selected: code == p.Lang})
	}
	d.Regions = append([]option{{Value: casework.Unknown, Label: p.L["unknown"]}}, w.regionOptions("")...)
	d.Cercles = []option{{Value: casework.Unknown, Label: p.L["unknown"]}}
	for _, r := range w.regions {
		for _, ce := range w.cercles[r.Code] {
			d.Cercles = append(d.Cercles, option{Value: ce.Code, Label: ce.Name, Group: r.Name})
		}
	}
	for _, a := range assistance {
		d.Assistance = append(d.Assistance, option{Value: a, Label: p.L["assist_"+a]})
	}
	return d
}

// place checks a region and cercle from the intake form against the
// catalogue (locales/places.csv): each is "unknown" or a P-code of its
// level, and a cercle lies in its region (an unknown region is taken from
// the cercle). Anything else is refused, never stored.
func (w *Web) place(region, cercle string) (string, string, bool) {
	if region == "" {
		region = casework.Unknown
	}
	if cercle == "" {
		cercle = casework.Unknown
	}
	if region != casework.Unknown {
		if p, ok := w.places[region]; !ok || p.Level != 1 {
			return "", "", false
		}
	}
	if cercle == casework.Unknown {
		return region, cercle, true
	}
	p, ok := w.places[cercle]
	if !ok || p.Level != 2 || (region != casework.Unknown && p.Parent != region) {
		return "", "", false
	}
	return p.Parent, cercle, true
}

func (w *Web) intakePage(c fiber.Ctx) error {
	p := w.newPage(c, "intake")
	p.Data = w.intakeForm(p)
	return w.render(c, "intake", p)
}

// intake takes in a complaint received in person or by an ordinary call.
// No number is asked for: the person gets a reference and a PIN, read out
// now, and follows up with both. The caller key is random, so the case is
// linked to no other.
func (w *Web) intake(c fiber.Ctx) error {
	u, _ := current(c)
	nonce := c.FormValue("nonce")
	if len(nonce) < 16 || len(nonce) > 64 {
		return errBadRequest
	}
	region, cercle, ok := w.place(c.FormValue("region"), c.FormValue("cercle"))
	if !ok {
		return errBadRequest
	}
	in := casework.Intake{
		// The form's nonce makes a double click or a resent form one case.
		IdempotencyKey: "staff/" + u.Name + "/" + nonce,
		CallerKey:      "staff:" + casework.NewID(),
		Channel:        "staff",
		Medium:         "staff",
		Language:       c.FormValue("language"),
		Category:       c.FormValue("category"),
		Region:         region,
		Cercle:         cercle,
		Assistance:     c.FormValue("assistance"),
		Detail:         strings.TrimSpace(c.FormValue("detail")),
	}
	if _, ok := w.cases.Config().Category(in.Category); !ok || !w.catalog.HasLanguage(in.Language) || !slices.Contains(assistance, in.Assistance) {
		return errBadRequest
	}
	rctx, cancel := ctx(c)
	defer cancel()
	r, err := w.cases.Submit(rctx, in)
	if errors.Is(err, casework.ErrInvalidIntake) {
		w.log.Info("web: intake refused", "user", u.Name, "err", err)
		return errBadRequest
	}
	if err != nil {
		return err
	}
	w.log.Info("web: staff intake", "user", u.Name, "case", r.Case.ID, "team", r.Case.Team)
	p := w.newPage(c, "intake")
	d := w.intakeForm(p)
	d.Receipt, d.PIN, d.Repeated = &r, r.PIN, r.PIN == ""
	p.Data = d
	return w.render(c, "intake", p)
}

type dashboardData struct {
	Report     casework.Report
	Weeks      int
	ByCategory chart
	ByRegion   chart
	CatRows    []tableRow
	RegionRows []tableRow
	PlaceRows  []placeRow // by cercle and commune or site, under their region
	WeekLabels []string
	Supervisor bool
	Info       infoViewsData // the information line's views (info.go)
}

type tableRow struct {
	Name   string
	Counts []casework.Count
}

// placeRow is a row of the table by place: a region (Level 0), a cercle
// (1) or a commune or site (2).
type placeRow struct {
	Name   string
	Level  int
	Counts []casework.Count
}

// placeRows lays out r's counts by place under each region's total.
func (w *Web) placeRows(p *page, r casework.Report) []placeRow {
	var out []placeRow
	region := ""
	for _, s := range r.ByPlace {
		if s.Region != region {
			region = s.Region
			if i := slices.IndexFunc(r.ByRegion, func(x casework.Series) bool { return x.Key == region }); i >= 0 {
				out = append(out, placeRow{Name: w.placeName(region), Counts: r.ByRegion[i].Counts})
			}
		}
		switch {
		case s.Cercle == casework.Other:
			out = append(out, placeRow{Name: p.L["place_other_cercles"], Level: 1, Counts: s.Counts})
		case s.Locality == "":
			out = append(out, placeRow{Name: w.placeName(s.Cercle), Level: 1, Counts: s.Counts})
		case s.Locality == casework.Other:
			out = append(out, placeRow{Name: p.L["place_other_sites"], Level: 2, Counts: s.Counts})
		default:
			out = append(out, placeRow{Name: cmp.Or(w.localityName(s.Locality), s.LocalityName), Level: 2, Counts: s.Counts})
		}
	}
	return out
}

func (w *Web) weeks(c fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("weeks", "12"))
	if err != nil || n < 1 || n > 104 {
		return 12
	}
	return n
}

// reportOptions lists every region of the catalogue, so that every week's
// grid is complete whatever the cases.
func (w *Web) reportOptions(weeks int) casework.ReportOptions {
	o := casework.ReportOptions{Weeks: weeks}
	for _, p := range w.regions {
		o.Regions = append(o.Regions, p.Code)
	}
	return o
}

func (w *Web) dashboard(c fiber.Ctx) error {
	u, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	n := w.weeks(c)
	r, err := w.cases.Report(rctx, w.reportOptions(n))
	if err != nil {
		return err
	}
	p := w.newPage(c, "dashboard")
	d := dashboardData{Report: r, Weeks: n, Supervisor: u.Role == casework.RoleSupervisor}
	for _, wk := range r.Weeks {
		d.WeekLabels = append(d.WeekLabels, wk.Format("02/01"))
	}
	region := func(code string) string {
		if code == casework.Unknown {
			return p.L["unknown"]
		}
		return w.placeName(code)
	}
	category := func(id string) string { return w.categoryName(p.Lang, id) }
	d.ByCategory = newChart(d.WeekLabels, r.ByCategory, category)
	d.ByRegion = newChart(d.WeekLabels, r.ByRegion, region)
	for _, s := range r.ByCategory {
		d.CatRows = append(d.CatRows, tableRow{category(s.Key), s.Counts})
	}
	for _, s := range r.ByRegion {
		d.RegionRows = append(d.RegionRows, tableRow{region(s.Key), s.Counts})
	}
	d.PlaceRows = w.placeRows(p, r)
	if d.Info, err = w.infoViews(rctx, p); err != nil {
		return err
	}
	p.Data = d
	return w.render(c, "dashboard", p)
}

func (w *Web) exportAggregate(hxl bool) fiber.Handler {
	return func(c fiber.Ctx) error {
		u, _ := current(c)
		rctx, cancel := ctx(c)
		defer cancel()
		r, err := w.cases.Report(rctx, w.reportOptions(w.weeks(c)))
		if err != nil {
			return err
		}
		name := "numero-vert-aggregate.csv"
		if hxl {
			name = "numero-vert-hxl.csv"
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		w.log.Info("web: aggregate export", "user", u.Name, "hxl", hxl)
		return r.WriteCSV(c.Response().BodyWriter(), hxl)
	}
}

func (w *Web) exportCases(c fiber.Ctx) error {
	u, _ := current(c)
	rctx, cancel := ctx(c)
	defer cancel()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="numero-vert-cases-`+u.Team+`.csv"`)
	w.log.Info("web: case-level export", slog.String("user", u.Name), slog.String("team", u.Team))
	return w.cases.ExportCases(rctx, u.Actor(), c.Response().BodyWriter())
}

// apiReport serves the aggregates as JSON to other tools, with a bearer
// token made by `hotline users token`.
func (w *Web) apiReport(c fiber.Ctx) error {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	rctx, cancel := ctx(c)
	defer cancel()
	var t casework.APIToken
	var err error
	if ok && token != "" {
		t, err = w.users.Token(rctx, casework.HashToken(strings.TrimSpace(token)))
	}
	if !ok || token == "" || errors.Is(err, casework.ErrNoUser) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="numero-vert"`)
		return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": "a valid bearer token is required"})
	}
	if err != nil {
		return err
	}
	r, err := w.cases.Report(rctx, w.reportOptions(w.weeks(c)))
	if err != nil {
		return err
	}
	w.log.Info("web: api report", "token", t.Name)
	return c.JSON(r)
}

// localityOptions lists the deployment's communes and sites, grouped by
// cercle, for the queue filter.
func (w *Web) localityOptions(selected string) []option {
	var out []option
	for _, l := range w.localities {
		out = append(out, option{Value: l.Code, Label: l.Name, Group: w.placeName(l.Parent), Selected: l.Code == selected})
	}
	return out
}
