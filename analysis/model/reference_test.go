package model

import (
	"math"
	"strconv"
	"testing"

	"github.com/canvass-survey/canvass/analysis/dataset"
	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

// Tolerances: coefficients to 1e-4, standard errors to 1e-3
// relative.
const (
	estimateTolerance = 1e-4
	seTolerance       = 1e-3
)

// reference is what analysis/testdata/models_reference.R computed in R.
type reference struct {
	Ologit []modelCase `json:"ologit"`
	OLS    []modelCase `json:"ols"`
}

type modelCase struct {
	Name         string    `json:"name"`
	Y            string    `json:"y"`
	X            []string  `json:"x"`
	Factors      []string  `json:"factors"`
	Cluster      string    `json:"cluster"`
	N            int       `json:"n"`
	LogLik       float64   `json:"loglik"`
	R2           float64   `json:"r2"`
	AdjR2        float64   `json:"adj_r2"`
	Coefficients []refCoef `json:"coefficients"`
	Thresholds   []refCoef `json:"thresholds"`
	T            []float64 `json:"t"`
	P            []float64 `json:"p"`
}

type refCoef struct {
	Term      string   `json:"term"`
	Estimate  float64  `json:"estimate"`
	SE        float64  `json:"se"`
	ClusterSE *float64 `json:"cluster_se"`
}

func loadReference(t *testing.T) reference {
	t.Helper()
	var ref reference
	reftest.LoadJSON(t, "models_reference.json", &ref)
	return ref
}

// datasetFor maps a reference case to the CSV file it was fitted on.
var datasetFor = map[string]string{
	"bfi": "bfi_models.csv", "bfi_uncluster": "bfi_models.csv", "housing": "housing.csv", "petersen": "petersen.csv",
}

func numericColumn(t testing.TB, table *dataset.Table, name string) Variable {
	t.Helper()
	return Variable{Name: name, Values: reftest.Column(t, table, name)}
}

func factorColumn(t testing.TB, table *dataset.Table, name string) Factor {
	t.Helper()
	// "block" is the R script's synthetic cluster of bfi: ten consecutive rows.
	if name == "block" {
		f := Factor{Name: name, Labels: make([]string, table.Len())}
		for i := range f.Labels {
			f.Labels[i] = strconv.Itoa(i/10 + 1)
		}
		return f
	}
	labels, err := table.Strings(name)
	if err != nil {
		t.Fatal(err)
	}
	return Factor{Name: name, Labels: labels}
}

func (c modelCase) predictors(t testing.TB, table *dataset.Table) Predictors {
	var p Predictors
	for _, x := range c.X {
		p.Numeric = append(p.Numeric, numericColumn(t, table, x))
	}
	for _, f := range c.Factors {
		p.Factors = append(p.Factors, factorColumn(t, table, f))
	}
	if c.Cluster != "" {
		cluster := factorColumn(t, table, c.Cluster)
		p.Cluster = &cluster
	}
	return p
}

// termAgreement is how closely the terms of the fits agree with R, over the
// quantities that coefficients and thresholds of either model share.
type termAgreement struct {
	estimates, ses, clusterSEs reftest.Worst
}

// check compares the jth term of one kind (coefficient or threshold) with R's:
// its name, its estimate, its se and, where R clustered, its cluster se.
func (a *termAgreement) check(t *testing.T, kind string, j int, got Coefficient, want refCoef) {
	t.Helper()
	if got.Term != want.Term {
		t.Errorf("%s %d = %q, want %q", kind, j, got.Term, want.Term)
	}
	a.estimates.Abs(t, got.Term+" estimate", got.Estimate, want.Estimate, estimateTolerance)
	a.ses.Rel(t, got.Term+" se", got.SE, want.SE, seTolerance)
	if want.ClusterSE != nil {
		a.clusterSEs.Rel(t, got.Term+" cluster se", got.ClusterSE, *want.ClusterSE, seTolerance)
	}
}

func TestOrderedLogitMatchesPolr(t *testing.T) {
	var terms termAgreement
	for _, c := range loadReference(t).Ologit {
		t.Run(c.Name, func(t *testing.T) {
			table := reftest.ReadTable(t, datasetFor[c.Name])
			fit, err := OrderedLogit(factorColumn(t, table, c.Y), c.predictors(t, table))
			if err != nil {
				t.Fatal(err)
			}
			if fit.N != c.N {
				t.Errorf("N = %d, want %d", fit.N, c.N)
			}
			terms.estimates.Abs(t, "loglik", fit.LogLik, c.LogLik, estimateTolerance)
			if len(fit.Coefficients) != len(c.Coefficients) || len(fit.Thresholds) != len(c.Thresholds) {
				t.Fatalf("%d coefficients and %d thresholds, want %d and %d",
					len(fit.Coefficients), len(fit.Thresholds), len(c.Coefficients), len(c.Thresholds))
			}
			for j, want := range c.Coefficients {
				got := fit.Coefficients[j]
				terms.check(t, "term", j, got, want)
				if z := want.Estimate / want.SE; math.Abs(got.Statistic-z) > seTolerance*math.Abs(z) {
					t.Errorf("%s z = %g, want %g", got.Term, got.Statistic, z)
				}
			}
			for j, want := range c.Thresholds {
				got := fit.Thresholds[j]
				terms.check(t, "threshold", j, Coefficient{Term: got.Term, Estimate: got.Estimate, SE: got.SE, ClusterSE: got.ClusterSE}, want)
			}
			if c.Cluster == "" && fit.Clusters != 0 {
				t.Errorf("Clusters = %d without a cluster", fit.Clusters)
			}
		})
	}
	t.Logf("worst agreement with polr: estimates and loglik %.2g, se %.2g (relative), cluster se %.2g (relative)",
		terms.estimates.Diff, terms.ses.Diff, terms.clusterSEs.Diff)
}

func TestOLSMatchesLm(t *testing.T) {
	var terms termAgreement
	var stats reftest.Worst
	for _, c := range loadReference(t).OLS {
		t.Run(c.Name, func(t *testing.T) {
			table := reftest.ReadTable(t, datasetFor[c.Name])
			fit, err := OLS(numericColumn(t, table, c.Y), c.predictors(t, table))
			if err != nil {
				t.Fatal(err)
			}
			if fit.N != c.N {
				t.Errorf("N = %d, want %d", fit.N, c.N)
			}
			stats.Abs(t, "r2", fit.R2, c.R2, estimateTolerance)
			stats.Abs(t, "adj_r2", fit.AdjR2, c.AdjR2, estimateTolerance)
			if len(fit.Coefficients) != len(c.Coefficients) {
				t.Fatalf("%d coefficients, want %d", len(fit.Coefficients), len(c.Coefficients))
			}
			for j, want := range c.Coefficients {
				got := fit.Coefficients[j]
				terms.check(t, "term", j, got, want)
				stats.Rel(t, got.Term+" t", got.Statistic, c.T[j], seTolerance)
				// p-values far in the tail are compared relative to themselves.
				stats.Rel(t, got.Term+" p", got.P, c.P[j], seTolerance)
			}
		})
	}
	t.Logf("worst agreement with lm/vcovCL: estimates %.2g, se %.2g (relative), cluster se %.2g (relative), r2/t/p %.2g",
		terms.estimates.Diff, terms.ses.Diff, terms.clusterSEs.Diff, stats.Diff)
}
