package reliability

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// pseudoInverseTolerance is psych::Pinv's: singular values below this
// fraction of the largest are treated as zero.
var pseudoInverseTolerance = math.Sqrt(0x1p-52) // R's sqrt(.Machine$double.eps)

// smc returns the squared multiple correlation of each variable with all the
// others, 1 − 1/(R⁻¹)ᵢᵢ, as psych::smc computes it: with the Moore–Penrose
// pseudo-inverse, so that a singular R (a duplicated item) still gives an
// answer, and clamped to [0, 1]. singular reports that R was singular.
func smc(cor *mat.SymDense) (values []float64, singular bool) {
	p := cor.SymmetricDim()
	inverse, singular := pseudoInverse(cor)
	values = make([]float64, p)
	for i := range values {
		values[i] = min(max(1-1/inverse.At(i, i), 0), 1)
	}
	return values, singular
}

// pseudoInverse is psych::Pinv: V diag(1/d) Uᵀ over the singular values d
// that are not negligible. singular reports that some were negligible.
func pseudoInverse(a mat.Matrix) (inverse *mat.Dense, singular bool) {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		r, c := a.Dims()
		return mat.NewDense(c, r, nil), true
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	values := svd.Values(nil)
	scaled := mat.DenseCopyOf(&v)
	for j, d := range values {
		inv := 0.0
		if d > pseudoInverseTolerance*values[0] {
			inv = 1 / d
		} else {
			singular = true
		}
		col := mat.Col(nil, j, scaled)
		for i := range col {
			col[i] *= inv
		}
		scaled.SetCol(j, col)
	}
	var out mat.Dense
	out.Mul(scaled, u.T())
	return &out, singular
}
