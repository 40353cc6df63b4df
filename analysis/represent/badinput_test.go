package represent

import (
	"math"
	"strings"
	"testing"
)

// cells builds cases from counts: for each combination of a level of a and a
// level of b, how many cases there are and how many of them responded.
type cell struct {
	a, b               string
	cases, respondents int
}

func build(levelsA, levelsB []string, cells []cell) ([]Variable, []bool) {
	a := Variable{Name: "a", Levels: levelsA}
	b := Variable{Name: "b", Levels: levelsB}
	var responded []bool
	for _, c := range cells {
		for i := range c.cases {
			a.Values = append(a.Values, c.a)
			b.Values = append(b.Values, c.b)
			responded = append(responded, i < c.respondents)
		}
	}
	return []Variable{a, b}, responded
}

// checkFinite fails on any NaN or infinity in r.
func checkFinite(t *testing.T, r *Result) {
	t.Helper()
	values := append([]float64{r.MeanPropensity, r.SD, r.CV, r.RIndicator}, r.Propensities...)
	if r.RIndicatorSE != nil {
		values = append(values, *r.RIndicatorSE)
	}
	for _, c := range r.Coefficients {
		values = append(values, c.Estimate, c.SE)
	}
	for _, p := range r.Partials {
		values = append(values, p.Unconditional, p.Conditional)
		for _, c := range p.Categories {
			values = append(values, c.MeanPropensity, c.Partial)
		}
	}
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("a value is %g: %+v", v, r)
		}
	}
}

func hasWarning(r *Result, parts ...string) bool {
	for _, w := range r.Warnings {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(w, part)
		}
		if all {
			return true
		}
	}
	return false
}

func TestFitErrors(t *testing.T) {
	vars, responded := build([]string{"x", "y"}, []string{"u", "v"}, []cell{
		{"x", "u", 10, 3}, {"x", "v", 10, 5}, {"y", "u", 10, 4}, {"y", "v", 10, 6},
	})
	tests := []struct {
		name      string
		vars      []Variable
		responded []bool
		want      []string
	}{
		{"no variables", nil, responded, []string{"at least one frame variable"}},
		{"one case", []Variable{{Name: "a", Levels: []string{"x"}, Values: []string{"x"}}}, []bool{true}, []string{"1 cases are too few"}},
		{"lengths", []Variable{vars[0], {Name: "b", Levels: vars[1].Levels, Values: vars[1].Values[1:]}}, responded,
			[]string{`variable "b" has 39 values for 40 cases`}},
		{"no levels", []Variable{vars[0], {Name: "b", Values: vars[1].Values}}, responded, []string{`variable "b" has no levels`}},
		{"duplicate level", []Variable{{Name: "a", Levels: []string{"x", "y", "x"}, Values: vars[0].Values}}, responded,
			[]string{`variable "a" lists the level "x" twice`}},
		{"not a level", []Variable{vars[0], {Name: "b", Levels: []string{"u"}, Values: vars[1].Values}}, responded,
			[]string{`variable "b", case 11: "v" is not one of its levels ("u")`}},
		{"missing value", []Variable{{Name: "a", Levels: []string{"x", "y"}, Values: append([]string{""}, vars[0].Values[1:]...)}}, responded,
			[]string{`variable "a", case 1: "" is not one of its levels`}},
		{"nobody responded", vars, make([]bool, 40), []string{"none of the 40 cases responded"}},
		{"everybody responded", vars, allTrue(40), []string{"all 40 cases responded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fit(tt.vars, tt.responded)
			if err == nil {
				t.Fatal("no error")
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}

func allTrue(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}

// A level where nobody responded: warned of by name, fitted as (numerically)
// 0, and every number finite.
func TestFitSeparatedLevel(t *testing.T) {
	for _, tt := range []struct {
		name        string
		respondents int
		want        string
		limit       float64
	}{
		{"nobody", 0, "b=w: none of its 8 cases responded", 0},
		{"everybody", 8, "b=w: all of its 8 cases responded", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vars, responded := build([]string{"x", "y"}, []string{"u", "v", "w"}, []cell{
				{"x", "u", 10, 3}, {"x", "v", 10, 5}, {"y", "u", 10, 4}, {"y", "v", 10, 6},
				{"x", "w", 4, tt.respondents / 2}, {"y", "w", 4, tt.respondents / 2},
			})
			r, err := Fit(vars, responded)
			if err != nil {
				t.Fatal(err)
			}
			checkFinite(t, r)
			if !hasWarning(r, tt.want) {
				t.Errorf("warnings %q do not say %q", r.Warnings, tt.want)
			}
			for i, rho := range r.Propensities[40:] {
				if math.Abs(rho-tt.limit) > 1e-9 {
					t.Errorf("propensity of separated case %d = %g, want %g", i, rho, tt.limit)
				}
			}
			if r.RIndicatorSE == nil {
				t.Error("no standard error of R")
			}
		})
	}
}

// Separation by a combination of levels, which no level's counts show.
func TestFitSeparatedCombination(t *testing.T) {
	vars, responded := build([]string{"x", "y"}, []string{"u", "v"}, []cell{
		{"x", "u", 5, 0}, {"x", "v", 4, 2}, {"y", "u", 4, 2}, {"y", "v", 5, 5},
	})
	r, err := Fit(vars, responded)
	if err != nil {
		t.Fatal(err)
	}
	checkFinite(t, r)
	if !hasWarning(r, "numerically 0 or 1", "a=x, b=u") || len(r.Warnings) != 1 {
		t.Errorf("warnings = %q", r.Warnings)
	}
}

func TestFitDroppedTerms(t *testing.T) {
	t.Run("EmptyLevels", func(t *testing.T) {
		vars, responded := build([]string{"none", "x", "y", "nothing"}, []string{"u", "v"}, []cell{
			{"x", "u", 10, 3}, {"x", "v", 10, 5}, {"y", "u", 10, 4}, {"y", "v", 10, 6},
		})
		r, err := Fit(vars, responded)
		if err != nil {
			t.Fatal(err)
		}
		checkFinite(t, r)
		if !hasWarning(r, "a=none has no cases") || !hasWarning(r, "a=nothing has no cases") ||
			!hasWarning(r, `the reference level "none" has no cases; "x" is the reference instead`) {
			t.Errorf("warnings = %q", r.Warnings)
		}
		terms := termsOf(r)
		if terms != "(Intercept) a=y b=v" {
			t.Errorf("terms = %s", terms)
		}
		if got := len(r.Partials[0].Categories); got != 2 {
			t.Errorf("%d categories of a, want the 2 with cases", got)
		}
	})
	t.Run("Aliased", func(t *testing.T) {
		vars, responded := build([]string{"x", "y"}, []string{"u", "v"}, []cell{
			{"x", "u", 10, 3}, {"y", "v", 10, 6}, {"y", "v", 5, 1},
		})
		r, err := Fit(vars, responded)
		if err != nil {
			t.Fatal(err)
		}
		checkFinite(t, r)
		if !hasWarning(r, "b=v is aliased") || termsOf(r) != "(Intercept) a=y" {
			t.Errorf("terms %s, warnings %q", termsOf(r), r.Warnings)
		}
		// The propensities are the response rates of a's levels.
		if math.Abs(r.Propensities[0]-0.3) > 1e-9 || math.Abs(r.Propensities[10]-7.0/15) > 1e-9 {
			t.Errorf("propensities %g, %g, want 0.3, 7/15", r.Propensities[0], r.Propensities[10])
		}
	})
	t.Run("OneLevel", func(t *testing.T) {
		vars, responded := build([]string{"x", "y"}, []string{"u", "v"}, []cell{
			{"x", "u", 10, 3}, {"y", "u", 10, 6},
		})
		r, err := Fit(vars, responded)
		if err != nil {
			t.Fatal(err)
		}
		checkFinite(t, r)
		if !hasWarning(r, "b has one level (u) among the 20 cases") {
			t.Errorf("warnings = %q", r.Warnings)
		}
		if p := r.Partials[1]; p.Unconditional != 0 || p.Conditional != 0 {
			t.Errorf("partials of a constant = %+v, want 0", p)
		}
	})
}

func termsOf(r *Result) string {
	var terms []string
	for _, c := range r.Coefficients {
		terms = append(terms, c.Term)
	}
	return strings.Join(terms, " ")
}

// Response that does not depend on the variables: R is 1, and its standard
// error, undefined, is absent rather than NaN.
func TestFitEqualPropensities(t *testing.T) {
	vars, responded := build([]string{"x", "y"}, []string{"u", "v"}, []cell{
		{"x", "u", 10, 5}, {"x", "v", 10, 5}, {"y", "u", 10, 5}, {"y", "v", 10, 5},
	})
	r, err := Fit(vars, responded)
	if err != nil {
		t.Fatal(err)
	}
	checkFinite(t, r)
	if math.Abs(r.RIndicator-1) > 1e-12 || r.RIndicatorSE != nil || !hasWarning(r, "standard error is undefined") {
		t.Errorf("R = %g, SE %v, warnings %q", r.RIndicator, r.RIndicatorSE, r.Warnings)
	}
}
