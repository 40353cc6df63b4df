package represent

import (
	"strconv"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

// tolerance is the absolute agreement required with R for every
// coefficient, standard error, propensity and indicator.
const tolerance = 1e-6

// propensityCase is one case of "propensity" in weights_reference.json,
// which analysis/testdata/weights_reference.R computed with glm.
type propensityCase struct {
	Name      string
	Response  string
	Variables []struct {
		Name   string
		Levels []string
	}
	N, Respondents int
	Separated      bool
	MeanPropensity float64 `json:"mean_propensity"`
	SD, CV         float64
	RIndicator     float64 `json:"r_indicator"`
	RIndicatorSE   float64 `json:"r_indicator_se"`
	Partials       []refPartial
	Coefficients   []Coefficient
	Fitted         []float64
}

type refPartial struct {
	Variable                   string
	Unconditional, Conditional float64
	Categories                 []struct {
		Level          string
		N, Respondents int
		MeanPropensity float64 `json:"mean_propensity"`
		Partial        float64
	}
}

// referenceData reads the cases a reference was fitted on: canvass from
// canvass_cases.csv, apipop from apipop_awards.csv, whose rows are counts of
// schools, expanded. rowOf maps each case to the CSV row whose fitted value
// R reported (one per row for apipop, one per case for canvass).
func referenceData(t *testing.T, c propensityCase) (vars []Variable, responded []bool, rowOf []int) {
	t.Helper()
	file := "canvass_cases.csv"
	if c.Name != "canvass" {
		file = "apipop_awards.csv"
	}
	table := reftest.ReadTable(t, file)
	counts := make([]int, table.Len())
	for i := range counts {
		counts[i] = 1
	}
	if file == "apipop_awards.csv" {
		for i, x := range reftest.Column(t, table, "count") {
			counts[i] = int(x)
		}
	}
	response := reftest.Column(t, table, c.Response)
	columns := make([][]string, len(c.Variables))
	for v, variable := range c.Variables {
		var err error
		if columns[v], err = table.Strings(variable.Name); err != nil {
			t.Fatal(err)
		}
		vars = append(vars, Variable{Name: variable.Name, Levels: variable.Levels})
	}
	for row, count := range counts {
		for range count {
			for v := range vars {
				vars[v].Values = append(vars[v].Values, columns[v][row])
			}
			responded = append(responded, response[row] == 1)
			rowOf = append(rowOf, row)
		}
	}
	return vars, responded, rowOf
}

func TestFitMatchesGlm(t *testing.T) {
	var ref struct{ Propensity []propensityCase }
	reftest.LoadJSON(t, "weights_reference.json", &ref)
	var coefficients, fitted, indicators reftest.Worst
	for _, c := range ref.Propensity {
		t.Run(c.Name, func(t *testing.T) {
			vars, responded, rowOf := referenceData(t, c)
			got, err := Fit(vars, responded)
			if err != nil {
				t.Fatal(err)
			}
			if got.N != c.N || got.Respondents != c.Respondents {
				t.Errorf("N, Respondents = %d, %d, want %d, %d", got.N, got.Respondents, c.N, c.Respondents)
			}
			if c.Separated != (len(got.Warnings) > 0) {
				t.Errorf("separated %v, warnings %q", c.Separated, got.Warnings)
			}
			if !c.Separated {
				if !got.Converged {
					t.Errorf("did not converge in %d iterations", got.Iterations)
				}
				if len(got.Coefficients) != len(c.Coefficients) {
					t.Fatalf("%d coefficients, want %d", len(got.Coefficients), len(c.Coefficients))
				}
				for j, want := range c.Coefficients {
					g := got.Coefficients[j]
					if g.Term != want.Term {
						t.Errorf("term %d = %q, want %q", j, g.Term, want.Term)
					}
					coefficients.Abs(t, g.Term+" estimate", g.Estimate, want.Estimate, tolerance)
					coefficients.Abs(t, g.Term+" se", g.SE, want.SE, tolerance)
				}
			}
			for i, rho := range got.Propensities {
				row := i
				if c.Name != "canvass" {
					row = rowOf[i]
				}
				fitted.Abs(t, "propensity of case "+strconv.Itoa(i+1), rho, c.Fitted[row], tolerance)
			}

			indicators.Abs(t, "mean propensity", got.MeanPropensity, c.MeanPropensity, tolerance)
			indicators.Abs(t, "SD", got.SD, c.SD, tolerance)
			indicators.Abs(t, "CV", got.CV, c.CV, tolerance)
			indicators.Abs(t, "R", got.RIndicator, c.RIndicator, tolerance)
			if got.RIndicatorSE == nil {
				t.Fatal("no standard error of R")
			}
			indicators.Abs(t, "SE(R)", *got.RIndicatorSE, c.RIndicatorSE, tolerance)
			if len(got.Partials) != len(c.Partials) {
				t.Fatalf("%d partials, want %d", len(got.Partials), len(c.Partials))
			}
			for v, want := range c.Partials {
				g := got.Partials[v]
				if g.Variable != want.Variable || len(g.Categories) != len(want.Categories) {
					t.Fatalf("partial %d = %s with %d categories, want %s with %d",
						v, g.Variable, len(g.Categories), want.Variable, len(want.Categories))
				}
				indicators.Abs(t, g.Variable+" unconditional", g.Unconditional, want.Unconditional, tolerance)
				indicators.Abs(t, g.Variable+" conditional", g.Conditional, want.Conditional, tolerance)
				for k, wc := range want.Categories {
					gc := g.Categories[k]
					if gc.Level != wc.Level || gc.N != wc.N || gc.Respondents != wc.Respondents {
						t.Errorf("%s category %d = %s (%d cases, %d respondents), want %s (%d, %d)",
							g.Variable, k, gc.Level, gc.N, gc.Respondents, wc.Level, wc.N, wc.Respondents)
					}
					what := g.Variable + "=" + gc.Level
					indicators.Abs(t, what+" mean propensity", gc.MeanPropensity, wc.MeanPropensity, tolerance)
					indicators.Abs(t, what+" partial", gc.Partial, wc.Partial, tolerance)
				}
			}
		})
	}
	t.Logf("worst agreement with glm and the R script: coefficients and SEs %.2g, propensities %.2g, indicators %.2g",
		coefficients.Diff, fitted.Diff, indicators.Diff)
}
