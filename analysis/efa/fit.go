package efa

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Fit holds psych's goodness-of-fit statistics for a factor model. A value
// that is undefined (no degrees of freedom, a confidence bound that does not
// exist) is NaN; encoders must turn NaN into null.
type Fit struct {
	Objective float64 // the ML discrepancy of the model correlation matrix from R
	Chi2      float64 // Objective × (n − 1 − (2p + 5)/6 − 2k/3), Bartlett's correction
	DF        float64 // p(p−1)/2 − pk + k(k−1)/2
	P         float64
	RMSEA     float64
	RMSEALo   float64 // 90% interval
	RMSEAHi   float64
	TLI       float64
	BIC       float64
	RMSR      float64 // root mean square of the off-diagonal residuals
	NullChi2  float64
	NullDF    float64
}

// rmseaTail is one side of the RMSEA interval: fa's alpha = .1 gives 90%.
const rmseaTail = 0.05

// fitStatistics follows psych's fa.stats: r is the correlation matrix, model
// the fitted common part L Φ Lᵀ, n the number of observations and pairN the
// pairwise counts (nil when the analysis started from a correlation matrix).
func fitStatistics(r, model *mat.SymDense, nItems, k, n int, pairN *mat.SymDense) (Fit, error) {
	p := float64(nItems)
	kf := float64(k)
	fit := Fit{DF: p*(p-1)/2 - p*kf + kf*(kf-1)/2, NullDF: p * (p - 1) / 2}

	var off, weight float64
	var harmonic, count float64
	for i := 0; i < nItems; i++ {
		for j := 0; j < nItems; j++ {
			w := 1.0
			if pairN != nil {
				w = pairN.At(i, j)
				harmonic += 1 / w
				count++
			}
			if i != j {
				d := r.At(i, j) - model.At(i, j)
				off += d * d * w
			}
		}
	}
	weight = 1
	if pairN != nil {
		weight = count / harmonic
	}
	fit.RMSR = math.Sqrt(off / (weight * p * (p - 1)))

	full := withDiag(model, diag(r))
	full, _, err := smoothed(full)
	if err != nil {
		return fit, err
	}
	rs, _, err := smoothed(r)
	if err != nil {
		return fit, err
	}
	fit.Objective, err = discrepancy(full, rs)
	if err != nil {
		return fit, err
	}
	null, err := discrepancy(identitySym(nItems), rs)
	if err != nil {
		return fit, err
	}
	nf := float64(n)
	scale := nf - 1 - (2*p+5)/6 - 2*kf/3
	fit.Chi2 = math.Max(0, fit.Objective*scale)
	fit.NullChi2 = null * (nf - 1 - (2*p+5)/6)
	fit.P, fit.RMSEA, fit.RMSEALo, fit.RMSEAHi, fit.BIC = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	m0 := null * 2 / (p * (p - 1))
	mm := fit.Objective / fit.DF
	fit.TLI = (m0 - mm) / (m0 - 1/scale)
	if fit.DF <= 0 {
		fit.TLI = math.NaN()
		return fit, nil
	}
	fit.P = distuv.ChiSquared{K: fit.DF}.Survival(fit.Chi2)
	fit.RMSEA = math.Sqrt(math.Max(fit.Chi2/(fit.DF*nf)-1/(nf-1), 0))
	fit.RMSEALo, fit.RMSEAHi = rmseaInterval(fit.Chi2, fit.DF, nf, fit.RMSEA)
	fit.BIC = fit.Chi2 - fit.DF*math.Log(nf)
	return fit, nil
}

// discrepancy is tr(M⁻¹R) − log det(M⁻¹R) − p.
func discrepancy(m, r *mat.SymDense) (float64, error) {
	var x mat.Dense
	if err := x.Solve(m, r); err != nil {
		return math.NaN(), err
	}
	ld, sign := mat.LogDet(&x)
	if sign <= 0 {
		return math.NaN(), nil
	}
	return mat.Trace(&x) - ld - float64(r.SymmetricDim()), nil
}

func identitySym(n int) *mat.SymDense {
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		s.SetSym(i, i, 1)
	}
	return s
}

// rmseaInterval finds psych's 90% interval: the noncentrality parameters at
// which the observed chi-square is the 95th and 5th percentile, each turned
// into an RMSEA as sqrt(λ/((n−1) df)). A bound is zero when the chi-square is
// too small for a root, and NaN when it falls on the wrong side of the point
// estimate (psych's NA).
func rmseaInterval(chi2, df, n, rmsea float64) (lo, hi float64) {
	cdf := func(ncp float64) float64 { return noncentralChiSquareCDF(chi2, df, ncp) }
	top := math.Max(n, chi2) + 2*n
	toRMSEA := func(ncp float64) float64 { return math.Sqrt(ncp / (n - 1) / df) }
	if cdf(0) > rmseaTail {
		hi = toRMSEA(decreasingRoot(cdf, rmseaTail, top))
	}
	if cdf(0) > 1-rmseaTail {
		lo = toRMSEA(decreasingRoot(cdf, 1-rmseaTail, top))
	}
	if hi < rmsea {
		hi = math.NaN()
	}
	if lo > rmsea {
		lo = math.NaN()
	}
	return lo, hi
}

// decreasingRoot finds x in [0, top] with f(x) = target for a decreasing f,
// by bisection to machine precision; f(0) > target is the caller's check.
func decreasingRoot(f func(float64) float64, target, top float64) float64 {
	if f(top) > target {
		return math.NaN()
	}
	lo, hi := 0.0, top
	for i := 0; i < 200 && hi-lo > 1e-12*math.Max(1, hi); i++ {
		mid := (lo + hi) / 2
		if f(mid) > target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// noncentralChiSquareCDF is P(X ≤ x) for X ~ χ²(df, ncp), as the Poisson
// mixture Σ_j Pois(j; ncp/2) P(χ²(df+2j) ≤ x), summed outward from the
// Poisson mode until the weights are negligible.
func noncentralChiSquareCDF(x, df, ncp float64) float64 {
	if ncp == 0 {
		return distuv.ChiSquared{K: df}.CDF(x)
	}
	lambda := ncp / 2
	mode := math.Floor(lambda)
	term := func(j float64) (w, v float64) {
		lg, _ := math.Lgamma(j + 1)
		w = math.Exp(-lambda + j*math.Log(lambda) - lg)
		return w, w * distuv.ChiSquared{K: df + 2*j}.CDF(x)
	}
	var sum float64
	for j := mode; j >= 0; j-- {
		w, v := term(j)
		sum += v
		if w < 1e-17 && j < mode {
			break
		}
	}
	for j := mode + 1; ; j++ {
		w, v := term(j)
		sum += v
		if w < 1e-17 {
			break
		}
	}
	return math.Min(1, sum)
}
