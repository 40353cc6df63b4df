package efa

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ScoreMethod is a way of estimating factor scores.
type ScoreMethod string

// The score methods, named as psych's factor.scores names them.
const (
	Regression     ScoreMethod = "regression" // Thurstone: W = R⁻¹ L Φ
	BartlettScores ScoreMethod = "Bartlett"   // W = U⁻² L (Lᵀ U⁻² L)⁻¹, U² = 1 − h²
)

// ScoreWeights returns the items × factors weights that turn standardized
// item values into factor scores, for the correlation matrix r the model was
// fitted to.
func (res *Result) ScoreWeights(r *mat.SymDense, method ScoreMethod) (*mat.Dense, error) {
	var w mat.Dense
	switch method {
	case Regression:
		if err := w.Solve(r, res.Structure); err != nil {
			return nil, fmt.Errorf("regression score weights: %w", err)
		}
	case BartlettScores:
		p, _ := res.Loadings.Dims()
		scaled := mat.DenseCopyOf(res.Loadings) // U⁻² L
		for i := 0; i < p; i++ {
			u2 := 1 - res.Communalities[i]
			if !(u2 > 0) {
				return nil, fmt.Errorf("Bartlett score weights: item %q has no unique variance (a Heywood case)", res.Items[i])
			}
			row := scaled.RawRowView(i)
			for j := range row {
				row[j] /= u2
			}
		}
		var m, inv mat.Dense
		m.Mul(res.Loadings.T(), scaled)
		if err := inv.Inverse(&m); err != nil {
			return nil, fmt.Errorf("Bartlett score weights: %w", err)
		}
		w.Mul(scaled, &inv)
	default:
		return nil, fmt.Errorf("unknown score method %q", method)
	}
	return &w, nil
}

// Scores computes factor scores as psych's fa returns them: each item
// standardized over its present cells (R's scale), times the weights. A row
// with a missing item gets NaN scores, as in psych without imputation;
// callers must check for them.
func Scores(x [][]float64, w *mat.Dense) [][]float64 {
	p, k := w.Dims()
	z := make([][]float64, len(x))
	for r := range x {
		z[r] = make([]float64, p)
	}
	col := make([]float64, len(x))
	for j := 0; j < p; j++ {
		for r, row := range x {
			col[r] = row[j]
		}
		for r, v := range standardize(col) {
			z[r][j] = v
		}
	}
	out := make([][]float64, len(x))
	for r, zr := range z {
		out[r] = make([]float64, k)
		for f := 0; f < k; f++ {
			for j, v := range zr {
				out[r][f] += w.At(j, f) * v
			}
		}
	}
	return out
}

// standardize returns (x − mean)/sd over the non-NaN values, sd with n − 1.
func standardize(x []float64) []float64 {
	var n, sum, sq float64
	for _, v := range x {
		if !math.IsNaN(v) {
			n++
			sum += v
		}
	}
	mean := sum / n
	for _, v := range x {
		if !math.IsNaN(v) {
			sq += (v - mean) * (v - mean)
		}
	}
	sd := math.Sqrt(sq / (n - 1))
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = (v - mean) / sd
	}
	return out
}
