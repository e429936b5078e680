package casework

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// Filter narrows a team's case list. Zero values match everything; with
// no Status, closed cases are left out.
type Filter struct {
	Status   Status
	Category string
	Region   string
	Locality string // a commune or site of config localities, or "unknown"
	Overdue  bool
}

// CaseList is a team's cases matching a filter, and how many of the
// team's cases (matching the filter but for its status) are in each status.
type CaseList struct {
	Cases  []Summary
	Counts map[Status]int
}

// Statuses lists the lifecycle in order.
var Statuses = []Status{StatusNew, StatusAssigned, StatusInProgress, StatusResolved, StatusClosed}

// Due is the next deadline of the case: acknowledge while new, resolve
// until resolved, none after.
func (s Summary) Due() time.Time {
	switch s.Status {
	case StatusNew:
		return s.AcknowledgeBy
	case StatusAssigned, StatusInProgress:
		return s.ResolveBy
	}
	return time.Time{}
}

// List returns the officer's team's cases matching f, sorted by their next
// deadline (cases with none last, then oldest first). Like Queue it shows
// no free text.
func (s *Service) List(ctx context.Context, who Actor, f Filter) (CaseList, error) {
	if who.ID == "" || who.Team == "" {
		return CaseList{}, fmt.Errorf("casework: list: %w", ErrForbidden)
	}
	now := s.time()
	out := CaseList{Counts: map[Status]int{}}
	err := s.store.Each(ctx, func(c Case) error {
		if !s.holds(who, c) {
			return nil
		}
		late := overdue(c, now) != ""
		if (f.Category != "" && c.Category != f.Category) || (f.Region != "" && c.Region != f.Region) ||
			(f.Locality != "" && c.Locality != f.Locality) || (f.Overdue && !late) {
			return nil
		}
		out.Counts[c.Status]++
		if (f.Status == "" && c.Status == StatusClosed) || (f.Status != "" && c.Status != f.Status) {
			return nil
		}
		out.Cases = append(out.Cases, Summary{
			ID: c.ID, Reference: c.Reference, Category: c.Category, Code: c.Code, Priority: c.Priority,
			Region: c.Region, Cercle: c.Cercle, Officer: c.Officer, Status: c.Status, Sensitive: c.Sensitive,
			Overdue: late, CreatedAt: c.CreatedAt, AcknowledgeBy: c.AcknowledgeBy, ResolveBy: c.ResolveBy,
		})
		return nil
	})
	if err != nil {
		return CaseList{}, fmt.Errorf("casework: list: %w", err)
	}
	slices.SortStableFunc(out.Cases, func(a, b Summary) int {
		da, db := a.Due(), b.Due()
		if da.IsZero() != db.IsZero() {
			if da.IsZero() {
				return 1
			}
			return -1
		}
		return cmp.Or(da.Compare(db), a.CreatedAt.Compare(b.CreatedAt))
	})
	return out, nil
}

// ExportCases writes the team's cases as CSV for a supervisor: coding,
// place, status and dates. It never writes a caller key, a PIN hash, a
// sealed contact, free text, notes or responses: a spreadsheet travels
// further than the web view.
func (s *Service) ExportCases(ctx context.Context, who Actor, w io.Writer) error {
	if who.ID == "" || who.Team == "" {
		return fmt.Errorf("casework: export: %w", ErrForbidden)
	}
	now := s.time()
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"reference", "created_at", "channel", "medium", "language", "caller_category", "feedback_type",
		"category", "code", "sensitive", "priority", "region_pcode", "cercle_pcode", "locality_code", "locality_name", "assistance", "team", "officer",
		"status", "acknowledge_by", "acknowledged_at", "resolve_by", "resolved_at", "closed_at", "overdue", "purged"})
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	cfg := s.Config()
	err := s.store.Each(ctx, func(c Case) error {
		if !s.holds(who, c) {
			return nil
		}
		return writeSafe(cw, []string{c.Reference, ts(c.CreatedAt), c.Channel, c.Medium, c.Language, c.CallerCategory, c.Type,
			c.Category, c.Code, strconv.FormatBool(c.Sensitive), c.Priority, c.Region, c.Cercle, c.Locality, cfg.LocalityName(c.Locality),
			c.Assistance, c.Team, c.Officer,
			string(c.Status), ts(c.AcknowledgeBy), ts(c.AcknowledgedAt), ts(c.ResolveBy), ts(c.ResolvedAt), ts(c.ClosedAt),
			overdue(c, now), strconv.FormatBool(!c.PurgedAt.IsZero())}...)
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		return fmt.Errorf("casework: export: %w", err)
	}
	return nil
}
