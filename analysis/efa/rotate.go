package efa

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Rotation is a factor rotation, named as psych's rotate argument names it.
type Rotation string

// The rotations, each computed as psych's fa computes it.
const (
	NoRotation Rotation = "none"
	Varimax    Rotation = "varimax"   // stats::varimax, Kaiser-normalized
	Quartimax  Rotation = "quartimax" // GPArotation::quartimax (GPForth), not normalized
	Promax     Rotation = "promax"    // psych::kaiser(rotate = "Promax"): varimax then power 4, Kaiser-normalized
	Oblimin    Rotation = "oblimin"   // GPArotation::oblimin (GPFoblq, quartimin), not normalized; psych's default
)

// ParseRotation checks a rotation name.
func ParseRotation(s string) (Rotation, error) {
	switch r := Rotation(s); r {
	case NoRotation, Varimax, Quartimax, Promax, Oblimin:
		return r, nil
	}
	return "", fmt.Errorf("rotate: %q is not one of none, varimax, quartimax, promax, oblimin", s)
}

// Oblique reports whether the rotation lets the factors correlate.
func (r Rotation) Oblique() bool { return r == Promax || r == Oblimin }

// rotated is a rotated pattern matrix with its factor correlations (nil when
// orthogonal).
type rotated struct {
	loadings  *mat.Dense
	phi       *mat.Dense
	converged bool
}

// Convergence settings of the reference implementations: GPArotation's eps
// and maxit defaults, and stats::varimax's eps with its 1000 iterations.
const (
	gpaTolerance     = 1e-5
	gpaMaxIter       = 1000
	varimaxTolerance = 1e-5
	varimaxMaxIter   = 1000
)

func rotate(a *mat.Dense, r Rotation) (*rotated, error) {
	_, k := a.Dims()
	if k < 2 || r == NoRotation {
		return &rotated{loadings: mat.DenseCopyOf(a), converged: true}, nil
	}
	switch r {
	case Varimax:
		l, _, ok := varimax(a)
		return &rotated{loadings: l, converged: ok}, nil
	case Quartimax:
		l, ok := gpOrthogonal(a, quartimaxCriterion)
		return &rotated{loadings: l, converged: ok}, nil
	case Oblimin:
		l, phi, ok := gpOblique(a, quartiminCriterion)
		return &rotated{loadings: l, phi: phi, converged: ok}, nil
	case Promax:
		return kaiserPromax(a)
	}
	return nil, fmt.Errorf("unknown rotation %q", r)
}

// criterion returns a rotation criterion's value at L and its gradient dQ/dL.
type criterion func(l *mat.Dense) (float64, *mat.Dense)

// quartimaxCriterion is −Σ λ⁴/4.
func quartimaxCriterion(l *mat.Dense) (float64, *mat.Dense) {
	p, k := l.Dims()
	g := mat.NewDense(p, k, nil)
	var f float64
	for i := 0; i < p; i++ {
		for j := 0; j < k; j++ {
			v := l.At(i, j)
			g.Set(i, j, -v*v*v)
			f -= v * v * v * v / 4
		}
	}
	return f, g
}

// quartiminCriterion is oblimin with γ = 0: Σ_i Σ_{j≠m} λ_ij² λ_im² / 4.
func quartiminCriterion(l *mat.Dense) (float64, *mat.Dense) {
	p, k := l.Dims()
	g := mat.NewDense(p, k, nil)
	var f float64
	for i := 0; i < p; i++ {
		var rowSq float64
		for j := 0; j < k; j++ {
			rowSq += l.At(i, j) * l.At(i, j)
		}
		for j := 0; j < k; j++ {
			v := l.At(i, j)
			others := rowSq - v*v
			g.Set(i, j, v*others)
			f += v * v * others / 4
		}
	}
	return f, g
}

// gpOrthogonal is the gradient projection algorithm for orthogonal rotation
// (Jennrich 2001; Bernaards & Jennrich 2005), started from the identity with
// GPArotation's step-size rule and stopping test, so that it lands on the
// same local optimum as GPForth.
func gpOrthogonal(a *mat.Dense, crit criterion) (*mat.Dense, bool) {
	_, k := a.Dims()
	t := identity(k)
	var l mat.Dense
	l.Mul(a, t)
	f, gq := crit(&l)
	var g mat.Dense
	g.Mul(a.T(), gq)
	alpha := 1.0
	for iter := 0; iter <= gpaMaxIter; iter++ {
		var m, s, gp mat.Dense
		m.Mul(t.T(), &g)
		s.Add(&m, m.T())
		s.Scale(0.5, &s)
		gp.Mul(t, &s)
		gp.Sub(&g, &gp)
		norm := mat.Norm(&gp, 2)
		if norm < gpaTolerance {
			return &l, true
		}
		alpha *= 2
		var tt *mat.Dense
		var ft float64
		var gqt *mat.Dense
		for i := 0; i <= 10; i++ {
			var x mat.Dense
			x.Scale(-alpha, &gp)
			x.Add(t, &x)
			tt = polar(&x)
			l.Mul(a, tt)
			ft, gqt = crit(&l)
			if ft < f-0.5*norm*norm*alpha {
				break
			}
			alpha /= 2
		}
		t, f = tt, ft
		g.Mul(a.T(), gqt)
	}
	return &l, false
}

// gpOblique is the gradient projection algorithm for oblique rotation,
// GPArotation's GPFoblq step for step: L = A (Tᵀ)⁻¹ with unit-length columns
// in T, and Φ = TᵀT.
func gpOblique(a *mat.Dense, crit criterion) (*mat.Dense, *mat.Dense, bool) {
	_, k := a.Dims()
	t := identity(k)
	l, _ := obliqueLoadings(a, t)
	f, gq := crit(l)
	g := obliqueGradient(l, gq, t)
	alpha := 1.0
	converged := false
	for iter := 0; iter <= gpaMaxIter; iter++ {
		gp := mat.DenseCopyOf(g)
		for j := 0; j < k; j++ {
			var d float64
			for i := 0; i < k; i++ {
				d += t.At(i, j) * g.At(i, j)
			}
			for i := 0; i < k; i++ {
				gp.Set(i, j, g.At(i, j)-t.At(i, j)*d)
			}
		}
		norm := mat.Norm(gp, 2)
		if norm < gpaTolerance {
			converged = true
			break
		}
		alpha *= 2
		var tt *mat.Dense
		var ft float64
		var gqt *mat.Dense
		for i := 0; i <= 10; i++ {
			x := mat.NewDense(k, k, nil)
			x.Scale(-alpha, gp)
			x.Add(t, x)
			for j := 0; j < k; j++ {
				c := mat.Norm(x.ColView(j), 2)
				for r := 0; r < k; r++ {
					x.Set(r, j, x.At(r, j)/c)
				}
			}
			lt, ok := obliqueLoadings(a, x)
			if ok {
				tt, l = x, lt
				ft, gqt = crit(l)
				if f-ft > 0.5*norm*norm*alpha {
					break
				}
			}
			alpha /= 2
		}
		if tt == nil {
			break // every step was singular: stop where we are, unconverged
		}
		t, f = tt, ft
		g = obliqueGradient(l, gqt, t)
	}
	var phi mat.Dense
	phi.Mul(t.T(), t)
	return l, &phi, converged
}

// obliqueLoadings is A (Tᵀ)⁻¹; ok is false when T is singular (two factors
// collapsed into one), a step the step-size rule must then reject.
func obliqueLoadings(a, t *mat.Dense) (l *mat.Dense, ok bool) {
	var inv mat.Dense
	if err := inv.Inverse(t); err != nil {
		return nil, false
	}
	l = new(mat.Dense)
	l.Mul(a, inv.T())
	return l, true
}

// obliqueGradient is −(Lᵀ G_q T⁻¹)ᵀ.
func obliqueGradient(l, gq, t *mat.Dense) *mat.Dense {
	var inv, m, g mat.Dense
	if err := inv.Inverse(t); err != nil {
		return mat.NewDense(t.RawMatrix().Rows, t.RawMatrix().Cols, nil)
	}
	m.Mul(l.T(), gq)
	m.Mul(&m, &inv)
	g.CloneFrom(m.T())
	g.Scale(-1, &g)
	return &g
}

// polar returns the orthogonal factor U Vᵀ of x = U D Vᵀ.
func polar(x *mat.Dense) *mat.Dense {
	var svd mat.SVD
	svd.Factorize(x, mat.SVDThin)
	var u, v, out mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	out.Mul(&u, v.T())
	return &out
}

func identity(k int) *mat.Dense {
	t := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		t.Set(i, i, 1)
	}
	return t
}

// varimax is R's stats::varimax with normalize = TRUE: rows scaled to unit
// length (Kaiser), the SVD iteration, and its stopping rule (the criterion's
// square root grows by less than a factor 1 + 1e-5). It returns the loadings
// and the rotation matrix.
func varimax(a *mat.Dense) (*mat.Dense, *mat.Dense, bool) {
	p, k := a.Dims()
	x, norms := kaiserNormalize(a)
	tt := identity(k)
	var d float64
	converged := false
	var z mat.Dense
	for iter := 0; iter < varimaxMaxIter; iter++ {
		z.Mul(x, tt)
		colSq := make([]float64, k)
		for j := 0; j < k; j++ {
			for i := 0; i < p; i++ {
				colSq[j] += z.At(i, j) * z.At(i, j)
			}
		}
		target := mat.NewDense(p, k, nil)
		for i := 0; i < p; i++ {
			for j := 0; j < k; j++ {
				v := z.At(i, j)
				target.Set(i, j, v*v*v-v*colSq[j]/float64(p))
			}
		}
		var b mat.Dense
		b.Mul(x.T(), target)
		var svd mat.SVD
		svd.Factorize(&b, mat.SVDThin)
		var u, v mat.Dense
		svd.UTo(&u)
		svd.VTo(&v)
		tt.Mul(&u, v.T())
		dpast := d
		d = 0
		for _, s := range svd.Values(nil) {
			d += s
		}
		if d < dpast*(1+varimaxTolerance) {
			converged = true
			break
		}
	}
	z.Mul(x, tt)
	return kaiserRestore(&z, norms), tt, converged
}

// kaiserNormalize scales each row of a to unit length.
func kaiserNormalize(a *mat.Dense) (*mat.Dense, []float64) {
	p, _ := a.Dims()
	x := mat.DenseCopyOf(a)
	norms := make([]float64, p)
	for i := 0; i < p; i++ {
		norms[i] = mat.Norm(a.RowView(i), 2)
		row := x.RawRowView(i)
		for j := range row {
			row[j] /= norms[i]
		}
	}
	return x, norms
}

func kaiserRestore(z *mat.Dense, norms []float64) *mat.Dense {
	out := mat.DenseCopyOf(z)
	for i, n := range norms {
		row := out.RawRowView(i)
		for j := range row {
			row[j] *= n
		}
	}
	return out
}

// promaxPower is psych's pro.m.
const promaxPower = 4

// kaiserPromax is psych's kaiser(f, rotate = "Promax"): the rows are
// normalized, then Promax rotates them (varimax, the target x|x|^(m−1), a
// least squares fit to it with columns rescaled so that the factors have unit
// variance), and the rows are scaled back.
func kaiserPromax(a *mat.Dense) (*rotated, error) {
	weighted, norms := kaiserNormalize(a)
	x, rotmat, ok := varimax(weighted)
	p, k := x.Dims()
	q := mat.NewDense(p, k, nil)
	for i := 0; i < p; i++ {
		for j := 0; j < k; j++ {
			v := x.At(i, j)
			q.Set(i, j, v*math.Pow(math.Abs(v), promaxPower-1))
		}
	}
	var u mat.Dense
	if err := u.Solve(x, q); err != nil {
		return nil, fmt.Errorf("promax: %w", err)
	}
	var utu, utuInv mat.Dense
	utu.Mul(u.T(), &u)
	if err := utuInv.Inverse(&utu); err != nil {
		return nil, fmt.Errorf("promax: the factors are exactly uncorrelated: %w", err)
	}
	for j := 0; j < k; j++ {
		s := math.Sqrt(utuInv.At(j, j))
		for i := 0; i < k; i++ {
			u.Set(i, j, u.At(i, j)*s)
		}
	}
	var z, full, inv, phi mat.Dense
	z.Mul(x, &u)
	full.Mul(rotmat, &u)
	if err := inv.Inverse(&full); err != nil {
		return nil, fmt.Errorf("promax: %w", err)
	}
	phi.Mul(&inv, inv.T())
	return &rotated{loadings: kaiserRestore(&z, norms), phi: &phi, converged: ok}, nil
}
