package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/canvass-survey/canvass/analysis/cor"
	"github.com/canvass-survey/canvass/analysis/efa"
	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

func TestNumberJSON(t *testing.T) {
	got, err := json.Marshal([]Number{1.5, Number(math.NaN()), Number(math.Inf(-1)), 0})
	if err != nil || string(got) != "[1.5,null,null,0]" {
		t.Errorf("got %s, %v", got, err)
	}
	if Matrix(nil) != nil {
		t.Error("a nil matrix is not null")
	}
	if m := Matrix(mat.NewDense(1, 2, []float64{1, 2})); len(m) != 1 || m[0][1] != 2 {
		t.Errorf("got %v", m)
	}
}

func holzinger(t *testing.T) Correlations {
	t.Helper()
	items := []string{"x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"}
	acc := cor.NewAccumulator(items, cor.Pairwise)
	for _, row := range reftest.ReadNumeric(t, "holzinger.csv", items) {
		acc.Add(row)
	}
	res, err := acc.Result()
	if err != nil {
		t.Fatal(err)
	}
	return Correlations{Items: res.Names, R: res.R, N: res.Rows, PairN: res.PairN}
}

// The same data and seed give the same document, byte for byte: the
// nightly results promise it.
func TestRunEFAReproducible(t *testing.T) {
	c := holzinger(t)
	opts := EFAOptions{Factors: 3, Method: efa.MinRes, Rotation: efa.Oblimin, Parallel: 5, Seed: 7}
	first, res, err := RunEFA(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := RunEFA(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Error("two runs on the same data differ")
	}
	if first.Parallel == nil || first.Parallel.Iterations != 5 || len(first.Loadings) != 9 || res.N != c.N || first.N != c.N {
		t.Errorf("document %+v", first)
	}
	if first.KMO.Overall <= 0 || first.KMO.Overall > 1 || first.Bartlett.DF != 36 || len(first.MAP) == 0 {
		t.Errorf("adequacy: KMO %v, Bartlett df %v, MAP %v", first.KMO.Overall, first.Bartlett.DF, first.MAP)
	}
}

func TestRunEFABadInput(t *testing.T) {
	c := holzinger(t)
	if _, _, err := RunEFA(c, EFAOptions{Factors: 20, Method: efa.MinRes, Rotation: efa.Oblimin}); err == nil {
		t.Error("more factors than items: no error")
	}
}

// With two items omega cannot be fitted: the reliability still comes back,
// with a warning that says so, and no omega.
func TestReliabilityTwoItems(t *testing.T) {
	rows := [][]float64{{1, 2}, {2, 2}, {3, 4}, {4, 5}, {5, 4}, {2, math.NaN()}}
	got, err := Reliability([]string{"a", "b"}, rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.OmegaTotal != nil || len(got.Warnings) == 0 || !strings.Contains(strings.Join(got.Warnings, " "), "omega total not computed") {
		t.Errorf("got omega %v, warnings %v", got.OmegaTotal, got.Warnings)
	}
	if got.RawAlpha <= 0 || got.RawAlpha > 1 || got.N != 6 {
		t.Errorf("alpha %v, n %d", got.RawAlpha, got.N)
	}
}
