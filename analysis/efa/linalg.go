package efa

import (
	"fmt"
	"math"

	"github.com/canvass-survey/canvass/analysis/cor"
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

// smoothed is psych's cor.smooth, which fa.stats applies before it inverts.
func smoothed(r mat.Symmetric) (*mat.SymDense, bool, error) { return cor.Smooth(r) }

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
