package model

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// OLSFit is a least-squares regression as R's summary(lm(...)) reports it.
type OLSFit struct {
	// N is the number of rows used after listwise deletion.
	N int
	// Coefficients lead with (Intercept); Statistic is t on N−K degrees of freedom.
	Coefficients []Coefficient
	R2, AdjR2    float64
	// Sigma is the residual standard error on DF = N−K degrees of freedom.
	Sigma float64
	DF    int
	// Clusters is the number of clusters behind ClusterSE, 0 without a cluster.
	Clusters int
	Warnings []string
}

// OLS regresses y on an intercept and the predictors. With a cluster, each
// coefficient also gets the CR1 cluster-robust standard error, scaled by
// G/(G−1)·(N−1)/(N−K) as Stata's vce(cluster) and vcovCL(type = "HC1") do.
func OLS(y Variable, p Predictors) (*OLSFit, error) {
	present := make([]bool, len(y.Values))
	for i, v := range y.Values {
		present[i] = !math.IsNaN(v)
	}
	d, err := buildDesign(p, present, true)
	if err != nil {
		return nil, err
	}
	n, k := d.x.Dims()
	response := mat.NewVecDense(n, nil)
	for r, i := range d.rows {
		response.SetVec(r, y.Values[i])
	}

	var xtx mat.SymDense
	xtx.SymOuterK(1, d.x.T())
	var chol mat.Cholesky
	if !chol.Factorize(&xtx) {
		return nil, errors.New("the cross-product matrix of the predictors is not positive definite")
	}
	var unscaled mat.SymDense
	if err := chol.InverseTo(&unscaled); err != nil {
		return nil, fmt.Errorf("inverting the cross-product matrix: %w", err)
	}
	var xty, beta, fitted, residuals mat.VecDense
	xty.MulVec(d.x.T(), response)
	if err := chol.SolveVecTo(&beta, &xty); err != nil {
		return nil, fmt.Errorf("solving the normal equations: %w", err)
	}
	fitted.MulVec(d.x, &beta)
	residuals.SubVec(response, &fitted)

	mean := mat.Sum(response) / float64(n)
	var rss, tss float64
	for r := range n {
		rss += residuals.AtVec(r) * residuals.AtVec(r)
		tss += (response.AtVec(r) - mean) * (response.AtVec(r) - mean)
	}
	if tss == 0 {
		return nil, fmt.Errorf("the response %q is constant in the %d rows used", y.Name, n)
	}
	df := n - k
	sigma2 := rss / float64(df)
	if sigma2 <= 1e-24*tss {
		return nil, fmt.Errorf("the predictors fit %q exactly: the residuals are zero, so standard errors are undefined", y.Name)
	}

	fit := &OLSFit{
		N:     n,
		R2:    1 - rss/tss,
		AdjR2: 1 - (rss/float64(df))/(tss/float64(n-1)),
		Sigma: math.Sqrt(sigma2),
		DF:    df,
	}
	tDist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}
	for j, term := range d.terms {
		se := math.Sqrt(sigma2 * unscaled.At(j, j))
		t := beta.AtVec(j) / se
		fit.Coefficients = append(fit.Coefficients, Coefficient{
			Term: term, Estimate: beta.AtVec(j), SE: se, Statistic: t,
			P: 2 * tDist.CDF(-math.Abs(t)),
		})
	}

	if d.cluster != nil {
		if err := fit.addClusterSE(d, &unscaled, &residuals); err != nil {
			return nil, err
		}
	}
	return fit, nil
}

// addClusterSE adds the CR1 cluster-robust standard errors: the sandwich of
// the rows' least-squares scores summed by cluster, scaled as Stata's
// vce(cluster) (sandwich::vcovCL type HC1).
func (fit *OLSFit) addClusterSE(d *design, unscaled *mat.SymDense, residuals *mat.VecDense) error {
	n, k := d.x.Dims()
	scale, err := clusterScale(d.clusters)
	if err != nil {
		return err
	}
	scale *= float64(n-1) / float64(n-k)
	// A row's least-squares score is its residual times its predictors.
	scores := mat.DenseCopyOf(d.x)
	for r := range n {
		row := scores.RawRowView(r)
		for j := range row {
			row[j] *= residuals.AtVec(r)
		}
	}
	robust := clusterCovariance(unscaled, scores, d.cluster, d.clusters, scale)
	for j := range fit.Coefficients {
		fit.Coefficients[j].ClusterSE = math.Sqrt(robust.At(j, j))
	}
	fit.Clusters = d.clusters
	return nil
}
