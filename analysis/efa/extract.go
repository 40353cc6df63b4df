package efa

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
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
	atBound   []bool // uniqueness held at its bound while fitting
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
			bound[i] = v < lowerUniqueness+1e-6 || v > upper-1e-6
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
	red := mat.NewSymDense(len(psi), nil)
	red.CopySym(s)
	for i, v := range psi {
		red.SetSym(i, i, s.At(i, i)-v)
	}
	vals, vecs, err := eigenDesc(red)
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
	star := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			star.SetSym(i, j, s.At(i, j)/math.Sqrt(psi[i]*psi[j]))
		}
	}
	vals, vecs, err := eigenDesc(star)
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

// loadingsFor computes the loadings that go with fitted uniquenesses.
func loadingsFor(s *mat.SymDense, k int, psi []float64, m Method) (*mat.Dense, error) {
	if m == ML {
		p := len(psi)
		star := mat.NewSymDense(p, nil)
		for i := 0; i < p; i++ {
			for j := i; j < p; j++ {
				star.SetSym(i, j, s.At(i, j)/math.Sqrt(psi[i]*psi[j]))
			}
		}
		vals, vecs, err := eigenDesc(star)
		if err != nil {
			return nil, err
		}
		return mlLoadings(vals, vecs, k, psi), nil
	}
	red := withDiag(s, diag(s))
	for i, v := range psi {
		red.SetSym(i, i, s.At(i, i)-v)
	}
	vals, vecs, err := eigenDesc(red)
	if err != nil {
		return nil, err
	}
	return principalLoadings(vals, vecs, k), nil
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

// minimizeBoxed minimizes f over the box [lo, hi]ⁿ with L-BFGS on the
// logistic transform x = lo + (hi−lo)/(1+e^−t). The transform keeps every
// trial point inside the box (the ML discrepancy is undefined outside), and a
// bound that binds is approached to within far less than the reported
// precision. It reports whether the gradient test was met.
func minimizeBoxed(f func(x, grad []float64) (float64, error), x0 []float64, lo, hi float64) ([]float64, bool, error) {
	n := len(x0)
	width := hi - lo
	toX := func(t []float64, x []float64) {
		for i, v := range t {
			x[i] = lo + width/(1+math.Exp(-v))
		}
	}
	t0 := make([]float64, n)
	for i, v := range x0 {
		u := (v - lo) / width
		u = math.Max(1e-6, math.Min(1-1e-6, u))
		t0[i] = math.Log(u / (1 - u))
	}
	x := make([]float64, n)
	g := make([]float64, n)
	var evalErr error
	problem := optimize.Problem{
		Func: func(t []float64) float64 {
			toX(t, x)
			v, err := f(x, nil)
			if err != nil {
				evalErr = err
				return math.Inf(1)
			}
			return v
		},
		Grad: func(grad, t []float64) {
			toX(t, x)
			if _, err := f(x, g); err != nil {
				evalErr = err
			}
			for i := range t {
				dx := (x[i] - lo) * (hi - x[i]) / width
				grad[i] = g[i] * dx
			}
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-10,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-15, Relative: 1e-15, Iterations: 50},
		MajorIterations:   10000,
	}
	res, err := optimize.Minimize(problem, t0, settings, &optimize.LBFGS{})
	if evalErr != nil {
		return nil, false, evalErr
	}
	if res == nil {
		return nil, false, err
	}
	out := make([]float64, n)
	toX(res.X, out)
	converged := err == nil || errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress)
	if converged {
		// A stalled line search is convergence only where the gradient is flat.
		grad := make([]float64, n)
		problem.Grad(grad, res.X)
		converged = mat.Norm(mat.NewVecDense(n, grad), math.Inf(1)) < 1e-6
	}
	return out, converged, nil
}
