package web

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/numerovert/hotline/casework"
	"github.com/numerovert/hotline/internal/promptaudio"
	"github.com/numerovert/hotline/menus/overlay"
)

// Recordings of information pages (issue 15): the programme role uploads
// a recording of a page's latest text, converted like the studio's
// uploads (overlay.SaveInfoAudio) and kept in the page's audit trail
// (casework.Service.RecordInfoPage); a call plays it while that version is
// the approved one. Without the studio (no data directory here) there is
// nowhere to keep one, and the routes answer 404.

func (w *Web) mountInfoRecordings(g fiber.Router) {
	g.Post("/info/recording", w.need(programmeRole, w.infoRecord))
	g.Get("/info/audio", w.need(infoStaff, w.infoAudio))
}

// infoAudioURL plays a page's recording in the web view.
func infoAudioURL(id string) string { return Prefix + "/info/audio?id=" + url.QueryEscape(id) }

// infoAudioRow says, for one language of a page's place and topic,
// whether callers hear a recording.
type infoAudioRow struct {
	Lang, State string
	Audio       string // the page's id when a recording can be played
}

// infoAudioRows is the page's recording state in every language.
func (w *Web) infoAudioRows(cur casework.InfoPage, all []casework.InfoPage, L map[string]string) []infoAudioRow {
	byID := make(map[string]casework.InfoPage, len(all))
	for _, p := range all {
		byID[p.ID] = p
	}
	var rows []infoAudioRow
	for _, l := range w.infoLanguages() {
		p, ok := byID[casework.InfoPageID(cur.Programme, cur.Region, cur.Cercle, cur.Locality, cur.Topic, l.code)]
		row := infoAudioRow{Lang: l.name, State: infoAudioState(p, ok, L)}
		if ok && p.Recording != nil {
			row.Audio = p.ID
		}
		rows = append(rows, row)
	}
	return rows
}

func infoAudioState(p casework.InfoPage, exists bool, L map[string]string) string {
	r := p.Recording
	switch {
	case !exists:
		return L["info_audio_nopage"]
	case r == nil:
		return L["info_audio_none"]
	case p.Heard() != "":
		return fmt.Sprintf(L["info_audio_live"], r.Version, math.Round(r.Seconds), r.By)
	case r.Version == p.DraftVersion:
		return fmt.Sprintf(L["info_audio_pending"], r.Version, math.Round(r.Seconds), r.By)
	}
	return fmt.Sprintf(L["info_audio_stale"], r.Version, p.PublishedVersion)
}

func (w *Web) infoRecord(c fiber.Ctx) error {
	if w.studio == nil {
		return errNotFound
	}
	u, _ := current(c)
	id := strings.Clone(c.FormValue("id"))
	version, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || id == "" {
		return errBadRequest
	}
	rctx, cancel := ctx(c)
	defer cancel()
	pg, err := w.cases.InfoPage(rctx, id)
	if errors.Is(err, casework.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	L := messages[pickLang(c)]
	data, err := readUpload(c, "file")
	switch {
	case errors.Is(err, errTooBig):
		return w.renderInfoEdit(c, id, fmt.Sprintf(L["studio_too_big"], maxUpload>>20))
	case err != nil:
		return err
	case version != pg.DraftVersion:
		return c.Redirect().Status(fiber.StatusSeeOther).To(infoEditURL(id) + "&err=info_stale")
	}
	name := overlay.NewInfoAudioName()
	conv, err := w.studio.SaveInfoAudio(rctx, pg.Lang, name, data)
	switch {
	case errors.Is(err, promptaudio.ErrNeedsFFmpeg):
		return w.renderInfoEdit(c, id, L["studio_needs_ffmpeg"])
	case err != nil:
		// The converter's reasons (silent, too long, not audio) are for
		// the writer to act on; they hold no caller's data.
		return w.renderInfoEdit(c, id, L["studio_bad_audio"]+" "+err.Error())
	}
	replaced, err := w.cases.RecordInfoPage(rctx, u, id, version, name, conv.Seconds)
	if err != nil {
		w.dropInfoAudio(pg.Lang, name) // kept by no page
		if errors.Is(err, casework.ErrStale) {
			return c.Redirect().Status(fiber.StatusSeeOther).To(infoEditURL(id) + "&err=info_stale")
		}
		return err
	}
	if replaced != "" {
		w.dropInfoAudio(pg.Lang, replaced)
	}
	return c.Redirect().Status(fiber.StatusSeeOther).To(infoEditURL(id) + "&ok=info_recorded")
}

// dropInfoAudio deletes a recording no page plays; a failure leaves a
// file nothing names, which is logged, not the writer's problem.
func (w *Web) dropInfoAudio(lang, name string) {
	if err := w.studio.DeleteInfoAudio(lang, name); err != nil {
		w.log.Warn("web: unused information recording not deleted", "name", name, "err", err)
	}
}

func (w *Web) infoAudio(c fiber.Ctx) error {
	if w.studio == nil {
		return errNotFound
	}
	rctx, cancel := ctx(c)
	defer cancel()
	pg, err := w.cases.InfoPage(rctx, c.Query("id"))
	if err != nil || pg.Recording == nil {
		return errNotFound
	}
	b, err := w.studio.ReadInfoAudio(pg.Lang, pg.Recording.Name)
	if err != nil {
		return errNotFound
	}
	c.Set(fiber.HeaderContentType, "audio/wav")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

func init() {
	funcs["infoAudioURL"] = infoAudioURL
}
