package server

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/analysis/report"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/templates"
)

// The full report of a result: one self-contained HTML document — its own
// styles, the figures inline, no scripts, fonts, images or links out — so
// that a PI can save, mail or print it and it reads the same anywhere.

// reportStyle is the report's stylesheet, written into the document, and
// the hash by which the report's Content-Security-Policy allows exactly it.
type reportStyle struct {
	css  template.CSS
	hash string
}

func loadReportStyle() (reportStyle, error) {
	b, err := fs.ReadFile(templates.Static(), "report.css")
	if err != nil {
		return reportStyle{}, fmt.Errorf("templates: %w", err)
	}
	sum := sha256.Sum256(b)
	return reportStyle{css: template.CSS(b), hash: "sha256-" + base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// csp allows the report its inline stylesheet and nothing else: no
// scripts, no requests, not even its own site's.
func (st reportStyle) csp() string {
	return "default-src 'none'; style-src '" + st.hash + "'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// figureView is a figure, numbered, with its chart trusted as HTML: the
// chart is package chart's output, which escapes every label it draws.
type figureView struct {
	results.Figure
	Number int
	Chart  template.HTML
}

func figureViews(in *instrument.Instrument, r *results.Result) []figureView {
	figs := results.Figures(in, r)
	out := make([]figureView, len(figs))
	for i, f := range figs {
		out[i] = figureView{Figure: f, Number: i + 1, Chart: template.HTML(f.SVG)}
	}
	return out
}

type reportPage struct {
	Survey   string
	R        *results.Result
	Finished string
	CSS      template.CSS
	Figures  []figureView
	Changes  *changesView // nil: the first result
	EFA      *efaView
	Scales   []scaleView
}

// renderReport writes r's report to w.
func (s *Server) renderReport(w io.Writer, r *results.Result) error {
	page := reportPage{Survey: s.Instrument.Title, R: r, Finished: when(r.FinishedAt), CSS: s.reportStyle.css,
		Figures: figureViews(s.Instrument, r), Changes: newChangesView(s.Instrument, r.Changes),
		EFA: newEFAView(s.Instrument, r), Scales: scaleViews(s.Instrument, r.Reliability)}
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, "results_report.html", page); err != nil {
		return fmt.Errorf("render results_report.html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// serveReport answers a request for r's report, under a policy that lets
// the document's own stylesheet apply and nothing load.
func (s *Server) serveReport(c echo.Context, r *results.Result) error {
	var buf bytes.Buffer
	if err := s.renderReport(&buf, r); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Security-Policy", s.reportStyle.csp())
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// when writes a time in UTC to the minute; "—" for none.
func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// fixed writes a statistic with d decimals, as results.Fixed does, from
// what templates hold: a report.Number, a pointer to one (nil is "—") or a
// float64.
func fixed(d int, v any) string {
	switch v := v.(type) {
	case report.Number:
		return results.Fixed(float64(v), d)
	case *report.Number:
		if v == nil {
			return "—"
		}
		return results.Fixed(float64(*v), d)
	case float64:
		return results.Fixed(v, d)
	}
	return fmt.Sprint(v)
}

// measure writes a summary statistic to two decimals, or a large one (a
// population) whole, with separators: 71,840.
func measure(v report.Number) string {
	if f := float64(v); math.Abs(f) >= 1000 && !math.IsInf(f, 0) {
		return numbers.Sprintf("%.0f", f)
	}
	return fixed(2, v)
}

// pvalue writes a p-value as results.PValue does.
func pvalue(p report.Number) string { return results.PValue(float64(p)) }

// changesView is what changed since the previous ok result.
type changesView struct {
	Since, SinceAt string
	Rows           []changeRow
}

// changeRow is one line of what changed.
type changeRow struct{ What, Then, Now, Change string }

// newChangesView lists n, each scale's alpha, each factor's congruence and
// each coefficient's move, in the questionnaire's order; nil for the
// first result.
func newChangesView(in *instrument.Instrument, ch *results.Changes) *changesView {
	if ch == nil {
		return nil
	}
	delta := func(what string, d results.Delta, decimals int) changeRow {
		return changeRow{What: what, Then: fixed(decimals, d.From), Now: fixed(decimals, d.To), Change: signed(decimals, d.Delta)}
	}
	scales, factors := analysisOrder(in)
	rows := []changeRow{delta("Cases used (n)", ch.N, 0)}
	for _, name := range ordered(ch.Alphas, scales) {
		rows = append(rows, delta("Alpha of "+results.Label(in, name), ch.Alphas[name], 3))
	}
	for _, name := range ordered(ch.Congruence, factors) {
		rows = append(rows, changeRow{What: "Congruence of the loadings of " + results.Label(in, name), Now: fixed(3, ch.Congruence[name])})
	}
	for _, c := range ch.Coefficients {
		rows = append(rows, delta("Coefficient of "+results.Label(in, c.Term)+" ("+results.Label(in, c.Model)+")", c.Delta, 3))
	}
	return &changesView{Since: ch.Since, SinceAt: when(&ch.SinceAt), Rows: rows}
}

// signed writes a change with its sign: +0.007, −0.015, 0.000.
func signed(d int, v report.Number) string {
	s := fixed(d, v)
	if float64(v) > 0 && s != fixed(d, 0.0) {
		return "+" + s
	}
	return s
}

// ordered is the keys of m, those in order first and in its order, then
// the others sorted: a result may name what the questionnaire no longer does.
func ordered[V any](m map[string]V, order []string) []string {
	var out, rest []string
	for _, k := range order {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	for k := range m {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// analysisOrder is the questionnaire's order of its scales and factors,
// in which the report lists them.
func analysisOrder(in *instrument.Instrument) (scales, factors []string) {
	if in.Analysis == nil {
		return nil, nil
	}
	for _, s := range in.Analysis.Scales {
		scales = append(scales, s.Name)
	}
	if in.Analysis.EFA != nil {
		for _, f := range in.Analysis.EFA.Factors {
			factors = append(factors, f.Name)
		}
	}
	return scales, factors
}

// efaView is the EFA as the questionnaire names its factors: the columns
// in the order of r.Factors, each turned by its sign, then any column no
// factor names.
type efaView struct {
	*report.EFA
	Factors     []string // the columns' headings
	Rows        []loadingRow
	SS, PropVar []string   // sums of squared loadings and the share of variance of each column
	Phi         [][]string // nil for an orthogonal rotation
	Eigen       []eigenRow
}

type loadingRow struct {
	Item, Text              string
	Loadings                []loadingCell
	H2, U2, Complexity, KMO string
}

// loadingCell is a loading; Salient when it is .3 or more in absolute value.
type loadingCell struct {
	Value   string
	Salient bool
}

// eigenRow compares an eigenvalue of the correlations with parallel
// analysis' simulated ones.
type eigenRow struct {
	N                             int
	Observed, Components, Factors string
}

// column is an EFA column as a named factor shows it.
type column struct {
	index int
	sign  float64
	label string
}

func factorColumns(r *results.Result) []column {
	k := 0
	if len(r.EFA.Loadings) > 0 {
		k = len(r.EFA.Loadings[0])
	}
	var out []column
	used := make([]bool, k)
	for _, f := range r.Factors {
		if f.Column < 0 || f.Column >= k || used[f.Column] {
			continue
		}
		used[f.Column] = true
		sign := 1.0
		if f.Sign < 0 {
			sign = -1
		}
		out = append(out, column{f.Column, sign, cmp.Or(f.Label, f.Name)})
	}
	for j := range k {
		if !used[j] {
			out = append(out, column{j, 1, fmt.Sprintf("Factor %d", j+1)})
		}
	}
	return out
}

// at is list[i], or NaN beyond its end: a short list in a stored result
// shows as "—", not as a failed page.
func at(list []report.Number, i int) report.Number {
	if i < 0 || i >= len(list) {
		return report.Number(math.NaN())
	}
	return list[i]
}

func at2(m [][]report.Number, i, j int) float64 {
	if i < 0 || i >= len(m) {
		return math.NaN()
	}
	return float64(at(m[i], j))
}

func newEFAView(in *instrument.Instrument, r *results.Result) *efaView {
	e := r.EFA
	if e == nil {
		return nil
	}
	cols := factorColumns(r)
	v := &efaView{EFA: e}
	for _, c := range cols {
		v.Factors = append(v.Factors, c.label)
		v.SS = append(v.SS, fixed(2, at(e.SSLoadings, c.index)))
		v.PropVar = append(v.PropVar, fixed(3, at(e.ProportionVar, c.index)))
	}
	for i, id := range e.Items {
		row := loadingRow{Item: id, H2: fixed(3, at(e.Communalities, i)), U2: fixed(3, at(e.Uniquenesses, i)),
			Complexity: fixed(2, at(e.Complexity, i)), KMO: fixed(2, at(e.KMO.Items, i))}
		if it, ok := in.Item(id); ok {
			row.Text = questionName(it)
		}
		for _, c := range cols {
			l := c.sign * at2(e.Loadings, i, c.index)
			row.Loadings = append(row.Loadings, loadingCell{Value: fixed(3, l), Salient: math.Abs(l) >= 0.3})
		}
		v.Rows = append(v.Rows, row)
	}
	for _, a := range cols {
		if len(e.Phi) == 0 {
			break
		}
		var row []string
		for _, b := range cols {
			row = append(row, fixed(3, a.sign*b.sign*at2(e.Phi, a.index, b.index)))
		}
		v.Phi = append(v.Phi, row)
	}
	for k, ev := range e.Eigenvalues {
		row := eigenRow{N: k + 1, Observed: fixed(2, ev), Components: "—", Factors: "—"}
		if p := e.Parallel; p != nil {
			row.Components, row.Factors = fixed(2, at(p.SimComps, k)), fixed(2, at(p.SimFactors, k))
		}
		v.Eigen = append(v.Eigen, row)
	}
	return v
}

// scaleView is one scale's reliability with its items.
type scaleView struct {
	Name, Label string
	*report.Alpha
	Items []scaleItem
}

type scaleItem struct {
	Item, IfDropped, RestR string
	Reversed               bool
}

func scaleViews(in *instrument.Instrument, rel map[string]*report.Alpha) []scaleView {
	scales, _ := analysisOrder(in)
	var out []scaleView
	for _, name := range ordered(rel, scales) {
		a := rel[name]
		if a == nil {
			continue
		}
		v := scaleView{Name: name, Label: results.Label(in, name), Alpha: a}
		for i, item := range a.Items {
			v.Items = append(v.Items, scaleItem{Item: item, IfDropped: fixed(3, at(a.AlphaIfDropped, i)),
				RestR: fixed(3, at(a.ItemRestR, i)), Reversed: slices.Contains(a.Reverse, item)})
		}
		out = append(out, v)
	}
	return out
}

// numeric reports whether a table cell holds a number (or the dash of a
// missing one), to align it right.
func numeric(cell string) bool {
	if cell == "—" {
		return true
	}
	_, err := strconv.ParseFloat(strings.TrimLeft(cell, "<+"), 64)
	return err == nil
}
