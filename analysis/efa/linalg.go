package efa

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// eigenDesc returns the eigenvalues of a symmetric matrix in decreasing
// order, as R's eigen() does, with the matching eigenvectors as columns.
func eigenDesc(s mat.Symmetric) ([]float64, *mat.Dense, error) {
	var es mat.EigenSym
	if !es.Factorize(s, true) {
		return nil, nil, fmt.Errorf("eigendecomposition did not converge")
	}
	asc := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	n := len(asc)
	vals := make([]float64, n)
	desc := mat.NewDense(n, n, nil)
	for j := 0; j < n; j++ {
		vals[j] = asc[n-1-j]
		desc.SetCol(j, mat.Col(nil, n-1-j, &vecs))
	}
	return vals, desc, nil
}

// eigenvaluesDesc returns the eigenvalues of s in decreasing order.
func eigenvaluesDesc(s mat.Symmetric) ([]float64, error) {
	var es mat.EigenSym
	if !es.Factorize(s, false) {
		return nil, fmt.Errorf("eigendecomposition did not converge")
	}
	v := es.Values(nil)
	for i, j := 0, len(v)-1; i < j; i, j = i+1, j-1 {
		v[i], v[j] = v[j], v[i]
	}
	return v, nil
}

// principalLoadings scales the first k eigenvectors by the square roots of
// their eigenvalues, negative eigenvalues counting as zero.
func principalLoadings(vals []float64, vecs *mat.Dense, k int) *mat.Dense {
	p, _ := vecs.Dims()
	l := mat.NewDense(p, k, nil)
	for j := 0; j < k; j++ {
		s := math.Sqrt(math.Max(vals[j], 0))
		for i := 0; i < p; i++ {
			l.Set(i, j, vecs.At(i, j)*s)
		}
	}
	return l
}

// withDiag returns a copy of s whose diagonal is d.
func withDiag(s mat.Symmetric, d []float64) *mat.SymDense {
	out := mat.NewSymDense(s.SymmetricDim(), nil)
	out.CopySym(s)
	for i, v := range d {
		out.SetSym(i, i, v)
	}
	return out
}

// outer returns l phi lᵀ (l lᵀ when phi is nil) as a symmetric matrix.
func outer(l *mat.Dense, phi mat.Matrix) *mat.SymDense {
	p, k := l.Dims()
	var lp mat.Dense
	if phi == nil {
		lp.CloneFrom(l)
	} else {
		lp.Mul(l, phi)
	}
	out := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			var s float64
			for c := 0; c < k; c++ {
				s += lp.At(i, c) * l.At(j, c)
			}
			out.SetSym(i, j, s)
		}
	}
	return out
}

func diag(s mat.Symmetric) []float64 {
	n := s.SymmetricDim()
	d := make([]float64, n)
	for i := range d {
		d[i] = s.At(i, i)
	}
	return d
}

// smoothed returns r unchanged when it is positive definite, else psych's
// cor.smooth: eigenvalues below 1e-12 raised to 1e-10, rescaled to sum to
// the dimension, and the result rescaled to a unit diagonal.
func smoothed(r mat.Symmetric) (*mat.SymDense, bool, error) {
	n := r.SymmetricDim()
	vals, vecs, err := eigenDesc(r)
	if err != nil {
		return nil, false, err
	}
	out := mat.NewSymDense(n, nil)
	out.CopySym(r)
	if vals[n-1] >= epsilon {
		return out, false, nil
	}
	var tot float64
	for i, v := range vals {
		if v < 1e-12 {
			vals[i] = 100 * 1e-12
		}
		tot += vals[i]
	}
	for i := range vals {
		vals[i] *= float64(n) / tot
	}
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			var s float64
			for c := 0; c < n; c++ {
				s += vecs.At(i, c) * vals[c] * vecs.At(j, c)
			}
			out.SetSym(i, j, s)
		}
	}
	d := diag(out)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			out.SetSym(i, j, out.At(i, j)/math.Sqrt(d[i]*d[j]))
		}
	}
	return out, true, nil
}

// epsilon is R's .Machine$double.eps, which psych uses as its tolerance for
// a positive definite matrix.
const epsilon = 2.220446049250313e-16

// smc returns the squared multiple correlation of each item with all the
// others, 1 - 1/diag(R⁻¹), clamped to [0, 1] as psych's smc does.
func smc(r mat.Symmetric) ([]float64, error) {
	var inv mat.Dense
	if err := inv.Inverse(r); err != nil {
		return nil, fmt.Errorf("squared multiple correlations: %w", err)
	}
	out := make([]float64, r.SymmetricDim())
	for i := range out {
		out[i] = math.Max(0, math.Min(1, 1-1/inv.At(i, i)))
	}
	return out, nil
}
