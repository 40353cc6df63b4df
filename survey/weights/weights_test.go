package weights

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// frame builds n cases with departments, forms of government and two
// population bands drawn at random (seeded); respond says which respond,
// given a uniform draw and the case's strata.
func frame(t *testing.T, n int, respond func(u float64, s aapor.Strata) bool) (*instrument.Instrument, []Case) {
	t.Helper()
	in, err := instrument.Parse("default.yaml", instrument.DefaultYAML())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cases := make([]Case, n)
	for i := range cases {
		s := aapor.Strata{Department: in.Frame.Departments[rng.IntN(len(in.Frame.Departments))], State: "AZ",
			Population: []int{30_000, 120_000}[rng.IntN(2)], FormOfGovernment: in.Frame.FormsOfGovernment[rng.IntN(2)]}
		code := aapor.UO
		if respond(rng.Float64(), s) {
			code = aapor.I
		}
		cases[i] = Case{ID: fmt.Sprintf("c%04d", i), Strata: s, Code: code}
	}
	return in, cases
}

// Police responds at less than half the others' rate: it is the
// department with the most negative partial, the R-indicator is below 1, and
// a day before anyone responded there is no R-indicator.
func TestMeasureNamesTheUnderRepresented(t *testing.T) {
	in, cases := frame(t, 600, func(u float64, s aapor.Strata) bool {
		if s.Department == "Police" {
			return u < 0.15
		}
		return u < 0.35
	})
	day := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	pcs := make([]aapor.Case, len(cases))
	for i, c := range cases {
		pcs[i] = aapor.Case{Strata: c.Strata, Code: c.Code}
		if c.Code == aapor.I {
			pcs[i].At = day
		}
	}
	r, err := Measure(pcs, in, []string{"2026-03-01", "2026-03-02"}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if r == nil || !(r.RIndicator < 1 && r.RIndicator > 0.5) || r.Eligible != 600 {
		t.Fatalf("representativeness %+v", r)
	}
	for _, p := range r.Partials {
		if p.Variable != "department" {
			continue
		}
		lowest := p.Categories[0]
		for _, c := range p.Categories {
			if c.Partial < lowest.Partial {
				lowest = c
			}
		}
		if lowest.Level != "Police" || lowest.Partial > -0.02 {
			t.Errorf("the most under-represented department: %+v, want Police well below 0", lowest)
		}
	}
	if len(r.Daily) != 2 || r.Daily[0].RIndicator != nil || r.Daily[1].RIndicator == nil || *r.Daily[1].RIndicator != r.RIndicator {
		t.Errorf("daily %+v", r.Daily)
	}
}

func TestMeasureWaitsForRespondents(t *testing.T) {
	n := 0
	in, cases := frame(t, 100, func(float64, aapor.Strata) bool { n++; return n < MinRespondents })
	pcs := make([]aapor.Case, len(cases))
	for i, c := range cases {
		pcs[i] = aapor.Case{Strata: c.Strata, Code: c.Code}
	}
	if r, err := Measure(pcs, in, nil, time.UTC); r != nil || err != nil {
		t.Errorf("with %d respondents: %+v, %v", MinRespondents-1, r, err)
	}
}

// The weights reproduce the eligible cases' count of every level of every
// variable, sum to their number, and go to respondents only; ineligible
// cases count nowhere.
func TestComputeRakesToTheFrame(t *testing.T) {
	in, cases := frame(t, 700, func(u float64, s aapor.Strata) bool { return u < 0.3 || (s.Population > 100_000 && u < 0.45) })
	cases[1].Code = aapor.NE
	rep, of := Compute(cases, in)
	if rep.Status != StatusOK || rep.Eligible != 699 || len(of.Weight) != rep.Respondents || len(of.Propensity) != 699 {
		t.Fatalf("report %+v, %d weights, %d propensities", rep, len(of.Weight), len(of.Propensity))
	}
	for _, fv := range variablesOf(in) {
		frameCount, weighted := map[string]float64{}, map[string]float64{}
		for _, c := range cases {
			if c.Code == aapor.NE {
				continue
			}
			frameCount[fv.value(c.Strata)]++
			weighted[fv.value(c.Strata)] += of.Weight[c.ID]
		}
		for level, n := range frameCount {
			if math.Abs(weighted[level]-n) > 1e-6*699 {
				t.Errorf("%s=%s: weighted %.6f, frame %.0f", fv.name, level, weighted[level], n)
			}
		}
	}
	if rep.DesignEffect < 1 || rep.EffectiveN > float64(rep.Respondents) {
		t.Errorf("design effect %.4f, effective n %.1f of %d", rep.DesignEffect, rep.EffectiveN, rep.Respondents)
	}
}

// A department nobody in it answered is merged into its neighbour with a
// warning, never a division by zero; trimming bounds the margins cannot
// meet fail the weighting with its reason.
func TestComputeBadInput(t *testing.T) {
	in, cases := frame(t, 700, func(u float64, s aapor.Strata) bool { return s.Department != "Finance" && u < 0.3 })
	rep, of := Compute(cases, in)
	if rep.Status != StatusOK || len(rep.Collapsed) != 1 || rep.Collapsed[0].Level != "Finance" || len(rep.Warnings) == 0 {
		t.Errorf("with no Finance respondent: %+v", rep)
	}
	for id, w := range of.Weight {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			t.Fatalf("weight of %s: %v", id, w)
		}
	}

	in, cases = frame(t, 700, func(u float64, s aapor.Strata) bool {
		return u < 0.3 && (s.Department != "Police" || u < 0.03)
	})
	in.Analysis.Weighting = &instrument.WeightingSpec{Variables: []string{"department"}, Trim: []float64{0.9, 1.1}, MaxIterations: 20}
	rep, of = Compute(cases, in)
	if rep.Status != StatusFailed || !strings.Contains(rep.Reason, "Police") || len(of.Weight) != 0 {
		t.Errorf("raking that cannot converge: %+v, %d weights", rep, len(of.Weight))
	}
}
