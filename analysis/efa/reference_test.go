package efa

import (
	"fmt"
	"math"
	"testing"

	"github.com/canvass-survey/canvass/analysis/cor"
	"github.com/canvass-survey/canvass/analysis/internal/reftest"
	"gonum.org/v1/gonum/mat"
)

// Tolerances against psych, tighter than the three decimals promised.
const (
	loadingTol = 1e-3 // loadings, communalities, Phi (absolute)
	kmoTol     = 1e-4 // KMO (absolute)
	fitRelTol  = 1e-3 // fit statistics (relative)
)

type faCase struct {
	Dataset           string      `json:"dataset"`
	Factors           int         `json:"factors"`
	FM                string      `json:"fm"`
	Rotate            string      `json:"rotate"`
	N                 int         `json:"n"`
	Loadings          [][]float64 `json:"loadings"`
	Phi               [][]float64 `json:"phi"`
	Communalities     []float64   `json:"communalities"`
	Uniquenesses      []float64   `json:"uniquenesses"`
	Complexity        []float64   `json:"complexity"`
	Eigenvalues       []float64   `json:"eigenvalues"`
	CommonEigenvalues []float64   `json:"common_eigenvalues"`
	SSLoadings        []float64   `json:"ss_loadings"`
	Objective         float64     `json:"objective"`
	Chi2              float64     `json:"chi2"`
	DF                float64     `json:"df"`
	P                 float64     `json:"p"`
	RMSEA             []*float64  `json:"rmsea"`
	TLI               float64     `json:"tli"`
	BIC               float64     `json:"bic"`
	RMSR              float64     `json:"rmsr"`
	ScoreR2           []float64   `json:"score_r2"`
}

type reference struct {
	FA       []faCase `json:"fa"`
	Listwise faCase   `json:"listwise"`
	Adequacy []struct {
		Dataset      string    `json:"dataset"`
		KMO          float64   `json:"kmo"`
		KMOItems     []float64 `json:"kmo_items"`
		BartlettChi2 float64   `json:"bartlett_chi2"`
		BartlettDF   float64   `json:"bartlett_df"`
		BartlettP    float64   `json:"bartlett_p"`
		MAP          []float64 `json:"map"`
	} `json:"adequacy"`
	Scores []struct {
		Method    string      `json:"method"`
		Weights   [][]float64 `json:"weights"`
		FirstRows [][]float64 `json:"first_rows"`
	} `json:"scores"`
	Parallel struct {
		NIter       int       `json:"n_iter"`
		NFact       int       `json:"nfact"`
		NComp       int       `json:"ncomp"`
		FAValues    []float64 `json:"fa_values"`
		PCValues    []float64 `json:"pc_values"`
		SimFA       []float64 `json:"sim_fa"`
		SimPC       []float64 `json:"sim_pc"`
		SimFASD     []float64 `json:"sim_fa_sd"`
		SimPCSD     []float64 `json:"sim_pc_sd"`
		SimFAMedian []float64 `json:"sim_fa_median"`
		SimFAMAD    []float64 `json:"sim_fa_mad"`
	} `json:"parallel"`
}

func loadReference(tb testing.TB) *reference {
	tb.Helper()
	var ref reference
	reftest.LoadJSON(tb, "efa_reference.json", &ref)
	return &ref
}

func (ref *reference) find(tb testing.TB, dataset string, factors int, fm, rotate string) faCase {
	tb.Helper()
	for _, c := range ref.FA {
		if c.Dataset == dataset && c.Factors == factors && c.FM == fm && c.Rotate == rotate {
			return c
		}
	}
	tb.Fatalf("no reference for %s %d %s %s", dataset, factors, fm, rotate)
	return faCase{}
}

// input is a dataset as the tests feed it to Analyze.
type input struct {
	items []string
	r     *mat.SymDense
	n     int
	pairN *mat.SymDense
	rows  [][]float64 // raw data; nil for a correlation matrix
}

// readCSV reads every column of a file of analysis/testdata, with its header.
func readCSV(tb testing.TB, name string) ([]string, [][]float64) {
	tb.Helper()
	table := reftest.ReadTable(tb, name)
	return table.Header, reftest.Numeric(tb, table, nil)
}

func loadInput(tb testing.TB, name string) input {
	tb.Helper()
	switch name {
	case "harman74":
		items, x := readCSV(tb, "harman74_cor.csv")
		r := mat.NewSymDense(len(items), nil)
		for i := range x {
			for j := i; j < len(items); j++ {
				r.SetSym(i, j, x[i][j])
			}
		}
		return input{items: items, r: r, n: 145}
	case "bfi", "holzinger", "bfi_complete":
		file := map[string]string{"bfi": "bfi.csv", "holzinger": "holzinger.csv", "bfi_complete": "bfi.csv"}[name]
		items, x := readCSV(tb, file)
		missing := cor.Pairwise
		if name == "bfi_complete" {
			missing = cor.Listwise
		}
		c, err := cor.Pearson(items, x, missing)
		if err != nil {
			tb.Fatal(err)
		}
		in := input{items: items, r: c.R, n: c.Rows, pairN: c.PairN, rows: x}
		if missing == cor.Listwise {
			in.n, in.pairN = c.Complete, nil
		}
		return in
	}
	tb.Fatalf("unknown dataset %q", name)
	return input{}
}

func TestAgainstPsych(t *testing.T) {
	ref := loadReference(t)
	inputs := map[string]input{}
	cases := append(ref.FA, ref.Listwise)
	for _, c := range cases {
		name := fmt.Sprintf("%s/%d/%s/%s", c.Dataset, c.Factors, c.FM, c.Rotate)
		t.Run(name, func(t *testing.T) {
			in, ok := inputs[c.Dataset]
			if !ok {
				in = loadInput(t, c.Dataset)
				inputs[c.Dataset] = in
			}
			res, err := Analyze(in.items, in.r, Options{
				Factors: c.Factors, Method: Method(c.FM), Rotation: Rotation(c.Rotate), N: in.n, PairN: in.pairN,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.N != c.N {
				t.Errorf("N = %d, want %d", res.N, c.N)
			}
			perm, sign := matchColumns(res.Loadings, c.Loadings)
			compareMatrix(t, "loadings", permuted(res.Loadings, perm, sign), c.Loadings, loadingTol)
			if (res.Phi == nil) != (c.Phi == nil) {
				t.Fatalf("Phi = %v, want %v", res.Phi, c.Phi)
			}
			if res.Phi != nil {
				compareMatrix(t, "phi", permutedSquare(res.Phi, perm, sign), c.Phi, loadingTol)
			}
			compareAbs(t, "communalities", res.Communalities, c.Communalities, loadingTol)
			compareAbs(t, "uniquenesses", res.Uniquenesses, c.Uniquenesses, loadingTol)
			compareAbs(t, "complexity", res.Complexity, c.Complexity, 1e-2)
			compareAbs(t, "eigenvalues", res.Eigenvalues, c.Eigenvalues, 1e-8)
			compareAbs(t, "common eigenvalues", res.CommonEigenvalues, c.CommonEigenvalues, loadingTol)
			compareAbs(t, "ss loadings", permutedVec(res.SSLoadings, perm), c.SSLoadings, loadingTol)
			compareAbs(t, "score R2", permutedVec(res.ScoreR2, perm), c.ScoreR2, loadingTol)
			f := res.Fit
			compareRel(t, "objective", f.Objective, c.Objective)
			compareRel(t, "chi2", f.Chi2, c.Chi2)
			compareRel(t, "df", f.DF, c.DF)
			compareRel(t, "p", f.P, c.P)
			compareRel(t, "tli", f.TLI, c.TLI)
			compareRel(t, "bic", f.BIC, c.BIC)
			compareRel(t, "rmsr", f.RMSR, c.RMSR)
			for i, got := range []float64{f.RMSEA, f.RMSEALo, f.RMSEAHi} {
				want := math.NaN()
				if c.RMSEA[i] != nil {
					want = *c.RMSEA[i]
				}
				compareRel(t, []string{"rmsea", "rmsea lower", "rmsea upper"}[i], got, want)
			}
		})
	}
}

// matchColumns finds the order and signs of got's columns that best match
// want's, since psych may order or sign factors differently.
func matchColumns(got *mat.Dense, want [][]float64) (perm []int, sign []float64) {
	_, k := got.Dims()
	best := math.Inf(1)
	var try func(prefix []int, used []bool)
	try = func(prefix []int, used []bool) {
		if len(prefix) == k {
			var worst float64
			sg := make([]float64, k)
			for j, from := range prefix {
				var dot float64
				for i := range want {
					dot += got.At(i, from) * want[i][j]
				}
				sg[j] = 1
				if dot < 0 {
					sg[j] = -1
				}
				for i := range want {
					worst = math.Max(worst, math.Abs(sg[j]*got.At(i, from)-want[i][j]))
				}
			}
			if worst < best {
				best, perm, sign = worst, append([]int(nil), prefix...), sg
			}
			return
		}
		for j := 0; j < k; j++ {
			if !used[j] {
				used[j] = true
				try(append(prefix, j), used)
				used[j] = false
			}
		}
	}
	try(nil, make([]bool, k))
	return perm, sign
}

func permuted(m *mat.Dense, perm []int, sign []float64) [][]float64 {
	r, _ := m.Dims()
	out := make([][]float64, r)
	for i := range out {
		out[i] = make([]float64, len(perm))
		for j, from := range perm {
			out[i][j] = sign[j] * m.At(i, from)
		}
	}
	return out
}

func permutedSquare(m *mat.Dense, perm []int, sign []float64) [][]float64 {
	out := make([][]float64, len(perm))
	for i, fi := range perm {
		out[i] = make([]float64, len(perm))
		for j, fj := range perm {
			out[i][j] = sign[i] * sign[j] * m.At(fi, fj)
		}
	}
	return out
}

func permutedVec(v []float64, perm []int) []float64 {
	out := make([]float64, len(perm))
	for j, from := range perm {
		out[j] = v[from]
	}
	return out
}

func compareMatrix(t *testing.T, what string, got, want [][]float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		compareAbs(t, fmt.Sprintf("%s row %d", what, i+1), got[i], want[i], tol)
	}
}

func compareAbs(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= tol) {
			t.Errorf("%s[%d] = %.6f, want %.6f (|diff| %.2g > %g)", what, i, got[i], want[i], d, tol)
		}
	}
}

func compareRel(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.IsNaN(want) || math.IsNaN(got) {
		if math.IsNaN(want) != math.IsNaN(got) {
			t.Errorf("%s = %g, want %g", what, got, want)
		}
		return
	}
	if d := math.Abs(got - want); d > fitRelTol*math.Abs(want) && d > 1e-12 {
		t.Errorf("%s = %.8g, want %.8g (relative diff %.2g > %g)", what, got, want, d/math.Abs(want), fitRelTol)
	}
}
