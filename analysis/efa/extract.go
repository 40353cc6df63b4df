package efa

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Method is a factor extraction method.
type Method string

// The extraction methods, named as psych's fm argument names them.
const (
	MinRes Method = "minres" // minimum residual (unweighted least squares), psych's default
	ML     Method = "ml"     // maximum likelihood
	PA     Method = "pa"     // iterated principal axes
)

// ParseMethod checks a method name.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case MinRes, ML, PA:
		return m, nil
	}
	return "", fmt.Errorf("fm: %q is not one of minres, ml, pa", s)
}

// Bounds on the uniquenesses while fitting, as psych's fa sets them for
// optim's L-BFGS-B: below 0.005 a solution is a Heywood case anyway.
const (
	lowerUniqueness = 0.005
	paTolerance     = 0.001 // psych's min.err: change in total communality
	paMaxIter       = 50    // psych's max.iter
)

// extraction is an unrotated solution.
type extraction struct {
	loadings  *mat.Dense
	converged bool
	atBound   []bool // uniqueness held at its lower bound while fitting: a Heywood case
}

// extract fits k factors to the correlation matrix r. Its result has not yet
// been signed: psych signs it before rotating.
func extract(r *mat.SymDense, k int, m Method) (*extraction, error) {
	start, err := smc(r)
	if err != nil {
		return nil, err
	}
	switch m {
	case PA:
		return principalAxes(r, k, start)
	case MinRes, ML:
		upper := 1.0 // psych: max(smc, 1); smc is at most 1 here
		psi0 := make([]float64, len(start))
		for i, s := range start {
			psi0[i] = r.At(i, i) - s
		}
		obj := minresObjective
		if m == ML {
			obj = mlObjective
		}
		psi, converged, err := minimizeBoxed(func(psi, grad []float64) (float64, error) { return obj(r, k, psi, grad) }, psi0, lowerUniqueness, upper)
		if err != nil {
			return nil, err
		}
		l, err := loadingsFor(r, k, psi, m)
		if err != nil {
			return nil, err
		}
		bound := make([]bool, len(psi))
		for i, v := range psi {
			bound[i] = v < lowerUniqueness+1e-6
		}
		return &extraction{loadings: l, converged: converged, atBound: bound}, nil
	}
	return nil, fmt.Errorf("unknown method %q", m)
}

// minresObjective is ‖S − Ψ − ΛΛᵀ‖², Λ the best rank-k fit to S − Ψ. Its
// minimum is the minres solution (the off-diagonal residuals psych minimizes
// are minimal where the diagonal ones vanish), and by the envelope theorem its
// gradient is −2 diag(S − Ψ − ΛΛᵀ), the direction psych's FAgr.minres uses.
func minresObjective(s *mat.SymDense, k int, psi, grad []float64) (float64, error) {
	vals, vecs, err := reducedEigen(s, psi)
	if err != nil {
		return 0, err
	}
	var f float64
	for j, v := range vals {
		if j >= k || v < 0 {
			f += v * v
		}
	}
	if grad != nil {
		l := principalLoadings(vals, vecs, k)
		for i := range psi {
			h := mat.Dot(l.RowView(i), l.RowView(i))
			grad[i] = -2 * (s.At(i, i) - psi[i] - h)
		}
	}
	return f, nil
}

// mlObjective is the maximum likelihood discrepancy as R's factanal and
// psych's FAfn compute it from the eigenvalues of Ψ^-½ S Ψ^-½, with its
// gradient diag(ΛΛᵀ + Ψ − S)/ψ².
func mlObjective(s *mat.SymDense, k int, psi, grad []float64) (float64, error) {
	p := len(psi)
	vals, vecs, err := scaledEigen(s, psi)
	if err != nil {
		return 0, err
	}
	var f float64
	for _, e := range vals[k:] {
		if e <= 0 {
			return math.Inf(1), nil
		}
		f -= math.Log(e) - e
	}
	f += float64(k - p)
	if grad != nil {
		l := mlLoadings(vals, vecs, k, psi)
		for i := range psi {
			h := mat.Dot(l.RowView(i), l.RowView(i))
			grad[i] = (h + psi[i] - s.At(i, i)) / (psi[i] * psi[i])
		}
	}
	return f, nil
}

// mlLoadings is Ψ^½ V (E − 1)^½ from the eigen decomposition of Ψ^-½ S Ψ^-½.
func mlLoadings(vals []float64, vecs *mat.Dense, k int, psi []float64) *mat.Dense {
	l := mat.NewDense(len(psi), k, nil)
	for j := 0; j < k; j++ {
		s := math.Sqrt(math.Max(vals[j]-1, 0))
		for i := range psi {
			l.Set(i, j, math.Sqrt(psi[i])*vecs.At(i, j)*s)
		}
	}
	return l
}

// loadingsFor computes the loadings that go with fitted uniquenesses, from
// the same decomposition the method's objective took them from.
func loadingsFor(s *mat.SymDense, k int, psi []float64, m Method) (*mat.Dense, error) {
	if m == ML {
		vals, vecs, err := scaledEigen(s, psi)
		if err != nil {
			return nil, err
		}
		return mlLoadings(vals, vecs, k, psi), nil
	}
	vals, vecs, err := reducedEigen(s, psi)
	if err != nil {
		return nil, err
	}
	return principalLoadings(vals, vecs, k), nil
}

// reducedEigen is the eigen decomposition of S − Ψ, the reduced correlation
// matrix whose best rank-k fit gives the minres loadings.
func reducedEigen(s *mat.SymDense, psi []float64) ([]float64, *mat.Dense, error) {
	red := mat.NewSymDense(len(psi), nil)
	red.CopySym(s)
	for i, v := range psi {
		red.SetSym(i, i, s.At(i, i)-v)
	}
	return eigenDesc(red)
}

// scaledEigen is the eigen decomposition of Ψ^-½ S Ψ^-½, which both the ML
// discrepancy and its loadings are written in.
func scaledEigen(s *mat.SymDense, psi []float64) ([]float64, *mat.Dense, error) {
	p := len(psi)
	star := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			star.SetSym(i, j, s.At(i, j)/math.Sqrt(psi[i]*psi[j]))
		}
	}
	return eigenDesc(star)
}

// principalAxes iterates psych's way: put the communalities on the diagonal,
// take the first k principal axes, recompute the communalities, and stop
// when their sum changes by less than paTolerance or after paMaxIter rounds.
// The stopping rule is psych's exactly, so that the results agree.
func principalAxes(r *mat.SymDense, k int, smcs []float64) (*extraction, error) {
	red := withDiag(r, smcs)
	var comm float64
	for _, v := range smcs {
		comm += v
	}
	p := r.SymmetricDim()
	for iter := 1; ; iter++ {
		vals, vecs, err := eigenDesc(red)
		if err != nil {
			return nil, err
		}
		l := principalLoadings(vals, vecs, k)
		var comm1 float64
		for i := 0; i < p; i++ {
			h := mat.Dot(l.RowView(i), l.RowView(i))
			red.SetSym(i, i, h)
			comm1 += h
		}
		change := math.Abs(comm - comm1)
		comm = comm1
		if change <= paTolerance {
			return &extraction{loadings: l, converged: true, atBound: make([]bool, p)}, nil
		}
		if iter+1 > paMaxIter {
			return &extraction{loadings: l, converged: false, atBound: make([]bool, p)}, nil
		}
	}
}

// minimizeBoxed minimizes f over the box [lo, hi]ⁿ by the spectral
// projected gradient method (Birgin, Martínez & Raydan 2000) with a
// nonmonotone line search. Like psych's L-BFGS-B it works on the uniquenesses
// themselves and descends into the local minimum nearest the start, which
// matters: a factor model can have a Heywood minimum far from the SMC start
// that psych never visits. It reports whether the projected gradient test was
// met within the iteration limit.
func minimizeBoxed(f func(x, grad []float64) (float64, error), x0 []float64, lo, hi float64) ([]float64, bool, error) {
	const (
		tolerance = 1e-9 // on the projected gradient, sup norm
		maxIter   = 20000
		memory    = 10 // nonmonotone window
		minStep   = 1e-12
		maxStep   = 1e12
	)
	n := len(x0)
	project := func(dst, x []float64) {
		for i, v := range x {
			dst[i] = math.Max(lo, math.Min(hi, v))
		}
	}
	x := make([]float64, n)
	project(x, x0)
	g := make([]float64, n)
	fx, err := f(x, g)
	if err != nil {
		return nil, false, err
	}
	recent := []float64{fx}
	trial, gTrial, d := make([]float64, n), make([]float64, n), make([]float64, n)
	// projectedGradientNorm is ‖P(x − g) − x‖∞, zero exactly at a stationary point.
	projectedGradientNorm := func() float64 {
		var m float64
		for i := range x {
			m = math.Max(m, math.Abs(math.Max(lo, math.Min(hi, x[i]-g[i]))-x[i]))
		}
		return m
	}
	step := 1.0
	if pg := projectedGradientNorm(); pg > 0 {
		step = 1 / pg
	}
	for iter := 0; iter < maxIter; iter++ {
		if projectedGradientNorm() < tolerance {
			return x, true, nil
		}
		for i := range x {
			d[i] = math.Max(lo, math.Min(hi, x[i]-step*g[i])) - x[i]
		}
		fTrial, err := nonmonotoneSearch(f, x, d, g, fx, floats.Max(recent), trial, gTrial)
		if err != nil {
			return nil, false, err
		}
		var ss, sy float64
		for i := range x {
			s, y := trial[i]-x[i], gTrial[i]-g[i]
			ss += s * s
			sy += s * y
		}
		copy(x, trial)
		copy(g, gTrial)
		fx = fTrial
		if recent = append(recent, fx); len(recent) > memory {
			recent = recent[1:]
		}
		if sy <= 0 {
			step = maxStep
		} else {
			step = math.Max(minStep, math.Min(maxStep, ss/sy))
		}
	}
	return x, projectedGradientNorm() < tolerance, nil
}

// nonmonotoneSearch steps from x along d until the value falls enough below
// worst, the highest of the recent values (SPG2's nonmonotone Armijo rule,
// with its safeguarded quadratic interpolation). It leaves the point and its
// gradient in trial and gTrial and returns the value there.
func nonmonotoneSearch(f func(x, grad []float64) (float64, error), x, d, g []float64, fx, worst float64, trial, gTrial []float64) (float64, error) {
	const sufficient = 1e-4
	slope := floats.Dot(g, d)
	lambda := 1.0
	for {
		for i := range x {
			trial[i] = x[i] + lambda*d[i]
		}
		fTrial, err := f(trial, gTrial)
		if err != nil {
			return 0, err
		}
		if fTrial <= worst+sufficient*lambda*slope || lambda < 1e-20 {
			return fTrial, nil
		}
		next := -slope * lambda * lambda / (2 * (fTrial - fx - lambda*slope))
		if next < 0.1*lambda || next > 0.9*lambda || math.IsNaN(next) {
			next = lambda / 2
		}
		lambda = next
	}
}
