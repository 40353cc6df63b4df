package model

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// clusterCovariance is the cluster-robust ("sandwich") covariance of a
// model's estimates:
//
//	scale · B (Σ_g s_g s_gᵀ) B
//
// where B is the model's unscaled covariance (the bread: the inverse observed
// information, or (XᵀX)⁻¹ for least squares), row i of scores is row i's
// contribution to the estimating equations (the gradient of its
// log-likelihood, or eᵢxᵢ for least squares) and s_g sums the scores of the
// rows in cluster g. scale is the small-sample factor of the model; this is
// sandwich::vcovCL with cadjust = TRUE.
func clusterCovariance(bread mat.Symmetric, scores *mat.Dense, cluster []int, clusters int, scale float64) *mat.SymDense {
	_, k := scores.Dims()
	sums := mat.NewDense(clusters, k, nil)
	for i, g := range cluster {
		row := sums.RawRowView(g)
		for j := range row {
			row[j] += scores.At(i, j)
		}
	}
	// B (Σ_g s_g s_gᵀ) B = Σ_g (B s_g)(B s_g)ᵀ: written as a sum of squares
	// its diagonal cannot come out negative by rounding.
	var influence mat.Dense
	influence.Mul(sums, bread)
	covariance := mat.NewSymDense(k, nil)
	covariance.SymOuterK(scale, influence.T())
	return covariance
}

// symmetrize returns the symmetric part of a square matrix that is symmetric
// up to rounding.
func symmetrize(a mat.Matrix) *mat.SymDense {
	k, _ := a.Dims()
	s := mat.NewSymDense(k, nil)
	for i := range k {
		for j := i; j < k; j++ {
			s.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	return s
}

// clusterScale is G/(G−1), the factor Stata's vce(cluster) and vcovCL's
// cadjust apply for G clusters.
func clusterScale(clusters int) (float64, error) {
	if clusters < 2 {
		return 0, fmt.Errorf("cluster-robust standard errors need at least 2 clusters, the rows used have %d", clusters)
	}
	return float64(clusters) / float64(clusters-1), nil
}
