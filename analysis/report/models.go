package report

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/canvass-survey/canvass/analysis/model"
)

// Model is a fitted ordered logit or least-squares regression, as
// `canvass analyze ologit --json` and `analyze ols --json` print it.
type Model struct {
	Model        string        `json:"model"`
	N            int           `json:"n"`
	Coefficients []Coefficient `json:"coefficients"`
	Thresholds   []Threshold   `json:"thresholds,omitempty"` // ologit
	LogLik       *Number       `json:"loglik,omitempty"`     // ologit
	R2           *Number       `json:"r2,omitempty"`         // ols
	AdjR2        *Number       `json:"adj_r2,omitempty"`     // ols
	// The number of clusters behind cluster_se; 0 without clusters.
	Clusters int      `json:"clusters,omitempty"`
	Warnings []string `json:"warnings"`
}

// Coefficient carries z (ologit) or t (ols), and cluster_se only with
// clusters.
type Coefficient struct {
	Term      string  `json:"term"`
	Estimate  Number  `json:"estimate"`
	SE        Number  `json:"se"`
	Z         *Number `json:"z,omitempty"`
	T         *Number `json:"t,omitempty"`
	P         Number  `json:"p"`
	ClusterSE *Number `json:"cluster_se,omitempty"`
	// ClusterP is the two-sided p-value of Estimate/ClusterSE, as Stata's
	// vce(cluster) reports it: from the normal for the ordered logit, from
	// t with G−1 degrees of freedom for OLS (G clusters).
	ClusterP *Number `json:"cluster_p,omitempty"`
}

// InferenceP is the p-value to read: the cluster-robust one when the model
// has clusters, else the model-based one.
func (c Coefficient) InferenceP() Number {
	if c.ClusterP != nil {
		return *c.ClusterP
	}
	return c.P
}

type Threshold struct {
	Term      string  `json:"term"`
	Estimate  Number  `json:"estimate"`
	SE        Number  `json:"se"`
	ClusterSE *Number `json:"cluster_se,omitempty"`
}

// OrderedLogit fits y on p as MASS::polr and returns the document and the fit.
func OrderedLogit(y model.Factor, p model.Predictors) (*Model, *model.OrderedLogitFit, error) {
	fit, err := model.OrderedLogit(y, p)
	if err != nil {
		return nil, nil, err
	}
	loglik := Number(fit.LogLik)
	out := &Model{Model: "ologit", N: fit.N, LogLik: &loglik, Clusters: fit.Clusters,
		Warnings: append([]string{}, fit.Warnings...)}
	for _, c := range fit.Coefficients {
		out.Coefficients = append(out.Coefficients, coefficient(c, fit.Clusters, "z"))
	}
	for _, t := range fit.Thresholds {
		out.Thresholds = append(out.Thresholds, Threshold{Term: t.Term, Estimate: Number(t.Estimate), SE: Number(t.SE),
			ClusterSE: clusterSE(fit.Clusters, t.ClusterSE)})
	}
	return out, fit, nil
}

// OLS fits y on p by least squares and returns the document and the fit.
func OLS(y model.Variable, p model.Predictors) (*Model, *model.OLSFit, error) {
	fit, err := model.OLS(y, p)
	if err != nil {
		return nil, nil, err
	}
	r2, adj := Number(fit.R2), Number(fit.AdjR2)
	out := &Model{Model: "ols", N: fit.N, R2: &r2, AdjR2: &adj, Clusters: fit.Clusters,
		Warnings: append([]string{}, fit.Warnings...)}
	for _, c := range fit.Coefficients {
		out.Coefficients = append(out.Coefficients, coefficient(c, fit.Clusters, "t"))
	}
	return out, fit, nil
}

// coefficient converts a fitted coefficient whose statistic is z or t.
func coefficient(c model.Coefficient, clusters int, statistic string) Coefficient {
	co := Coefficient{Term: c.Term, Estimate: Number(c.Estimate), SE: Number(c.SE), P: Number(c.P),
		ClusterSE: clusterSE(clusters, c.ClusterSE)}
	if clusters > 1 {
		var reference interface{ CDF(float64) float64 } = distuv.UnitNormal
		if statistic == "t" {
			reference = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(clusters - 1)}
		}
		p := Number(2 * reference.CDF(-math.Abs(c.Estimate/c.ClusterSE)))
		co.ClusterP = &p
	}
	value := Number(c.Statistic)
	if statistic == "z" {
		co.Z = &value
	} else {
		co.T = &value
	}
	return co
}

// clusterSE is the cluster-robust standard error when the model had clusters.
func clusterSE(clusters int, se float64) *Number {
	if clusters == 0 {
		return nil
	}
	n := Number(se)
	return &n
}
