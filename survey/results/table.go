package results

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/weights"
)

// usedDispositions are the AAPOR dispositions whose answers the analysis
// reads: completes and partials.
var usedDispositions = []aapor.Code{aapor.I, aapor.P}

// table is the analysis table: one row per used case, holding only the
// columns the analysis section reads — item codes, the population, and the
// categorical frame fields — so its size is a few numbers per respondent,
// whatever the size of the case documents streamed to build it.
type table struct {
	ids []string
	// num holds numeric columns by name: items (NaN where unanswered,
	// hidden, "don't know" or "prefer not to say") and population.
	num map[string][]float64
	// cat holds categorical columns: the frame's department,
	// form_of_government, state and city (city within its state), and
	// categorical items by option label; "" is missing.
	cat map[string][]string
	// read counts the cases streamed, used or not.
	read int
	// frame holds every case read, for the response propensities and the
	// weights; weight is each row's weight, nil while unweighted.
	frame  []weights.Case
	weight []float64
}

// columns lists what a table must hold for an analysis section.
type columns struct {
	numItems []string // items read as codes
	catItems []string // items read as option labels
}

func newTable(in *instrument.Instrument) (*table, columns) {
	cols := neededColumns(in)
	t := &table{num: map[string][]float64{"population": nil}, cat: map[string][]string{}}
	for _, id := range cols.numItems {
		t.num[id] = nil
	}
	for _, name := range instrument.FrameCategorical {
		t.cat[name] = nil
	}
	for _, id := range cols.catItems {
		t.cat[id] = nil
	}
	return t, cols
}

// neededColumns collects the items the analysis section names, in a fixed
// order.
func neededColumns(in *instrument.Instrument) columns {
	a := in.Analysis
	var names []string
	add := func(ids ...string) {
		for _, id := range ids {
			if _, name, ok := instrument.SplitTransform(id); ok && in.VariableKind(name) == instrument.KindItem {
				names = append(names, name)
			}
		}
	}
	if a.EFA != nil {
		add(a.EFA.Items...)
	}
	for _, s := range a.Scales {
		add(s.Items...)
	}
	for _, m := range a.Models {
		add(m.Outcome)
		add(m.Predictors...)
	}
	for _, f := range a.Descriptives.Frequencies {
		add(f.Items...)
	}
	for _, m := range a.Descriptives.Means {
		add(m.Variable)
	}
	var cols columns
	for _, m := range a.Models {
		for _, c := range m.Categorical {
			if in.VariableKind(c.Var) == instrument.KindItem && !slices.Contains(cols.catItems, c.Var) {
				cols.catItems = append(cols.catItems, c.Var)
			}
		}
	}
	slices.Sort(names)
	cols.numItems = slices.Compact(names)
	return cols
}

// add appends c's row if its disposition is used.
func (t *table) add(c *survey.Case, in *instrument.Instrument, cols columns, th aapor.Thresholds) {
	t.read++
	a := in.Normalize(c.Answers)
	in.Clean(a)
	disposition := th.Code(aapor.FactsWith(c, a, in))
	t.frame = append(t.frame, weights.Case{ID: c.ID, Strata: aapor.StrataOf(c.Frame), Code: disposition})
	if !slices.Contains(usedDispositions, disposition) {
		return
	}
	t.ids = append(t.ids, c.ID)
	f := c.Frame
	population := math.NaN()
	if f.Population > 0 {
		population = float64(f.Population)
	}
	t.num["population"] = append(t.num["population"], population)
	city := ""
	if f.City != "" {
		city = f.City + ", " + f.State
	}
	for name, v := range map[string]string{"department": f.Department, "form_of_government": f.FormOfGovernment, "state": f.State, "city": city} {
		t.cat[name] = append(t.cat[name], v)
	}
	for _, id := range cols.numItems {
		t.num[id] = append(t.num[id], code(a[id]))
	}
	for _, id := range cols.catItems {
		t.cat[id] = append(t.cat[id], optionLabel(in, id, a[id]))
	}
}

// weigh gives each row its weight from the raking of the respondents to
// the frame, and reports how it went; rows stay unweighted unless it was
// ok.
func (t *table) weigh(in *instrument.Instrument) (*weights.Report, *weights.Of) {
	rep, of := weights.Compute(t.frame, in)
	if rep.Status == weights.StatusOK {
		t.weight = make([]float64, len(t.ids))
		for i, id := range t.ids {
			t.weight[i] = of.Weight[id]
		}
	}
	return rep, of
}

// code is an answer as a number: NaN for no answer or a special one.
func code(v any) float64 {
	switch v := v.(type) {
	case int:
		return float64(v)
	case float64:
		return v
	}
	return math.NaN()
}

func optionLabel(in *instrument.Instrument, id string, v any) string {
	c, ok := v.(int)
	if !ok {
		return ""
	}
	it, _ := in.Item(id)
	for _, o := range it.Options {
		if o.Value == c {
			return o.Label
		}
	}
	return strconv.Itoa(c)
}

// sortByID puts the rows in case-id order, so that a result does not
// depend on the order the store returned the cases in.
func (t *table) sortByID() {
	perm := make([]int, len(t.ids))
	for i := range perm {
		perm[i] = i
	}
	sort.Slice(perm, func(a, b int) bool { return t.ids[perm[a]] < t.ids[perm[b]] })
	t.ids = permute(t.ids, perm)
	for k, v := range t.num {
		t.num[k] = permute(v, perm)
	}
	for k, v := range t.cat {
		t.cat[k] = permute(v, perm)
	}
	// The propensity model sums over the frame in this order: a fixed one
	// keeps a result's numbers the same to the last bit from run to run.
	slices.SortFunc(t.frame, func(a, b weights.Case) int { return strings.Compare(a.ID, b.ID) })
}

func permute[T any](x []T, perm []int) []T {
	out := make([]T, len(perm))
	for i, p := range perm {
		out[i] = x[p]
	}
	return out
}

// rows returns the named numeric columns as rows, NaN where missing.
func (t *table) rows(names []string) [][]float64 {
	out := make([][]float64, len(t.ids))
	for i := range out {
		row := make([]float64, len(names))
		for j, name := range names {
			row[j] = t.num[name][i]
		}
		out[i] = row
	}
	return out
}
