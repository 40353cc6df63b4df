package results

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat"

	"github.com/canvass-survey/canvass/analysis/describe"
	"github.com/canvass-survey/canvass/analysis/report"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// describe computes the descriptives: the frequency sets and group means
// the section asks for, and a summary of every numeric variable.
func (a *analysis) describe() {
	d := &Descriptives{Frequencies: []FrequencySet{}, Means: []MeanSet{}, Variables: []Variable{}}
	for _, f := range a.spec.Descriptives.Frequencies {
		set := FrequencySet{ID: f.ID, Label: cmp.Or(f.Label, f.ID)}
		for _, id := range f.Items {
			set.Items = append(set.Items, a.frequency(id))
		}
		d.Frequencies = append(d.Frequencies, set)
	}
	for _, m := range a.spec.Descriptives.Means {
		set, err := a.means(m)
		if err != nil {
			a.warn("means %s: not computed: %v", m.ID, err)
			continue
		}
		d.Means = append(d.Means, *set)
	}
	d.Variables = a.variables()
	a.out.Descriptives = d
}

// frequency counts an item's answers over its options, in option order.
func (a *analysis) frequency(id string) ItemFrequency {
	it, _ := a.in.Item(id)
	f := ItemFrequency{Item: id, Label: it.Text}
	counts := make(map[int]int, len(it.Options))
	for _, v := range a.t.num[id] {
		if math.IsNaN(v) {
			f.Missing++
			continue
		}
		f.N++
		counts[int(v)]++
	}
	for _, o := range it.Options {
		pct := math.NaN()
		if f.N > 0 {
			pct = 100 * float64(counts[o.Value]) / float64(f.N)
		}
		f.Counts = append(f.Counts, Count{Value: o.Value, Label: o.Label, Count: counts[o.Value], Percent: report.Number(pct)})
	}
	if a.t.weight != nil && f.N > 0 {
		shares, err := a.weightedShares(it, a.t.num[id])
		if err != nil {
			a.warn("weighted frequencies of %s: not computed: %v", id, err)
		}
		f.Weighted = shares
	}
	return f
}

// weightedShares are an item's options' weighted shares, in option order.
func (a *analysis) weightedShares(it instrument.Item, codes []float64) ([]WeightedShare, error) {
	values := make([]string, len(codes))
	for i, v := range codes {
		if !math.IsNaN(v) {
			values[i] = strconv.Itoa(int(v))
		}
	}
	tables, err := describe.WeightedFrequencies(values, nil, a.t.weight, a.clusters(), defaultLevel)
	if err != nil {
		return nil, err
	}
	out := make([]WeightedShare, len(it.Options))
	for i, o := range it.Options {
		out[i] = WeightedShare{Value: o.Value, Label: o.Label}
		for _, r := range tables[0].Rows {
			if r.Category == strconv.Itoa(o.Value) {
				out[i].Percent, out[i].SE, out[i].Lo, out[i].Hi = report.Number(100*r.Proportion), report.Number(100*r.SE), report.Number(100*r.Lo), report.Number(100*r.Hi)
			}
		}
	}
	return out, nil
}

// clusters are the rows' cities, the units the weighted standard errors
// are linearized over; a case without a city is a cluster of its own.
func (a *analysis) clusters() []string {
	out := slices.Clone(a.t.cat["city"])
	for i, c := range out {
		if c == "" {
			out[i] = "case " + a.t.ids[i]
		}
	}
	return out
}

// means is a variable's mean by group with its confidence intervals, the
// groups in the questionnaire's order when it lists them.
func (a *analysis) means(m instrument.MeanSpec) (*MeanSet, error) {
	level := m.Level
	if level == 0 {
		level = defaultLevel
	}
	x, err := a.numeric(m.Variable)
	if err != nil {
		return nil, err
	}
	var groups []string
	if m.By != "" {
		groups = a.t.cat[m.By]
	}
	means, err := describe.GroupMeans(x, groups, level)
	if err != nil {
		return nil, err
	}
	set := &MeanSet{ID: m.ID, Label: cmp.Or(m.Label, m.ID), Variable: m.Variable, By: m.By, Level: level, Groups: []GroupMean{}}
	for _, g := range means {
		gm := GroupMean{Group: g.Group, N: g.N, Mean: report.Number(g.Mean)}
		if s := g.Spread; s != nil {
			gm.SD, gm.SE, gm.Lo, gm.Hi = number(s.SD), number(s.SE), number(s.Lo), number(s.Hi)
		}
		set.Groups = append(set.Groups, gm)
	}
	if a.t.weight != nil {
		if err := a.weightedMeans(set, x, groups, level); err != nil {
			a.warn("weighted means %s: not computed: %v", m.ID, err)
		}
	}
	a.orderGroups(m.By, set.Groups)
	return set, nil
}

// weightedMeans adds each group's weighted mean to set.
func (a *analysis) weightedMeans(set *MeanSet, x []float64, groups []string, level float64) error {
	means, err := describe.WeightedGroupMeans(x, groups, a.t.weight, a.clusters(), level)
	if err != nil {
		return err
	}
	for _, w := range means {
		for i := range set.Groups {
			if set.Groups[i].Group == w.Group {
				set.Groups[i].Weighted = &WeightedMean{Mean: report.Number(w.Mean), SE: report.Number(w.SE), Lo: report.Number(w.Lo), Hi: report.Number(w.Hi), SumWeights: report.Number(w.SumWeights)}
			}
		}
	}
	return nil
}

func number(v float64) *report.Number {
	n := report.Number(v)
	return &n
}

// orderGroups puts departments and forms of government in the
// questionnaire's order, the order readers know them in.
func (a *analysis) orderGroups(by string, groups []GroupMean) {
	var order []string
	switch by {
	case "department":
		order = a.in.Frame.Departments
	case "form_of_government":
		order = a.in.Frame.FormsOfGovernment
	default:
		return
	}
	rank := func(g string) int {
		for i, o := range order {
			if o == g {
				return i
			}
		}
		return len(order)
	}
	slices.SortStableFunc(groups, func(x, y GroupMean) int { return rank(x.Group) - rank(y.Group) })
}

// variables summarizes the items, scale scores and factor scores.
func (a *analysis) variables() []Variable {
	var out []Variable
	add := func(name, kind string, x []float64) {
		v := Variable{Name: name, Kind: kind}
		var present []float64
		for _, value := range x {
			if math.IsNaN(value) {
				v.Missing++
			} else {
				present = append(present, value)
			}
		}
		v.N = len(present)
		v.Mean, v.SD, v.Min, v.Max = report.Number(math.NaN()), report.Number(math.NaN()), report.Number(math.NaN()), report.Number(math.NaN())
		if v.N > 0 {
			v.Mean = report.Number(stat.Mean(present, nil))
			v.Min, v.Max = report.Number(slices.Min(present)), report.Number(slices.Max(present))
		}
		if v.N > 1 {
			v.SD = report.Number(stat.StdDev(present, nil))
		}
		out = append(out, v)
	}
	for _, id := range neededColumns(a.in).numItems {
		add(id, instrument.KindItem, a.t.num[id])
	}
	add("population", instrument.KindFrame, a.t.num["population"])
	for _, s := range a.spec.Scales {
		add(s.Name, instrument.KindScale, a.scores[s.Name])
	}
	for _, f := range a.out.Factors {
		add(f.Name, instrument.KindFactor, a.scores[f.Name])
	}
	return out
}
