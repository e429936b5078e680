package casework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// "You said, we did" (issue 15): a monthly summary per cercle of what
// people raised (counts of cases by category, small counts hidden like
// every aggregate), what the MEAL team found and what changed (written by
// staff, per language), approved by a supervisor. Approval publishes it
// on the information line (topic "yousaid" of the cercle, every language
// written) and it is exported as a radio script (casework/web).

// SummaryRaised is one category's cases in the month. N is kept; Count
// hides it below MinCount, and only Count may be shown.
type SummaryRaised struct {
	Category string `json:"category"`
	N        int    `json:"n"`
}

// Count is the cell as it may be shown.
func (r SummaryRaised) Count() Count { return count(r.N) }

// MonthSummary is one month's "you said, we did" for a cercle.
type MonthSummary struct {
	ID         string            `json:"id"` // month|cercle
	Month      string            `json:"month"`
	Region     string            `json:"region"`
	Cercle     string            `json:"cercle"`
	Raised     []SummaryRaised   `json:"raised"`
	Found      map[string]string `json:"found"`   // language → what the MEAL team found
	Changed    map[string]string `json:"changed"` // language → what changed
	Version    int               `json:"version"`
	State      string            `json:"state"` // draft, approved
	Author     string            `json:"author"`
	ApprovedBy string            `json:"approved_by,omitempty"`
	Events     []InfoEvent       `json:"events"`
}

// ApprovedAt is when a supervisor approved the summary (zero for a
// draft).
func (s MonthSummary) ApprovedAt() time.Time {
	for _, e := range slices.Backward(s.Events) {
		if e.Action == "approved" {
			return e.At
		}
	}
	return time.Time{}
}

// Shown are the categories whose count may be said, and whether others
// (hidden) exist.
func (s MonthSummary) Shown() (shown []SummaryRaised, hidden bool) {
	for _, r := range s.Raised {
		switch {
		case r.N == 0:
		case r.Count().Suppressed():
			hidden = true
		default:
			shown = append(shown, r)
		}
	}
	return shown, hidden
}

// Languages are those with a text written, French first.
func (s MonthSummary) Languages() []string {
	var out []string
	for l := range s.Found {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(boolInt(b == InfoFallbackLanguage), boolInt(a == InfoFallbackLanguage)), cmp.Compare(a, b))
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SummaryStore persists summaries (boltstore, memstore).
type SummaryStore interface {
	PutSummary(ctx context.Context, s MonthSummary) error
	// Summary returns one, or an error wrapping ErrNotFound.
	Summary(ctx context.Context, id string) (MonthSummary, error)
	Summaries(ctx context.Context) ([]MonthSummary, error)
}

// SummaryInput is what staff write.
type SummaryInput struct {
	Month, Region, Cercle string
	Found, Changed        map[string]string
}

func (s *Service) summaryStore() (SummaryStore, error) {
	ss, ok := s.store.(SummaryStore)
	if !ok {
		return nil, errors.New("casework: this store keeps no summaries")
	}
	return ss, nil
}

// SaveSummary writes the month's draft for a cercle, counting the cases
// opened there that month by category. The programme role and MEAL
// officers write; an edit after approval needs approval again.
func (s *Service) SaveSummary(ctx context.Context, actor User, in SummaryInput) (MonthSummary, error) {
	if actor.Role != RoleProgramme && actor.Role != RoleOfficer {
		return MonthSummary{}, fmt.Errorf("save summary: %w", ErrForbidden)
	}
	start, err := time.Parse("2006-01", in.Month)
	if err != nil || in.Cercle == "" || !strings.HasPrefix(in.Cercle, in.Region) || in.Region == "" {
		return MonthSummary{}, fmt.Errorf("summary: month or place: %w", ErrInvalidIntake)
	}
	clean := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for l, t := range m {
			if t = strings.TrimSpace(t); t != "" && utf8.RuneCountInString(t) <= MaxInfoRunes/2 {
				out[l] = t
			}
		}
		return out
	}
	found, changed := clean(in.Found), clean(in.Changed)
	if found[InfoFallbackLanguage] == "" || changed[InfoFallbackLanguage] == "" {
		return MonthSummary{}, fmt.Errorf("summary: the French text is required: %w", ErrInvalidIntake)
	}
	raised, err := s.monthCounts(ctx, start, in.Cercle)
	if err != nil {
		return MonthSummary{}, err
	}
	ss, err := s.summaryStore()
	if err != nil {
		return MonthSummary{}, err
	}
	infoMu.Lock()
	defer infoMu.Unlock()
	id := in.Month + "|" + in.Cercle
	sum, err := ss.Summary(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		sum = MonthSummary{ID: id, Month: in.Month, Region: in.Region, Cercle: in.Cercle}
	case err != nil:
		return MonthSummary{}, fmt.Errorf("save summary: %w", err)
	}
	sum.Raised, sum.Found, sum.Changed, sum.Author, sum.State, sum.ApprovedBy = raised, found, changed, actor.Name, BroadcastDraft, ""
	sum.Version++
	sum.Events = append(sum.Events, InfoEvent{At: s.now().UTC(), Actor: actor.Name, Action: "saved", Version: sum.Version})
	if err := ss.PutSummary(ctx, sum); err != nil {
		return MonthSummary{}, fmt.Errorf("save summary: %w", err)
	}
	s.log.Info("summary saved", "summary", id, "version", sum.Version, "user", actor.Name)
	return sum, nil
}

// monthCounts counts the cases opened in the month in the cercle, by
// category, every category of the codebook listed.
func (s *Service) monthCounts(ctx context.Context, start time.Time, cercle string) ([]SummaryRaised, error) {
	end := start.AddDate(0, 1, 0)
	n := map[string]int{}
	err := s.store.Each(ctx, func(c Case) error {
		if c.Cercle == cercle && !c.CreatedAt.Before(start) && c.CreatedAt.Before(end) {
			n[c.Category]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("summary counts: %w", err)
	}
	var out []SummaryRaised
	for _, cat := range slices.Sorted(maps.Keys(n)) {
		out = append(out, SummaryRaised{Category: cat, N: n[cat]})
	}
	slices.SortStableFunc(out, func(a, b SummaryRaised) int { return cmp.Compare(b.N, a.N) })
	return out, nil
}

// ApproveSummary approves the version a supervisor read and publishes
// scripts (language → the text read on the information line, composed
// from the summary by the web view with the catalogue's words) as the
// cercle's "yousaid" pages, approved by the same supervisor.
func (s *Service) ApproveSummary(ctx context.Context, actor User, id string, version int, scripts map[string]string) (MonthSummary, error) {
	if actor.Role != RoleSupervisor {
		return MonthSummary{}, fmt.Errorf("approve summary: %w", ErrForbidden)
	}
	ss, err := s.summaryStore()
	if err != nil {
		return MonthSummary{}, err
	}
	is, err := s.infoStore()
	if err != nil {
		return MonthSummary{}, err
	}
	infoMu.Lock()
	defer infoMu.Unlock()
	sum, err := ss.Summary(ctx, id)
	switch {
	case err != nil:
		return MonthSummary{}, fmt.Errorf("approve summary: %w", err)
	case sum.Version != version:
		return MonthSummary{}, fmt.Errorf("approve summary: %w", ErrStale)
	case sum.Author == actor.Name:
		return MonthSummary{}, fmt.Errorf("approve summary: its own author: %w", ErrForbidden)
	}
	now := s.now().UTC()
	for lang, text := range scripts {
		pid := InfoPageID("", sum.Region, sum.Cercle, "", "yousaid", lang)
		p, err := is.InfoPage(ctx, pid)
		if errors.Is(err, ErrNotFound) {
			p, err = InfoPage{ID: pid, Region: sum.Region, Cercle: sum.Cercle, Topic: "yousaid", Lang: lang}, nil
		}
		if err != nil {
			return MonthSummary{}, fmt.Errorf("approve summary: %w", err)
		}
		p.DraftVersion++
		p.Draft, p.DraftBy, p.DraftAt = text, sum.Author, now
		p.Published, p.PublishedVersion, p.ApprovedBy, p.ApprovedAt = text, p.DraftVersion, actor.Name, now
		p.Events = append(p.Events, InfoEvent{At: now, Actor: actor.Name, Action: "approved summary " + sum.Month, Version: p.DraftVersion})
		if err := is.PutInfoPage(ctx, p); err != nil {
			return MonthSummary{}, fmt.Errorf("approve summary: %w", err)
		}
	}
	sum.State, sum.ApprovedBy = BroadcastApproved, actor.Name
	sum.Events = append(sum.Events, InfoEvent{At: now, Actor: actor.Name, Action: "approved", Version: version})
	if err := ss.PutSummary(ctx, sum); err != nil {
		return MonthSummary{}, fmt.Errorf("approve summary: %w", err)
	}
	s.log.Info("summary approved and published", "summary", id, "version", version, "user", actor.Name)
	s.onInfo()
	return sum, nil
}

// Summaries lists them, newest month first.
func (s *Service) Summaries(ctx context.Context) ([]MonthSummary, error) {
	ss, err := s.summaryStore()
	if err != nil {
		return nil, err
	}
	all, err := ss.Summaries(ctx)
	if err != nil {
		return nil, fmt.Errorf("summaries: %w", err)
	}
	slices.SortFunc(all, func(a, b MonthSummary) int {
		return cmp.Or(cmp.Compare(b.Month, a.Month), cmp.Compare(a.Cercle, b.Cercle))
	})
	return all, nil
}

// MonthSummary returns one.
func (s *Service) MonthSummary(ctx context.Context, id string) (MonthSummary, error) {
	ss, err := s.summaryStore()
	if err != nil {
		return MonthSummary{}, err
	}
	return ss.Summary(ctx, id)
}
