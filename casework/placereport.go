package casework

import (
	"slices"
	"strings"

	"github.com/numerovert/hotline/config"
)

// Cases by place below the region: for each cercle the deployment lists
// communes or sites for (config `localities`), its count and its
// localities' counts, and for its region the cases of every other cercle
// (or no cercle said). The rows come from the configuration, never from
// the cases, so that a row's presence tells nothing.
//
// The counts form a tree of sums: a region's total (the grid's margin) is
// the sum of its cercle line; a cercle's count the sum of its locality
// line. Each line is protected like the status line (primary suppression,
// then every hidden entry gets a hidden partner to trade one with), and a
// line whose total is hidden is hidden whole: no hidden count can be
// worked out from the region total, the cercle's count or the other cells.

// Other is the place key of the rest of a line: the cases of a region's
// other cercles (or no cercle said), or a cercle's cases at no listed
// commune or site (or none said).
const Other = "other"

// PlaceSeries is one row of the table of cases by place: a cercle's count
// (Locality ""), one of its communes or sites, or Other.
type PlaceSeries struct {
	Region   string `json:"region"`             // P-code
	Cercle   string `json:"cercle"`             // P-code, or Other
	Locality string `json:"locality,omitempty"` // "" the cercle's own count; a locality code, or Other
	// LocalityName is the commune's or site's name in config, for exports.
	LocalityName string  `json:"locality_name,omitempty"`
	Counts       []Count `json:"counts"` // one per Report.Weeks
}

// placeLayout is the regions, cercles and localities of the table, in
// config order.
type placeLayout []placeRegion

type placeRegion struct {
	code    string
	cercles []placeCercle
}

type placeCercle struct {
	code              string
	localities, names []string
}

// RegionOf is the region of a cercle's P-code (ML0701 → ML07, COD-AB).
func RegionOf(cercle string) string {
	if len(cercle) < 4 {
		return cercle
	}
	return cercle[:4]
}

func newPlaceLayout(ls []config.Locality) placeLayout {
	var pl placeLayout
	for _, l := range ls {
		code := RegionOf(l.Cercle)
		ri := slices.IndexFunc(pl, func(r placeRegion) bool { return r.code == code })
		if ri < 0 {
			pl = append(pl, placeRegion{code: code})
			ri = len(pl) - 1
		}
		r := &pl[ri]
		ci := slices.IndexFunc(r.cercles, func(c placeCercle) bool { return c.code == l.Cercle })
		if ci < 0 {
			r.cercles = append(r.cercles, placeCercle{code: l.Cercle})
			ci = len(r.cercles) - 1
		}
		r.cercles[ci].localities = append(r.cercles[ci].localities, l.Code)
		r.cercles[ci].names = append(r.cercles[ci].names, l.Name)
	}
	slices.SortStableFunc(pl, func(a, b placeRegion) int { return strings.Compare(a.code, b.code) })
	return pl
}

func (pl placeLayout) regionCodes() []string {
	out := make([]string, len(pl))
	for i, r := range pl {
		out[i] = r.code
	}
	return out
}

// series is the table's rows, in the order they are shown: each cercle,
// then its localities and their Other; then the region's Other.
func (pl placeLayout) series(weeks int) []PlaceSeries {
	var out []PlaceSeries
	row := func(region, cercle, locality, name string) {
		out = append(out, PlaceSeries{Region: region, Cercle: cercle, Locality: locality, LocalityName: name, Counts: make([]Count, weeks)})
	}
	for _, r := range pl {
		for _, c := range r.cercles {
			row(r.code, c.code, "", "")
			for i, l := range c.localities {
				row(r.code, c.code, l, c.names[i])
			}
			row(r.code, c.code, Other, "")
		}
		row(r.code, Other, "", "")
	}
	return out
}

// placeWeek is one week's lines: per region its cercle line (cercles,
// Other, total), per cercle its locality line (localities, Other, total).
type placeWeek struct {
	layout     placeLayout
	cercles    []line
	localities [][]line
}

func newPlaceWeek(pl placeLayout) *placeWeek {
	w := &placeWeek{layout: pl, cercles: make([]line, len(pl)), localities: make([][]line, len(pl))}
	for i, r := range pl {
		w.cercles[i] = newLine(len(r.cercles) + 1)
		w.localities[i] = make([]line, len(r.cercles))
		for j, c := range r.cercles {
			w.localities[i][j] = newLine(len(c.localities) + 1)
		}
	}
	return w
}

func newLine(entries int) line {
	return line{v: make([]int, entries+1), hidden: make([]bool, entries+1)}
}

func (l *line) count(i int) {
	l.v[i]++
	l.v[len(l.v)-1]++
}

func (w *placeWeek) add(region, cercle, locality string) {
	ri := slices.IndexFunc(w.layout, func(r placeRegion) bool { return r.code == region })
	if ri < 0 {
		return
	}
	r := w.layout[ri]
	ci := slices.IndexFunc(r.cercles, func(c placeCercle) bool { return c.code == cercle })
	if ci < 0 {
		w.cercles[ri].count(len(r.cercles))
		return
	}
	w.cercles[ri].count(ci)
	li := slices.Index(r.cercles[ci].localities, locality)
	if li < 0 {
		li = len(r.cercles[ci].localities)
	}
	w.localities[ri][ci].count(li)
}

// protect hides the small counts and, with complementary, those that would
// reveal them; regionHidden says whether the grid hides a region's total.
func (w *placeWeek) protect(complementary bool, regionHidden func(region string) bool) {
	for ri, r := range w.layout {
		cl := &w.cercles[ri]
		cl.protectUnder(complementary, regionHidden(r.code))
		for ci := range r.cercles {
			w.localities[ri][ci].protectUnder(complementary, cl.hidden[ci])
		}
	}
}

// protectUnder protects a line whose total is published elsewhere, hidden
// or not: entries under MinCount hidden; with complementary, all of them
// when the total is hidden, else each hidden one given a partner.
func (l *line) protectUnder(complementary, totalHidden bool) {
	n := len(l.v) - 1
	for i := range n {
		l.hidden[i] = l.v[i] < MinCount
	}
	l.hidden[n] = totalHidden
	if !complementary {
		return
	}
	if _, ok := l.complete(); totalHidden || !ok {
		for i := range l.hidden {
			l.hidden[i] = true
		}
	}
}

// publish copies the week's protected lines into the report's rows (in
// the order of placeLayout.series).
func (w *placeWeek) publish(rows []PlaceSeries, week int) {
	k := 0
	for ri, r := range w.layout {
		cl := &w.cercles[ri]
		for ci, c := range r.cercles {
			rows[k].Counts[week] = cl.at(ci)
			k++
			ll := &w.localities[ri][ci]
			for li := range len(c.localities) + 1 {
				rows[k].Counts[week] = ll.at(li)
				k++
			}
		}
		rows[k].Counts[week] = cl.at(len(r.cercles))
		k++
	}
}
