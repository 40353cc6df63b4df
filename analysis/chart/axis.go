package chart

import (
	"fmt"
	"math"
	"strconv"
)

// Tick is a labelled position on an axis.
type Tick struct {
	Value float64
	Label string
}

// Series is one colour of a chart and what it stands for, as its legend
// names it.
type Series struct {
	Label string
	Color string // #rrggbb
}

// scale maps data values in [lo, hi] to x positions in [x0, x1].
type scale struct{ lo, hi, x0, x1 float64 }

// newScale returns a scale over [lo, hi], widened when the range is empty
// or not finite, so that zero-width data still draws on a usable axis.
func newScale(lo, hi, x0, x1 float64) scale {
	if !finite(lo, hi) {
		lo, hi = 0, 1
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-1, hi+1
	}
	return scale{lo, hi, x0, x1}
}

// x places v, clamped to the axis: an interval that runs past it is drawn
// to the edge rather than over the labels.
func (s scale) x(v float64) float64 {
	v = math.Max(s.lo, math.Min(s.hi, v))
	return s.x0 + (v-s.lo)/(s.hi-s.lo)*(s.x1-s.x0)
}

// niceTicks are about 4 to 8 round values covering [lo, hi], formatted with the
// decimals their step needs, and the range they span.
func niceTicks(lo, hi float64, suffix string) (ticks []Tick, from, to float64) {
	s := newScale(lo, hi, 0, 1)
	step := math.Pow(10, math.Floor(math.Log10((s.hi-s.lo)/5)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if (s.hi-s.lo)/(step*m) <= 6 {
			step *= m
			break
		}
	}
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	if step*math.Pow(10, float64(decimals)) != math.Round(step*math.Pow(10, float64(decimals))) {
		decimals++ // a step of 2.5 needs one more
	}
	from, to = math.Floor(s.lo/step)*step, math.Ceil(s.hi/step)*step
	for i := 0; from+float64(i)*step <= to+step/1e6; i++ {
		v := from + float64(i)*step
		if math.Abs(v) < step/1e6 {
			v = 0 // not "-0"
		}
		ticks = append(ticks, Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64) + suffix})
	}
	return ticks, from, to
}

// tickLayout wraps each tick's label to the room between its neighbours
// and returns the lines and the margin that centred labels need at the
// axis' ends to stay inside the chart.
func tickLayout(ticks []Tick, plotWidth float64) (lines [][]string, margin float64) {
	room := plotWidth
	if len(ticks) > 1 {
		room = plotWidth / float64(len(ticks)-1) * 0.85
	}
	for _, t := range ticks {
		ls := wrap(t.Label, fontTick, room)
		lines = append(lines, ls)
		for _, l := range ls {
			margin = math.Max(margin, textWidth(l, fontTick)/2)
		}
	}
	return lines, margin
}

// axis draws the vertical grid lines of ticks from top to bottom and their
// labels below; it returns the height the labels took. It belongs on the
// chart's back layer, behind the marks.
func (c *canvas) axis(s scale, ticks []Tick, lines [][]string, top, bottom float64) float64 {
	height := 0.0
	for i, t := range ticks {
		x := s.x(t.Value)
		c.line("grid", x, top, x, bottom, gridLine, 1)
		height = math.Max(height, c.lines(x, bottom+4, tickFont, lines[i]))
	}
	return height + 4
}

// legend lays out a swatch and label for each series, flowing onto new
// rows, from y down; it returns the height it took.
func (c *canvas) legend(series []Series, y float64) float64 {
	const swatch, gap = 14.0, 18.0
	x, row := pad, fontTick*lineGap+4
	rows := 1.0
	for _, s := range series {
		w := swatch + 6 + textWidth(s.Label, fontTick)
		if x > pad && x+w > width-pad {
			x, rows = pad, rows+1
		}
		top := y + (rows-1)*row
		c.rect("legend-key", x, top, swatch, swatch, s.Color, s.Label)
		c.text(x+swatch+6, top+swatch-2, legendFont, s.Label)
		x += w + gap
	}
	return rows * row
}

// Estimate is a value with the interval around it; a Lo or Hi that is not
// finite means no interval (no whisker is drawn), a Value that is not
// finite no estimate (nothing is).
type Estimate struct {
	Value, Lo, Hi float64
}

func (e Estimate) hasInterval() bool { return finite(e.Lo, e.Hi) }

// tip is the estimate in words, for a mark's tooltip.
func (e Estimate) tip(label string) string {
	if !e.hasInterval() {
		return fmt.Sprintf("%s: %.2f", label, e.Value)
	}
	return fmt.Sprintf("%s: %.2f [%.2f, %.2f]", label, e.Value, e.Lo, e.Hi)
}

// whisker draws e's interval as a line with end caps, centred on y.
func (c *canvas) whisker(x scale, y float64, e Estimate) {
	if !e.hasInterval() {
		return
	}
	const cap = 5.0
	lo, hi := x.x(e.Lo), x.x(e.Hi)
	c.line("whisker", lo, y, hi, y, ink, 2)
	c.line("cap", lo, y-cap, lo, y+cap, ink, 2)
	c.line("cap", hi, y-cap, hi, y+cap, ink, 2)
}

// tickScale is the scale from lo to hi across the chart, inset so that
// the ticks' centred labels stay inside it, and those labels wrapped.
func tickScale(ticks []Tick, lo, hi float64) (scale, [][]string) {
	lines, margin := tickLayout(ticks, width-2*pad)
	margin = math.Max(margin, 6)
	return newScale(lo, hi, pad+margin, width-pad-margin), lines
}
