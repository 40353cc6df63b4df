// Package model fits the regression models of the nightly analysis: ordinary
// least squares and the ordered logit (proportional odds) model, each with
// classical and cluster-robust standard errors, parameterized and scaled the
// way R's MASS::polr, lm and sandwich::vcovCL report them.
package model

// Variable is a numeric column. NaN marks a missing value.
type Variable struct {
	Name   string
	Values []float64
}

// Factor is a categorical column. An empty label marks a missing value.
// Its levels are ordered as package category orders them.
type Factor struct {
	Name   string
	Labels []string
	// Levels, when set, is the order of the levels, the first being the
	// reference of treatment contrasts; every label must be one of them.
	// Unset, the levels are in package category's order.
	Levels []string
}

// Predictors are the right-hand side of a model. Categorical predictors enter
// through treatment contrasts: one 0/1 column named "VAR=LEVEL" for every level
// but the first. A row missing any predictor, or the cluster, is left out.
type Predictors struct {
	Numeric []Variable
	Factors []Factor
	// Cluster, when set, groups the rows for cluster-robust standard errors.
	Cluster *Factor
}

// Coefficient is one term of a fitted model.
type Coefficient struct {
	Term     string
	Estimate float64
	SE       float64
	// Statistic is Estimate/SE: t for OLS, z for the ordered logit.
	Statistic float64
	// P is the two-sided p-value of Statistic.
	P float64
	// ClusterSE is the cluster-robust standard error; it is set only when the
	// model was fitted with a cluster (the fit's Clusters is positive).
	ClusterSE float64
}
