package casework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/numerovert/hotline/config"
)

// The information line (issue 15): pages per programme, place, topic and
// language, written by the programme role and served to callers only once
// a supervisor approved them. An edit after approval is a new draft: the
// approved text keeps being served until the edit is approved in turn.
// Every save and approval is in the page's own audit trail.
//
// Nothing here knows a caller: a view is counted by month, place and topic
// only, never with a caller key.

// InfoTopics are the topics of the information line, in the menu's order
// (tree.yaml info_topic).
var InfoTopics = []string{"eligibility", "entitlement", "dates", "complaints", "yousaid"}

// MaxInfoRunes bounds a page's text (menus.MaxInfoText shows it whole).
const MaxInfoRunes = 2000

// InfoFallbackLanguage is served when a page has no version in the
// caller's language (the catalogue's fallback, too).
const InfoFallbackLanguage = "fr"

// InfoNational is the place of views counted for pages of no region.
const InfoNational = "national"

// ErrStale is returned when a supervisor approves a draft that changed
// since they read it.
var ErrStale = errors.New("casework: the page changed since it was read")

// InfoPage is one information page: where and what it is about, the draft
// being written, and the approved text that callers get.
type InfoPage struct {
	ID string `json:"id"`
	// Programme is a config programme id, "" for every programme.
	Programme string `json:"programme,omitempty"`
	// Region, Cercle and Locality narrow the page; "" is wider (no
	// region: all of Mali).
	Region   string `json:"region,omitempty"`
	Cercle   string `json:"cercle,omitempty"`
	Locality string `json:"locality,omitempty"`
	Topic    string `json:"topic"`
	Lang     string `json:"lang"`

	Draft        string    `json:"draft"`
	DraftVersion int       `json:"draft_version"`
	DraftBy      string    `json:"draft_by"`
	DraftAt      time.Time `json:"draft_at"`

	Published        string    `json:"published,omitempty"`
	PublishedVersion int       `json:"published_version,omitempty"`
	ApprovedBy       string    `json:"approved_by,omitempty"`
	ApprovedAt       time.Time `json:"approved_at,omitzero"`

	// Recording is the page read aloud, for voice callers (nil: none).
	Recording *InfoRecording `json:"recording,omitempty"`

	Events []InfoEvent `json:"events"`
}

// InfoRecording is the recording of one version of a page's text, in
// the page's language (a name among the prompts' recordings,
// overlay.SaveInfoAudio). Callers hear it only while that version is the
// approved one: an edit approved later is read by text-to-speech until it
// is recorded again.
type InfoRecording struct {
	Name    string    `json:"name"`
	Version int       `json:"version"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Seconds float64   `json:"seconds"`
}

// Heard is the recording callers hear with the approved text, "" when
// there is none for that version.
func (p InfoPage) Heard() string {
	if p.Recording == nil || !p.Live() || p.Recording.Version != p.PublishedVersion {
		return ""
	}
	return p.Recording.Name
}

// InfoEvent is one line of a page's audit trail.
type InfoEvent struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"` // saved, approved, recorded
	Version int       `json:"version"`
}

// Pending reports whether the page has a draft no supervisor approved.
func (p InfoPage) Pending() bool { return p.DraftVersion > p.PublishedVersion }

// Live reports whether callers get the page.
func (p InfoPage) Live() bool { return p.PublishedVersion > 0 }

// InfoPageID is the one page for a programme, place, topic and language:
// writing it again is an edit.
func InfoPageID(programme, region, cercle, locality, topic, lang string) string {
	return strings.Join([]string{programme, region, cercle, locality, topic, lang}, "|")
}

// InfoStore persists information pages and view counts (boltstore,
// memstore; contract in storetest.RunInfo). It decides nothing.
type InfoStore interface {
	// PutInfoPage creates or replaces the page with p.ID, durably.
	PutInfoPage(ctx context.Context, p InfoPage) error
	// InfoPage returns the page, or an error wrapping ErrNotFound.
	InfoPage(ctx context.Context, id string) (InfoPage, error)
	// InfoPages lists every page, in no set order.
	InfoPages(ctx context.Context) ([]InfoPage, error)
	// CountInfoView adds n views (n > 0) of topic at place in month
	// ("2026-12"), in one write.
	CountInfoView(ctx context.Context, month, place, topic string, n int) error
	// InfoViews returns every count by InfoViewKey.
	InfoViews(ctx context.Context) (map[InfoViewKey]int, error)
}

// InfoViewKey names one view count.
type InfoViewKey struct{ Month, Place, Topic string }

// InfoPageInput is what the programme role writes.
type InfoPageInput struct {
	Programme, Region, Cercle, Locality, Topic, Lang, Text string
}

// infoMu serialises the read-modify-write of pages (one process holds
// the store).
var infoMu sync.Mutex

func (s *Service) infoStore() (InfoStore, error) {
	is, ok := s.store.(InfoStore)
	if !ok {
		return nil, errors.New("casework: this store keeps no information pages")
	}
	return is, nil
}

// SaveInfoPage writes in as the page's new draft. Only the programme role
// writes pages; the text must not be empty. An unchanged text is no new
// version.
func (s *Service) SaveInfoPage(ctx context.Context, actor User, in InfoPageInput) (InfoPage, error) {
	if actor.Role != RoleProgramme {
		return InfoPage{}, fmt.Errorf("save information page: %w", ErrForbidden)
	}
	in.Text = strings.TrimSpace(strings.ReplaceAll(in.Text, "\r\n", "\n"))
	if err := s.checkInfoInput(in); err != nil {
		return InfoPage{}, err
	}
	is, err := s.infoStore()
	if err != nil {
		return InfoPage{}, err
	}
	infoMu.Lock()
	defer infoMu.Unlock()
	id := InfoPageID(in.Programme, in.Region, in.Cercle, in.Locality, in.Topic, in.Lang)
	p, err := is.InfoPage(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		p = InfoPage{ID: id, Programme: in.Programme, Region: in.Region, Cercle: in.Cercle, Locality: in.Locality, Topic: in.Topic, Lang: in.Lang}
	case err != nil:
		return InfoPage{}, fmt.Errorf("save information page: %w", err)
	}
	if p.Draft == in.Text && p.DraftVersion > 0 {
		return p, nil
	}
	now := s.now().UTC()
	p.DraftVersion++
	p.Draft, p.DraftBy, p.DraftAt = in.Text, actor.Name, now
	p.Events = append(p.Events, InfoEvent{At: now, Actor: actor.Name, Action: "saved", Version: p.DraftVersion})
	if err := is.PutInfoPage(ctx, p); err != nil {
		return InfoPage{}, fmt.Errorf("save information page: %w", err)
	}
	s.log.Info("information page saved", "page", id, "version", p.DraftVersion, "user", actor.Name)
	return p, nil
}

func (s *Service) checkInfoInput(in InfoPageInput) error {
	bad := func(why string) error { return fmt.Errorf("information page: %s: %w", why, ErrInvalidIntake) }
	switch {
	case !slices.Contains(InfoTopics, in.Topic):
		return bad("unknown topic")
	case in.Lang == "" || len(in.Lang) > 3:
		return bad("language")
	case in.Text == "":
		return bad("empty text")
	case utf8.RuneCountInString(in.Text) > MaxInfoRunes:
		return bad(fmt.Sprintf("longer than %d characters", MaxInfoRunes))
	case in.Cercle != "" && (in.Region == "" || !strings.HasPrefix(in.Cercle, in.Region)):
		return bad("cercle outside its region")
	case in.Locality != "" && in.Cercle == "":
		return bad("a commune or site needs its cercle")
	}
	if in.Programme != "" && !slices.ContainsFunc(s.Config().Programmes, func(p config.Programme) bool { return p.ID == in.Programme }) {
		return bad("unknown programme")
	}
	return nil
}

// ApproveInfoPage publishes the draft version a supervisor read: callers
// get it from now on. A draft changed since (another version) is ErrStale.
func (s *Service) ApproveInfoPage(ctx context.Context, actor User, id string, version int) (InfoPage, error) {
	if actor.Role != RoleSupervisor {
		return InfoPage{}, fmt.Errorf("approve information page: %w", ErrForbidden)
	}
	is, err := s.infoStore()
	if err != nil {
		return InfoPage{}, err
	}
	infoMu.Lock()
	defer infoMu.Unlock()
	p, err := is.InfoPage(ctx, id)
	if err != nil {
		return InfoPage{}, fmt.Errorf("approve information page: %w", err)
	}
	switch {
	case p.DraftVersion != version:
		return InfoPage{}, fmt.Errorf("approve information page: version %d, draft is %d: %w", version, p.DraftVersion, ErrStale)
	case !p.Pending():
		return p, nil
	case p.DraftBy == actor.Name:
		return InfoPage{}, fmt.Errorf("approve information page: its own author: %w", ErrForbidden)
	}
	now := s.now().UTC()
	p.Published, p.PublishedVersion, p.ApprovedBy, p.ApprovedAt = p.Draft, p.DraftVersion, actor.Name, now
	p.Events = append(p.Events, InfoEvent{At: now, Actor: actor.Name, Action: "approved", Version: version})
	if err := is.PutInfoPage(ctx, p); err != nil {
		return InfoPage{}, fmt.Errorf("approve information page: %w", err)
	}
	s.log.Info("information page approved", "page", id, "version", version, "user", actor.Name)
	s.onInfo()
	return p, nil
}

// RecordInfoPage keeps name (a recording already stored) as the
// recording of the page's version, which must be its latest text (else
// ErrStale); the programme role records pages. It returns the recording
// it replaced ("" for none), which nothing plays any more.
func (s *Service) RecordInfoPage(ctx context.Context, actor User, id string, version int, name string, seconds float64) (replaced string, err error) {
	if actor.Role != RoleProgramme {
		return "", fmt.Errorf("record information page: %w", ErrForbidden)
	}
	if name == "" {
		return "", fmt.Errorf("record information page: no recording: %w", ErrInvalidIntake)
	}
	is, err := s.infoStore()
	if err != nil {
		return "", err
	}
	infoMu.Lock()
	defer infoMu.Unlock()
	p, err := is.InfoPage(ctx, id)
	if err != nil {
		return "", fmt.Errorf("record information page: %w", err)
	}
	if p.DraftVersion != version {
		return "", fmt.Errorf("record information page: version %d, text is %d: %w", version, p.DraftVersion, ErrStale)
	}
	if p.Recording != nil {
		replaced = p.Recording.Name
	}
	now := s.now().UTC()
	p.Recording = &InfoRecording{Name: name, Version: version, By: actor.Name, At: now, Seconds: seconds}
	p.Events = append(p.Events, InfoEvent{At: now, Actor: actor.Name, Action: "recorded", Version: version})
	if err := is.PutInfoPage(ctx, p); err != nil {
		return "", fmt.Errorf("record information page: %w", err)
	}
	s.log.Info("information page recorded", "page", id, "version", version, "user", actor.Name)
	s.onInfo()
	return replaced, nil
}

// InfoPages lists every page for the web view: by place, topic, language.
func (s *Service) InfoPages(ctx context.Context) ([]InfoPage, error) {
	is, err := s.infoStore()
	if err != nil {
		return nil, err
	}
	ps, err := is.InfoPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("information pages: %w", err)
	}
	slices.SortFunc(ps, func(a, b InfoPage) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.Cercle, b.Cercle), cmp.Compare(a.Locality, b.Locality),
			cmp.Compare(slices.Index(InfoTopics, a.Topic), slices.Index(InfoTopics, b.Topic)), cmp.Compare(a.Programme, b.Programme), cmp.Compare(a.Lang, b.Lang))
	})
	return ps, nil
}

// InfoPage returns one page.
func (s *Service) InfoPage(ctx context.Context, id string) (InfoPage, error) {
	is, err := s.infoStore()
	if err != nil {
		return InfoPage{}, err
	}
	return is.InfoPage(ctx, id)
}

// InfoRequest is what a caller asks: a topic at a place, in a language.
// Region and Cercle may be "" or Unknown.
type InfoRequest struct{ Lang, Region, Cercle, Locality, Topic string }

// InfoPart is one approved page as a caller gets it: its text, its
// language, and the recording of that text ("" for none).
type InfoPart struct{ Lang, Text, Audio string }

// InfoText joins the parts' texts, one page a paragraph.
func InfoText(parts []InfoPart) string {
	texts := make([]string, len(parts))
	for i, p := range parts {
		texts[i] = p.Text
	}
	return strings.Join(texts, "\n")
}

// Info is the approved text for r (InfoParts joined by InfoText).
func (s *Service) Info(ctx context.Context, r InfoRequest) (text string, ok bool, err error) {
	parts, err := s.InfoParts(ctx, r)
	return InfoText(parts), len(parts) > 0, err
}

// InfoParts are the approved pages for r (PickInfo), and counts the
// view.
func (s *Service) InfoParts(ctx context.Context, r InfoRequest) ([]InfoPart, error) {
	is, err := s.infoStore()
	if err != nil {
		return nil, err
	}
	ps, err := is.InfoPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("information: %w", err)
	}
	parts, place := PickInfo(ps, r)
	if len(parts) > 0 {
		if err := is.CountInfoView(ctx, s.now().UTC().Format("2006-01"), place, r.Topic, 1); err != nil {
			s.log.Warn("information view not counted", "err", err)
		}
	}
	return parts, nil
}

// PickInfo chooses among pages what a caller asking r gets: the most
// precise approved pages for the place (the commune or site, else the
// cercle, else the region, else all of Mali), every programme's, in the
// caller's language, else in InfoFallbackLanguage; none when none is
// approved. place is where the view counts (a cercle, a region or
// InfoNational). The one rule for every process that answers callers
// (the casework node's store, a gateway's mirror).
func PickInfo(ps []InfoPage, r InfoRequest) (parts []InfoPart, place string) {
	if r.Region == Unknown {
		r.Region = ""
	}
	if r.Cercle == Unknown || r.Region == "" {
		r.Cercle = ""
	}
	if r.Locality == Unknown || r.Cercle == "" {
		r.Locality = ""
	}
	levels := [][3]string{{r.Region, r.Cercle, r.Locality}, {r.Region, r.Cercle, ""}, {r.Region, "", ""}, {"", "", ""}}
	for _, lang := range []string{r.Lang, InfoFallbackLanguage} {
		for _, at := range levels {
			for _, p := range ps {
				if p.Live() && p.Topic == r.Topic && p.Lang == lang && p.Region == at[0] && p.Cercle == at[1] && p.Locality == at[2] {
					parts = append(parts, InfoPart{Lang: p.Lang, Text: p.Published, Audio: p.Heard()})
				}
			}
			if len(parts) > 0 {
				slices.SortFunc(parts, func(a, b InfoPart) int { return cmp.Compare(a.Text, b.Text) })
				return parts, cmp.Or(r.Cercle, r.Region, InfoNational)
			}
		}
	}
	return nil, ""
}

// LivePages are the approved pages as callers get them (PickInfo's
// input), without drafts or audit trail: what a scale-out mirror holds.
func (s *Service) LivePages(ctx context.Context) ([]InfoPage, error) {
	is, err := s.infoStore()
	if err != nil {
		return nil, err
	}
	ps, err := is.InfoPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("information: %w", err)
	}
	var live []InfoPage
	for _, p := range ps {
		if p.Live() {
			live = append(live, InfoPage{ID: p.ID, Programme: p.Programme, Region: p.Region, Cercle: p.Cercle, Locality: p.Locality,
				Topic: p.Topic, Lang: p.Lang, Published: p.Published, PublishedVersion: p.PublishedVersion})
			if p.Heard() != "" { // which recording plays, not who made it
				live[len(live)-1].Recording = &InfoRecording{Name: p.Recording.Name, Version: p.Recording.Version}
			}
		}
	}
	return live, nil
}

// CountInfoViews adds n views of topic at place in month: those a
// gateway replica counted (scale-out).
func (s *Service) CountInfoViews(ctx context.Context, month, place, topic string, n int) error {
	is, err := s.infoStore()
	if err != nil {
		return err
	}
	if n <= 0 {
		return nil
	}
	if err := is.CountInfoView(ctx, month, place, topic, n); err != nil {
		return fmt.Errorf("information views: %w", err)
	}
	return nil
}

// InfoViewRow is one place and topic's views per month, small counts
// hidden like every other aggregate (MinCount).
type InfoViewRow struct {
	Place, Topic string
	Counts       []Count // one per InfoViewReport.Months
}

// InfoViewReport is the dashboard's table of information views.
type InfoViewReport struct {
	Months []string
	Rows   []InfoViewRow
}

// InfoViews reports the views of the last months (oldest first). No total
// is published, so no hidden cell can be worked out from the others.
func (s *Service) InfoViews(ctx context.Context, months int) (InfoViewReport, error) {
	is, err := s.infoStore()
	if err != nil {
		return InfoViewReport{}, err
	}
	views, err := is.InfoViews(ctx)
	if err != nil {
		return InfoViewReport{}, fmt.Errorf("information views: %w", err)
	}
	var r InfoViewReport
	now := s.now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := months - 1; i >= 0; i-- {
		r.Months = append(r.Months, first.AddDate(0, -i, 0).Format("2006-01"))
	}
	rows := map[[2]string][]int{}
	for k, n := range views {
		i := slices.Index(r.Months, k.Month)
		if i < 0 {
			continue
		}
		key := [2]string{k.Place, k.Topic}
		if rows[key] == nil {
			rows[key] = make([]int, months)
		}
		rows[key][i] += n
	}
	for key, ns := range rows {
		row := InfoViewRow{Place: key[0], Topic: key[1]}
		for _, n := range ns {
			row.Counts = append(row.Counts, count(n))
		}
		r.Rows = append(r.Rows, row)
	}
	slices.SortFunc(r.Rows, func(a, b InfoViewRow) int {
		return cmp.Or(cmp.Compare(a.Place, b.Place), cmp.Compare(slices.Index(InfoTopics, a.Topic), slices.Index(InfoTopics, b.Topic)))
	})
	return r, nil
}
