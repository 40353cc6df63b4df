package efa

import "testing"

func TestAdequacyAgainstPsych(t *testing.T) {
	ref := loadReference(t)
	for _, want := range ref.Adequacy {
		t.Run(want.Dataset, func(t *testing.T) {
			in := loadInput(t, want.Dataset)
			kmo, err := SamplingAdequacy(in.r)
			if err != nil {
				t.Fatal(err)
			}
			compareAbs(t, "KMO", []float64{kmo.Overall}, []float64{want.KMO}, kmoTol)
			compareAbs(t, "KMO items", kmo.Items, want.KMOItems, kmoTol)
			b, err := Sphericity(in.r, in.n)
			if err != nil {
				t.Fatal(err)
			}
			compareRel(t, "Bartlett chi2", b.Chi2, want.BartlettChi2)
			compareRel(t, "Bartlett df", b.DF, want.BartlettDF)
			compareRel(t, "Bartlett p", b.P, want.BartlettP)
			got, err := MAP(in.r, len(want.MAP))
			if err != nil {
				t.Fatal(err)
			}
			compareAbs(t, "MAP", got, want.MAP, 1e-10)
		})
	}
}

func TestAdequacyOfSingularMatrix(t *testing.T) {
	in := loadInput(t, "holzinger")
	r := duplicateItem(in.r, 0)
	if _, err := SamplingAdequacy(r); err == nil {
		t.Error("KMO of a singular matrix gave no error")
	}
	if b, err := Sphericity(r, in.n); err == nil {
		t.Errorf("Bartlett of a singular matrix = %+v, want an error", b)
	}
}
