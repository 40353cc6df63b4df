package results

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/canvass-survey/canvass/analysis/chart"
	"github.com/canvass-survey/canvass/analysis/report"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/weights"
)

// Figure is one figure of the questionnaire's analysis section drawn from
// a result: the chart, a text alternative that states its main finding in
// numbers, and a table of every number it shows.
type Figure struct {
	ID, Title, Caption string
	// Alt is the figure's finding in a sentence or two; for a figure whose
	// data the result lacks, what is missing, and SVG is then empty.
	Alt   string
	SVG   string // a self-contained <svg> from package chart
	Table FigureTable
}

// FigureTable holds the numbers behind a figure, as text.
type FigureTable struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// The brief's colours: Arizona State's maroon and gold for the two
// categories or models it draws attention to, greys for the rest.
const (
	maroon = "#8C1D40"
	gold   = "#FFC627"
	grey   = "#8A8A8A" // 3.5:1 on white, as a mark needs
)

// z975 is the normal quantile of a two-sided 95% interval.
const z975 = 1.959964

// Figures draws the figures of the questionnaire's analysis section from
// r, in the section's order. A figure whose data r lacks (a model that
// was not fitted, descriptives of a run that did not end ok) comes back
// without a chart, its Alt saying what is missing; it never panics.
func Figures(in *instrument.Instrument, r *Result) []Figure {
	if in == nil || in.Analysis == nil {
		return nil
	}
	out := make([]Figure, 0, len(in.Analysis.Figures))
	for _, spec := range in.Analysis.Figures {
		f := Figure{ID: spec.ID, Title: spec.Title, Caption: spec.Caption}
		var err error
		switch {
		case r == nil:
			err = fmt.Errorf("there is no result")
		case spec.Kind == "frequencies":
			err = frequencyFigure(&f, spec, r)
		case spec.Kind == "means":
			err = meansFigure(&f, in, spec, r)
		case spec.Kind == "coefficients":
			err = coefficientFigure(&f, in, spec, r)
		default:
			err = fmt.Errorf("its kind %q is not one this version draws", spec.Kind)
		}
		if err != nil {
			f = Figure{ID: spec.ID, Title: spec.Title, Caption: spec.Caption, Alt: "Not drawn: " + err.Error() + "."}
		}
		out = append(out, f)
		if w, ok := weightedFigure(in, spec, r); ok {
			out = append(out, w)
		}
	}
	return out
}

// weightedFigure is a frequencies or means figure drawn again from the
// weighted estimates, to stand beside the unweighted one, when the run
// weighted; the models are not weighted, so neither are their figures.
func weightedFigure(in *instrument.Instrument, spec instrument.FigureSpec, r *Result) (Figure, bool) {
	if r == nil || r.Weighting == nil || r.Weighting.Status != weights.StatusOK || r.Descriptives == nil || spec.Kind == "coefficients" {
		return Figure{}, false
	}
	spec.ID += "_weighted"
	spec.Title += " (weighted)"
	spec.Caption = strings.TrimSpace(spec.Caption + " Weighted: respondents raked to the frame's counts of " + list(r.Weighting.Variables) +
		"; intervals by linearization over cities.")
	f := Figure{ID: spec.ID, Title: spec.Title, Caption: spec.Caption}
	var err error
	if spec.Kind == "frequencies" {
		err = frequencyFigure(&f, spec, weightedView(r))
	} else {
		err = meansFigure(&f, in, spec, weightedView(r))
	}
	if err != nil {
		f.SVG, f.Table, f.Alt = "", FigureTable{}, "Not drawn: "+err.Error()+"."
	}
	return f, true
}

// weightedView is r with the descriptives' weighted estimates in place of
// the unweighted ones, so that the same code draws both figures. A mean's
// standard deviation has no weighted counterpart here: it is left out.
func weightedView(r *Result) *Result {
	v := *r
	d := *r.Descriptives
	d.Frequencies = make([]FrequencySet, len(r.Descriptives.Frequencies))
	for i, set := range r.Descriptives.Frequencies {
		set.Items = slices.Clone(set.Items)
		for j, it := range set.Items {
			if it.Weighted == nil {
				set.Items[j].N = 0 // nothing to draw
				continue
			}
			set.Items[j].Counts = make([]Count, len(it.Weighted))
			for k, w := range it.Weighted {
				set.Items[j].Counts[k] = Count{Value: w.Value, Label: w.Label, Percent: w.Percent}
			}
		}
		d.Frequencies[i] = set
	}
	d.Means = make([]MeanSet, len(r.Descriptives.Means))
	for i, set := range r.Descriptives.Means {
		set.Groups = slices.Clone(set.Groups)
		for j, g := range set.Groups {
			if w := g.Weighted; w != nil {
				set.Groups[j] = GroupMean{Group: g.Group, N: g.N, Mean: w.Mean, SE: number(float64(w.SE)), Lo: number(float64(w.Lo)), Hi: number(float64(w.Hi))}
			}
		}
		d.Means[i] = set
	}
	v.Descriptives = &d
	return &v
}

// find returns the element of list whose id is id.
func find[T any](list []T, id string, idOf func(T) string) (T, bool) {
	i := slices.IndexFunc(list, func(x T) bool { return idOf(x) == id })
	if i < 0 {
		var zero T
		return zero, false
	}
	return list[i], true
}

// Fixed writes v with d decimals, as the figures' tables and the report
// show statistics: "—" where it is not defined, and never "-0.00".
func Fixed(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-") // not "-0.00"
	}
	return s
}

func value(n *report.Number) float64 {
	if n == nil {
		return math.NaN()
	}
	return float64(*n)
}

// PValue writes a p-value to three decimals, and a small one as "<0.001".
func PValue(p float64) string {
	if p < 0.0005 {
		return "<0.001"
	}
	return Fixed(p, 3)
}

// list joins words as a sentence does: "a", "a and b", "a, b and c".
func list(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// frequencyFigure draws stacked bars of the frequency sets the figure
// names, one group per set and one bar per item.
func frequencyFigure(f *Figure, spec instrument.FigureSpec, r *Result) error {
	if r.Descriptives == nil {
		return fmt.Errorf("the result has no descriptives")
	}
	var sets []FrequencySet
	for _, id := range spec.Frequencies {
		set, ok := find(r.Descriptives.Frequencies, id, func(s FrequencySet) string { return s.ID })
		if !ok || !slices.ContainsFunc(set.Items, func(it ItemFrequency) bool { return it.N > 0 && len(it.Counts) > 0 }) {
			return fmt.Errorf("the result has no answers for the frequencies %s", id)
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		return fmt.Errorf("the figure names no frequencies")
	}
	cats := categories(sets[0].Items[0].Counts)
	st := chart.Stacked{Categories: cats,
		Meta: chart.Meta{ID: spec.ID, Title: spec.Title, Desc: "Stacked horizontal bars: for each item, the percentage of answers in each category, " + list(seriesLabels(cats)) + "."}}
	f.Table = FigureTable{Caption: "Percent of each item's answers by category; n counts the answers (don't know and no answer are left out).",
		Header: append(append([]string{"Group", "Item"}, seriesLabels(cats)...), "n")}
	for _, set := range sets {
		g := chart.StackGroup{Label: set.Label}
		for _, it := range set.Items {
			bar := chart.StackBar{Label: it.Label}
			row := []string{set.Label, it.Label}
			for _, c := range it.Counts {
				bar.Percents = append(bar.Percents, float64(c.Percent))
				row = append(row, Fixed(float64(c.Percent), 1))
			}
			g.Bars = append(g.Bars, bar)
			f.Table.Rows = append(f.Table.Rows, append(row, strconv.Itoa(it.N)))
		}
		st.Groups = append(st.Groups, g)
	}
	f.SVG = chart.StackedBars(st)
	f.Alt = frequencyAlt(sets, cats)
	return nil
}

// categories colours the options in their order: the highest maroon, the
// next gold (daily and weekly in the brief), the others greys that darken
// towards them.
func categories(counts []Count) []chart.Series {
	n := len(counts)
	out := make([]chart.Series, n)
	for i, c := range counts {
		color := maroon
		switch {
		case i == n-2:
			color = gold
		case i < n-2:
			light, dark := 0xDD, 0x76
			shade := (light + dark) / 2
			if n > 3 {
				shade = light - (light-dark)*i/(n-3)
			}
			color = fmt.Sprintf("#%02X%02X%02X", shade, shade, shade)
		}
		out[i] = chart.Series{Label: c.Label, Color: color}
	}
	return out
}

func seriesLabels(s []chart.Series) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Label
	}
	return out
}

// frequencyAlt names the item with the largest share in the top category
// and, for each set, the mean share of the top two categories: the brief
// compares how often data are provided and received daily or weekly.
func frequencyAlt(sets []FrequencySet, cats []chart.Series) string {
	n := len(cats)
	top, where := math.Inf(-1), ""
	var pairs []string
	for _, set := range sets {
		sum, items := 0.0, 0
		for _, it := range set.Items {
			if it.N == 0 || len(it.Counts) != n {
				continue
			}
			if p := float64(it.Counts[n-1].Percent); p > top {
				top, where = p, set.Label+": "+it.Label
			}
			sum += float64(it.Counts[n-1].Percent)
			if n > 1 {
				sum += float64(it.Counts[n-2].Percent)
			}
			items++
		}
		if items > 0 {
			pairs = append(pairs, fmt.Sprintf("%s %s%%", set.Label, Fixed(sum/float64(items), 1)))
		}
	}
	alt := fmt.Sprintf("The largest share answering %s is %s%% (%s).", cats[n-1].Label, Fixed(top, 1), where)
	if n > 1 {
		alt += fmt.Sprintf(" %s or %s, averaged over the items: %s.", cats[n-1].Label, strings.ToLower(cats[n-2].Label), list(pairs))
	}
	return alt
}

// meansFigure draws the group means of the mean sets the figure names,
// with their intervals, on the axis of the variable's options.
func meansFigure(f *Figure, in *instrument.Instrument, spec instrument.FigureSpec, r *Result) error {
	if r.Descriptives == nil {
		return fmt.Errorf("the result has no descriptives")
	}
	var sets []MeanSet
	for _, id := range spec.Means {
		set, ok := find(r.Descriptives.Means, id, func(s MeanSet) string { return s.ID })
		if !ok || len(set.Groups) == 0 {
			return fmt.Errorf("the result has no means %s (see the warnings)", id)
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		return fmt.Errorf("the figure names no means")
	}
	level := percent(sets[0].Level)
	m := chart.Means{Color: maroon, Meta: chart.Meta{ID: spec.ID, Title: spec.Title,
		Desc: "A dot at each group's mean, on a line from the lower to the upper end of its " + level + " confidence interval."}}
	f.Table = FigureTable{Caption: "Mean of each group with its standard deviation and " + level + " confidence interval.",
		Header: []string{"Group", "n", "Mean", "SD", "Lower " + level, "Upper " + level}}
	for _, set := range sets {
		for _, g := range set.Groups {
			label := g.Group
			if len(sets) > 1 {
				label = set.Label + ": " + g.Group
			}
			e := chart.Estimate{Value: float64(g.Mean), Lo: value(g.Lo), Hi: value(g.Hi)}
			m.Rows = append(m.Rows, chart.MeanRow{Label: label, Estimate: e})
			f.Table.Rows = append(f.Table.Rows, []string{label, strconv.Itoa(g.N), Fixed(e.Value, 2), Fixed(value(g.SD), 2), Fixed(e.Lo, 2), Fixed(e.Hi, 2)})
		}
	}
	options := scaleOptions(in, sets[0].Variable)
	m.Min, m.Max = meanRange(options, m.Rows)
	for _, o := range options {
		m.Ticks = append(m.Ticks, chart.Tick{Value: float64(o.Value), Label: fmt.Sprintf("%d\n%s", o.Value, o.Label)})
	}
	f.SVG = chart.MeanIntervals(m)
	f.Alt = meansAlt(m.Rows, options, level)
	return nil
}

// percent writes a confidence level as "95%".
func percent(level float64) string {
	return strconv.FormatFloat(math.Round(level*1000)/10, 'f', -1, 64) + "%"
}

// scaleOptions are the answer options a variable's values lie among: an
// item's own, or the items' of a scale scored as their mean. None for a
// sum, a factor score or a frame field.
func scaleOptions(in *instrument.Instrument, name string) []instrument.Option {
	if it, ok := in.Item(name); ok {
		return it.Options
	}
	s, ok := find(in.Analysis.Scales, name, func(s instrument.ScaleSpec) string { return s.Name })
	if !ok || s.Score == "sum" || len(s.Items) == 0 {
		return nil
	}
	it, _ := in.Item(s.Items[0])
	return it.Options
}

// meanRange is the axis of a means figure: the options' lowest and highest
// values, or without options the span of the means and intervals.
func meanRange(options []instrument.Option, rows []chart.MeanRow) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, o := range options {
		lo, hi = math.Min(lo, float64(o.Value)), math.Max(hi, float64(o.Value))
	}
	if len(options) > 0 {
		return lo, hi
	}
	for _, r := range rows {
		for _, v := range []float64{r.Value, r.Lo, r.Hi} {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	return lo, hi
}

// meansAlt names the groups with the highest and the lowest mean.
func meansAlt(rows []chart.MeanRow, options []instrument.Option, level string) string {
	hi, lo := -1, -1
	for i, r := range rows {
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			continue
		}
		if hi < 0 || r.Value > rows[hi].Value {
			hi = i
		}
		if lo < 0 || r.Value < rows[lo].Value {
			lo = i
		}
	}
	if hi < 0 {
		return "No group has a mean."
	}
	alt := fmt.Sprintf("Highest mean: %s, %s; lowest: %s, %s", rows[hi].Label, estimateText(rows[hi].Estimate, 2, level),
		rows[lo].Label, estimateText(rows[lo].Estimate, 2, ""))
	if n := len(options); n > 1 {
		alt += fmt.Sprintf(", on a scale from %d (%s) to %d (%s)", options[0].Value, options[0].Label, options[n-1].Value, options[n-1].Label)
	}
	return alt + "."
}

// estimateText is "2.84 (95% CI 2.61 to 3.07)", or without a level
// "1.72 (1.50 to 1.94)"; just the value without an interval.
func estimateText(e chart.Estimate, decimals int, level string) string {
	s := Fixed(e.Value, decimals)
	if math.IsNaN(e.Lo+e.Hi) || math.IsInf(e.Lo+e.Hi, 0) {
		return s
	}
	if level != "" {
		level += " CI "
	}
	return fmt.Sprintf("%s (%s%s to %s)", s, level, Fixed(e.Lo, decimals), Fixed(e.Hi, decimals))
}

// modelColors are the models' colours in the figure's order: the brief's
// grey, maroon and gold, then others that stand out from white.
var modelColors = []string{grey, maroon, gold, "#1d70b8", "#00703c", "#5f5f5f"}

// coefficientFigure draws the figure's terms in each of its models, with
// 95% intervals from the cluster-robust standard error where the model
// has one, else the model-based one.
func coefficientFigure(f *Figure, in *instrument.Instrument, spec instrument.FigureSpec, r *Result) error {
	var models []Model
	for _, id := range spec.Models {
		m, ok := find(r.Models, id, func(m Model) string { return m.ID })
		if !ok || m.Model == nil {
			return fmt.Errorf("the model %s has no result in this run (see the warnings)", id)
		}
		models = append(models, m)
	}
	if len(models) == 0 || len(spec.Terms) == 0 {
		return fmt.Errorf("the figure names no models or no terms")
	}
	co := chart.Coefficients{Meta: chart.Meta{ID: spec.ID, Title: spec.Title,
		Desc: "For each term, one bar per model from zero to the coefficient, with a line across its 95% interval."}}
	for i, m := range models {
		co.Models = append(co.Models, chart.Series{Label: m.Label, Color: modelColors[i%len(modelColors)]})
	}
	f.Table = FigureTable{Caption: seCaption(in, models),
		Header: []string{"Term", "Model", "Estimate", "SE", "Lower 95%", "Upper 95%", "p"}}
	for _, term := range spec.Terms {
		g := chart.TermGroup{Label: Label(in, term)}
		for _, m := range models {
			c, ok := find(m.Coefficients, term, func(c report.Coefficient) string { return c.Term })
			if !ok {
				return fmt.Errorf("the model %s has no term %s", m.ID, term)
			}
			se := intervalSE(c)
			e := chart.Estimate{Value: float64(c.Estimate), Lo: float64(c.Estimate) - z975*se, Hi: float64(c.Estimate) + z975*se}
			g.Estimates = append(g.Estimates, e)
			f.Table.Rows = append(f.Table.Rows, []string{g.Label, m.Label, Fixed(e.Value, 3), Fixed(se, 3), Fixed(e.Lo, 3), Fixed(e.Hi, 3), PValue(float64(c.InferenceP()))})
		}
		co.Terms = append(co.Terms, g)
	}
	f.SVG = chart.CoefficientBars(co)
	f.Alt = coefficientAlt(co)
	return nil
}

// intervalSE is the standard error behind a coefficient's interval: the
// cluster-robust one when the model has clusters.
func intervalSE(c report.Coefficient) float64 {
	if c.ClusterSE != nil {
		return float64(*c.ClusterSE)
	}
	return float64(c.SE)
}

// seCaption says which standard error each model's intervals use.
func seCaption(in *instrument.Instrument, models []Model) string {
	var kinds []string
	byKind := map[string][]string{}
	for _, m := range models {
		kind := "the model-based standard error"
		if m.Clusters > 0 && !slices.ContainsFunc(m.Coefficients, func(c report.Coefficient) bool { return c.ClusterSE == nil }) {
			by := "cluster"
			if spec, ok := find(in.Analysis.Models, m.ID, func(s instrument.ModelSpec) string { return s.ID }); ok && spec.Cluster != "" {
				by = spec.Cluster
			}
			kind = fmt.Sprintf("the standard error clustered by %s (%d clusters)", by, m.Clusters)
		}
		if _, seen := byKind[kind]; !seen {
			kinds = append(kinds, kind)
		}
		byKind[kind] = append(byKind[kind], m.Label)
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = k
		if len(kinds) > 1 {
			parts[i] += " for " + list(byKind[k])
		}
	}
	return "Coefficients with 95% intervals, estimate ± 1.96 × SE, where SE is " + strings.Join(parts, "; ") + "."
}

// Label is how the questionnaire's analysis section names a factor, a
// scale or a model: its label, else the name itself (a term such as
// log(population) has none).
func Label(in *instrument.Instrument, name string) string {
	a := in.Analysis
	if a == nil {
		return name
	}
	if a.EFA != nil {
		if f, ok := find(a.EFA.Factors, name, func(f instrument.FactorSpec) string { return f.Name }); ok {
			return cmp.Or(f.Label, name)
		}
	}
	if s, ok := find(a.Scales, name, func(s instrument.ScaleSpec) string { return s.Name }); ok {
		return cmp.Or(s.Label, name)
	}
	if m, ok := find(a.Models, name, func(m instrument.ModelSpec) string { return m.ID }); ok {
		return cmp.Or(m.Label, name)
	}
	return name
}

// coefficientAlt names the largest coefficient and counts the intervals
// that exclude zero.
func coefficientAlt(co chart.Coefficients) string {
	best, where := chart.Estimate{Value: math.Inf(-1)}, ""
	above, below, all := 0, 0, 0
	for _, t := range co.Terms {
		for i, e := range t.Estimates {
			if e.Value > best.Value {
				best, where = e, t.Label+" for "+co.Models[i].Label
			}
			all++
			if e.Lo > 0 {
				above++
			} else if e.Hi < 0 {
				below++
			}
		}
	}
	return fmt.Sprintf("The largest coefficient is %s: %s. Of the %d intervals, %d lie above zero and %d below.",
		where, estimateText(best, 2, "95%"), all, above, below)
}
