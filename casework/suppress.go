package casework

// A week's tables and their complementary suppression.
//
// The grid is regions × categories extended with its margins: row R holds
// the category totals, column C the region totals, (R, C) the week's
// total. The status and assistance lines each sum to the same total.
// Every count under MinCount is hidden first (primary suppression). Then,
// while the week's total is shown, every hidden grid cell must lie on a
// cycle of hidden cells along which the counts can move by one and stay
// counts (≥ 0) with every margin unchanged, and every hidden line
// entry must have a hidden partner to trade one with: two different
// tables then publish the same numbers, so no hidden cell can be worked
// out from totals, margins or the other tables, whatever the method.
// Where that cannot be had, the whole week is hidden.

type grid struct {
	rows, cols int // regions and categories, margins not counted
	v          []int
	hidden     []bool
}

func (g *grid) idx(i, j int) int { return i*(g.cols+1) + j }

func (g *grid) at(i, j int) Count {
	k := g.idx(i, j)
	return Count{n: g.v[k], hidden: g.hidden[k]}
}

type line struct {
	v      []int // the last entry is the total
	hidden []bool
}

func (l *line) at(i int) Count { return Count{n: l.v[i], hidden: l.hidden[i]} }

type weekTables struct {
	grid           grid
	status, assist line
}

func newWeekTables(regions, categories, statuses, assistance int) *weekTables {
	n := (regions + 1) * (categories + 1)
	return &weekTables{
		grid:   grid{rows: regions, cols: categories, v: make([]int, n), hidden: make([]bool, n)},
		status: line{v: make([]int, statuses+1), hidden: make([]bool, statuses+1)},
		assist: line{v: make([]int, assistance+1), hidden: make([]bool, assistance+1)},
	}
}

func (t *weekTables) add(region, category, status, assistance int) {
	g := &t.grid
	for _, k := range []int{g.idx(region, category), g.idx(region, g.cols), g.idx(g.rows, category), g.idx(g.rows, g.cols)} {
		g.v[k]++
	}
	for _, l := range []struct {
		l *line
		i int
	}{{&t.status, status}, {&t.assist, assistance}} {
		l.l.v[l.i]++
		l.l.v[len(l.l.v)-1]++
	}
}

func (t *weekTables) hideAll() {
	for _, h := range [][]bool{t.grid.hidden, t.status.hidden, t.assist.hidden} {
		for i := range h {
			h[i] = true
		}
	}
}

// protect hides every count under MinCount and, with complementary, the
// counts that would reveal them.
func (t *weekTables) protect(complementary bool) {
	for _, tab := range []struct {
		v []int
		h []bool
	}{{t.grid.v, t.grid.hidden}, {t.status.v, t.status.hidden}, {t.assist.v, t.assist.hidden}} {
		for i, n := range tab.v {
			tab.h[i] = n < MinCount
		}
	}
	if !complementary {
		return
	}
	g := &t.grid
	if g.hidden[g.idx(g.rows, g.cols)] {
		t.hideAll() // a hidden week total: every number of the week goes
		return
	}
	for changed := true; changed; {
		changed = false
		for _, l := range []*line{&t.status, &t.assist} {
			added, ok := l.complete()
			if !ok {
				t.hideAll()
				return
			}
			changed = changed || added
		}
		for i := 0; i <= g.rows; i++ {
			for j := 0; j <= g.cols; j++ {
				if !g.hidden[g.idx(i, j)] || (i == g.rows && j == g.cols) {
					continue
				}
				added, ok := g.cover(i, j)
				if !ok {
					t.hideAll()
					return
				}
				changed = changed || added
			}
		}
	}
}

// complete makes every hidden entry of a line (total shown) tradeable:
// at least two hidden, one of them not zero.
func (l *line) complete() (added, ok bool) {
	n := len(l.v) - 1
	hidden, positive := 0, false
	for i := range n {
		if l.hidden[i] {
			hidden++
			positive = positive || l.v[i] > 0
		}
	}
	if hidden == 0 || (hidden >= 2 && positive) {
		return false, true
	}
	best := -1
	for i := range n {
		if !l.hidden[i] && l.v[i] > 0 && (best < 0 || l.v[i] < l.v[best]) {
			best = i
		}
	}
	if best < 0 {
		return false, false
	}
	l.hidden[best] = true
	return true, true
}

// cover makes sure hidden cell (i, j) lies on a cycle of hidden cells
// along which the counts can move by one (alternately up and down, a
// margin against its row's cells) and stay ≥ 0 with every sum unchanged.
// If none does, it hides the cells of the cheapest such cycle: fewest
// cells newly hidden, then smallest counts. The week's total (shown)
// is never on one.
func (g *grid) cover(i, j int) (added, ok bool) {
	var best []int
	bestCost := -1
	for _, dir := range []int{1, -1} {
		path, cost := g.cycle(i, j, dir)
		if cost >= 0 && (bestCost < 0 || cost < bestCost) {
			best, bestCost = path, cost
		}
	}
	if bestCost < 0 {
		return false, false
	}
	for _, k := range best {
		if !g.hidden[k] {
			g.hidden[k], added = true, true
		}
	}
	return added, true
}

// cycle finds the cheapest path from column j back to row i that closes a
// movable cycle through (i, j), dir saying whether (i, j) goes up or
// down; cost −1 when there is none. Rows are vertices 0..R, columns
// R+1..R+C+1; a path alternates column→row (second, fourth… cell of the
// cycle) and row→column. It is Dijkstra's search: a cell already hidden
// costs nothing, a new one its value plus a large constant, so the fewest
// new cells win, then the smallest.
func (g *grid) cycle(i, j, dir int) ([]int, int) {
	if !g.movable(g.idx(i, j), dir*g.flip(i, j)) {
		return nil, -1
	}
	const newCost = 1 << 20
	n := g.rows + 1 + g.cols + 1
	dist := make([]int, n)
	prev := make([]int, n) // the cell used to arrive
	from := make([]int, n)
	done := make([]bool, n)
	for v := range dist {
		dist[v], prev[v], from[v] = -1, -1, -1
	}
	start := g.rows + 1 + j
	dist[start] = 0
	for {
		u := nearest(dist, done)
		if u < 0 {
			return nil, -1
		}
		done[u] = true
		if u == i {
			break
		}
		for w := range n {
			k, ok := g.edge(u, w, i, j, dir)
			if !ok || done[w] {
				continue
			}
			c := dist[u]
			if !g.hidden[k] {
				c += newCost + g.v[k]
			}
			if dist[w] < 0 || c < dist[w] {
				dist[w], prev[w], from[w] = c, k, u
			}
		}
	}
	var path []int
	for v := i; v != start; v = from[v] {
		path = append(path, prev[v])
	}
	return append(path, g.idx(i, j)), dist[i]
}

// flip is the sign a change takes at cell (a, b) relative to an inner
// cell: margins (the total row R or column C, not both) move the other way.
func (g *grid) flip(a, b int) int {
	if (a == g.rows) != (b == g.cols) {
		return -1
	}
	return 1
}

// movable: cell k may take the change delta (a count cannot go below 0).
func (g *grid) movable(k, delta int) bool { return delta > 0 || g.v[k] >= 1 }

// edge is the cell that the search's step from vertex u to w goes
// through, when that step may be part of a cycle through (i, j).
func (g *grid) edge(u, w, i, j, dir int) (int, bool) {
	R, C := g.rows, g.cols
	var a, b, delta int
	switch {
	case u > R && w <= R: // column → row: the cycle's next cell moves against (i, j)
		a, b = w, u-R-1
		delta = -dir * g.flip(a, b)
	case u <= R && w > R: // row → column: with (i, j)
		a, b = u, w-R-1
		delta = dir * g.flip(a, b)
	default:
		return 0, false
	}
	if (a == R && b == C) || (a == i && b == j) {
		return 0, false
	}
	k := g.idx(a, b)
	return k, g.movable(k, delta)
}

// nearest is the unfinished vertex with the smallest known distance, −1
// when none is reachable.
func nearest(dist []int, done []bool) int {
	u := -1
	for v := range dist {
		if !done[v] && dist[v] >= 0 && (u < 0 || dist[v] < dist[u]) {
			u = v
		}
	}
	return u
}
