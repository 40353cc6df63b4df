package model

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/canvass-survey/canvass/analysis/category"
)

// interceptTerm is R's name for the constant column of a design matrix.
const interceptTerm = "(Intercept)"

// collinearityTolerance is the relative size below which the part of a
// column not explained by the columns before it counts as zero; it is the
// tolerance R's lm gives its pivoting QR decomposition.
const collinearityTolerance = 1e-7

// design is a model matrix built from Predictors after listwise deletion.
type design struct {
	x     *mat.Dense // one row per row used, one column per term
	terms []string
	// rows are the indices, in the input columns, of the rows used.
	rows []int
	// cluster numbers each used row's cluster 0..clusters-1; nil without a cluster.
	cluster  []int
	clusters int
}

// buildDesign builds the model matrix of p over the rows where the response
// is present (responsePresent[i]) and no predictor or cluster is missing.
// With intercept the first column is the constant (Intercept). Without it the
// model has its own constant (the ordered logit's thresholds), so a constant
// or an intercept-collinear predictor is refused all the same.
func buildDesign(p Predictors, responsePresent []bool, intercept bool) (*design, error) {
	n := len(responsePresent)
	for _, v := range p.Numeric {
		if len(v.Values) != n {
			return nil, fmt.Errorf("predictor %q has %d values, the response has %d", v.Name, len(v.Values), n)
		}
	}
	factors := p.Factors
	if p.Cluster != nil {
		factors = append(factors[:len(factors):len(factors)], *p.Cluster)
	}
	for _, f := range factors {
		if len(f.Labels) != n {
			return nil, fmt.Errorf("column %q has %d values, the response has %d", f.Name, len(f.Labels), n)
		}
	}

	var rows []int
	for i := range n {
		if responsePresent[i] && rowComplete(p, factors, i) {
			rows = append(rows, i)
		}
	}

	d := &design{rows: rows}
	var columns [][]float64
	if intercept {
		d.terms = append(d.terms, interceptTerm)
		columns = append(columns, constant(len(rows)))
	}
	for _, v := range p.Numeric {
		column := make([]float64, len(rows))
		for r, i := range rows {
			column[r] = v.Values[i]
		}
		if len(rows) > 0 && floats.Min(column) == floats.Max(column) {
			return nil, fmt.Errorf("predictor %q is constant (%g) in the %d rows used", v.Name, column[0], len(rows))
		}
		d.terms = append(d.terms, v.Name)
		columns = append(columns, column)
	}
	for _, f := range p.Factors {
		terms, dummies, err := treatmentColumns(f, rows)
		if err != nil {
			return nil, err
		}
		d.terms = append(d.terms, terms...)
		columns = append(columns, dummies...)
	}
	if p.Cluster != nil {
		labels := used(p.Cluster.Labels, rows)
		levels := category.Levels(labels)
		d.cluster = category.Index(labels, levels)
		d.clusters = len(levels)
	}

	if len(columns) == 0 || len(columns) == 1 && intercept {
		return nil, fmt.Errorf("a model needs at least one predictor")
	}
	if len(rows) <= len(columns) {
		return nil, fmt.Errorf("%d complete rows are too few for %d terms", len(rows), len(columns))
	}
	if err := checkRank(columns, d.terms, intercept); err != nil {
		return nil, err
	}
	d.x = mat.NewDense(len(rows), len(columns), nil)
	for j, column := range columns {
		d.x.SetCol(j, column)
	}
	return d, nil
}

// treatmentColumns codes a factor by treatment contrasts over the rows
// used: one 0/1 column per level but the first, the reference.
func treatmentColumns(f Factor, rows []int) (terms []string, columns [][]float64, err error) {
	labels := used(f.Labels, rows)
	levels, err := f.levels(labels)
	if err != nil {
		return nil, nil, err
	}
	if len(levels) == 1 {
		return nil, nil, fmt.Errorf("factor %q has only one level (%s) in the %d rows used", f.Name, levels[0], len(rows))
	}
	index := category.Index(labels, levels)
	for level := 1; level < len(levels); level++ {
		column := make([]float64, len(rows))
		for r, l := range index {
			if l == level {
				column[r] = 1
			}
		}
		terms = append(terms, f.Name+"="+levels[level])
		columns = append(columns, column)
	}
	return terms, columns, nil
}

func rowComplete(p Predictors, factors []Factor, i int) bool {
	for _, v := range p.Numeric {
		if math.IsNaN(v.Values[i]) {
			return false
		}
	}
	for _, f := range factors {
		if f.Labels[i] == "" {
			return false
		}
	}
	return true
}

func used(labels []string, rows []int) []string {
	out := make([]string, len(rows))
	for r, i := range rows {
		out[r] = labels[i]
	}
	return out
}

func constant(n int) []float64 {
	column := make([]float64, n)
	for i := range column {
		column[i] = 1
	}
	return column
}

// checkRank refuses a design whose columns are linearly dependent, naming
// the first column that is a combination of earlier ones and the columns it
// combines. The model's own constant is included when the matrix has none
// (hasIntercept false), because it is collinear with the thresholds.
func checkRank(columns [][]float64, terms []string, hasIntercept bool) error {
	if !hasIntercept {
		columns = append([][]float64{constant(len(columns[0]))}, columns...)
		terms = append([]string{"the thresholds' constant"}, terms...)
	}
	// Modified Gram-Schmidt: basis holds orthonormal vectors spanning the
	// columns accepted so far.
	var basis [][]float64
	for j, column := range columns {
		residual := append([]float64(nil), column...)
		for _, q := range basis {
			floats.AddScaled(residual, -floats.Dot(q, residual), q)
		}
		norm := floats.Norm(residual, 2)
		if norm <= collinearityTolerance*floats.Norm(column, 2) {
			return fmt.Errorf("predictors are perfectly collinear: %s is a linear combination of %s",
				terms[j], strings.Join(combination(columns[:j], column, terms[:j]), ", "))
		}
		floats.Scale(1/norm, residual)
		basis = append(basis, residual)
	}
	return nil
}

// combination names the earlier columns that enter the least-squares
// combination reproducing target with a weight that is not negligible.
func combination(earlier [][]float64, target []float64, terms []string) []string {
	a := mat.NewDense(len(target), len(earlier), nil)
	for j, column := range earlier {
		a.SetCol(j, column)
	}
	var qr mat.QR
	qr.Factorize(a)
	var weights mat.Dense
	if err := qr.SolveTo(&weights, false, mat.NewVecDense(len(target), target)); err != nil {
		return terms
	}
	targetNorm := floats.Norm(target, 2)
	var names []string
	for j, column := range earlier {
		if math.Abs(weights.At(j, 0))*floats.Norm(column, 2) > 1e-6*targetNorm {
			names = append(names, terms[j])
		}
	}
	return names
}

// levels are the factor's levels present in labels, in the factor's own
// order when it gives one; then its reference must be among them, or the
// contrasts would silently change meaning.
func (f Factor) levels(labels []string) ([]string, error) {
	present := category.Levels(labels)
	if f.Levels == nil {
		return present, nil
	}
	var out []string
	for _, level := range f.Levels {
		if slices.Contains(present, level) {
			out = append(out, level)
		}
	}
	for _, label := range present {
		if !slices.Contains(f.Levels, label) {
			return nil, fmt.Errorf("factor %q: %q is not one of its levels", f.Name, label)
		}
	}
	if len(out) > 0 && out[0] != f.Levels[0] {
		return nil, fmt.Errorf("factor %q: the reference level %q has no rows among the %d used", f.Name, f.Levels[0], len(labels))
	}
	return out, nil
}
