package results_test

import (
	"math"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/weights"
)

// A night weights the respondents to the frame: every option share and
// every group mean has a weighted estimate beside it, with an interval
// around it, and the shares of an item add up to 100.
func TestNightWeighsRespondents(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	fill(t, st, simulate.Cases(in, 1000, .3, 3))
	r := runOK(t, newService(t, st, in))
	w := r.Weighting
	if w == nil || w.Status != weights.StatusOK || w.Respondents != r.N || !(w.DesignEffect >= 1) || w.ModelsWeighted {
		t.Fatalf("weighting %+v with n %d", w, r.N)
	}
	for _, set := range r.Descriptives.Frequencies {
		for _, it := range set.Items {
			sum := 0.0
			for _, s := range it.Weighted {
				sum += float64(s.Percent)
				if !(s.Lo <= s.Percent && s.Percent <= s.Hi) || math.IsNaN(float64(s.SE)) {
					t.Errorf("%s %s: %+v", it.Item, s.Label, s)
				}
			}
			if len(it.Weighted) != len(it.Counts) || math.Abs(sum-100) > 1e-9 {
				t.Errorf("%s: %d weighted shares adding up to %.12f", it.Item, len(it.Weighted), sum)
			}
		}
	}
	for _, set := range r.Descriptives.Means {
		for _, g := range set.Groups {
			if g.Weighted == nil || !(g.Weighted.Lo < g.Weighted.Mean && g.Weighted.Mean < g.Weighted.Hi) {
				t.Errorf("%s %s: weighted %+v", set.ID, g.Group, g.Weighted)
			}
		}
	}
}

// Raking that cannot meet the margins within its sweeps fails the
// weighting with its reason, and the night is served unweighted.
func TestNightWithFailedWeighting(t *testing.T) {
	st := storetest.MustOpen(t)
	in, err := instrument.Parse("default.yaml", []byte(strings.Replace(string(instrument.DefaultYAML()),
		"variables: [department, population_band, form_of_government]",
		"variables: [department, population_band, form_of_government]\n    trim: [0.99, 1.01]\n    max_iterations: 3", 1)))
	if err != nil {
		t.Fatal(err)
	}
	fill(t, st, simulate.Cases(in, 1000, .3, 3))
	r := runOK(t, newService(t, st, in))
	if r.Weighting == nil || r.Weighting.Status != weights.StatusFailed || !strings.Contains(r.Weighting.Reason, "did not converge") {
		t.Fatalf("weighting %+v", r.Weighting)
	}
	for _, set := range r.Descriptives.Means {
		for _, g := range set.Groups {
			if g.Weighted != nil {
				t.Errorf("%s %s: weighted %+v after a failed weighting", set.ID, g.Group, g.Weighted)
			}
		}
	}
	for _, f := range results.Figures(in, r) {
		if strings.HasSuffix(f.ID, "_weighted") {
			t.Errorf("a weighted figure %s after a failed weighting", f.ID)
		}
	}
}
