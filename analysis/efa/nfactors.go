package efa

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// MAP is Velicer's minimum average partial criterion as psych's vss
// computes it: for m = 1, 2, ... principal components partialled out of R,
// the mean squared off-diagonal partial correlation. The number of factors
// it suggests is the m with the smallest value. At most p − 1 values.
func MAP(r *mat.SymDense, maxFactors int) ([]float64, error) {
	p := r.SymmetricDim()
	vals, vecs, err := eigenDesc(r)
	if err != nil {
		return nil, err
	}
	if maxFactors > p-1 {
		maxFactors = p - 1
	}
	comp := principalLoadings(vals, vecs, p)
	out := make([]float64, maxFactors)
	residual := mat.NewSymDense(p, nil)
	residual.CopySym(r)
	for m := 0; m < maxFactors; m++ {
		a := comp.ColView(m)
		residual.SymRankOne(residual, -1, a)
		var sum float64
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				if i != j {
					partial := residual.At(i, j) / math.Sqrt(residual.At(i, i)*residual.At(j, j))
					sum += partial * partial
				}
			}
		}
		out[m] = sum / float64(p*(p-1))
	}
	return out, nil
}

// ParallelAnalysis compares the eigenvalues of the observed correlations with
// those of random normal data of the same size (Horn's parallel analysis, as
// psych's fa.parallel with sim = TRUE). Being a simulation, its simulated
// values agree with psych's only in distribution, not digit for digit; the
// seed makes a run reproducible.
type ParallelAnalysis struct {
	Components, Factors             []float64 // observed: eigenvalues of R, and of the one-factor minres reduced R
	SimComponents, SimFactors       []float64 // mean over the simulated data sets
	SimComponentsQ95, SimFactorsQ95 []float64 // 95th percentile over the simulated data sets
	NComponents, NFactors           int       // leading observed values above the simulated 95th percentile
	// SimComponentValues and SimFactorValues hold every simulated value,
	// [eigenvalue][data set].
	SimComponentValues, SimFactorValues [][]float64
}

// Parallel runs parallel analysis for a correlation matrix from n rows with
// the given number of simulated data sets (psych's default is 20).
func Parallel(r *mat.SymDense, n, iterations int, seed uint64) (*ParallelAnalysis, error) {
	p := r.SymmetricDim()
	if iterations < 1 || n <= p {
		return nil, fmt.Errorf("parallel analysis needs at least one iteration and more rows than items (n = %d, p = %d)", n, p)
	}
	pc, fa, err := eigenPair(r)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	simPC := make([][]float64, p) // [item][iteration]
	simFA := make([][]float64, p)
	data := mat.NewDense(n, p, nil)
	for it := 0; it < iterations; it++ {
		raw := data.RawMatrix().Data
		for i := range raw {
			raw[i] = rng.NormFloat64()
		}
		var c mat.SymDense
		stat.CorrelationMatrix(&c, data, nil)
		spc, sfa, err := eigenPair(&c)
		if err != nil {
			return nil, err
		}
		for j := 0; j < p; j++ {
			simPC[j] = append(simPC[j], spc[j])
			simFA[j] = append(simFA[j], sfa[j])
		}
	}
	res := &ParallelAnalysis{Components: pc, Factors: fa, SimComponentValues: simPC, SimFactorValues: simFA}
	res.SimComponents, res.SimComponentsQ95 = summarize(simPC)
	res.SimFactors, res.SimFactorsQ95 = summarize(simFA)
	res.NComponents = leadingAbove(pc, res.SimComponentsQ95)
	res.NFactors = leadingAbove(fa, res.SimFactorsQ95)
	return res, nil
}

// eigenPair returns the eigenvalues of r and those of r reduced by a
// one-factor minres fit (psych's fa(r, 1)$values).
func eigenPair(r *mat.SymDense) (pc, fa []float64, err error) {
	if pc, err = eigenvaluesDesc(r); err != nil {
		return nil, nil, err
	}
	ext, err := extract(r, 1, MinRes)
	if err != nil {
		return nil, nil, err
	}
	fa, err = eigenvaluesDesc(withDiag(r, diag(outer(ext.loadings, nil))))
	return pc, fa, err
}

// summarize returns the mean and the 95th percentile (R's default quantile
// type 7) of each row of values.
func summarize(values [][]float64) (mean, q95 []float64) {
	mean = make([]float64, len(values))
	q95 = make([]float64, len(values))
	for j, v := range values {
		mean[j] = stat.Mean(v, nil)
		s := append([]float64(nil), v...)
		sort.Float64s(s)
		h := 0.95 * float64(len(s)-1)
		lo := int(math.Floor(h))
		hi := min(lo+1, len(s)-1)
		q95[j] = s[lo] + (h-float64(lo))*(s[hi]-s[lo])
	}
	return mean, q95
}

func leadingAbove(observed, threshold []float64) int {
	for j, v := range observed {
		if !(v > threshold[j]) {
			return j
		}
	}
	return len(observed)
}
