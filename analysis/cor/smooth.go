package cor

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// epsilon is R's .Machine$double.eps, psych's test for positive definite.
const epsilon = 2.220446049250313e-16

// Smooth returns r unchanged (a copy) when its smallest eigenvalue is at
// least machine epsilon, and otherwise psych's cor.smooth of it: eigenvalues
// below 1e-12 raised to 1e-10, all rescaled to sum to p, and the rebuilt
// matrix rescaled to a unit diagonal. smoothed reports which happened.
func Smooth(r mat.Symmetric) (out *mat.SymDense, smoothed bool, err error) {
	p := r.SymmetricDim()
	out = mat.NewSymDense(p, nil)
	out.CopySym(r)
	var es mat.EigenSym
	if !es.Factorize(r, true) {
		return nil, false, fmt.Errorf("eigendecomposition did not converge")
	}
	vals := es.Values(nil) // ascending
	if vals[0] >= epsilon {
		return out, false, nil
	}
	var tot float64
	for i, v := range vals {
		if v < 1e-12 {
			vals[i] = 100 * 1e-12
		}
		tot += vals[i]
	}
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			var v float64
			for c := 0; c < p; c++ {
				v += vecs.At(i, c) * vals[c] * float64(p) / tot * vecs.At(j, c)
			}
			out.SetSym(i, j, v)
		}
	}
	d := make([]float64, p)
	for i := range d {
		d[i] = out.At(i, i)
	}
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			out.SetSym(i, j, out.At(i, j)/math.Sqrt(d[i]*d[j]))
		}
	}
	return out, true, nil
}
