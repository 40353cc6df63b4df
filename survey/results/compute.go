package results

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/canvass-survey/canvass/analysis/category"
	"github.com/canvass-survey/canvass/analysis/cor"
	"github.com/canvass-survey/canvass/analysis/efa"
	"github.com/canvass-survey/canvass/analysis/model"
	"github.com/canvass-survey/canvass/analysis/report"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Thresholds a methodologist would flag.
const (
	casesPerItem  = 10  // fewer cases per EFA item than this is too few
	kmoFloor      = 0.6 // Kaiser's "mediocre"
	alphaFloor    = 0.7 // Nunnally's conventional floor
	salientCut    = 0.3 // a loading at least this large (absolute) is salient
	salientNeeded = 3   // a factor needs this many salient loadings
	defaultLevel  = 0.95
)

// analysis is one run's computation over a finished table. Its parts add
// to the result and to a per-case score column set that the scores CSV
// reads; a part that fails records a warning and leaves what depends on it
// out, so one bad model does not cost the night its other tables.
type analysis struct {
	in     *instrument.Instrument
	spec   *instrument.Analysis
	t      *table
	out    *Result
	scores map[string][]float64 // scale and factor scores by name, per row
}

// compute fills r's tables from t.
func compute(in *instrument.Instrument, t *table, r *Result) (scoreNames []string, scores map[string][]float64) {
	a := &analysis{in: in, spec: in.Analysis, t: t, out: r, scores: map[string][]float64{}}
	a.scales()
	a.factorAnalysis()
	a.models()
	a.describe()
	for _, s := range a.spec.Scales {
		scoreNames = append(scoreNames, s.Name)
	}
	for _, f := range r.Factors {
		scoreNames = append(scoreNames, f.Name)
	}
	return scoreNames, a.scores
}

func (a *analysis) warn(format string, args ...any) {
	a.out.Warnings = append(a.out.Warnings, fmt.Sprintf(format, args...))
}

// scales scores every scale and computes its reliability.
func (a *analysis) scales() {
	a.out.Reliability = map[string]*report.Alpha{}
	for _, s := range a.spec.Scales {
		a.scores[s.Name] = a.scaleScores(s)
		alpha, err := report.Reliability(s.Items, a.t.rows(s.Items), s.Reverse)
		if err != nil {
			a.warn("scale %s: reliability not computed: %v", s.Name, err)
			continue
		}
		a.out.Reliability[s.Name] = alpha
		for _, w := range alpha.Warnings {
			a.warn("scale %s: %s", s.Name, w)
		}
		if float64(alpha.RawAlpha) < alphaFloor {
			a.warn("scale %s: alpha %.2f is under %.1f", s.Name, float64(alpha.RawAlpha), alphaFloor)
		}
	}
}

// scaleScores is each row's mean or sum of the scale's answered items,
// reverse-keyed items turned over their range (lo + hi − v); NaN for a row
// that answers fewer than the scale's minimum.
func (a *analysis) scaleScores(s instrument.ScaleSpec) []float64 {
	minAnswered := s.MinAnswered
	if minAnswered == 0 {
		minAnswered = (len(s.Items) + 1) / 2
	}
	reversed := make([]bool, len(s.Items))
	flip := make([]float64, len(s.Items))
	for j, id := range s.Items {
		if reversed[j] = slices.Contains(s.Reverse, id); reversed[j] {
			lo, hi := itemRange(a.in, id)
			flip[j] = lo + hi
		}
	}
	out := make([]float64, len(a.t.ids))
	for i := range out {
		sum, n := 0.0, 0
		for j, id := range s.Items {
			v := a.t.num[id][i]
			if math.IsNaN(v) {
				continue
			}
			if reversed[j] {
				v = flip[j] - v
			}
			sum += v
			n++
		}
		switch {
		case n < minAnswered:
			out[i] = math.NaN()
		case s.Score == "sum":
			out[i] = sum
		default:
			out[i] = sum / float64(n)
		}
	}
	return out
}

// itemRange is the range of an item's answers: its options' smallest and
// largest codes, or a number question's min and max (which the
// questionnaire's checks require of a reverse-keyed one).
func itemRange(in *instrument.Instrument, id string) (lo, hi float64) {
	it, _ := in.Item(id)
	if it.Type == instrument.Number && it.Min != nil && it.Max != nil {
		return *it.Min, *it.Max
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, o := range it.Options {
		lo, hi = math.Min(lo, float64(o.Value)), math.Max(hi, float64(o.Value))
	}
	return lo, hi
}

// factorAnalysis runs the EFA, names its factors by their markers, and
// scores every row on them.
func (a *analysis) factorAnalysis() {
	spec := a.spec.EFA
	if spec == nil {
		return
	}
	o := efaOptions(spec)
	x := a.t.rows(spec.Items)
	c, err := correlations(spec, x, o)
	if err != nil {
		a.warn("efa: correlations not computed: %v", err)
		return
	}
	doc, res, err := report.RunEFA(*c, report.EFAOptions{Factors: len(spec.Factors), Method: efa.Method(o.Method),
		Rotation: efa.Rotation(o.Rotation), Parallel: o.Parallel, Seed: o.Seed})
	if err != nil {
		a.warn("efa: not computed: %v", err)
		return
	}
	a.out.EFA = doc
	for _, w := range doc.Warnings {
		a.warn("efa: %s", w)
	}
	a.adequacy(doc, x)
	a.nameFactors(spec, res)
	weights, err := res.ScoreWeights(c.R, efa.ScoreMethod(o.Scores))
	if err != nil {
		a.warn("efa: factor scores not computed: %v", err)
		return
	}
	scores := efa.Scores(x, weights)
	for _, f := range a.out.Factors {
		col := make([]float64, len(scores))
		for i, row := range scores {
			col[i] = float64(f.Sign) * row[f.Column]
		}
		a.scores[f.Name] = col
	}
}

// adequacy flags too few cases per item — counting the rows that answer
// at least one of the EFA's items — and a KMO under the floor or undefined.
func (a *analysis) adequacy(doc *report.EFA, x [][]float64) {
	answering := 0
	for _, row := range x {
		if slices.ContainsFunc(row, func(v float64) bool { return !math.IsNaN(v) }) {
			answering++
		}
	}
	if per := float64(answering) / float64(len(doc.Items)); per < casesPerItem {
		a.warn("efa: %.1f cases per item, fewer than %d", per, casesPerItem)
	}
	switch kmo := float64(doc.KMO.Overall); {
	case math.IsNaN(kmo):
		a.warn("efa: KMO could not be computed (the correlation matrix is singular)")
	case kmo < kmoFloor:
		a.warn("efa: KMO %.2f is under %.1f: the items share too little for a factor analysis", kmo, kmoFloor)
	}
}

// efaOptions fills the defaults of the EFA's options.
func efaOptions(spec *instrument.EFASpec) Options {
	o := Options{Method: spec.Method, Rotation: spec.Rotation, Correlation: spec.Correlation, Missing: spec.Missing,
		Scores: spec.Scores, Parallel: spec.Parallel, Seed: spec.Seed}
	o.Method = cmp.Or(o.Method, string(efa.MinRes))
	o.Rotation = cmp.Or(o.Rotation, string(efa.Oblimin))
	o.Correlation = cmp.Or(o.Correlation, "pearson")
	o.Missing = cmp.Or(o.Missing, cor.Pairwise.String())
	o.Scores = cmp.Or(o.Scores, string(efa.Regression))
	switch o.Parallel {
	case 0:
		o.Parallel = 20
	case -1:
		o.Parallel = 0
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// correlations are the EFA's input, computed as `canvass analyze efa` does.
func correlations(spec *instrument.EFASpec, x [][]float64, o Options) (*report.Correlations, error) {
	if o.Correlation == "polychoric" {
		res, err := cor.Polychoric(spec.Items, x)
		if err != nil {
			return nil, err
		}
		return &report.Correlations{Items: spec.Items, R: res.R, N: len(x), PairN: res.PairN}, nil
	}
	miss, err := cor.ParseMissing(o.Missing)
	if err != nil {
		return nil, err
	}
	acc := cor.NewAccumulator(spec.Items, miss)
	for _, row := range x {
		acc.Add(row)
	}
	res, err := acc.Result()
	if err != nil {
		return nil, err
	}
	c := &report.Correlations{Items: res.Names, R: res.R, N: res.Rows, PairN: res.PairN}
	if miss == cor.Listwise {
		c.N, c.PairN = res.Complete, nil
	}
	return c, nil
}

// nameFactors gives each named factor its own column of the loadings: the
// one-to-one assignment of markers to columns with the largest sum of the
// markers' absolute loadings, each column turned so its marker loads
// positively. A marker that does not load most on its column is flagged:
// the solution does not separate those factors as the questionnaire names
// them.
func (a *analysis) nameFactors(spec *instrument.EFASpec, res *efa.Result) {
	markers := make([][]float64, len(spec.Factors))
	for k, f := range spec.Factors {
		markers[k] = res.Loadings.RawRowView(slices.Index(spec.Items, f.Marker))
	}
	columns := bestAssignment(markers)
	for k, f := range spec.Factors {
		row, col := markers[k], columns[k]
		if top := largestAbs(row); top != col {
			a.warn("efa: marker %s of factor %s loads most on another factor: the solution does not separate the factors as named", f.Marker, f.Name)
		}
		sign := 1
		if row[col] < 0 {
			sign = -1
		}
		salient := countSalient(res.Loadings, col)
		if salient < salientNeeded {
			a.warn("efa: factor %s has %d salient loadings (|loading| ≥ %.1f), fewer than %d", f.Name, salient, salientCut, salientNeeded)
		}
		a.out.Factors = append(a.out.Factors, Factor{Name: f.Name, Label: cmp.Or(f.Label, f.Name), Marker: f.Marker,
			Column: col, Sign: sign, Salient: salient})
	}
}

// bestAssignment gives each marker row a distinct column, maximizing the
// sum of the absolute loadings chosen; ties go to the first assignment in
// lexicographic order, so the choice is deterministic. The number of
// factors is small (the checks keep it under the items), so every
// permutation is tried.
func bestAssignment(markers [][]float64) []int {
	k := len(markers)
	best, bestSum := []int(nil), math.Inf(-1)
	perm := make([]int, k)
	used := make([]bool, k)
	var try func(i int, sum float64)
	try = func(i int, sum float64) {
		if i == k {
			if sum > bestSum {
				best, bestSum = slices.Clone(perm), sum
			}
			return
		}
		for col := range k {
			if !used[col] {
				used[col], perm[i] = true, col
				try(i+1, sum+math.Abs(markers[i][col]))
				used[col] = false
			}
		}
	}
	try(0, 0)
	return best
}

// largestAbs is the index of the largest absolute value in row.
func largestAbs(row []float64) int {
	top := 0
	for j := range row {
		if math.Abs(row[j]) > math.Abs(row[top]) {
			top = j
		}
	}
	return top
}

func countSalient(loadings *mat.Dense, col int) int {
	n := 0
	rows, _ := loadings.Dims()
	for i := 0; i < rows; i++ {
		if math.Abs(loadings.At(i, col)) >= salientCut {
			n++
		}
	}
	return n
}

// numeric returns the values of a numeric variable or transform of one, by
// row, NaN where missing or outside the transform's domain.
func (a *analysis) numeric(predictor string) ([]float64, error) {
	transform, name, _ := instrument.SplitTransform(predictor)
	x, ok := a.scores[name]
	if !ok {
		x, ok = a.t.num[name]
	}
	if !ok {
		return nil, fmt.Errorf("%s has no values: its part of the analysis failed", name)
	}
	f := map[string]func(float64) float64{"": func(v float64) float64 { return v }, "log": math.Log, "log10": math.Log10, "sqrt": math.Sqrt}[transform]
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f(v)
		if math.IsInf(out[i], 0) {
			out[i] = math.NaN()
		}
	}
	return out, nil
}

// models fits every model of the analysis section.
func (a *analysis) models() {
	for _, spec := range a.spec.Models {
		m, err := a.fit(spec)
		if err != nil {
			a.warn("model %s: not fitted: %v", spec.ID, err)
			continue
		}
		for _, w := range m.Warnings {
			a.warn("model %s: %s", spec.ID, w)
		}
		a.out.Models = append(a.out.Models, Model{ID: spec.ID, Label: cmp.Or(spec.Label, spec.ID), Outcome: spec.Outcome, Model: m})
	}
}

func (a *analysis) fit(spec instrument.ModelSpec) (*report.Model, error) {
	var p model.Predictors
	for _, name := range spec.Predictors {
		x, err := a.numeric(name)
		if err != nil {
			return nil, err
		}
		p.Numeric = append(p.Numeric, model.Variable{Name: name, Values: x})
	}
	for _, c := range spec.Categorical {
		p.Factors = append(p.Factors, a.factor(c))
	}
	if spec.Cluster != "" {
		p.Cluster = &model.Factor{Name: spec.Cluster, Labels: a.t.cat[spec.Cluster]}
	}
	y, err := a.numeric(spec.Outcome)
	if err != nil {
		return nil, err
	}
	if spec.Type == "ols" {
		m, _, err := report.OLS(model.Variable{Name: spec.Outcome, Values: y}, p)
		return m, err
	}
	labels := make([]string, len(y))
	for i, v := range y {
		if !math.IsNaN(v) {
			labels[i] = fmt.Sprint(v)
		}
	}
	m, _, err := report.OrderedLogit(model.Factor{Name: spec.Outcome, Labels: labels}, p)
	return m, err
}

// factor is a categorical predictor with its reference level first: the
// questionnaire's order of departments, forms of government or options.
func (a *analysis) factor(c instrument.CategoricalSpec) model.Factor {
	f := model.Factor{Name: c.Var, Labels: a.t.cat[c.Var]}
	var levels []string
	switch c.Var {
	case "department":
		levels = slices.Clone(a.in.Frame.Departments)
	case "form_of_government":
		levels = slices.Clone(a.in.Frame.FormsOfGovernment)
	case "state", "city":
		levels = category.Levels(f.Labels)
	default:
		it, _ := a.in.Item(c.Var)
		for _, o := range it.Options {
			levels = append(levels, o.Label)
		}
	}
	if c.Reference != "" {
		levels = slices.DeleteFunc(levels, func(l string) bool { return l == c.Reference })
		levels = append([]string{c.Reference}, levels...)
	}
	f.Levels = levels
	return f
}
