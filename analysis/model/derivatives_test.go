package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

// simulatedOrdinal draws an ordered-logit sample with two predictors.
func simulatedOrdinal(n int, seed uint64) *ordinalData {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := mat.NewDense(n, 2, nil)
	y := make([]int, n)
	zeta := []float64{-1, 0.3, 1.5}
	for i := range n {
		x.Set(i, 0, rng.NormFloat64())
		x.Set(i, 1, float64(rng.IntN(2)))
		eta := 0.8*x.At(i, 0) - 0.5*x.At(i, 1)
		u := rng.Float64()
		latent := eta + math.Log(u/(1-u))
		for y[i] < len(zeta) && latent > zeta[y[i]] {
			y[i]++
		}
	}
	return &ordinalData{x: x, y: y, categories: 4}
}

func TestOrdinalDerivatives(t *testing.T) {
	o := simulatedOrdinal(200, 1)
	params := []float64{0.5, -0.2, -0.8, 0.1, 1.2}
	m := len(params)
	loglik := func(p []float64) float64 { return o.evaluate(p, nil, nil, nil) }

	gradient := make([]float64, m)
	hessian := mat.NewSymDense(m, nil)
	scores := mat.NewDense(200, m, nil)
	o.evaluate(params, gradient, hessian, scores)

	wantGradient := fd.Gradient(nil, loglik, params, &fd.Settings{Formula: fd.Central})
	wantHessian := mat.NewSymDense(m, nil)
	fd.Hessian(wantHessian, loglik, params, &fd.Settings{Formula: fd.Central})
	for j := range m {
		if got, want := gradient[j], wantGradient[j]; math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
			t.Errorf("gradient[%d] = %g, want %g", j, got, want)
		}
		if got, want := mat.Sum(scores.ColView(j)), gradient[j]; math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
			t.Errorf("sum of scores[%d] = %g, want the gradient %g", j, got, want)
		}
		for l := range m {
			if got, want := hessian.At(j, l), wantHessian.At(j, l); math.Abs(got-want) > 1e-3*(1+math.Abs(want)) {
				t.Errorf("hessian[%d,%d] = %g, want %g", j, l, got, want)
			}
		}
	}
}

func TestThresholdReparameterization(t *testing.T) {
	o := simulatedOrdinal(200, 2)
	theta := []float64{0.5, -0.2, -0.8, math.Log(0.9), math.Log(1.1)}
	m := len(theta)
	params := make([]float64, m)
	loglik := func(th []float64) float64 {
		p := make([]float64, m)
		o.toParams(p, th)
		return o.evaluate(p, nil, nil, nil)
	}
	o.toParams(params, theta)
	gradient := make([]float64, m)
	hessian := mat.NewSymDense(m, nil)
	o.evaluate(params, gradient, hessian, nil)

	got := make([]float64, m)
	o.chainGradient(got, gradient, theta)
	gotHessian := mat.NewSymDense(m, nil)
	o.chainHessian(gotHessian, hessian, gradient, theta)

	want := fd.Gradient(nil, loglik, theta, &fd.Settings{Formula: fd.Central})
	wantHessian := mat.NewSymDense(m, nil)
	fd.Hessian(wantHessian, loglik, theta, &fd.Settings{Formula: fd.Central})
	for j := range m {
		if math.Abs(got[j]-want[j]) > 1e-5*(1+math.Abs(want[j])) {
			t.Errorf("gradient in θ [%d] = %g, want %g", j, got[j], want[j])
		}
		for l := range m {
			if g, w := gotHessian.At(j, l), wantHessian.At(j, l); math.Abs(g-w) > 1e-3*(1+math.Abs(w)) {
				t.Errorf("hessian in θ [%d,%d] = %g, want %g", j, l, g, w)
			}
		}
	}
}
