package efa

import (
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func sorted(x []float64) []float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s
}

// TestParallelAgainstPsych can only compare in distribution: psych's and
// our simulated eigenvalues come from different random numbers. Each mean of
// 20 simulated component eigenvalues must lie within 4 standard errors of the
// difference of two such means. Factor eigenvalues have a heavy tail (now and
// then a Heywood solution puts the first near 1), so their medians are
// compared, within 4 robust standard errors (1.25 MAD/√n per median). The
// suggested numbers of factors and components must agree.
func TestParallelAgainstPsych(t *testing.T) {
	ref := loadReference(t)
	want := ref.Parallel
	in := loadInput(t, "bfi")
	got, err := Parallel(in.r, in.n, want.NIter, 1)
	if err != nil {
		t.Fatal(err)
	}
	compareAbs(t, "observed component eigenvalues", got.Components, want.PCValues, 1e-8)
	compareAbs(t, "observed factor eigenvalues", got.Factors, want.FAValues, loadingTol)
	se := func(sd float64) float64 { return 4 * sd * math.Sqrt(2/float64(want.NIter)) }
	for j := range want.SimPC {
		if d := math.Abs(got.SimComponents[j] - want.SimPC[j]); d > se(want.SimPCSD[j]) {
			t.Errorf("simulated component %d: mean %.4f, psych %.4f, beyond 4 SE (%.4f)", j+1, got.SimComponents[j], want.SimPC[j], se(want.SimPCSD[j]))
		}
		median := stat.Quantile(0.5, stat.Empirical, sorted(got.SimFactorValues[j]), nil)
		if d, lim := math.Abs(median-want.SimFAMedian[j]), se(1.25*want.SimFAMAD[j]); d > lim {
			t.Errorf("simulated factor %d: median %.4f, psych %.4f, beyond 4 SE (%.4f)", j+1, median, want.SimFAMedian[j], lim)
		}
	}
	if got.NFactors != want.NFact || got.NComponents != want.NComp {
		t.Errorf("parallel analysis suggests %d factors and %d components, psych %d and %d", got.NFactors, got.NComponents, want.NFact, want.NComp)
	}
}

func TestParallelIsReproducible(t *testing.T) {
	in := loadInput(t, "holzinger")
	a, err := Parallel(in.r, in.n, 5, 42)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parallel(in.r, in.n, 5, 42)
	if err != nil {
		t.Fatal(err)
	}
	compareAbs(t, "same seed", a.SimFactors, b.SimFactors, 0)
}
