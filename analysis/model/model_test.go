package model

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

var nan = math.NaN()

func variable(name string, values ...float64) Variable { return Variable{Name: name, Values: values} }
func factor(name string, labels ...string) Factor      { return Factor{Name: name, Labels: labels} }

// ordinalLabels turns small integers into response labels.
func ordinalLabels(name string, values ...int) Factor {
	f := Factor{Name: name}
	for _, v := range values {
		f.Labels = append(f.Labels, strconv.Itoa(v))
	}
	return f
}

func TestBadInput(t *testing.T) {
	x1 := variable("x1", 1, 2, 3, 4, 5, 6, 7, 8)
	x2 := variable("x2", 2, 1, 4, 3, 6, 5, 8, 9)
	sum := variable("x3", 3, 3, 7, 7, 11, 11, 15, 17) // x1 + x2
	flat := variable("flat", 2, 2, 2, 2, 2, 2, 2, 2)
	y := variable("y", 1, 3, 2, 5, 4, 6, 8, 7)
	ordinal := ordinalLabels("y", 1, 2, 1, 3, 2, 3, 3, 2)
	tests := []struct {
		name    string
		ols     bool
		y       Variable
		ordinal Factor
		p       Predictors
		want    string // part of the error message
	}{
		{"OLS constant predictor", true, y, Factor{}, Predictors{Numeric: []Variable{x1, flat}}, `predictor "flat" is constant`},
		{"ologit constant predictor", false, Variable{}, ordinal, Predictors{Numeric: []Variable{flat}}, `predictor "flat" is constant`},
		{"OLS collinear", true, y, Factor{}, Predictors{Numeric: []Variable{x1, x2, sum}}, "x3 is a linear combination of x1, x2"},
		{"ologit collinear", false, Variable{}, ordinal, Predictors{Numeric: []Variable{x1, x2, sum}}, "x3 is a linear combination of x1, x2"},
		{"dummy collinear with a numeric predictor", true, y,
			Factor{}, Predictors{
				Numeric: []Variable{variable("big", 0, 0, 0, 0, 1, 1, 1, 1)},
				Factors: []Factor{factor("size", "s", "s", "s", "s", "b", "b", "b", "b")},
			}, "size=s is a linear combination of (Intercept), big"},
		{"one-level factor", true, y, Factor{}, Predictors{Factors: []Factor{factor("g", "a", "a", "a", "a", "a", "a", "a", "a")}}, `factor "g" has only one level (a)`},
		{"one-level response", false, Variable{}, ordinalLabels("y", 2, 2, 2, 2, 2, 2, 2, 2), Predictors{Numeric: []Variable{x1}}, `response "y" has only one level (2)`},
		{"constant OLS response", true, variable("y", 4, 4, 4, 4, 4, 4, 4, 4), Factor{}, Predictors{Numeric: []Variable{x1}}, `response "y" is constant`},
		{"exact fit", true, variable("y", 2, 4, 6, 8, 10, 12, 14, 16), Factor{}, Predictors{Numeric: []Variable{x1}}, "fit \"y\" exactly"},
		{"too few rows", true, variable("y", 1, nan, nan, nan, nan, nan, nan, 2), Factor{}, Predictors{Numeric: []Variable{x1}}, "2 complete rows are too few for 2 terms"},
		{"no predictors", true, y, Factor{}, Predictors{}, "at least one predictor"},
		{"one cluster", true, y, Factor{}, Predictors{Numeric: []Variable{x1}, Cluster: &Factor{Name: "c", Labels: strings.Split("a a a a a a a a", " ")}}, "at least 2 clusters"},
		{"length mismatch", true, y, Factor{}, Predictors{Numeric: []Variable{variable("short", 1, 2)}}, `predictor "short" has 2 values, the response has 8`},
		{"label outside the given levels", true, y, Factor{}, Predictors{Factors: []Factor{{Name: "g", Labels: strings.Split("a b a b a b a c", " "), Levels: []string{"b", "a"}}}}, `"c" is not one of its levels`},
		{"reference level without rows", true, y, Factor{}, Predictors{Factors: []Factor{{Name: "g", Labels: strings.Split("a b a b a b a b", " "), Levels: []string{"c", "a", "b"}}}}, `the reference level "c" has no rows`},
		{"complete separation", false, Variable{}, ordinalLabels("y", 1, 1, 1, 1, 2, 2, 2, 2), Predictors{Numeric: []Variable{x1}}, "separation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.ols {
				_, err = OLS(tt.y, tt.p)
			} else {
				_, err = OrderedLogit(tt.ordinal, tt.p)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestListwiseDeletion(t *testing.T) {
	y := variable("y", 1, 3, nan, 5, 4, 6, 8, 7, 9, 8)
	x := variable("x", 1, 2, 3, nan, 5, 6, 7, 8, 9, 10)
	g := factor("g", "a", "b", "a", "b", "", "b", "a", "b", "a", "b")
	cluster := factor("c", "1", "1", "2", "2", "3", "3", "4", "4", "", "5")
	fit, err := OLS(y, Predictors{Numeric: []Variable{x}, Factors: []Factor{g}, Cluster: &cluster})
	if err != nil {
		t.Fatal(err)
	}
	// Rows 3 (y), 4 (x), 5 (g) and 9 (cluster) are missing something.
	if got, want := fit.N, 6; got != want {
		t.Errorf("N = %d, want %d", got, want)
	}
	// Cluster 2 had only rows that were dropped.
	if got, want := fit.Clusters, 4; got != want {
		t.Errorf("Clusters = %d, want %d", got, want)
	}
	var terms []string
	for _, c := range fit.Coefficients {
		terms = append(terms, c.Term)
	}
	if got, want := strings.Join(terms, " "), "(Intercept) x g=b"; got != want {
		t.Errorf("terms = %q, want %q", got, want)
	}
}

func TestQuasiSeparationWarns(t *testing.T) {
	// Every row with x = 1 is in the top category: β for x runs off to
	// infinity while the rows with x = 0 still identify the thresholds.
	y := ordinalLabels("y", 1, 2, 3, 1, 2, 3, 2, 1, 3, 3, 3, 3, 3)
	x := variable("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1)
	z := variable("z", 1, 4, 2, 5, 3, 1, 2, 6, 4, 2, 5, 3, 1)
	fit, err := OrderedLogit(y, Predictors{Numeric: []Variable{x, z}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fit.Warnings) != 1 || !strings.Contains(fit.Warnings[0], "quasi-complete separation") {
		t.Errorf("warnings = %q, want one about quasi-complete separation", fit.Warnings)
	}
	for _, c := range fit.Coefficients {
		for _, v := range []float64{c.Estimate, c.SE, c.Statistic, c.P} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s has a value %g", c.Term, v)
			}
		}
	}
}

func TestTwoLevelOrderedLogitIsLogit(t *testing.T) {
	// With two levels the model is a logistic regression with intercept −ζ.
	// Reference: R's glm(y ~ x, family = binomial,
	// control = glm.control(epsilon = 1e-14)) on these data (y − 1).
	y := ordinalLabels("y", 1, 1, 2, 1, 1, 2, 1, 2, 2, 1, 2, 2)
	x := variable("x", 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 5, 6)
	fit, err := OrderedLogit(y, Predictors{Numeric: []Variable{x}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		what           string
		got, want, tol float64
	}{
		{"β", fit.Coefficients[0].Estimate, 0.504229574052, estimateTolerance},
		{"se(β)", fit.Coefficients[0].SE, 0.392084941272, seTolerance * 0.392084941272},
		{"ζ", fit.Thresholds[0].Estimate, 1.764803509183, estimateTolerance},
		{"se(ζ)", fit.Thresholds[0].SE, 1.508825978879, seTolerance * 1.508825978879},
	}
	for _, tt := range tests {
		if math.Abs(tt.got-tt.want) > tt.tol {
			t.Errorf("%s = %.10g, want %.10g", tt.what, tt.got, tt.want)
		}
	}
	if got, want := fit.Thresholds[0].Term, "1|2"; got != want {
		t.Errorf("threshold term = %q, want %q", got, want)
	}
}

// Given levels set the reference: the contrasts are against the first
// level given, not the first in sort order, and the fit is the same model.
func TestFactorLevelsSetTheReference(t *testing.T) {
	y := variable("y", 1, 3, 2, 5, 4, 6, 8, 7, 2, 6)
	labels := strings.Split("a b c a b c a b c a", " ")
	byName, err := OLS(y, Predictors{Factors: []Factor{factor("g", labels...)}})
	if err != nil {
		t.Fatal(err)
	}
	byGiven, err := OLS(y, Predictors{Factors: []Factor{{Name: "g", Labels: labels, Levels: []string{"c", "a", "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var terms []string
	for _, c := range byGiven.Coefficients {
		terms = append(terms, c.Term)
	}
	if got := strings.Join(terms, " "); got != "(Intercept) g=a g=b" {
		t.Errorf("terms %q", got)
	}
	// The intercept is the reference level's mean: c's with the levels given, a's without.
	if got, want := byGiven.Coefficients[0].Estimate+byGiven.Coefficients[1].Estimate, byName.Coefficients[0].Estimate; math.Abs(got-want) > 1e-12 {
		t.Errorf("mean of a: %v by the given levels, %v by name", got, want)
	}
	if math.Abs(byGiven.R2-byName.R2) > 1e-12 {
		t.Errorf("R² %v and %v: not the same model", byGiven.R2, byName.R2)
	}
}
