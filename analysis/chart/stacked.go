package chart

import (
	"fmt"
	"math"
)

// Stacked is a chart of horizontal bars that each divide 100 percent among
// the same categories, in groups: the brief's figure 1, where each item
// (a kind of stakeholder) has a bar split by how often data flow, and the
// items are grouped by direction (providing, receiving).
type Stacked struct {
	Meta
	// Categories are the segments of every bar, left to right, and the
	// legend.
	Categories []Series
	Groups     []StackGroup
}

// StackGroup is a headed group of bars; an empty Label draws no heading.
type StackGroup struct {
	Label string
	Bars  []StackBar
}

// StackBar is one bar: Percents holds a share for each category, in the
// Categories' order. A share that is not a positive finite number draws
// nothing.
type StackBar struct {
	Label    string
	Percents []float64
}

const (
	barHeight = 28.0
	barGap    = 10.0 // below a bar
	groupGap  = 14.0 // below a group
)

// StackedBars draws s. A segment shows its percentage, rounded, where the
// text fits inside it; every segment names its category and share in a
// tooltip.
func StackedBars(s Stacked) string {
	var c canvas
	y := pad + c.legend(s.Categories, pad) + 10
	x := newScale(0, 100, pad, width-pad)
	for _, g := range s.Groups {
		if g.Label != "" {
			y += c.lines(pad, y, groupFont, wrap(g.Label, groupFont.size, width-2*pad)) + 4
		}
		for _, b := range g.Bars {
			y += c.lines(pad, y, bodyFont, wrap(b.Label, bodyFont.size, width-2*pad)) + 4
			c.segments(x, y, s.Categories, b)
			y += barHeight + barGap
		}
		y += groupGap
	}
	return finish(s.Meta, y, &c)
}

// segments draws one bar's segments from the left. Shares that add up to
// more than 100 (by rounding) are cut at the axis' end.
func (c *canvas) segments(x scale, y float64, cats []Series, b StackBar) {
	at := 0.0
	for i, p := range b.Percents {
		if i >= len(cats) || !finite(p) || p <= 0 {
			continue
		}
		x0, x1 := x.x(at), x.x(at+p)
		at += p
		if x1 <= x0 {
			continue
		}
		cat := cats[i]
		c.rect("segment", x0, y, x1-x0, barHeight, cat.Color, fmt.Sprintf("%s: %.1f%%", cat.Label, p))
		label := fmt.Sprintf("%.0f%%", math.Round(p))
		if textWidth(label, fontTick)+6 <= x1-x0 {
			c.text((x0+x1)/2, y+barHeight/2+fontTick*0.35, font{size: fontTick, anchor: "middle", fill: textOn(cat.Color)}, label)
		}
	}
}
