// Package efa is exploratory factor analysis as R's psych::fa computes it:
// extraction by minimum residual (the default), maximum likelihood or
// iterated principal axes, from squared multiple correlations as starting
// communalities; rotation by varimax, quartimax, promax or oblimin (the
// default) with psych's choice of algorithm, normalization, sign and order of
// factors; psych's fit statistics, item complexity and factor score
// adequacy. Beside it: KMO and Bartlett's test of sphericity, Velicer's MAP
// and parallel analysis for the number of factors, and factor scores.
//
// Factors may come out in another order or sign than psych's only where psych
// itself leaves them undetermined; in practice they agree.
//
// Problems with the input are errors (a singular correlation matrix, more
// factors than items, no more rows than items); problems with a solution
// are named in Result.Warnings (a Heywood case, an optimizer or rotation that
// did not converge, no degrees of freedom left for the fit statistics), and
// every number that is undefined for that reason is NaN, never a made-up value.
package efa

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Options choose the model.
type Options struct {
	Factors  int
	Method   Method   // "" means MinRes
	Rotation Rotation // "" means Oblimin
	// N is the number of observations behind the correlations (psych's n.obs:
	// with raw data, the number of rows).
	N int
	// PairN holds the number of rows behind each correlation when they were
	// computed pairwise from raw data; RMSR is then weighted by it, as psych
	// does. Nil when the analysis starts from a correlation matrix.
	PairN *mat.SymDense
}

// Result is a fitted, rotated factor model. Matrices are items × factors.
type Result struct {
	Items    []string
	N        int
	Method   Method
	Rotation Rotation

	Loadings  *mat.Dense // the pattern matrix
	Structure *mat.Dense // item-factor correlations: Loadings Φ
	Phi       *mat.Dense // factor correlations; nil for an orthogonal solution

	Communalities []float64 // diag(L Φ Lᵀ), psych's h2
	Uniquenesses  []float64 // 1 − h2, psych's u2
	Complexity    []float64 // Hofmann's item complexity, psych's com

	Eigenvalues       []float64 // of the correlation matrix
	CommonEigenvalues []float64 // of the correlation matrix with communalities on the diagonal
	SSLoadings        []float64 // per factor; with Φ, diag(Φ LᵀL)
	ProportionVar     []float64 // SSLoadings / number of items

	Fit Fit
	// ScoreR2 is the squared multiple correlation of each factor with the
	// items (regression scores' adequacy); ScoreCorrelation is its square
	// root and psych's "minimum correlation of possible factor scores" is
	// 2·R² − 1.
	ScoreR2 []float64

	Warnings []string
}

// ErrSingular reports a correlation matrix that is not positive definite.
var ErrSingular = errors.New("the correlation matrix is singular")

// Analyze fits a factor model to the correlation matrix r of the named items.
func Analyze(items []string, r *mat.SymDense, opt Options) (*Result, error) {
	p := r.SymmetricDim()
	if len(items) != p {
		return nil, fmt.Errorf("%d item names for a %d × %d correlation matrix", len(items), p, p)
	}
	if opt.Method == "" {
		opt.Method = MinRes
	}
	if opt.Rotation == "" {
		opt.Rotation = Oblimin
	}
	k := opt.Factors
	switch {
	case p < 2:
		return nil, fmt.Errorf("a factor analysis needs at least 2 items, got %d", p)
	case k < 1 || k >= p:
		return nil, fmt.Errorf("factors: %d factors for %d items; choose 1 to %d", k, p, p-1)
	case opt.N <= p:
		return nil, fmt.Errorf("n = %d observations for %d items: a factor analysis needs more observations than items", opt.N, p)
	}
	if err := checkPositiveDefinite(items, r); err != nil {
		return nil, err
	}
	res := &Result{Items: items, N: opt.N, Method: opt.Method, Rotation: opt.Rotation}

	ext, err := extract(r, k, opt.Method)
	if err != nil {
		return nil, err
	}
	if !ext.converged {
		res.warn("not converged: the %s fit stopped before meeting its convergence test; the loadings may be inaccurate", opt.Method)
	}
	loadings := ext.loadings
	signColumns(loadings, nil)

	rot, err := rotate(loadings, opt.Rotation)
	if err != nil {
		return nil, err
	}
	if !rot.converged {
		res.warn("rotation not converged: %s stopped after its iteration limit", opt.Rotation)
	}
	res.Loadings, res.Phi = rot.loadings, rot.phi
	signColumns(res.Loadings, res.Phi)
	sortFactors(res.Loadings, res.Phi)

	model := outer(ext.loadings, nil) // rotation leaves the common part unchanged
	res.Communalities = diag(model)
	res.Uniquenesses = make([]float64, p)
	for i, h := range res.Communalities {
		res.Uniquenesses[i] = r.At(i, i) - h
		if h >= 1-1e-6 || ext.atBound[i] {
			res.warn("heywood: item %q has communality %.4f (uniqueness %.4f); the solution is improper", items[i], h, res.Uniquenesses[i])
		}
	}
	res.Complexity = complexity(res.Loadings)
	res.Structure = structure(res.Loadings, res.Phi)
	res.SSLoadings, res.ProportionVar = varianceExplained(res.Loadings, res.Phi, p)

	if res.Eigenvalues, err = eigenvaluesDesc(r); err != nil {
		return nil, err
	}
	if res.CommonEigenvalues, err = eigenvaluesDesc(withDiag(r, res.Communalities)); err != nil {
		return nil, err
	}
	if res.Fit, err = fitStatistics(r, model, p, k, opt.N, opt.PairN); err != nil {
		return nil, err
	}
	if res.Fit.DF <= 0 {
		res.warn(NoDFWarning+"%g: %d factors are more than %d items identify; chi-square p, RMSEA, TLI and BIC are undefined", res.Fit.DF, k, p)
	}
	if res.ScoreR2, err = scoreR2(r, res.Structure); err != nil {
		return nil, err
	}
	return res, nil
}

// NoDFWarning starts the warning of a model with no degrees of freedom left.
const NoDFWarning = "df = "

func (r *Result) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// checkPositiveDefinite rejects a correlation matrix with an eigenvalue
// near zero or below, naming the items that make up the dependency (the
// largest entries of the eigenvector).
func checkPositiveDefinite(items []string, r *mat.SymDense) error {
	if items == nil {
		items = make([]string, r.SymmetricDim())
		for i := range items {
			items[i] = fmt.Sprintf("item %d", i+1)
		}
	}
	vals, vecs, err := eigenDesc(r)
	if err != nil {
		return err
	}
	p := len(vals)
	if vals[p-1] > 1e-8 {
		return nil
	}
	var involved []string
	for i := 0; i < p; i++ {
		if math.Abs(vecs.At(i, p-1)) > 0.1 {
			involved = append(involved, items[i])
		}
	}
	return fmt.Errorf("%w (smallest eigenvalue %.3g): these items are linearly dependent or their pairwise correlations are inconsistent: %q", ErrSingular, vals[p-1], involved)
}

// signColumns makes every column's sum positive, as psych does before and
// after rotating, flipping Φ's rows and columns to match.
func signColumns(l *mat.Dense, phi *mat.Dense) {
	p, k := l.Dims()
	sign := make([]float64, k)
	for j := 0; j < k; j++ {
		var s float64
		for i := 0; i < p; i++ {
			s += l.At(i, j)
		}
		sign[j] = 1
		if s < 0 {
			sign[j] = -1
		}
		for i := 0; i < p; i++ {
			l.Set(i, j, l.At(i, j)*sign[j])
		}
	}
	if phi != nil {
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				phi.Set(i, j, phi.At(i, j)*sign[i]*sign[j])
			}
		}
	}
}

// sortFactors orders the factors by decreasing variance explained, diag(Φ LᵀL).
func sortFactors(l *mat.Dense, phi *mat.Dense) {
	p, k := l.Dims()
	ss, _ := varianceExplained(l, phi, p)
	order := make([]int, k)
	for j := range order {
		order[j] = j
	}
	sort.SliceStable(order, func(a, b int) bool { return ss[order[a]] > ss[order[b]] })
	orig := mat.DenseCopyOf(l)
	for j, from := range order {
		l.SetCol(j, mat.Col(nil, from, orig))
	}
	if phi != nil {
		origPhi := mat.DenseCopyOf(phi)
		for i, fi := range order {
			for j, fj := range order {
				phi.Set(i, j, origPhi.At(fi, fj))
			}
		}
	}
}

// varianceExplained returns each factor's sum of squared loadings (with Φ,
// diag(Φ LᵀL), psych's convention) and its share of the p items' variance.
func varianceExplained(l *mat.Dense, phi *mat.Dense, p int) (ss, prop []float64) {
	var ltl mat.Dense
	ltl.Mul(l.T(), l)
	if phi != nil {
		ltl.Mul(phi, &ltl)
	}
	_, k := l.Dims()
	ss = make([]float64, k)
	prop = make([]float64, k)
	for j := range ss {
		ss[j] = ltl.At(j, j)
		prop[j] = ss[j] / float64(p)
	}
	return ss, prop
}

func structure(l *mat.Dense, phi *mat.Dense) *mat.Dense {
	if phi == nil {
		return mat.DenseCopyOf(l)
	}
	var s mat.Dense
	s.Mul(l, phi)
	return &s
}

// complexity is Hofmann's index per item, (Σ λ²)² / Σ λ⁴.
func complexity(l *mat.Dense) []float64 {
	p, _ := l.Dims()
	out := make([]float64, p)
	for i := 0; i < p; i++ {
		var s2, s4 float64
		for _, v := range l.RawRowView(i) {
			s2 += v * v
			s4 += v * v * v * v
		}
		out[i] = s2 * s2 / s4
	}
	return out
}

// scoreR2 is psych's factor score adequacy: with regression weights
// W = R⁻¹ S, the squared multiple correlation of each factor with the items
// is diag(Wᵀ S).
func scoreR2(r *mat.SymDense, s *mat.Dense) ([]float64, error) {
	rs, _, err := smoothed(r)
	if err != nil {
		return nil, err
	}
	var w, wts mat.Dense
	if err := w.Solve(rs, s); err != nil {
		return nil, fmt.Errorf("factor score weights: %w", err)
	}
	wts.Mul(w.T(), s)
	_, k := s.Dims()
	out := make([]float64, k)
	for j := range out {
		out[j] = wts.At(j, j)
	}
	return out, nil
}
