package web

import (
	"fmt"
	"strings"

	"github.com/numerovert/hotline/casework"
)

// chart is a stacked bar chart drawn on the server as SVG: one bar per
// week, one segment per series. Cells under 5 are not drawn to scale:
// one fixed hatched stub per bar stands for all of them.
type chart struct {
	Width, Height int
	Bars          []bar
	Labels        []label
	Legend        []legendItem
	Max           int
	Gridlines     []gridline
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type label struct {
	X, Y float64
	Text string
}

type legendItem struct {
	Class, Text string
}

type gridline struct {
	Y    float64
	Text string
}

const (
	chartW, chartH = 640, 220
	padLeft        = 36
	padBottom      = 22
	padTop         = 8
	stub           = 4 // height of a suppressed segment
	palette        = 8
)

func newChart(weeks []string, series []casework.Series, name func(string) string) chart {
	ch := chart{Width: chartW, Height: chartH}
	n := len(weeks)
	if n == 0 {
		return ch
	}
	// The scale counts only what may be shown.
	maxTotal := 0
	for w := range n {
		t := 0
		for _, s := range series {
			if v, ok := s.Counts[w].Value(); ok {
				t += v
			}
		}
		maxTotal = max(maxTotal, t)
	}
	maxTotal = max(maxTotal, 5)
	plotH := float64(chartH - padBottom - padTop)
	slot := float64(chartW-padLeft) / float64(n)
	scale := (plotH - 2*stub) / float64(maxTotal)
	ch.Max = maxTotal
	for _, f := range []float64{0.5, 1} {
		v := int(float64(maxTotal) * f)
		ch.Gridlines = append(ch.Gridlines, gridline{Y: float64(chartH-padBottom) - float64(v)*scale, Text: fmt.Sprint(v)})
	}
	for i, s := range series {
		ch.Legend = append(ch.Legend, legendItem{Class: fmt.Sprintf("c%d", i%palette), Text: name(s.Key)})
	}
	for w := range n {
		x := float64(padLeft) + float64(w)*slot + slot*0.15
		y := float64(chartH - padBottom)
		var small []string
		for i, s := range series {
			c := s.Counts[w]
			v, ok := c.Value()
			if !ok {
				small = append(small, name(s.Key))
				continue
			}
			h := float64(v) * scale
			y -= h
			ch.Bars = append(ch.Bars, bar{X: x, Y: y, W: slot * 0.7, H: h, Class: fmt.Sprintf("c%d", i%palette), Title: name(s.Key) + ": " + c.String()})
		}
		if len(small) > 0 {
			// One stub for every series under 5, zero included, so the
			// chart tells no more than the table.
			ch.Bars = append(ch.Bars, bar{X: x, Y: y - stub, W: slot * 0.7, H: stub, Class: "sup", Title: casework.Suppressed + ": " + strings.Join(small, ", ")})
		}
		ch.Labels = append(ch.Labels, label{X: x + slot*0.35, Y: chartH - 6, Text: weeks[w]})
	}
	return ch
}
