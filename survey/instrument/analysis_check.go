package instrument

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// analysis checks the analysis section against the questionnaire it reads.
// It runs after the items are built, and every name it meets must mean one
// thing the nightly run can compute with: a model that would fail, or
// silently mean something else, at night stops the start instead, with the
// path of each problem.
func (c *checker) analysis() {
	a := c.in.Analysis
	if a == nil {
		return
	}
	c.variableNames(a)
	if a.EFA != nil {
		c.efa(a.EFA)
	}
	for i := range a.Scales {
		c.scale(fmt.Sprintf("analysis.scales[%d]", i), &a.Scales[i])
	}
	models := map[string]*ModelSpec{}
	first := map[string]int{} // model id → its index
	for i := range a.Models {
		m := &a.Models[i]
		path := fmt.Sprintf("analysis.models[%d]", i)
		if j, dup := first[m.ID]; dup && m.ID != "" {
			c.addf(path+".id", "model id %q repeats analysis.models[%d]", m.ID, j)
		} else {
			first[m.ID], models[m.ID] = i, m
		}
		c.model(path, m)
	}
	freqs, means := c.descriptives(&a.Descriptives)
	c.figures(a.Figures, figureTargets{freqs, means, models})
	if a.Weighting != nil {
		c.weighting(a.Weighting)
	}
}

// weighting checks the weighting's variables and trimming bounds.
func (c *checker) weighting(w *WeightingSpec) {
	for i, v := range w.Variables {
		if !slices.Contains(WeightingVariables, v) {
			c.addf(fmt.Sprintf("analysis.weighting.variables[%d]", i), "%q cannot weight: use %s", v, strings.Join(WeightingVariables, ", "))
		}
	}
	c.unique("analysis.weighting.variables", w.Variables)
	if len(w.Trim) > 0 && (len(w.Trim) != 2 || !(w.Trim[0] > 0 && w.Trim[0] < 1 && w.Trim[1] > 1) || math.IsInf(w.Trim[1], 0)) {
		c.addf("analysis.weighting.trim", "give two bounds around 1, as ratios of the mean weight: [lower, upper] with 0 < lower < 1 < upper, e.g. [0.3, 3]")
	}
}

// isFrameField reports whether name is a sample frame field the analysis reads.
func isFrameField(name string) bool {
	return slices.Contains(FrameNumeric, name) || slices.Contains(FrameCategorical, name)
}

// variableNames checks that scales and factors each name one variable.
// Models, means and figures refer to items, scales, factors and frame
// fields by name alone, so a name used twice would silently pick one.
func (c *checker) variableNames(a *Analysis) {
	for _, it := range c.in.items {
		if isFrameField(it.ID) {
			c.addf(c.defined[it.ID], "%q is a sample frame field in the analysis; give the item another id", it.ID)
		}
	}
	first := map[string]string{} // name → path of its first definition
	name := func(path, n string) {
		switch {
		case n == "":
			return // reported by structure
		case isFrameField(n):
			c.addf(path, "%q is a sample frame field; choose another name", n)
		case c.answers[n]:
			c.addf(path, "%q is already an item's id; choose another name", n)
		case first[n] != "":
			c.addf(path, "%q repeats %s", n, first[n])
		default:
			first[n] = path
		}
	}
	if a.EFA != nil {
		for j, f := range a.EFA.Factors {
			name(fmt.Sprintf("analysis.efa.factors[%d].name", j), f.Name)
		}
	}
	for i, s := range a.Scales {
		name(fmt.Sprintf("analysis.scales[%d].name", i), s.Name)
	}
}

// codedType reports whether answers to an item of type t are numbers:
// an option's code or a number.
func codedType(t string) bool {
	return t == Single || t == Dropdown || t == Matrix || t == Number
}

// ordinal reports whether an item's answers are ordered options.
func ordinal(it Item) bool {
	return it.Type == Single || it.Type == Dropdown || it.Type == Matrix
}

// unknown reports a name that is not what path needs (noun: "item" or
// "variable"). A matrix's own id is told apart: its rows are the items.
func (c *checker) unknown(path, noun, name string) {
	if c.matrices[name] {
		c.addf(path, "%q is a matrix question; name one of its rows", name)
		return
	}
	c.addf(path, "unknown %s %q", noun, name)
}

// codedItem checks that id names an item whose answers are numbers.
// optionsNeeded, when not empty, says why a number question will not do.
func (c *checker) codedItem(path, id, optionsNeeded string) {
	if id == "" {
		return // reported by structure
	}
	it, ok := c.in.Item(id)
	switch {
	case !ok:
		c.unknown(path, "item", id)
	case !codedType(it.Type):
		c.addf(path, "item %q is a %s question; only single, dropdown, matrix rows and number questions are coded as numbers", id, it.Type)
	case it.Type == Number && optionsNeeded != "":
		c.addf(path, "item %q is a number question; %s", id, optionsNeeded)
	}
}

// unique reports the entries of a list that repeat an earlier one.
func (c *checker) unique(path string, list []string) {
	for i, v := range list {
		if j := slices.Index(list[:i], v); j >= 0 && v != "" {
			c.addf(fmt.Sprintf("%s[%d]", path, i), "%q repeats %s[%d]", v, path, j)
		}
	}
}

// efa checks the EFA's items and the markers that name its factors.
func (c *checker) efa(e *EFASpec) {
	const path = "analysis.efa"
	c.unique(path+".items", e.Items)
	optionsNeeded := ""
	if e.Correlation == "polychoric" {
		optionsNeeded = "polychoric correlations need items with options"
	}
	for i, id := range e.Items {
		c.codedItem(fmt.Sprintf("%s.items[%d]", path, i), id, optionsNeeded)
	}
	marked := map[string]int{}
	for j, f := range e.Factors {
		at := fmt.Sprintf("%s.factors[%d].marker", path, j)
		k, dup := marked[f.Marker]
		switch {
		case f.Marker == "":
		case !slices.Contains(e.Items, f.Marker):
			c.addf(at, "%q is not one of analysis.efa.items: a factor is named by an item that loads on it", f.Marker)
		case dup:
			c.addf(at, "%q already marks %s.factors[%d]; each factor needs its own marker", f.Marker, path, k)
		default:
			marked[f.Marker] = j
		}
	}
	c.factorCount(e)
}

// factorCount refuses more factors than the items identify: a model with
// negative degrees of freedom, ((p-k)² - (p+k)) / 2 < 0, has more free
// parameters than the correlations it fits, and its loadings mean nothing.
func (c *checker) factorCount(e *EFASpec) {
	p, k := len(slices.Compact(slices.Sorted(slices.Values(e.Items)))), len(e.Factors)
	if p < 3 || k == 0 {
		return // reported by structure
	}
	most := 0
	for (p-most-1)*(p-most-1) >= p+most+1 {
		most++
	}
	switch {
	case k >= p:
		c.addf("analysis.efa.factors", "%d factors from %d items: an EFA needs fewer factors than items (at most %d here)", k, p, most)
	case k > most:
		df := ((p-k)*(p-k) - (p + k)) / 2
		c.addf("analysis.efa.factors", "%d factors from %d items leave %d degrees of freedom, so the model is not identified (at most %d factors here)", k, p, df, most)
	}
}

// scale checks a scale's items, its reverse-keyed ones and min_answered.
func (c *checker) scale(path string, s *ScaleSpec) {
	c.unique(path+".items", s.Items)
	for i, id := range s.Items {
		c.codedItem(fmt.Sprintf("%s.items[%d]", path, i), id, "")
	}
	c.unique(path+".reverse", s.Reverse)
	for i, id := range s.Reverse {
		at := fmt.Sprintf("%s.reverse[%d]", path, i)
		if id != "" && !slices.Contains(s.Items, id) {
			c.addf(at, "%q is not one of the scale's items", id)
			continue
		}
		// Reversing maps x to lowest + highest - x: it needs both.
		if it, ok := c.in.Item(id); ok && it.Type == Number && (it.Min == nil || it.Max == nil) {
			c.addf(at, "item %q has no range to reverse: give the number question a min and a max", id)
		}
	}
	if s.MinAnswered > len(s.Items) {
		c.addf(path+".min_answered", "%d is more than the scale's %d items", s.MinAnswered, len(s.Items))
	}
}

// describe says what a variable is, for messages.
func (c *checker) describe(name string) string {
	switch c.in.VariableKind(name) {
	case KindScale:
		return "a scale"
	case KindFactor:
		return "a factor"
	case KindFrame:
		if slices.Contains(FrameNumeric, name) {
			return "a numeric frame field"
		}
		return "a categorical frame field"
	case KindItem:
		it, _ := c.in.Item(name)
		if it.Type == Matrix {
			return "a matrix row"
		}
		return "a " + it.Type + " question"
	}
	return "unknown"
}

// numericVariable checks that name is a numeric variable: an item coded as
// a number, a scale, a factor or, if frame, population. ok is false when
// it is not, or name is empty.
func (c *checker) numericVariable(path, name string, frame bool) (ok bool) {
	kind := c.in.VariableKind(name)
	it, _ := c.in.Item(name)
	switch {
	case name == "":
		return false // reported by structure
	case kind == "":
		c.unknown(path, "variable", name)
	case kind == KindFrame && slices.Contains(FrameNumeric, name):
		if frame {
			return true
		}
		c.addf(path, "%q is a sample frame field: it may predict, not be an outcome", name)
	case kind == KindFrame:
		c.addf(path, "%q is not numeric: it is %s (a model takes it under categorical)", name, c.describe(name))
	case kind == KindItem && !codedType(it.Type):
		c.addf(path, "%q is not numeric: it is %s", name, c.describe(name))
	default:
		return true
	}
	return false
}

// lowest is the least value a variable can take, when the questionnaire
// bounds it: the least option code, a number's min, the least of a scale's
// items' (what matters is its sign: a mean of the items cannot go below
// it, and a sum is positive, or not negative, when they all are; reversing
// keeps an item's range). A factor score has mean zero, so it goes negative.
func (c *checker) lowest(name string) (float64, bool) {
	switch c.in.VariableKind(name) {
	case KindFactor:
		return math.Inf(-1), true
	case KindScale:
		i := slices.IndexFunc(c.in.Analysis.Scales, func(s ScaleSpec) bool { return s.Name == name })
		low := math.Inf(1)
		for _, id := range c.in.Analysis.Scales[i].Items {
			if c.in.VariableKind(id) != KindItem {
				return 0, false // reported by scale; and a scale must not recurse into itself
			}
			v, ok := c.lowest(id)
			if !ok {
				return 0, false
			}
			low = min(low, v)
		}
		return low, !math.IsInf(low, 1)
	case KindItem:
		it, _ := c.in.Item(name)
		if len(it.Options) > 0 {
			return float64(slices.MinFunc(it.Options, func(a, b Option) int { return cmp.Compare(a.Value, b.Value) }).Value), true
		}
		if it.Min != nil {
			return *it.Min, true
		}
	}
	return 0, false
}

// transform refuses log or sqrt of a variable the questionnaire lets be
// zero or negative: the run would turn those cases into -Inf or NaN.
func (c *checker) transform(path, transform, name string) {
	low, ok := c.lowest(name)
	if transform == "" || !ok || low > 0 || transform == "sqrt" && low >= 0 {
		return
	}
	if math.IsInf(low, -1) {
		c.addf(path, "%q is a factor: its scores go below 0, where %s is undefined", name, transform)
		return
	}
	c.addf(path, "%q can be %g, where %s is undefined", name, low, transform)
}

// model checks one regression: its outcome, and a right-hand side that
// names each variable once and never the outcome.
func (c *checker) model(path string, m *ModelSpec) {
	c.outcome(path+".outcome", m)
	if len(m.Predictors)+len(m.Categorical) == 0 {
		c.addf(path, "a model needs predictors or categorical variables")
	}
	isOutcome := func(at, name string) bool {
		if name != "" && name == m.Outcome {
			c.addf(at, "%q is the model's outcome; it cannot also predict it", name)
		}
		return name != "" && name == m.Outcome
	}
	numeric := map[string]string{} // variable → path of the first predictor of it
	for i, p := range m.Predictors {
		at := fmt.Sprintf("%s.predictors[%d]", path, i)
		transform, name, ok := SplitTransform(p)
		switch {
		case p == "" || isOutcome(at, name):
		case !ok:
			c.addf(at, "%q is not a predictor: write a variable's name, or log(x), log10(x) or sqrt(x) of one", p)
		case slices.Contains(m.Predictors[:i], p):
			c.addf(at, "%q repeats %s.predictors[%d]", p, path, slices.Index(m.Predictors, p))
		default:
			if numeric[name] == "" {
				numeric[name] = at
			}
			if c.numericVariable(at, name, true) {
				c.transform(at, transform, name)
			}
		}
	}
	for i, cat := range m.Categorical {
		at := fmt.Sprintf("%s.categorical[%d]", path, i)
		first := slices.IndexFunc(m.Categorical, func(o CategoricalSpec) bool { return o.Var == cat.Var })
		switch {
		case cat.Var == "" || isOutcome(at+".var", cat.Var):
		case numeric[cat.Var] != "":
			c.addf(at+".var", "%q is already a numeric predictor at %s", cat.Var, numeric[cat.Var])
		case first < i:
			c.addf(at+".var", "%q repeats %s.categorical[%d]", cat.Var, path, first)
		default:
			c.categorical(at, cat)
		}
	}
}

// outcome checks a model's outcome against its type: an ordered logit
// needs ordered categories, least squares a number.
func (c *checker) outcome(path string, m *ModelSpec) {
	name := m.Outcome
	it, _ := c.in.Item(name)
	kind := c.in.VariableKind(name)
	switch {
	case name == "":
	case m.Type == "ologit" && kind == "":
		c.unknown(path, "variable", name)
	case m.Type == "ologit" && (kind != KindItem || !ordinal(it)):
		c.addf(path, "%q is not ordinal: an ologit outcome is an item with ordered options (single, dropdown or matrix row), and this is %s", name, c.describe(name))
	case m.Type == "ols":
		c.numericVariable(path, name, false)
	}
}

// categorical checks a categorical predictor and its reference level.
func (c *checker) categorical(path string, cat CategoricalSpec) {
	ref := path + ".reference"
	it, _ := c.in.Item(cat.Var)
	kind := c.in.VariableKind(cat.Var)
	switch {
	case cat.Var == "department":
		c.level(ref, cat.Reference, c.in.Frame.Departments, "frame.departments")
	case cat.Var == "form_of_government":
		c.level(ref, cat.Reference, c.in.Frame.FormsOfGovernment, "frame.forms_of_government")
	case cat.Var == "state":
		// The states are whatever the frame holds: any reference may be one.
	case kind == "":
		c.unknown(path+".var", "variable", cat.Var)
	case kind != KindItem || it.Type != Single && it.Type != Dropdown:
		hint := ""
		if cat.Var == "city" {
			hint = "; to allow for cities, cluster by city"
		}
		c.addf(path+".var", "%q cannot be categorical: it is %s; use department, form_of_government, state, or a single or dropdown item%s", cat.Var, c.describe(cat.Var), hint)
	default:
		labels := make([]string, len(it.Options))
		for i, o := range it.Options {
			labels[i] = o.Label
		}
		c.level(ref, cat.Reference, labels, fmt.Sprintf("the option labels of %q", cat.Var))
	}
}

// level checks that ref, when given, is one of levels, spelt as there: the
// run compares the frame's and the options' values exactly.
func (c *checker) level(path, ref string, levels []string, where string) {
	if ref == "" || slices.Contains(levels, ref) {
		return
	}
	fold := func(l string) bool { return strings.EqualFold(strings.TrimSpace(l), strings.TrimSpace(ref)) }
	if i := slices.IndexFunc(levels, fold); i >= 0 {
		c.addf(path, "%q is spelt %q in %s", ref, levels[i], where)
		return
	}
	quoted := make([]string, len(levels))
	for i, l := range levels {
		quoted[i] = fmt.Sprintf("%q", l)
	}
	c.addf(path, "%q is not a level: it is not one of %s (%s)", ref, where, strings.Join(quoted, ", "))
}

// descriptives checks the frequency tables and means, and returns their ids.
func (c *checker) descriptives(d *Descriptives) (freqs, means map[string]bool) {
	freqs, means = map[string]bool{}, map[string]bool{}
	first := map[string]string{} // id → its path
	id := func(path, v string) {
		if at, dup := first[v]; dup && v != "" {
			c.addf(path, "id %q repeats %s", v, at)
			return
		}
		first[v] = path
	}
	for i, f := range d.Frequencies {
		path := fmt.Sprintf("analysis.descriptives.frequencies[%d]", i)
		id(path+".id", f.ID)
		freqs[f.ID] = true
		c.frequency(path, f)
	}
	for i, m := range d.Means {
		path := fmt.Sprintf("analysis.descriptives.means[%d]", i)
		id(path+".id", m.ID)
		means[m.ID] = true
		c.numericVariable(path+".variable", m.Variable, true)
	}
	return freqs, means
}

// frequency checks a frequency table: its items share their option codes,
// so that one legend and one set of bars fits them all.
func (c *checker) frequency(path string, f FrequencySpec) {
	c.unique(path+".items", f.Items)
	var firstID string
	var firstCodes []int
	for i, id := range f.Items {
		at := fmt.Sprintf("%s.items[%d]", path, i)
		c.codedItem(at, id, "a frequency table needs items with options")
		it, ok := c.in.Item(id)
		if !ok || !ordinal(it) {
			continue
		}
		codes := make([]int, len(it.Options))
		for k, o := range it.Options {
			codes[k] = o.Value
		}
		slices.Sort(codes)
		switch {
		case firstCodes == nil:
			firstID, firstCodes = id, codes
		case !slices.Equal(codes, firstCodes):
			c.addf(at, "item %q has the codes %v and %q has %v: the items of a frequency table share their options", id, codes, firstID, firstCodes)
		}
	}
}

// figureTargets are what figures may draw, by id.
type figureTargets struct {
	frequencies, means map[string]bool
	models             map[string]*ModelSpec
}

// figureLists are the lists a figure of each kind draws; it gives no other.
var figureLists = map[string][]string{"frequencies": {"frequencies"}, "means": {"means"}, "coefficients": {"models", "terms"}}

// figures checks that each figure gives the lists its kind draws, and only
// those, and that they name what exists.
func (c *checker) figures(figs []FigureSpec, t figureTargets) {
	ids := map[string]int{}
	for i, f := range figs {
		path := fmt.Sprintf("analysis.figures[%d]", i)
		if j, dup := ids[f.ID]; dup && f.ID != "" {
			c.addf(path+".id", "figure id %q repeats analysis.figures[%d]", f.ID, j)
		} else {
			ids[f.ID] = i
		}
		need, ok := figureLists[f.Kind]
		if !ok {
			continue // reported by structure
		}
		for _, l := range []struct {
			key   string
			ids   []string
			known func(string) bool
			what  string
		}{
			{"frequencies", f.Frequencies, func(id string) bool { return t.frequencies[id] }, "frequency table"},
			{"means", f.Means, func(id string) bool { return t.means[id] }, "mean"},
			{"models", f.Models, func(id string) bool { return t.models[id] != nil }, "model"},
			{"terms", f.Terms, func(string) bool { return true }, "term"},
		} {
			at := path + "." + l.key
			switch {
			case !slices.Contains(need, l.key) && len(l.ids) > 0:
				c.addf(at, "is not drawn by a %s figure", f.Kind)
			case !slices.Contains(need, l.key):
			case len(l.ids) == 0:
				c.addf(at, "a %s figure needs %s", f.Kind, l.key)
			default:
				c.references(at, l.ids, l.what, l.known)
			}
		}
		if f.Kind == "coefficients" {
			c.terms(path+".terms", f, t.models)
		}
	}
}

// references checks a figure's list of ids of what it draws.
func (c *checker) references(path string, ids []string, what string, known func(string) bool) {
	c.unique(path, ids)
	for i, id := range ids {
		if !known(id) {
			c.addf(fmt.Sprintf("%s[%d]", path, i), "unknown %s %q", what, id)
		}
	}
}

// terms checks that a coefficient figure draws terms every model it shows
// has, written as in the models' predictors: "log(population)".
func (c *checker) terms(path string, f FigureSpec, models map[string]*ModelSpec) {
	for i, term := range f.Terms {
		var lacking []string
		for j, id := range f.Models {
			if m := models[id]; m != nil && !slices.Contains(m.Predictors, term) && !slices.Contains(f.Models[:j], id) {
				lacking = append(lacking, fmt.Sprintf("%q", id))
			}
		}
		models := "model"
		if len(lacking) > 1 {
			models = "models"
		}
		if len(lacking) > 0 {
			c.addf(fmt.Sprintf("%s[%d]", path, i), "%q is not a predictor of %s %s: a term is written as in the predictors of every model of the figure", term, models, strings.Join(lacking, ", "))
		}
	}
}
