// Package chart draws the research brief's three kinds of figure as
// self-contained SVG: stacked percentage bars (figure 1), group means with
// their intervals (figure 2) and model coefficients with their intervals
// (figure 3). It does no I/O and knows nothing of surveys: callers pass
// plain structs and get a string to inline in an HTML page.
//
// Every chart is drawn on a viewBox of a fixed width and scales to its
// container. Labels sit on their own line above their bars rather than to
// their left, so that the bars keep the whole width on a phone. Text is
// measured by an estimate of the system font's widths (there is no font to
// ask), generously, so that labels err towards wrapping rather than
// overlapping.
package chart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Meta is what every chart carries besides its data.
type Meta struct {
	// ID makes the ids of the chart's title and description unique in a
	// page that holds several charts; "chart" if empty.
	ID string
	// Title names the chart and Desc states what it shows, for screen
	// readers (the chart's accessible name and description).
	Title, Desc string
}

// Geometry shared by the charts, in viewBox units.
const (
	width    = 440.0 // the viewBox's width: a 390 px phone shows it at 0.8, text at 12 px or more
	pad      = 8.0   // space at the chart's left and right edges
	fontBody = 17.0  // labels of bars and groups
	fontTick = 15.0  // tick labels, legend and values on bars
	lineGap  = 1.25  // line height as a multiple of the font size
)

// Colours of what the charts draw themselves; the data's colours come from
// the caller.
const (
	ink      = "#1b1b1b"
	muted    = "#505a5f" // 7:1 on white: tick labels
	gridLine = "#d8d8d8"
)

const fontStack = `system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif`

// canvas collects a chart's elements; finish wraps them in the <svg>.
type canvas struct {
	b strings.Builder
}

func (c *canvas) printf(format string, args ...any) { fmt.Fprintf(&c.b, format, args...) }

// rect draws a filled rectangle with class class, by which the tests find
// marks; a page's stylesheet applies to an inline chart, so the names
// avoid common ones such as "key" or "bar". Light fills get an outline so
// that the mark stands out from a white page (WCAG 1.4.11, 3:1).
func (c *canvas) rect(class string, x, y, w, h float64, fill, tip string) {
	stroke := ""
	if contrast(fill, "#ffffff") < 3 {
		stroke = ` stroke="` + ink + `" stroke-width="0.75"`
	}
	c.printf(`<rect class="%s" x="%s" y="%s" width="%s" height="%s" fill="%s"%s>`, class, num(x), num(y), num(w), num(h), esc(fill), stroke)
	c.printf(`<title>%s</title></rect>`, esc(tip))
}

func (c *canvas) line(class string, x1, y1, x2, y2 float64, stroke string, w float64) {
	c.printf(`<line class="%s" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"/>`,
		class, num(x1), num(y1), num(x2), num(y2), stroke, num(w))
}

// font is how a piece of text is set. A backdrop of the page's white
// behind a label interrupts the grid and zero lines that would cross it.
type font struct {
	size         float64
	anchor       string // start, middle or end
	fill, weight string
	backdrop     bool
}

var (
	bodyFont   = font{size: fontBody, anchor: "start", fill: ink, backdrop: true}
	groupFont  = font{size: fontBody, anchor: "start", fill: ink, weight: "700", backdrop: true}
	tickFont   = font{size: fontTick, anchor: "middle", fill: muted, backdrop: true}
	legendFont = font{size: fontTick, anchor: "start", fill: ink}
)

func (f font) at(anchor string) font { f.anchor = anchor; return f }

// text writes one line with its baseline at y.
func (c *canvas) text(x, y float64, f font, s string) {
	if f.backdrop {
		w := textWidth(s, f.size) + 4
		left := map[string]float64{"start": x - 2, "middle": x - w/2, "end": x - w + 2}[f.anchor]
		c.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="#ffffff"/>`, num(left), num(y-f.size), num(w), num(f.size*lineGap))
	}
	c.printf(`<text x="%s" y="%s" font-size="%s" text-anchor="%s" fill="%s"`, num(x), num(y), num(f.size), f.anchor, esc(f.fill))
	if f.weight != "" {
		c.printf(` font-weight="%s"`, f.weight)
	}
	c.printf(`>%s</text>`, esc(s))
}

// lines writes wrapped lines, the first with its top at y, and returns
// the height they took.
func (c *canvas) lines(x, y float64, f font, ls []string) float64 {
	step := f.size * lineGap
	for i, l := range ls {
		c.text(x, y+f.size+float64(i)*step, f, l)
	}
	return float64(len(ls)) * step
}

// finish returns the chart: a viewBox of the given height, named by its
// <title> and described by its <desc>.
// The layers are drawn in order, the first at the back.
func finish(m Meta, height float64, layers ...*canvas) string {
	id := m.ID
	if id == "" {
		id = "chart"
	}
	var out strings.Builder
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-title %s-desc" font-family="%s">`,
		num(width), num(math.Ceil(height)), esc(id), esc(id), fontStack)
	fmt.Fprintf(&out, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(m.Title), esc(id), esc(m.Desc))
	for _, l := range layers {
		out.WriteString(l.b.String())
	}
	out.WriteString(`</svg>`)
	return out.String()
}

// esc escapes text for an SVG element or attribute, inline in HTML or as
// XML: labels come from the questionnaire.
func esc(s string) string { return html.EscapeString(s) }

// num writes a coordinate to 0.01 of a unit. The charts leave out values
// that are not finite before they place anything; 0 stands in here only so
// that a mistake could never put NaN into the document.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// textWidth estimates the width of s at the given font size: system sans
// fonts average about half an em a character, capitals and digits more.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r == ' ' || r == '.' || r == ',' || r == 'i' || r == 'l' || r == 'I' || r == '\'':
			w += 0.3
		case unicode.IsUpper(r) || unicode.IsDigit(r) || r == 'm' || r == 'w' || r == '%':
			w += 0.68
		default:
			w += 0.55
		}
	}
	return w * size
}

// wrap breaks s at spaces into lines no wider than max, and at every
// newline; a word longer than max gets a line of its own.
func wrap(s string, size, max float64) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, wrapLine(para, size, max)...)
	}
	return out
}

func wrapLine(s string, size, max float64) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case textWidth(line+" "+word, size) <= max:
			line += " " + word
		default:
			out = append(out, line)
			line = word
		}
	}
	if line != "" || len(out) == 0 {
		out = append(out, line)
	}
	return out
}

// textOn is the text colour that reads best on fill: white or ink.
func textOn(fill string) string {
	if contrast(fill, "#ffffff") >= contrast(fill, ink) {
		return "#ffffff"
	}
	return ink
}

// contrast is the WCAG contrast ratio of two #rrggbb colours; a colour it
// cannot read counts as black.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var rgb [3]float64
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) != 6 {
		return 0
	}
	for i := range rgb {
		v, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return 0
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			rgb[i] = c / 12.92
		} else {
			rgb[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
}
