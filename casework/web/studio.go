package web

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/internal/promptaudio"
	"github.com/numerovert/hotline/menus"
	"github.com/numerovert/hotline/menus/overlay"
)

// The language studio (issue 13): translators and admins correct the
// callers' catalogue and record its prompts here. Every decision (lint on
// save, history, revert, where a recording goes) is menus/overlay's; this
// file only shows it.

func studioRole(r casework.Role) bool { return r == casework.RoleTranslator || r == casework.RoleAdmin }

// maxUpload bounds an uploaded recording: Fiber's default body limit, that
// of the staff listener (--admin-addr) and the casework role. The
// callbacks' listener, where the web view is without --admin-addr, takes
// 64 KB at most (docs/translators.md).
const maxUpload = 4 << 20

func (w *Web) mountStudio(g fiber.Router) {
	if w.studio == nil {
		return
	}
	g.Get("/studio", w.need(studioRole, w.studioCoverage))
	g.Get("/studio/lang", w.need(studioRole, w.studioLang))
	g.Get("/studio/edit", w.need(studioRole, w.studioEdit))
	g.Post("/studio/edit", w.need(studioRole, w.studioSave))
	g.Post("/studio/revert", w.need(studioRole, w.studioRevert))
	g.Post("/studio/recording", w.need(studioRole, w.studioUpload))
	g.Post("/studio/recording/review", w.need(studioRole, w.studioReviewRecording))
	g.Get("/studio/audio", w.need(studioRole, w.studioAudio))
}

// liveCatalog is the callers' catalogue with the studio's edits as they
// are now (the officers' answer templates, the radio script's words);
// the one of the start without a studio.
func (w *Web) liveCatalog() *menus.Catalog {
	if w.studio != nil {
		return w.studio.Catalog()
	}
	return w.catalog
}

func studioLangURL(lang string) string { return Prefix + "/studio/lang?lang=" + url.QueryEscape(lang) }
func studioEditURL(lang, key string) string {
	return Prefix + "/studio/edit?lang=" + url.QueryEscape(lang) + "&key=" + url.QueryEscape(key)
}
func studioAudioURL(lang, key string) string {
	return Prefix + "/studio/audio?lang=" + url.QueryEscape(lang) + "&key=" + url.QueryEscape(key)
}

func (w *Web) studioCoverage(c fiber.Ctx) error {
	cov, err := w.studio.Coverage()
	if err != nil {
		return err
	}
	p := w.newPage(c, "studio")
	p.Data = cov
	return w.render(c, "studio", p)
}

// studioRow is one key of a language in the studio.
type studioRow struct {
	Key, Source, Text string
	State             string // "missing", "draft" or "reviewed"
	Preview           menus.Preview
	Audio             string // overlay.AudioNone, AudioShipped or AudioStudio
	AudioReviewed     bool
	Voice             bool // calls play it
	Editable          bool // a string of the catalogue (a language's name is its file's)
}

type studioLangData struct {
	Lang, Name       string
	Minimum, Strings []studioRow
}

// rows describes keys of lang (all when keys is nil), in the catalogue's order.
func (w *Web) studioRows(lang string, keys []string) ([]studioRow, error) {
	cat := w.studio.Catalog()
	es, err := cat.Entries(lang)
	if err != nil {
		return nil, errNotFound
	}
	made, err := w.studio.Recordings(lang)
	if err != nil {
		return nil, err
	}
	voice := map[string]bool{}
	for _, l := range cat.Script() {
		if l.Lang == lang {
			voice[l.Key] = true
		}
	}
	if slices.Contains(keys, menus.LanguageNameKey) {
		es = append([]menus.Entry{{Key: menus.LanguageNameKey, Source: cat.LanguageName(cat.Fallback()), Text: cat.LanguageName(lang)}}, es...)
	}
	var want []string
	for _, e := range es {
		if keys == nil || slices.Contains(keys, e.Key) {
			want = append(want, e.Key)
		}
	}
	previews := cat.Previews(lang, want)
	out := make([]studioRow, 0, len(want))
	for _, e := range es {
		if !slices.Contains(want, e.Key) {
			continue
		}
		r := studioRow{Key: e.Key, Source: e.Source, Text: e.Text, State: "missing", Preview: previews[e.Key], Voice: voice[e.Key], Editable: e.Key != menus.LanguageNameKey}
		switch {
		case e.Text != "" && e.Reviewed:
			r.State = "reviewed"
		case e.Text != "":
			r.State = "draft"
		}
		var rec overlay.Recording
		r.Audio, rec = w.studio.AudioState(lang, e.Key, made)
		r.AudioReviewed = rec.Reviewed
		out = append(out, r)
	}
	if keys != nil { // the minimum set, in the order a call plays it
		slices.SortStableFunc(out, func(a, b studioRow) int { return slices.Index(keys, a.Key) - slices.Index(keys, b.Key) })
	}
	return out, nil
}

func (w *Web) studioLanguage(c fiber.Ctx) (string, error) {
	lang := c.Query("lang", c.FormValue("lang"))
	if !w.studio.Catalog().HasLanguage(lang) {
		return "", errNotFound
	}
	return strings.Clone(lang), nil
}

func (w *Web) studioLang(c fiber.Ctx) error {
	lang, err := w.studioLanguage(c)
	if err != nil {
		return err
	}
	d := studioLangData{Lang: lang, Name: w.studio.Catalog().LanguageName(lang)}
	if d.Minimum, err = w.studioRows(lang, w.studio.MinimumVoice(lang)); err != nil {
		return err
	}
	if d.Strings, err = w.studioRows(lang, nil); err != nil {
		return err
	}
	p := w.newPage(c, "studio_lang")
	p.Title = fmt.Sprintf(p.L["title_studio_lang"], d.Name)
	p.Data = d
	return w.render(c, "studio_lang", p)
}

type studioEditData struct {
	Lang, Name string
	Row        studioRow
	Typed      string   // the text of a refused save, shown again
	Reasons    []string // why it was refused
	History    []studioChange
	MaxUpload  int
}

type studioChange struct {
	overlay.Change
	Revertible bool
}

// studioKey reads lang and key of a request: a key of the catalogue, or
// the language's own name (a recording only).
func (w *Web) studioKey(c fiber.Ctx) (lang, key string, err error) {
	if lang, err = w.studioLanguage(c); err != nil {
		return "", "", err
	}
	key = strings.Clone(c.Query("key", c.FormValue("key")))
	if key == "" {
		return "", "", errNotFound
	}
	return lang, key, nil
}

func (w *Web) studioEdit(c fiber.Ctx) error {
	lang, key, err := w.studioKey(c)
	if err != nil {
		return err
	}
	return w.renderStudioEdit(c, lang, key, "", nil)
}

func (w *Web) renderStudioEdit(c fiber.Ctx, lang, key, typed string, reasons []string) error {
	rows, err := w.studioRows(lang, []string{key})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return errNotFound
	}
	hist, err := w.studio.History(lang, key)
	if err != nil {
		return err
	}
	d := studioEditData{Lang: lang, Name: w.studio.Catalog().LanguageName(lang), Row: rows[0], Typed: typed, Reasons: reasons, MaxUpload: maxUpload >> 20}
	if d.Typed == "" {
		d.Typed = d.Row.Text
	}
	for _, h := range hist {
		d.History = append(d.History, studioChange{Change: h, Revertible: h.Action == overlay.ActionEdit || h.Action == overlay.ActionReview || h.Action == overlay.ActionRevert})
	}
	p := w.newPage(c, "studio_edit")
	p.Title = fmt.Sprintf(p.L["title_studio_edit"], key, d.Name)
	p.Data = d
	if len(reasons) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return w.render(c, "studio_edit", p)
}

func (w *Web) studioSave(c fiber.Ctx) error {
	u, _ := current(c)
	lang, key, err := w.studioKey(c)
	if err != nil {
		return err
	}
	text := strings.Clone(c.FormValue("text"))
	reviewed := c.FormValue("reviewed") == "1"
	if c.FormValue("action") == "review" { // mark reviewed: the current text as it is
		rows, err := w.studioRows(lang, []string{key})
		if err != nil || len(rows) == 0 || rows[0].State == "missing" {
			return errBadRequest // nothing of the language's own to review (it would take the French)
		}
		text, reviewed = rows[0].Text, true
	}
	rctx, cancel := ctx(c)
	defer cancel()
	_, err = w.studio.Save(rctx, u.Name, lang, key, text, reviewed)
	var refused *overlay.RefusedError
	switch {
	case errors.As(err, &refused):
		return w.renderStudioEdit(c, lang, key, text, refused.Reasons)
	case errors.Is(err, overlay.ErrNotFound):
		return errNotFound
	case err != nil:
		return err
	}
	ok := "studio_saved"
	if c.FormValue("action") == "review" {
		ok = "studio_reviewed"
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(studioEditURL(lang, key) + "&ok=" + ok)
}

func (w *Web) studioRevert(c fiber.Ctx) error {
	u, _ := current(c)
	id, err := strconv.ParseUint(c.FormValue("id"), 10, 64)
	if err != nil {
		return errBadRequest
	}
	rctx, cancel := ctx(c)
	defer cancel()
	ch, err := w.studio.Revert(rctx, u.Name, id)
	var refused *overlay.RefusedError
	switch {
	case errors.As(err, &refused):
		return c.Redirect().Status(fiber.StatusSeeOther).To(Prefix + "/studio?err=studio_revert")
	case errors.Is(err, overlay.ErrNotFound):
		return errNotFound
	case err != nil:
		return err
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(studioEditURL(ch.Lang, ch.Key) + "&ok=studio_reverted")
}

func (w *Web) studioUpload(c fiber.Ctx) error {
	u, _ := current(c)
	lang, key, err := w.studioKey(c)
	if err != nil {
		return err
	}
	data, tooBig, err := uploaded(c)
	if err != nil {
		return err
	}
	if tooBig {
		return w.renderStudioEdit(c, lang, key, "", []string{fmt.Sprintf(messages[pickLang(c)]["studio_too_big"], maxUpload>>20)})
	}
	rctx, cancel := ctx(c)
	defer cancel()
	_, err = w.studio.SaveRecording(rctx, u.Name, lang, key, data)
	L := messages[pickLang(c)]
	switch {
	case errors.Is(err, overlay.ErrNotFound):
		return errNotFound
	case errors.Is(err, promptaudio.ErrNeedsFFmpeg):
		return w.renderStudioEdit(c, lang, key, "", []string{L["studio_needs_ffmpeg"]})
	case err != nil:
		// The converter's reasons (silent, too long, not audio) are for the
		// translator to act on; they hold no caller's data.
		return w.renderStudioEdit(c, lang, key, "", []string{L["studio_bad_audio"] + " " + err.Error()})
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(studioEditURL(lang, key) + "&ok=studio_recorded")
}

// uploaded reads the form's recording ("file"), at most maxUpload bytes:
// tooBig when it is larger, errBadRequest when there is none.
func uploaded(c fiber.Ctx) (data []byte, tooBig bool, err error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, false, errBadRequest
	}
	if fh.Size > maxUpload {
		return nil, true, nil
	}
	f, err := fh.Open()
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, maxUpload+1))
	return data, false, err
}

func (w *Web) studioReviewRecording(c fiber.Ctx) error {
	u, _ := current(c)
	lang, key, err := w.studioKey(c)
	if err != nil {
		return err
	}
	rctx, cancel := ctx(c)
	defer cancel()
	if err := w.studio.ReviewRecording(rctx, u.Name, lang, key); errors.Is(err, overlay.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return err
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(studioEditURL(lang, key) + "&ok=studio_recording_reviewed")
}

func (w *Web) studioAudio(c fiber.Ctx) error {
	lang, key, err := w.studioKey(c)
	if err != nil {
		return err
	}
	b, err := w.studio.ReadAudio(lang, key)
	if err != nil {
		return errNotFound
	}
	c.Set(fiber.HeaderContentType, "audio/wav")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

func init() {
	funcs["studioLangURL"] = studioLangURL
	funcs["studioEditURL"] = studioEditURL
	funcs["studioAudioURL"] = studioAudioURL
	funcs["neg"] = func(n int) int { return -n }
}
