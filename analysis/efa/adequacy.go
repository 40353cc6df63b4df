package efa

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// KMO is the Kaiser-Meyer-Olkin measure of sampling adequacy, overall and
// per item, as psych's KMO computes it: squared correlations against squared
// partial correlations (from R⁻¹), off the diagonal.
type KMO struct {
	Overall float64
	Items   []float64
}

// SamplingAdequacy computes KMO from a positive definite correlation matrix.
func SamplingAdequacy(r *mat.SymDense) (KMO, error) {
	p := r.SymmetricDim()
	if err := checkPositiveDefinite(nil, r); err != nil {
		return KMO{}, fmt.Errorf("KMO: %w", err)
	}
	var q mat.Dense
	if err := q.Inverse(r); err != nil {
		return KMO{}, fmt.Errorf("KMO: %w", err)
	}
	items := make([]float64, p)
	var sumR, sumQ float64
	for j := 0; j < p; j++ {
		var colR, colQ float64
		for i := 0; i < p; i++ {
			if i == j {
				continue
			}
			partial := q.At(i, j) / math.Sqrt(q.At(i, i)*q.At(j, j))
			colR += r.At(i, j) * r.At(i, j)
			colQ += partial * partial
		}
		items[j] = colR / (colR + colQ)
		sumR += colR
		sumQ += colQ
	}
	return KMO{Overall: sumR / (sumR + sumQ), Items: items}, nil
}

// Bartlett is Bartlett's test that a correlation matrix is the identity
// (psych's cortest.bartlett).
type Bartlett struct {
	Chi2, DF, P float64
}

// Sphericity computes Bartlett's test for a p × p correlation matrix from n
// observations: −log det R × (n − 1 − (2p + 5)/6) on p(p−1)/2 df.
func Sphericity(r *mat.SymDense, n int) (Bartlett, error) {
	if err := checkPositiveDefinite(nil, r); err != nil {
		return Bartlett{}, fmt.Errorf("Bartlett's test: %w", err)
	}
	p := float64(r.SymmetricDim())
	logDet, _ := mat.LogDet(r)
	b := Bartlett{Chi2: -logDet * (float64(n) - 1 - (2*p+5)/6), DF: p * (p - 1) / 2}
	b.P = distuv.ChiSquared{K: b.DF}.Survival(b.Chi2)
	return b, nil
}
