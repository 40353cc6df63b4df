package efa

import "testing"

func TestScoresAgainstPsych(t *testing.T) {
	ref := loadReference(t)
	in := loadInput(t, "holzinger")
	res, err := Analyze(in.items, in.r, Options{Factors: 3, N: in.n, PairN: in.pairN})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range ref.Scores {
		t.Run(want.Method, func(t *testing.T) {
			w, err := res.ScoreWeights(in.r, ScoreMethod(want.Method))
			if err != nil {
				t.Fatal(err)
			}
			perm, sign := matchColumns(res.Loadings, ref.find(t, "holzinger", 3, "minres", "oblimin").Loadings)
			compareMatrix(t, "weights", permuted(w, perm, sign), want.Weights, loadingTol)
			scores := Scores(in.rows, w)
			for i, row := range scores[:len(want.FirstRows)] {
				got := make([]float64, len(perm))
				for j, from := range perm {
					got[j] = sign[j] * row[from]
				}
				compareAbs(t, "scores", got, want.FirstRows[i], loadingTol)
			}
		})
	}
}
