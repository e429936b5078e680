package casework_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/numerovert/hotline/casework"
)

var mali = []string{"ML01", "ML02", "ML03", "ML04", "ML05", "ML06", "ML07", "ML08", "ML09", "ML10"}

// cercles and demoLocalities are what randomCases picks below the region:
// the demo config's cercles with communes or sites (often), others, none.
var (
	cercles = map[string][]string{
		"ML05": {"ML0507", "ML0507", "ML0507", "ML0501", "unknown"},
		"ML06": {"ML0602", "ML0602", "ML0601", "unknown"},
		"ML07": {"ML0701", "ML0701", "ML0701", "ML0701", "ML0702", "unknown"},
	}
	demoLocalities = map[string][]string{
		"ML0507": {"tenenkou", "tenenkou", "tenenkou", "diafarabe", "toguere-coumbe", "", "unknown"},
		"ML0602": {"goundam", "goundam", "tonka", "douekire", "unknown"},
		"ML0701": {"ansongo", "ansongo", "ansongo", "tessit", "tessit", "ouattagouna", "talataye", "unknown"},
	}
)

// randomCases files n cases over the 12 weeks before the fixture's clock
// (which ends there), skewed so that some cells are large and most small.
func randomCases(t *testing.T, f *fixture, rng *rand.Rand, n int) {
	offsets := make([]time.Duration, n)
	for i := range offsets {
		offsets[i] = time.Duration(rng.Int64N(int64(83 * 24 * time.Hour)))
	}
	slices.Sort(offsets)
	cats := []string{"exclusion", "exclusion", "exclusion", "distribution", "distribution", "question", "fraud", "sea", "safety", "feedback"}
	regions := append([]string{"ML05", "ML05", "ML05", "ML06", "ML06", "ML07", "ML07", "ML09", "unknown"}, mali...)
	assist := []string{"food", "food", "cash", "cash", "health", "school_meals", "other"}
	var last time.Duration
	for _, off := range offsets {
		f.clock.Advance(off - last)
		last = off
		in := f.intake(fmt.Sprintf("k1:%d", rng.IntN(1000)), cats[rng.IntN(len(cats))], regions[rng.IntN(len(regions))], "unknown", assist[rng.IntN(len(assist))])
		if cs := cercles[in.Region]; cs != nil {
			in.Cercle = cs[rng.IntN(len(cs))]
			if ls := demoLocalities[in.Cercle]; ls != nil {
				in.Locality = ls[rng.IntN(len(ls))]
			}
		}
		r := f.submit(t, in)
		if rng.IntN(3) == 0 {
			if _, err := f.svc.Assign(context.Background(), casework.Actor{ID: "o", Team: r.Case.Team}, r.Case.ID, "o"); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.clock.Advance(83*24*time.Hour - last)
}

// published is every number a reader got for one week, by what it
// counts: a value, or nil where it was hidden.
type published map[string]*int

func (p published) see(t *testing.T, key string, v *int) {
	old, seen := p[key]
	switch {
	case !seen || old == nil:
		p[key] = v
	case v != nil && *v != *old:
		t.Errorf("%s published as %d and %d", key, *old, *v)
	}
}

// download reads a report the three ways a viewer gets it (JSON API,
// CSV, HXL) into one published set per week.
func download(t *testing.T, r casework.Report, into map[string]published) {
	week := func(w string) published {
		if into[w] == nil {
			into[w] = published{}
		}
		return into[w]
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Weeks  []time.Time `json:"weeks"`
		Totals []*int      `json:"totals"`
		Cells  []struct {
			Week             time.Time
			Region, Category string
			Cases            *int
		} `json:"cells"`
		ByCategory, ByRegion, ByStatus, ByAssistance []struct {
			Key    string
			Counts []*int
		}
		ByPlace []struct {
			Region, Cercle, Locality string
			Counts                   []*int
		} `json:"by_place"`
	}
	if err := json.Unmarshal(js, &j); err != nil {
		t.Fatal(err)
	}
	for i, w := range j.Weeks {
		d := w.Format(time.DateOnly)
		week(d).see(t, "t", j.Totals[i])
		for _, s := range []struct {
			prefix string
			series []struct {
				Key    string
				Counts []*int
			}
		}{{"c|", j.ByCategory}, {"r|", j.ByRegion}, {"s|", j.ByStatus}, {"a|", j.ByAssistance}} {
			for _, se := range s.series {
				key := se.Key
				if s.prefix == "r|" && key == "unknown" {
					key = ""
				}
				week(d).see(t, s.prefix+key, se.Counts[i])
			}
		}
	}
	for _, pl := range j.ByPlace {
		for i, w := range j.Weeks {
			week(w.Format(time.DateOnly)).see(t, "p|"+pl.Region+"|"+pl.Cercle+"|"+pl.Locality, pl.Counts[i])
		}
	}
	for _, c := range j.Cells {
		region := c.Region
		if region == "unknown" {
			region = ""
		}
		week(c.Week.Format(time.DateOnly)).see(t, "g|"+region+"|"+c.Category, c.Cases)
	}
	for _, hxl := range []bool{false, true} {
		var b bytes.Buffer
		if err := r.WriteCSV(&b, hxl); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		skip := 1
		if hxl {
			skip = 2
			if h := strings.Join(rows[1], ","); !strings.Contains(h, "#modality") || strings.Contains(h, "#sector") || !strings.Contains(h, "#meta+suppressed") {
				t.Errorf("HXL tags %s", h)
			}
		}
		for _, row := range rows[skip:] {
			var v *int
			if row[6] != "" {
				n, err := strconv.Atoi(row[6])
				if err != nil || row[7] != "no" {
					t.Fatalf("numeric column holds %q (suppressed %q)", row[6], row[7])
				}
				v = &n
			} else if row[7] != "yes" {
				t.Fatalf("empty count not flagged: %v", row)
			}
			if row[2] == "unknown" {
				t.Errorf("unknown in a P-code column: %v", row)
			}
			other := func(code string) string { return cmp.Or(code, casework.Other) }
			key := map[string]string{"region_category": "g|" + row[2] + "|" + row[3], "region": "r|" + row[2], "category": "c|" + row[3],
				"total": "t", "status": "s|" + row[4], "assistance": "a|" + row[5],
				"cercle": "p|" + row[2] + "|" + other(row[8]) + "|", "locality": "p|" + row[2] + "|" + row[8] + "|" + other(row[9])}[row[1]]
			if key == "" {
				t.Fatalf("unknown table %q", row[1])
			}
			week(row[0]).see(t, key, v)
		}
	}
}

// recoverHiddenPlaces tries to work out every hidden number of a week
// from the published ones: exactly by linear algebra over the tables'
// sums, and by bounds (counts are ≥ 0). It returns how many were hidden
// and how many it recovered, and how many of those are counts by place
// below the region.
func recoverHiddenPlaces(p published) (hidden, recovered, placeHidden, placeRecovered int) {
	var vars []string
	for k, v := range p {
		if v == nil {
			vars = append(vars, k)
		}
	}
	slices.Sort(vars)
	if len(vars) == 0 {
		return 0, 0, 0, 0
	}
	index := map[string]int{}
	for i, k := range vars {
		index[k] = i
	}
	var eqs [][]float64 // coefficients, then the right-hand side
	sum := func(parts []string, total string) {
		e := make([]float64, len(vars)+1)
		add := func(k string, sign float64) {
			if i, ok := index[k]; ok {
				e[i] += sign
			} else if v := p[k]; v != nil {
				e[len(vars)] -= sign * float64(*v)
			}
		}
		for _, k := range parts {
			add(k, 1)
		}
		add(total, -1)
		eqs = append(eqs, e)
	}
	var regions, cats, statuses, assist []string
	for k := range p {
		kind, rest, _ := strings.Cut(k, "|")
		switch kind {
		case "r":
			regions = append(regions, rest)
		case "c":
			cats = append(cats, rest)
		case "s":
			statuses = append(statuses, k)
		case "a":
			assist = append(assist, k)
		}
	}
	// Places: a region's cercle line sums to its total, a cercle's
	// locality line to the cercle's count.
	cercleLines, localityLines := map[string][]string{}, map[string][]string{}
	for k := range p {
		f := strings.Split(k, "|")
		if f[0] != "p" {
			continue
		}
		if f[3] == "" {
			cercleLines["r|"+f[1]] = append(cercleLines["r|"+f[1]], k)
		} else {
			parent := "p|" + f[1] + "|" + f[2] + "|"
			localityLines[parent] = append(localityLines[parent], k)
		}
	}
	for _, lines := range []map[string][]string{cercleLines, localityLines} {
		for _, total := range slices.Sorted(maps.Keys(lines)) {
			sum(lines[total], total)
		}
	}
	var rowMargins, colMargins []string
	for _, r := range regions {
		var parts []string
		for _, c := range cats {
			parts = append(parts, "g|"+r+"|"+c)
		}
		sum(parts, "r|"+r)
		rowMargins = append(rowMargins, "r|"+r)
	}
	for _, c := range cats {
		var parts []string
		for _, r := range regions {
			parts = append(parts, "g|"+r+"|"+c)
		}
		sum(parts, "c|"+c)
		colMargins = append(colMargins, "c|"+c)
	}
	sum(rowMargins, "t")
	sum(colMargins, "t")
	sum(statuses, "t")
	sum(assist, "t")

	found := make([]bool, len(vars))
	// Exact: reduce the system; a variable alone in a row is determined.
	m := make([][]float64, len(eqs))
	for i := range eqs {
		m[i] = slices.Clone(eqs[i])
	}
	row := 0
	for col := 0; col < len(vars) && row < len(m); col++ {
		piv := -1
		for r := row; r < len(m); r++ {
			if math.Abs(m[r][col]) > 1e-9 {
				piv = r
				break
			}
		}
		if piv < 0 {
			continue
		}
		m[row], m[piv] = m[piv], m[row]
		for r := range m {
			if r != row && math.Abs(m[r][col]) > 1e-9 {
				f := m[r][col] / m[row][col]
				for c := range m[r] {
					m[r][c] -= f * m[row][c]
				}
			}
		}
		row++
	}
	for _, r := range m {
		nz := -1
		for c := range vars {
			if math.Abs(r[c]) > 1e-9 {
				if nz >= 0 {
					nz = -2
					break
				}
				nz = c
			}
		}
		if nz >= 0 {
			found[nz] = true
		}
	}
	// Bounds: 0 ≤ x, tightened through every sum until nothing moves.
	lo, hi := make([]float64, len(vars)), make([]float64, len(vars))
	for i := range hi {
		hi[i] = math.Inf(1)
	}
	for moved := true; moved; {
		moved = false
		for _, e := range eqs {
			rhs := e[len(vars)]
			for i := range vars {
				if e[i] == 0 {
					continue
				}
				// e[i]·x_i = rhs − Σ_{j≠i} e[j]·x_j
				minRest, maxRest := 0.0, 0.0
				for j := range vars {
					if j == i || e[j] == 0 {
						continue
					}
					a, b := e[j]*lo[j], e[j]*hi[j]
					minRest += math.Min(a, b)
					maxRest += math.Max(a, b)
				}
				l, h := (rhs-maxRest)/e[i], (rhs-minRest)/e[i]
				if e[i] < 0 {
					l, h = h, l
				}
				if !math.IsNaN(l) && l > lo[i]+1e-9 {
					lo[i], moved = l, true
				}
				if !math.IsNaN(h) && h < hi[i]-1e-9 {
					hi[i], moved = h, true
				}
			}
		}
	}
	for i, k := range vars {
		place := strings.HasPrefix(k, "p|")
		if place {
			placeHidden++
		}
		if found[i] || hi[i]-lo[i] < 1e-9 {
			recovered++
			if place {
				placeRecovered++
			}
		}
	}
	return len(vars), recovered, placeHidden, placeRecovered
}

// Everything a viewer can download, over several ranges, on several
// random data sets: no hidden number can be worked out. With only the
// small cells hidden, many can, which shows the attack works.
func TestNoHiddenCountCanBeRecovered(t *testing.T) {
	shown, hiddenWeeks, placeHidden, placeRecovered := 0, 0, 0, 0
	attack := func(primaryOnly bool) (hidden, recovered int) {
		shown, hiddenWeeks, placeHidden, placeRecovered = 0, 0, 0, 0
		for seed := range 5 {
			f := fixtureMem(t)
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			randomCases(t, f, rng, 150+rng.IntN(250))
			weeks := map[string]published{}
			for _, n := range []int{4, 8, 12} {
				r, err := f.svc.Report(context.Background(), casework.ReportOptions{Weeks: n, Regions: mali, PrimaryOnly: primaryOnly})
				if err != nil {
					t.Fatal(err)
				}
				if got := len(r.Cells); got != n*len(r.Regions)*len(r.Categories) || len(r.Regions) != 11 {
					t.Fatalf("grid has %d cells over %d regions, want the full grid", got, len(r.Regions))
				}
				download(t, r, weeks)
			}
			for _, p := range weeks {
				for _, v := range p {
					if v != nil {
						shown++
					}
				}
				if p["t"] == nil {
					hiddenWeeks++
				}
				h, rec, ph, prec := recoverHiddenPlaces(p)
				hidden += h
				recovered += rec
				placeHidden += ph
				placeRecovered += prec
			}
		}
		return hidden, recovered
	}
	hidden, recovered := attack(false)
	t.Logf("complementary suppression: %d numbers shown, %d hidden (%d by place), %d recovered; %d of 60 weeks hidden whole",
		shown, hidden, placeHidden, recovered, hiddenWeeks)
	if hidden == 0 || recovered != 0 || placeHidden == 0 {
		t.Errorf("%d of %d hidden numbers recovered (%d by place hidden), want none recovered", recovered, hidden, placeHidden)
	}
	hidden, recovered = attack(true)
	t.Logf("small cells only: %d numbers shown, %d hidden, %d recovered (%d of %d by place)", shown, hidden, recovered, placeRecovered, placeHidden)
	if recovered == 0 || placeRecovered == 0 {
		t.Error("the attack recovers nothing (by place) even without complementary suppression: it cannot fail")
	}
}

// A case ever coded SEA counts under SEA in the aggregates, whatever it is
// recoded to, and a week's grid lists every region and category.
func TestReportCountsSEAStickyAndFullGrid(t *testing.T) {
	f := fixtureMem(t)
	ctx := context.Background()
	for range 5 {
		r := f.submit(t, f.intake("k1:x", "sea", "ML05", "unknown", "food"))
		if _, err := f.svc.Recode(ctx, casework.Actor{ID: "p", Team: r.Case.Team}, r.Case.ID, "fraud", ""); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := f.svc.Report(ctx, casework.ReportOptions{Weeks: 1, Regions: mali, PrimaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cells) != 11*len(rep.Categories) {
		t.Fatalf("%d cells over %d categories, want the full grid of 11 regions", len(rep.Cells), len(rep.Categories))
	}
	for _, s := range rep.ByCategory {
		if n, ok := s.Counts[0].Value(); (s.Key == "sea") != (ok && n == 5) {
			t.Errorf("category %s: %v; want the 5 recoded cases under sea only", s.Key, s.Counts[0])
		}
	}
	f.submit(t, f.intake("k1:y", "fraud", "ML05", "unknown", "food"))
	rep, err = f.svc.Report(ctx, casework.ReportOptions{Weeks: 1, Regions: mali})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep)
	if strings.Contains(string(js), `"cases":1,`) || strings.Contains(string(js), "<5") {
		t.Errorf("a single case shows: %s", js)
	}
}
