package chart

import (
	"fmt"
	"math"
)

// Means is a chart of a variable's mean in each of several groups, with
// the mean's interval, on the axis of the scale the variable is measured
// on: the brief's figure 2 (0 never … 4 daily, by department).
type Means struct {
	Meta
	// Min and Max are the axis' ends, the scale's lowest and highest
	// values; a mean or interval beyond them is drawn at the edge.
	Min, Max float64
	// Ticks label the axis, e.g. {0, "0\nNever"} … {4, "4\nDaily"} (a
	// newline starts a line); none: round numbers.
	Ticks []Tick
	Color string // of the marks
	Rows  []MeanRow
}

// MeanRow is one group's mean.
type MeanRow struct {
	Label string
	Estimate
}

const markRow = 24.0 // the height of a row's mark and whisker

// MeanIntervals draws m: for each group a line naming it and its mean,
// then a dot at the mean on its interval, over grid lines at the ticks.
func MeanIntervals(m Means) string {
	ticks := m.Ticks
	lo, hi := m.Min, m.Max
	if len(ticks) == 0 {
		ticks, lo, hi = niceTicks(m.Min, m.Max, "")
	}
	x, tickLines := tickScale(ticks, lo, hi)
	var back, marks canvas
	top := pad
	y := top
	for _, r := range m.Rows {
		value, f := "no data", bodyFont.at("end")
		f.fill = muted
		if finite(r.Value) {
			value, f = fmt.Sprintf("%.2f", r.Value), groupFont.at("end")
		}
		marks.text(width-pad, y+bodyFont.size, f, value)
		room := width - 2*pad - textWidth(value, fontBody) - 12
		y += marks.lines(pad, y, bodyFont, wrap(r.Label, fontBody, room))
		mid := y + markRow/2
		marks.whisker(x, mid, r.Estimate)
		if finite(r.Value) {
			marks.printf(`<circle class="mean" cx="%s" cy="%s" r="7" fill="%s" stroke="#ffffff" stroke-width="1.5"><title>%s</title></circle>`,
				num(x.x(r.Value)), num(mid), esc(m.Color), esc(r.tip(r.Label)))
		}
		y += markRow + barGap
	}
	y += back.axis(x, ticks, tickLines, top, y)
	return finish(m.Meta, math.Max(y, top)+pad, &back, &marks)
}
