package chart

import "math"

// Coefficients is a chart of regression coefficients with their
// intervals, grouped by term, one bar per model: the brief's figure 3
// (participation, shared goals and political trust, each in the models of
// the three kinds of stakeholder).
type Coefficients struct {
	Meta
	// Models are the bars of every term, top to bottom, and the legend.
	Models []Series
	Terms  []TermGroup
}

// TermGroup is one term's estimates, one per model in the Models' order.
type TermGroup struct {
	Label     string
	Estimates []Estimate
}

const coefBar = 18.0 // the height of one model's bar

// CoefficientBars draws c: for each term a heading and one bar per model
// from zero to the estimate, with its interval, over a zero line and grid
// lines at round values.
func CoefficientBars(co Coefficients) string {
	lo, hi := 0.0, 0.0 // the axis always shows zero
	for _, t := range co.Terms {
		for _, e := range t.Estimates {
			for _, v := range []float64{e.Value, e.Lo, e.Hi} {
				if finite(v) {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	ticks, lo, hi := niceTicks(lo, hi, "")
	x, tickLines := tickScale(ticks, lo, hi)
	var back, marks canvas
	top := pad + back.legend(co.Models, pad) + 10
	y := top
	for _, t := range co.Terms {
		y += marks.lines(pad, y, groupFont, wrap(t.Label, fontBody, width-2*pad)) + 4
		for i, e := range t.Estimates {
			if i < len(co.Models) && finite(e.Value) {
				m := co.Models[i]
				x0, x1 := x.x(0), x.x(e.Value)
				marks.rect("coefficient", math.Min(x0, x1), y, math.Abs(x1-x0), coefBar, m.Color, e.tip(m.Label))
				marks.whisker(x, y+coefBar/2, e)
			}
			y += coefBar + 4
		}
		y += groupGap
	}
	bottom := y
	y += back.axis(x, ticks, tickLines, top, bottom)
	back.line("zero", x.x(0), top, x.x(0), bottom, ink, 1.5) // over the grid, under the labels
	return finish(co.Meta, y+pad, &back, &marks)
}
