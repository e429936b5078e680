package casework

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"
)

// MinCount is the smallest aggregate count ever shown. Any cell below it
// (zero included) is shown as "<5": a count of one or two cases from a
// cercle in a week can point at a person. One rule, applied here, for the
// dashboard, every CSV and the JSON API alike.
const MinCount = 5

// Suppressed is how a count under MinCount is written.
const Suppressed = "<5"

// Count is an aggregate cell. Its value is unexported: code outside
// casework can only read it through Value, which refuses small counts, so
// no view can print one by mistake.
type Count struct{ n int }

// Value returns the count and true, or 0 and false when it is suppressed.
func (c Count) Value() (int, bool) {
	if c.n < MinCount {
		return 0, false
	}
	return c.n, true
}

// Suppressed reports whether the count is under MinCount.
func (c Count) Suppressed() bool { return c.n < MinCount }

// String is the count as shown: a number, or "<5".
func (c Count) String() string {
	if c.n < MinCount {
		return Suppressed
	}
	return strconv.Itoa(c.n)
}

// MarshalJSON writes a number, or the string "<5".
func (c Count) MarshalJSON() ([]byte, error) {
	if c.n < MinCount {
		return json.Marshal(Suppressed)
	}
	return json.Marshal(c.n)
}

// Series is one line of a chart or table: a key (category id, region
// P-code) and its count per week.
type Series struct {
	Key    string  `json:"key"`
	Counts []Count `json:"counts"` // one per Report.Weeks
	Total  Count   `json:"total"`
}

// Median is a median duration over cases; it is given only when at least
// MinCount cases took part.
type Median struct {
	Cases Count `json:"cases"`
	// Hours is the median in hours, 0 when Cases is suppressed.
	Hours float64 `json:"hours"`
}

// Row is one line of the aggregate exports: cases opened in one week, in
// one cercle, about one assistance, of one category, now in one status.
type Row struct {
	Week       time.Time
	Region     string
	Cercle     string
	Assistance string
	Type       string
	Category   string
	Status     Status
	Count      Count
}

// Report is the aggregate picture of cases opened in a range of weeks. It
// holds no case, no reference, no free text and no count under MinCount.
type Report struct {
	Generated time.Time   `json:"generated"`
	Weeks     []time.Time `json:"weeks"` // Mondays, 00:00 UTC, oldest first
	Total     Count       `json:"total"`
	// ByCategory and ByRegion count cases opened per week.
	ByCategory []Series `json:"by_category"`
	ByRegion   []Series `json:"by_region"`
	// ByStatus counts the period's cases by their status now.
	ByStatus []Series `json:"by_status"`
	// MedianAcknowledge is from opening to an officer taking the case;
	// MedianResolve from opening to the response.
	MedianAcknowledge Median `json:"median_acknowledge"`
	MedianResolve     Median `json:"median_resolve"`
	// Overdue counts cases, opened at any time, past a deadline now.
	Overdue Count `json:"overdue"`
	Rows    []Row `json:"-"`
}

// ReportOptions chooses what a report covers.
type ReportOptions struct {
	// Weeks is how many weeks, the current one included (default 12,
	// at most 104).
	Weeks int
	// Team limits the report to one team's cases; empty means every team.
	Team string
}

// Week returns the Monday 00:00 UTC that starts t's ISO week.
func Week(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(day.Weekday()) + 6) % 7 // Monday → 0
	return day.AddDate(0, 0, -back)
}

// Report aggregates cases for dashboards and exports. It reads every
// case, so it is meant for pages and exports, not hot paths.
func (s *Service) Report(ctx context.Context, o ReportOptions) (Report, error) {
	if o.Weeks <= 0 {
		o.Weeks = 12
	}
	o.Weeks = min(o.Weeks, 104)
	now := s.time()
	first := Week(now).AddDate(0, 0, -7*(o.Weeks-1))
	r := Report{Generated: now}
	for i := range o.Weeks {
		r.Weeks = append(r.Weeks, first.AddDate(0, 0, 7*i))
	}
	byCat := map[string][]int{}
	byRegion := map[string][]int{}
	byStatus := map[string][]int{}
	type rowKey struct {
		week                                            int
		region, cercle, assistance, typ, category, stat string
	}
	rows := map[rowKey]int{}
	var ack, resolve []time.Duration
	total, overdueN := 0, 0
	add := func(m map[string][]int, key string, week int) {
		if m[key] == nil {
			m[key] = make([]int, o.Weeks)
		}
		m[key][week]++
	}
	err := s.store.Each(ctx, func(c Case) error {
		if o.Team != "" && c.Team != o.Team {
			return nil
		}
		if overdue(c, now) != "" {
			overdueN++
		}
		if c.CreatedAt.Before(first) || c.CreatedAt.After(now) {
			return nil
		}
		w := int(c.CreatedAt.Sub(first) / (7 * 24 * time.Hour))
		total++
		add(byCat, c.Category, w)
		add(byRegion, c.Region, w)
		add(byStatus, string(c.Status), w)
		rows[rowKey{w, c.Region, c.Cercle, c.Assistance, c.Type, c.Category, string(c.Status)}]++
		if !c.AcknowledgedAt.IsZero() {
			ack = append(ack, c.AcknowledgedAt.Sub(c.CreatedAt))
		}
		if !c.ResolvedAt.IsZero() {
			resolve = append(resolve, c.ResolvedAt.Sub(c.CreatedAt))
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("casework: report: %w", err)
	}
	r.Total, r.Overdue = Count{total}, Count{overdueN}
	r.ByCategory, r.ByRegion, r.ByStatus = series(byCat), series(byRegion), series(byStatus)
	r.MedianAcknowledge, r.MedianResolve = median(ack), median(resolve)
	for k, n := range rows {
		r.Rows = append(r.Rows, Row{
			Week: r.Weeks[k.week], Region: k.region, Cercle: k.cercle, Assistance: k.assistance,
			Type: k.typ, Category: k.category, Status: Status(k.stat), Count: Count{n},
		})
	}
	slices.SortFunc(r.Rows, func(a, b Row) int {
		return cmp.Or(a.Week.Compare(b.Week), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Cercle, b.Cercle),
			cmp.Compare(a.Assistance, b.Assistance), cmp.Compare(a.Category, b.Category), cmp.Compare(a.Status, b.Status))
	})
	return r, nil
}

func series(m map[string][]int) []Series {
	out := make([]Series, 0, len(m))
	for _, key := range slices.Sorted(maps.Keys(m)) {
		s := Series{Key: key}
		t := 0
		for _, n := range m[key] {
			s.Counts = append(s.Counts, Count{n})
			t += n
		}
		s.Total = Count{t}
		out = append(out, s)
	}
	return out
}

func median(d []time.Duration) Median {
	m := Median{Cases: Count{len(d)}}
	if m.Cases.Suppressed() {
		return m
	}
	slices.Sort(d)
	mid := d[len(d)/2]
	if len(d)%2 == 0 {
		mid = (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	m.Hours = float64(mid.Round(time.Minute)) / float64(time.Hour)
	return m
}

// WriteCSV writes the report's rows as CSV for coordination meetings.
// With hxl, a second header line carries HXL hashtags
// (https://hxlstandard.org) so humanitarian tools read the columns.
// Counts under MinCount are written "<5", as everywhere.
func (r Report) WriteCSV(w io.Writer, hxl bool) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"week_start", "region_pcode", "cercle_pcode", "assistance", "feedback_type", "category", "status", "cases"})
	if hxl {
		_ = cw.Write([]string{"#date+start", "#adm1+code", "#adm2+code", "#sector", "#event+type", "#event+category", "#status", "#indicator+cases+num"})
	}
	for _, row := range r.Rows {
		_ = cw.Write([]string{row.Week.Format(time.DateOnly), row.Region, row.Cercle, row.Assistance, row.Type, row.Category, string(row.Status), row.Count.String()})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("casework: write report csv: %w", err)
	}
	return nil
}
