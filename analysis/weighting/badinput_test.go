package weighting

import (
	"math"
	"strings"
	"testing"
)

// twoMargins are 10 respondents with a margin a (levels x, y) and b (u, v, w).
func twoMargins() []Margin {
	return []Margin{
		{Name: "a", Levels: []string{"x", "y"}, Population: []float64{70, 30},
			Values: strings.Split("x x x x x x y y y y", " ")},
		{Name: "b", Levels: []string{"u", "v", "w"}, Population: []float64{10, 30, 60},
			Values: strings.Split("u v w w u v w w v w", " ")},
	}
}

func TestRakeErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func([]Margin, *Options) []Margin
		want   string
	}{
		{"no margins", func([]Margin, *Options) []Margin { return nil }, "at least one margin"},
		{"no respondents", func(m []Margin, _ *Options) []Margin {
			m[0].Values, m[1].Values = nil, nil
			return m
		}, `margin "a" has none`},
		{"lengths", func(m []Margin, _ *Options) []Margin { m[1].Values = m[1].Values[1:]; return m },
			`margin "b" has 9 values and margin "a" 10`},
		{"population counts", func(m []Margin, _ *Options) []Margin { m[1].Population = m[1].Population[1:]; return m },
			`margin "b" has 3 levels and 2 population counts`},
		{"duplicate level", func(m []Margin, _ *Options) []Margin { m[1].Levels[2] = "u"; return m },
			`margin "b" lists the level "u" twice`},
		{"negative population", func(m []Margin, _ *Options) []Margin { m[0].Population[1] = -1; return m },
			`margin "a": the population of "y" is -1`},
		{"NaN population", func(m []Margin, _ *Options) []Margin { m[0].Population[1] = math.NaN(); return m },
			`margin "a": the population of "y" is NaN`},
		{"not a level", func(m []Margin, _ *Options) []Margin { m[1].Values[3] = "z"; return m },
			`margin "b", respondent 4: "z" is not one of its levels`},
		{"respondents without population", func(m []Margin, _ *Options) []Margin {
			m[1].Population = []float64{40, 0, 60}
			return m
		}, `margin "b": 3 respondents are in "v", whose population is 0`},
		{"totals differ", func(m []Margin, _ *Options) []Margin { m[1].Population[2] = 61; return m },
			`the population totals of margins "a" (100) and "b" (101) differ`},
		{"start weights", func(m []Margin, o *Options) []Margin { o.Start = make([]float64, 9); return m },
			"9 start weights for 10 respondents"},
		{"start weight 0", func(m []Margin, o *Options) []Margin {
			o.Start = []float64{1, 1, 1, 1, 1, 0, 1, 1, 1, 1}
			return m
		}, "the start weight of respondent 6 is 0"},
		{"trimming bounds", func(m []Margin, o *Options) []Margin { o.Trim = &Trim{Lower: 0.3, Upper: 0.9}; return m },
			"trimming bounds [0.3, 0.9]"},
		{"negative epsilon", func(m []Margin, o *Options) []Margin { o.Epsilon = -1; return m }, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts Options
			margins := tt.change(twoMargins(), &opts)
			_, err := Rake(margins, opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// checkMargins fails unless the weights are finite and positive and meet
// every margin's (collapsed) population counts.
func checkMargins(t *testing.T, r *Result, margins []Margin, groups map[string][][]string) {
	t.Helper()
	for i, w := range r.Weights {
		if !(w > 0) || math.IsInf(w, 0) {
			t.Fatalf("weight %d = %g", i, w)
		}
	}
	for _, m := range margins {
		for _, group := range groups[m.Name] {
			var weighted, population float64
			for _, level := range group {
				for k, l := range m.Levels {
					if l == level {
						population += m.Population[k]
					}
				}
				for i, v := range m.Values {
					if v == level {
						weighted += r.Weights[i]
					}
				}
			}
			if math.Abs(weighted-population) > 1e-8 {
				t.Errorf("%s %v: weighted %g, population %g", m.Name, group, weighted, population)
			}
		}
	}
}

func TestRakeCollapses(t *testing.T) {
	t.Run("IntoNext", func(t *testing.T) {
		m := twoMargins()
		m[1].Levels = []string{"u", "t", "v", "w"}
		m[1].Population = []float64{10, 5, 25, 60}
		r, err := Rake(m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Converged || len(r.Collapsed) != 1 || r.Collapsed[0] != (Collapse{"b", "t", "v"}) ||
			len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], `margin "b": no respondent is in "t" (population 5); collapsed into "v"`) {
			t.Fatalf("converged %v, collapsed %+v, warnings %q", r.Converged, r.Collapsed, r.Warnings)
		}
		checkMargins(t, r, m, map[string][][]string{"a": {{"x"}, {"y"}}, "b": {{"u"}, {"t", "v"}, {"w"}}})
	})
	t.Run("LastIntoPrevious", func(t *testing.T) {
		m := twoMargins()
		m[1].Levels = []string{"u", "v", "w", "t"}
		m[1].Population = []float64{10, 30, 55, 5}
		r, err := Rake(m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Collapsed) != 1 || r.Collapsed[0] != (Collapse{"b", "t", "w"}) {
			t.Fatalf("collapsed %+v", r.Collapsed)
		}
		checkMargins(t, r, m, map[string][][]string{"b": {{"u"}, {"v"}, {"w", "t"}}})
	})
	t.Run("Chain", func(t *testing.T) {
		m := twoMargins()
		m[0].Levels = []string{"s", "r", "x", "y"}
		m[0].Population = []float64{10, 5, 55, 30}
		r, err := Rake(m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []Collapse{{"a", "s", "r"}, {"a", "s + r", "x"}}
		if len(r.Collapsed) != 2 || r.Collapsed[0] != want[0] || r.Collapsed[1] != want[1] {
			t.Fatalf("collapsed %+v, want %+v", r.Collapsed, want)
		}
		checkMargins(t, r, m, map[string][][]string{"a": {{"s", "r", "x"}, {"y"}}})
	})
	t.Run("EmptyLevelWithoutPopulation", func(t *testing.T) {
		m := twoMargins()
		m[1].Levels = append(m[1].Levels, "none")
		m[1].Population = append(m[1].Population, 0)
		r, err := Rake(m, Options{})
		if err != nil || len(r.Warnings) > 0 || !r.Converged {
			t.Fatalf("error %v, warnings %q", err, r.Warnings)
		}
	})
}

// Margins that no weights can meet: every x is a u and every y a v, but
// the population has 60 x and 30 u.
func TestRakeDoesNotConverge(t *testing.T) {
	m := []Margin{
		{Name: "a", Levels: []string{"x", "y"}, Population: []float64{60, 40}, Values: []string{"x", "x", "y", "y"}},
		{Name: "b", Levels: []string{"u", "v"}, Population: []float64{30, 70}, Values: []string{"u", "u", "v", "v"}},
	}
	r, err := Rake(m, Options{MaxIterations: 20})
	if err != nil {
		t.Fatal(err)
	}
	if r.Converged || r.Iterations != 20 || !strings.Contains(r.Reason, "did not converge in 20 iterations: a=x is weighted 30 against a population of 60") {
		t.Errorf("converged %v after %d, reason %q", r.Converged, r.Iterations, r.Reason)
	}
	if math.Abs(r.MaxDifference-30) > 1e-9 {
		t.Errorf("MaxDifference = %g, want 30", r.MaxDifference)
	}
}

// grid is 30 respondents in every cell of two three-level margins, raked
// to weights from 0.46 to 1.68 times their mean.
func grid() []Margin {
	counts := [3][3]int{{5, 3, 2}, {3, 3, 3}, {2, 3, 6}}
	a := Margin{Name: "a", Levels: []string{"x", "y", "z"}, Population: []float64{50, 30, 20}}
	b := Margin{Name: "b", Levels: []string{"u", "v", "w"}, Population: []float64{40, 35, 25}}
	for i, row := range counts {
		for j, c := range row {
			for range c {
				a.Values = append(a.Values, a.Levels[i])
				b.Values = append(b.Values, b.Levels[j])
			}
		}
	}
	return []Margin{a, b}
}

func TestRakeTrims(t *testing.T) {
	untrimmed, err := Rake(grid(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Compatible", func(t *testing.T) {
		m := grid()
		r, err := Rake(m, Options{Trim: &Trim{Lower: 0.3, Upper: 1.6}})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Converged {
			t.Fatal(r.Reason)
		}
		if untrimmed.Max <= 1.6*untrimmed.Mean {
			t.Fatalf("the untrimmed weights (max %g, mean %g) need no trimming: the test tests nothing", untrimmed.Max, untrimmed.Mean)
		}
		if r.Max > 1.6*r.Mean*(1+1e-6) {
			t.Errorf("largest weight %g is %g times the mean", r.Max, r.Max/r.Mean)
		}
		if r.Trimmed == 0 || r.DesignEffect >= untrimmed.DesignEffect {
			t.Errorf("trimmed %d, deff %g (untrimmed %g)", r.Trimmed, r.DesignEffect, untrimmed.DesignEffect)
		}
		checkMargins(t, r, m, map[string][][]string{"a": {{"x"}, {"y"}, {"z"}}, "b": {{"u"}, {"v"}, {"w"}}})
	})
	t.Run("Incompatible", func(t *testing.T) {
		r, err := Rake(grid(), Options{Trim: &Trim{Lower: 0.95, Upper: 1.05}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Converged || !strings.Contains(r.Reason, "trimming to [0.95, 1.05] of the mean weight may be incompatible") {
			t.Errorf("converged %v, reason %q", r.Converged, r.Reason)
		}
	})
}

// One margin is post-stratification: a single sweep, weights population
// over respondents in each level, and Kish's deff from them.
func TestRakeOneMargin(t *testing.T) {
	m := twoMargins()[:1]
	r, err := Rake(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Converged || r.Iterations != 1 || math.Abs(r.Weights[0]-70.0/6) > 1e-12 || math.Abs(r.Weights[9]-7.5) > 1e-12 {
		t.Fatalf("converged %v in %d, weights %v", r.Converged, r.Iterations, r.Weights)
	}
	// 6 x at 70/6 and 4 y at 30/4: Σw = 100, Σw² = 70²/6 + 30²/4.
	deff := 10 * (70.0*70/6 + 30.0*30/4) / (100 * 100)
	if math.Abs(r.DesignEffect-deff) > 1e-12 || math.Abs(r.EffectiveN-10/deff) > 1e-12 || math.Abs(r.Mean-10) > 1e-12 {
		t.Errorf("deff %g, effective n %g, mean %g", r.DesignEffect, r.EffectiveN, r.Mean)
	}
}
