package casework

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/numerovert/hotline/config"
)

// MinCount is the smallest aggregate count ever shown. Any cell below it
// (zero included) is hidden: a count of one or two cases from a region in
// a week can point at a person. Cells that would let a hidden one be
// worked out from totals are hidden too (complementary suppression, see
// protect). One rule, applied here, for the dashboard, every CSV and the
// JSON API alike.
const MinCount = 5

// Suppressed is how a hidden count is shown on pages. It does not say
// "<5": a cell hidden to protect another may be larger.
const Suppressed = "–"

// Count is an aggregate cell. Its value is unexported: code outside
// casework can only read it through Value, which refuses hidden counts, so
// no view can print one by mistake.
type Count struct {
	n      int
	hidden bool
}

func count(n int) Count { return Count{n: n, hidden: n < MinCount} }

// Value returns the count and true, or 0 and false when it is hidden.
func (c Count) Value() (int, bool) {
	if c.Suppressed() {
		return 0, false
	}
	return c.n, true
}

// Suppressed reports whether the count is hidden.
func (c Count) Suppressed() bool { return c.hidden || c.n < MinCount }

// String is the count as shown: a number, or Suppressed.
func (c Count) String() string {
	if c.Suppressed() {
		return Suppressed
	}
	return strconv.Itoa(c.n)
}

// MarshalJSON writes a number, or null when hidden.
func (c Count) MarshalJSON() ([]byte, error) {
	if c.Suppressed() {
		return []byte("null"), nil
	}
	return json.Marshal(c.n)
}

// Series is one line of a chart or table: a key (category id, region
// P-code or "unknown", status, assistance) and its count per week. There
// is no total over weeks: it would let a hidden week be worked out.
type Series struct {
	Key    string  `json:"key"`
	Counts []Count `json:"counts"` // one per Report.Weeks
}

// Cell is one cell of a week's full region × category grid.
type Cell struct {
	Week     time.Time `json:"week"`
	Region   string    `json:"region"` // P-code or "unknown"
	Category string    `json:"category"`
	Count    Count     `json:"cases"`
}

// Median is a median duration over the period's cases, given only when at
// least MinCount cases took part. How many took part is not published (two
// periods' counts would difference into one week's).
type Median struct {
	Available bool `json:"available"`
	// Hours is the median in hours, 0 when not Available.
	Hours float64 `json:"hours"`
}

// Report is the aggregate picture of cases opened in a range of weeks. It
// holds no case, no reference, no free text and no count a reader could
// work out to be under MinCount.
//
// Each week is published on its own, and always in full: the grid of
// every region (and "unknown") by every category, its margins (ByRegion,
// ByCategory) and total (Totals), and the week's cases by status and by
// assistance, whose sums are the same total. A week's numbers depend on
// that week's cases only, so reports over different ranges agree.
type Report struct {
	Generated  time.Time   `json:"generated"`
	Weeks      []time.Time `json:"weeks"` // Mondays, 00:00 UTC, oldest first
	Regions    []string    `json:"regions"`
	Categories []string    `json:"categories"`
	Totals     []Count     `json:"totals"` // cases opened per week
	ByCategory []Series    `json:"by_category"`
	ByRegion   []Series    `json:"by_region"`
	// ByStatus counts each week's cases by their status now; ByAssistance
	// by the assistance (modality) they are about.
	ByStatus     []Series `json:"by_status"`
	ByAssistance []Series `json:"by_assistance"`
	// ByPlace counts each week's cases below the region, for the cercles
	// the deployment lists communes or sites for (placereport.go).
	ByPlace []PlaceSeries `json:"by_place"`
	Cells   []Cell        `json:"cells"`
	// MedianAcknowledge is from opening to an officer taking the case;
	// MedianResolve from opening to the response.
	MedianAcknowledge Median `json:"median_acknowledge"`
	MedianResolve     Median `json:"median_resolve"`
	// Overdue counts cases, opened at any time, past a deadline now.
	Overdue Count `json:"overdue"`
}

// ReportOptions chooses what a report covers.
type ReportOptions struct {
	// Weeks is how many weeks, the current one included (default 12,
	// at most 104).
	Weeks int
	// Team limits the report to one team's cases; empty means every team.
	Team string
	// Regions are the region P-codes every week's grid lists (the web view
	// passes the catalogue's), so that a row's presence tells nothing;
	// regions of cases outside it are added.
	Regions []string
	// PrimaryOnly hides small cells but not the cells that would reveal
	// them: for tests that show the complementary suppression matters.
	PrimaryOnly bool
}

// Assistance lists the assistance types a case may be about, as the
// menus (locales/tree.yaml, in the same order) and the staff intake offer
// them; "other" covers water, shelter and anything else.
var Assistance = []string{"cash", "food", "nutrition", "vouchers", "school_meals", "health", "other"}

// Week returns the Monday 00:00 UTC that starts t's ISO week.
func Week(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(day.Weekday()) + 6) % 7 // Monday → 0
	return day.AddDate(0, 0, -back)
}

// Report aggregates cases for dashboards and exports. It reads every
// case, so it is meant for pages and exports, not hot paths. A case ever
// coded SEA counts under SEA whatever it is coded now.
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
	places := newPlaceLayout(s.Config().Localities)
	tl := &reportTally{regions: append(slices.Clone(o.Regions), places.regionCodes()...), weeks: make([][]reportKey, o.Weeks), places: places}
	for _, t := range s.Config().Codebook {
		for _, c := range t.Categories {
			tl.categories = append(tl.categories, c.ID)
		}
	}
	err := s.store.Each(ctx, func(c Case) error {
		if o.Team == "" || c.Team == o.Team {
			tl.add(c, first, now)
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("casework: report: %w", err)
	}
	r.fill(tl, !o.PrimaryOnly)
	return r, nil
}

// reportKey is how one case is counted.
type reportKey struct{ region, cercle, locality, category, status, assistance string }

// reportTally is what Report collects from the store before building its
// tables: each week's cases as keys, the durations for medians, and every
// region and category seen (beyond the configured ones).
type reportTally struct {
	regions, categories []string
	weeks               [][]reportKey
	places              placeLayout
	ack, resolve        []time.Duration
	overdue             int
}

func (tl *reportTally) add(c Case, first, now time.Time) {
	if overdue(c, now) != "" {
		tl.overdue++
	}
	if c.CreatedAt.Before(first) || c.CreatedAt.After(now) {
		return
	}
	w := int(c.CreatedAt.Sub(first) / (7 * 24 * time.Hour))
	cat := c.Category
	if c.PSEAOnly || c.CallerCategory == config.SEA {
		cat = config.SEA
	}
	region := cmp.Or(c.Region, Unknown)
	if region != Unknown && !slices.Contains(tl.regions, region) {
		tl.regions = append(tl.regions, region)
	}
	if !slices.Contains(tl.categories, cat) {
		tl.categories = append(tl.categories, cat)
	}
	tl.weeks[w] = append(tl.weeks[w], reportKey{region, c.Cercle, c.Locality, cat, string(c.Status), cmp.Or(c.Assistance, "other")})
	if !c.AcknowledgedAt.IsZero() {
		tl.ack = append(tl.ack, c.AcknowledgedAt.Sub(c.CreatedAt))
	}
	if !c.ResolvedAt.IsZero() {
		tl.resolve = append(tl.resolve, c.ResolvedAt.Sub(c.CreatedAt))
	}
}

// fill builds r's series and cells from tl, one week at a time, each week
// protected alone (complementary suppression when complementary).
func (r *Report) fill(tl *reportTally, complementary bool) {
	slices.Sort(tl.regions)
	regions := append(slices.Compact(tl.regions), Unknown)
	categories := tl.categories
	assist := slices.Clone(Assistance)
	for _, w := range tl.weeks {
		for _, k := range w {
			if !slices.Contains(assist, k.assistance) {
				assist = append(assist, k.assistance)
			}
		}
	}
	statuses := make([]string, len(Statuses))
	for i, st := range Statuses {
		statuses[i] = string(st)
	}
	weeks := len(tl.weeks)
	r.Regions, r.Categories = regions, categories
	r.ByRegion, r.ByCategory = newSeries(regions, weeks), newSeries(categories, weeks)
	r.ByStatus, r.ByAssistance = newSeries(statuses, weeks), newSeries(assist, weeks)
	r.ByPlace = tl.places.series(weeks)
	for w, cases := range tl.weeks {
		t := newWeekTables(len(regions), len(categories), len(statuses), len(assist))
		pw := newPlaceWeek(tl.places)
		for _, k := range cases {
			t.add(slices.Index(regions, k.region), slices.Index(categories, k.category),
				slices.Index(statuses, k.status), slices.Index(assist, k.assistance))
			pw.add(k.region, k.cercle, k.locality)
		}
		t.protect(complementary)
		pw.protect(complementary, func(region string) bool {
			return t.grid.hidden[t.grid.idx(slices.Index(regions, region), t.grid.cols)]
		})
		r.publishWeek(w, t)
		pw.publish(r.ByPlace, w)
	}
	r.Overdue = count(tl.overdue)
	r.MedianAcknowledge, r.MedianResolve = median(tl.ack), median(tl.resolve)
}

// publishWeek copies week w's protected tables into r.
func (r *Report) publishWeek(w int, t *weekTables) {
	nr, nc := len(r.Regions), len(r.Categories)
	for i := range nr {
		for j := range nc {
			r.Cells = append(r.Cells, Cell{Week: r.Weeks[w], Region: r.Regions[i], Category: r.Categories[j], Count: t.grid.at(i, j)})
		}
		r.ByRegion[i].Counts[w] = t.grid.at(i, nc)
	}
	for j := range nc {
		r.ByCategory[j].Counts[w] = t.grid.at(nr, j)
	}
	r.Totals = append(r.Totals, t.grid.at(nr, nc))
	for i := range r.ByStatus {
		r.ByStatus[i].Counts[w] = t.status.at(i)
	}
	for i := range r.ByAssistance {
		r.ByAssistance[i].Counts[w] = t.assist.at(i)
	}
}

func newSeries(keys []string, weeks int) []Series {
	out := make([]Series, len(keys))
	for i, k := range keys {
		out[i] = Series{Key: k, Counts: make([]Count, weeks)}
	}
	return out
}

func median(d []time.Duration) Median {
	if len(d) < MinCount {
		return Median{}
	}
	slices.Sort(d)
	mid := d[len(d)/2]
	if len(d)%2 == 0 {
		mid = (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	return Median{Available: true, Hours: float64(mid.Round(time.Minute)) / float64(time.Hour)}
}

// WriteCSV writes the report as CSV for coordination meetings, one line
// per published number, in long form: for each week the region × category
// grid (table region_category), its margins (tables region and category),
// the week's total, the week's cases by status and by assistance, and by
// place below the region (tables cercle and locality; an empty cercle or
// locality code is the rest of the region or cercle).
// A hidden count leaves "cases" empty and says so in "suppressed". With
// hxl, a second header line carries HXL hashtags (https://hxlstandard.org);
// the assistance is a #modality, the unknown region an empty P-code.
func (r Report) WriteCSV(w io.Writer, hxl bool) error {
	cw := csv.NewWriter(w)
	// The place columns come last, so that the earlier ones keep their
	// positions for readers of the older layout.
	_ = writeSafe(cw, "week_start", "table", "region_pcode", "category", "status", "assistance", "cases", "suppressed",
		"cercle_pcode", "locality_code", "locality_name")
	if hxl {
		_ = writeSafe(cw, "#date+start", "#meta+table", "#adm1+code", "#indicator+category", "#status", "#modality", "#indicator+cases+num", "#meta+suppressed",
			"#adm2+code", "#loc+code", "#loc+name")
	}
	pcode := func(region string) string {
		if region == Unknown {
			return ""
		}
		return region
	}
	placeLine := func(week time.Time, table, region, category, status, assistance string, c Count, place ...string) {
		n, flag := "", "yes"
		if v, ok := c.Value(); ok {
			n, flag = strconv.Itoa(v), "no"
		}
		place = append(place, "", "", "")[:3]
		_ = writeSafe(cw, week.Format(time.DateOnly), table, region, category, status, assistance, n, flag, place[0], place[1], place[2])
	}
	line := func(week time.Time, table, region, category, status, assistance string, c Count) {
		placeLine(week, table, region, category, status, assistance, c)
	}
	other := func(code string) string {
		if code == Other {
			return ""
		}
		return code
	}
	for w, week := range r.Weeks {
		for _, c := range r.Cells {
			if c.Week.Equal(week) {
				line(week, "region_category", pcode(c.Region), c.Category, "", "", c.Count)
			}
		}
		for _, s := range r.ByRegion {
			line(week, "region", pcode(s.Key), "", "", "", s.Counts[w])
		}
		for _, s := range r.ByCategory {
			line(week, "category", "", s.Key, "", "", s.Counts[w])
		}
		line(week, "total", "", "", "", "", r.Totals[w])
		for _, s := range r.ByStatus {
			line(week, "status", "", "", s.Key, "", s.Counts[w])
		}
		for _, s := range r.ByAssistance {
			line(week, "assistance", "", "", "", s.Key, s.Counts[w])
		}
		for _, s := range r.ByPlace {
			if s.Locality == "" {
				placeLine(week, "cercle", s.Region, "", "", "", s.Counts[w], other(s.Cercle))
			} else {
				placeLine(week, "locality", s.Region, "", "", "", s.Counts[w], s.Cercle, other(s.Locality), s.LocalityName)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("casework: write report csv: %w", err)
	}
	return nil
}

// SafeCell neutralises a CSV cell that a spreadsheet would read as a
// formula (OWASP CSV injection): a cell starting with =, +, -, @, tab or
// carriage return gets a leading apostrophe. Every CSV the hotline writes
// goes through it.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeSafe writes one CSV record with every cell neutralised.
func writeSafe(cw *csv.Writer, cells ...string) error {
	for i, c := range cells {
		cells[i] = SafeCell(c)
	}
	return cw.Write(cells)
}
