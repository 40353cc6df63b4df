package weighting

import (
	"strconv"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

// tolerance is the absolute agreement required with survey::rake.
const tolerance = 1e-6

// rakeCase is one case of "rake" in weights_reference.json, which
// analysis/testdata/weights_reference.R computed with survey::rake.
type rakeCase struct {
	Name    string
	Start   string
	Margins []struct {
		Variable   string
		Levels     []string
		Population []float64
	}
	Weights        []float64
	Deff           float64
	NEff           float64 `json:"n_eff"`
	Min, Max, Mean float64
}

// margins reads the respondents of a case and their start weights:
// apiclus1's schools from their sampling weights pw, canvass's respondents
// from N/n.
func (c rakeCase) margins(t *testing.T) ([]Margin, Options) {
	t.Helper()
	var opts Options
	table := reftest.ReadTable(t, "apiclus1.csv")
	keep := make([]bool, table.Len())
	for i := range keep {
		keep[i] = true
	}
	switch c.Start {
	case "pw":
		opts.Start = reftest.Column(t, table, "pw")
	case "N/n":
		table = reftest.ReadTable(t, "canvass_cases.csv")
		keep = keep[:0]
		for _, r := range reftest.Column(t, table, "responded") {
			keep = append(keep, r == 1)
		}
	default:
		t.Fatalf("start %q", c.Start)
	}
	var margins []Margin
	for _, m := range c.Margins {
		values, err := table.Strings(m.Variable)
		if err != nil {
			t.Fatal(err)
		}
		margin := Margin{Name: m.Variable, Levels: m.Levels, Population: m.Population}
		for i, v := range values {
			if keep[i] {
				margin.Values = append(margin.Values, v)
			}
		}
		margins = append(margins, margin)
	}
	return margins, opts
}

func TestRakeMatchesSurvey(t *testing.T) {
	var ref struct{ Rake []rakeCase }
	reftest.LoadJSON(t, "weights_reference.json", &ref)
	var worst reftest.Worst
	for _, c := range ref.Rake {
		t.Run(c.Name, func(t *testing.T) {
			margins, opts := c.margins(t)
			got, err := Rake(margins, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Converged || got.Reason != "" || len(got.Warnings) > 0 {
				t.Errorf("converged %v after %d iterations (%s), warnings %q", got.Converged, got.Iterations, got.Reason, got.Warnings)
			}
			if len(got.Weights) != len(c.Weights) {
				t.Fatalf("%d weights, want %d", len(got.Weights), len(c.Weights))
			}
			for i, w := range got.Weights {
				worst.Abs(t, "weight "+strconv.Itoa(i+1), w, c.Weights[i], tolerance)
			}
			worst.Abs(t, "deff", got.DesignEffect, c.Deff, tolerance)
			worst.Abs(t, "effective n", got.EffectiveN, c.NEff, tolerance)
			worst.Abs(t, "min", got.Min, c.Min, tolerance)
			worst.Abs(t, "max", got.Max, c.Max, tolerance)
			worst.Abs(t, "mean", got.Mean, c.Mean, tolerance)
			if got.MaxDifference > DefaultEpsilon*sum(c.Margins[0].Population) {
				t.Errorf("MaxDifference %g", got.MaxDifference)
			}
			t.Logf("%d iterations, margins off by at most %.2g", got.Iterations, got.MaxDifference)
		})
	}
	t.Logf("worst agreement with survey::rake: %.2g", worst.Diff)
}
