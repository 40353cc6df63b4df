package model

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/canvass-survey/canvass/analysis/category"
)

// OrderedLogitFit is a proportional-odds model as MASS::polr parameterizes
// it: logit P(Y ≤ k) = ζ_k − η with η = xᵀβ and no intercept.
type OrderedLogitFit struct {
	// N is the number of rows used after listwise deletion.
	N int
	// Coefficients are the β; Statistic is z and P is from the normal distribution.
	Coefficients []Coefficient
	// Thresholds are the ζ, named "lower|upper" after the response levels they separate.
	Thresholds []Threshold
	LogLik     float64
	// Iterations is the number of Newton steps the fit took.
	Iterations int
	// Clusters is the number of clusters behind ClusterSE, 0 without a cluster.
	Clusters int
	Warnings []string
}

// Threshold is one cut point ζ_k of an ordered logit.
type Threshold struct {
	Term      string
	Estimate  float64
	SE        float64
	ClusterSE float64
}

// Convergence criteria. The objective is the mean negative log-likelihood,
// so the gradient thresholds do not depend on N.
const (
	// searchThreshold ends the line-searched Newton iteration. Near the
	// optimum a step's decrease of the objective (about the square of the
	// gradient) falls below its floating-point resolution, so the line search
	// cannot get much further than this.
	searchThreshold = 1e-8
	// gradientThreshold is what the full Newton steps that follow reach.
	gradientThreshold = 1e-10
	maxIterations     = 200
	maxPolishSteps    = 5
	// separationMargin is how close to 1 the fitted probability of a row's
	// observed response must come for the row to count as perfectly predicted.
	separationMargin = 1e-6
)

// OrderedLogit fits the ordered logit of y on the predictors by maximum
// likelihood (Newton's method with the analytic Hessian). The response
// levels are ordered as package category orders them. Standard errors come
// from the observed information at the optimum, as vcov(polr(...)); with a
// cluster, ClusterSE is sandwich::vcovCL(type = "HC0", cadjust = TRUE),
// i.e. scaled by G/(G−1) like Stata's vce(cluster).
func OrderedLogit(y Factor, p Predictors) (*OrderedLogitFit, error) {
	present := make([]bool, len(y.Labels))
	for i, label := range y.Labels {
		present[i] = label != ""
	}
	d, err := buildDesign(p, present, false)
	if err != nil {
		return nil, err
	}
	labels := used(y.Labels, d.rows)
	levels := category.Levels(labels)
	if len(levels) < 2 {
		return nil, fmt.Errorf("the response %q has only one level (%s) in the %d rows used", y.Name, levels[0], len(d.rows))
	}
	data := &ordinalData{x: d.x, y: category.Index(labels, levels), categories: len(levels)}
	n, k := d.x.Dims()
	m := k + len(levels) - 1

	estimates, iterations, err := data.maximize()
	if err != nil {
		return nil, err
	}
	gradient := make([]float64, m)
	hessian := mat.NewSymDense(m, nil)
	scores := mat.NewDense(n, m, nil)
	fit := &OrderedLogitFit{N: n, Iterations: iterations}
	fit.LogLik = data.evaluate(estimates, gradient, hessian, scores)

	if perfect := data.perfectlyPredicted(estimates); perfect == n {
		return nil, errors.New("complete separation: the predictors order the response perfectly, so the estimates are infinite")
	} else if perfect > 0 {
		fit.Warnings = append(fit.Warnings, fmt.Sprintf(
			"quasi-complete separation: the fitted probability of the observed response is 1 for %d of %d rows; some estimates and standard errors are unreliable", perfect, n))
	}

	// The covariance is the inverse of the observed information −H.
	information := mat.NewSymDense(m, nil)
	information.ScaleSym(-1, hessian)
	var chol mat.Cholesky
	if !chol.Factorize(information) {
		return nil, errors.New("the information matrix is singular at the estimates (is a predictor separating the response?)")
	}
	var covariance mat.SymDense
	if err := chol.InverseTo(&covariance); err != nil {
		return nil, fmt.Errorf("inverting the information matrix: %w", err)
	}
	var robust *mat.SymDense
	if d.cluster != nil {
		scale, err := clusterScale(d.clusters)
		if err != nil {
			return nil, err
		}
		robust = clusterCovariance(&covariance, scores, d.cluster, d.clusters, scale)
		fit.Clusters = d.clusters
	}

	normal := distuv.UnitNormal
	for j, term := range d.terms {
		c := Coefficient{Term: term, Estimate: estimates[j], SE: math.Sqrt(covariance.At(j, j))}
		c.Statistic = c.Estimate / c.SE
		c.P = 2 * normal.CDF(-math.Abs(c.Statistic))
		if robust != nil {
			c.ClusterSE = math.Sqrt(robust.At(j, j))
		}
		fit.Coefficients = append(fit.Coefficients, c)
	}
	for t := range len(levels) - 1 {
		j := k + t
		th := Threshold{Term: levels[t] + "|" + levels[t+1], Estimate: estimates[j], SE: math.Sqrt(covariance.At(j, j))}
		if robust != nil {
			th.ClusterSE = math.Sqrt(robust.At(j, j))
		}
		fit.Thresholds = append(fit.Thresholds, th)
	}
	return fit, nil
}

// ordinalData is an ordered logit's likelihood: rows of x with responses y
// coded 0..categories−1. Its parameters are (β, ζ) stacked in one vector.
type ordinalData struct {
	x          *mat.Dense
	y          []int
	categories int
}

// evaluate returns the log-likelihood at params = (β, ζ). When they are not
// nil it also stores the gradient, the Hessian and, in row i of scores, the
// gradient of row i's log-likelihood.
//
// Row i with response k contributes log(F(a) − F(b)), a = ζ_k − η,
// b = ζ_{k−1} − η, where F is the logistic distribution and ζ beyond the
// ends is ±∞. Its derivatives follow from those with respect to a and b,
// since ∂a = (−x, e_k) and ∂b = (−x, e_{k−1}).
func (o *ordinalData) evaluate(params, gradient []float64, hessian *mat.SymDense, scores *mat.Dense) float64 {
	_, k := o.x.Dims()
	beta, zeta := params[:k], params[k:]
	if gradient != nil {
		clear(gradient)
	}
	if hessian != nil {
		hessian.Zero()
	}
	score := make([]float64, len(params))
	var loglik float64
	for i, category := range o.y {
		x := o.x.RawRowView(i)
		var eta float64
		for j, b := range beta {
			eta += x[j] * b
		}
		a, b := math.Inf(1), math.Inf(-1)
		if category < o.categories-1 {
			a = zeta[category] - eta
		}
		if category > 0 {
			b = zeta[category-1] - eta
		}
		fa, fb := logisticAt(a), logisticAt(b)
		p := intervalProbability(fa, fb)
		loglik += math.Log(p)
		if gradient == nil && hessian == nil && scores == nil {
			continue
		}
		// First and second derivatives of log p with respect to a and b.
		la, lb := fa.density()/p, -fb.density()/p
		laa := fa.slope()/p - la*la
		lbb := -fb.slope()/p - lb*lb
		lab := -la * lb

		for j := range beta {
			score[j] = -x[j] * (la + lb)
		}
		clear(score[k:])
		if category < o.categories-1 {
			score[k+category] = la
		}
		if category > 0 {
			score[k+category-1] = lb
		}
		if gradient != nil {
			for j, s := range score {
				gradient[j] += s
			}
		}
		if scores != nil {
			scores.SetRow(i, score)
		}
		if hessian == nil {
			continue
		}
		o.addHessian(hessian, x, category, laa, lbb, lab)
	}
	return loglik
}

// addHessian adds one row's second derivatives of log p to hessian: x its
// predictors, category its response, and laa, lbb, lab the derivatives of
// log p with respect to the upper and lower cut points a and b.
func (o *ordinalData) addHessian(hessian *mat.SymDense, x []float64, category int, laa, lbb, lab float64) {
	k := len(x)
	ww := laa + lbb + 2*lab
	for j := range k {
		for l := j; l < k; l++ {
			hessian.SetSym(j, l, hessian.At(j, l)+ww*x[j]*x[l])
		}
	}
	if category < o.categories-1 {
		c := k + category
		for j := range k {
			hessian.SetSym(j, c, hessian.At(j, c)-(laa+lab)*x[j])
		}
		hessian.SetSym(c, c, hessian.At(c, c)+laa)
	}
	if category > 0 {
		c := k + category - 1
		for j := range k {
			hessian.SetSym(j, c, hessian.At(j, c)-(lbb+lab)*x[j])
		}
		hessian.SetSym(c, c, hessian.At(c, c)+lbb)
	}
	if category > 0 && category < o.categories-1 {
		c := k + category - 1
		hessian.SetSym(c, c+1, hessian.At(c, c+1)+lab)
	}
}

// maximize finds the maximum-likelihood (β, ζ). It searches over
// θ = (β, ζ_1, log(ζ_2 − ζ_1), ...), as polr does, so that every step keeps
// the thresholds in order. It starts from β = 0 and the thresholds of the
// response's marginal distribution, the model's optimum without predictors.
func (o *ordinalData) maximize() (params []float64, iterations int, err error) {
	n, k := o.x.Dims()
	m := k + o.categories - 1
	counts := make([]float64, o.categories)
	for _, c := range o.y {
		counts[c]++
	}
	start := make([]float64, m)
	var cumulative, previous float64
	for c := range o.categories - 1 {
		cumulative += counts[c] / float64(n)
		zeta := math.Log(cumulative / (1 - cumulative))
		if c == 0 {
			start[k] = zeta
		} else {
			start[k+c] = math.Log(zeta - previous)
		}
		previous = zeta
	}

	params = make([]float64, m)
	gradient := make([]float64, m)
	hessian := mat.NewSymDense(m, nil)
	problem := optimize.Problem{
		Func: func(theta []float64) float64 {
			o.toParams(params, theta)
			return -o.evaluate(params, nil, nil, nil) / float64(n)
		},
		Grad: func(grad, theta []float64) {
			o.toParams(params, theta)
			o.evaluate(params, gradient, nil, nil)
			o.chainGradient(grad, gradient, theta)
			for j := range grad {
				grad[j] /= -float64(n)
			}
		},
		Hess: func(hess *mat.SymDense, theta []float64) {
			o.toParams(params, theta)
			o.evaluate(params, gradient, hessian, nil)
			o.chainHessian(hess, hessian, gradient, theta)
			hess.ScaleSym(-1/float64(n), hess)
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: searchThreshold,
		Converger:         optimize.NeverTerminate{},
		MajorIterations:   maxIterations,
	}
	result, err := optimize.Minimize(problem, start, settings, &optimize.Newton{})
	if err != nil && result == nil {
		return nil, 0, fmt.Errorf("ordered logit: %w", err)
	}
	o.toParams(params, result.X)
	steps, largest := o.polish(params)
	iterations = result.Stats.MajorIterations + steps
	if largest > gradientThreshold {
		return nil, iterations, fmt.Errorf(
			"ordered logit did not converge in %d iterations (%v, largest gradient %.3g per row)",
			iterations, result.Status, largest)
	}
	return params, iterations, nil
}

// polish takes full Newton steps in (β, ζ) from a point near the optimum,
// where they converge quadratically, while they shrink the gradient. It
// returns the steps taken and the largest gradient component per row.
func (o *ordinalData) polish(params []float64) (steps int, largest float64) {
	n, _ := o.x.Dims()
	m := len(params)
	gradient := make([]float64, m)
	hessian := mat.NewSymDense(m, nil)
	trial := make([]float64, m)
	o.evaluate(params, gradient, hessian, nil)
	largest = maxAbs(gradient) / float64(n)
	for steps < maxPolishSteps && largest > gradientThreshold {
		var chol mat.Cholesky
		information := mat.NewSymDense(m, nil)
		information.ScaleSym(-1, hessian)
		if !chol.Factorize(information) {
			break
		}
		var step mat.VecDense
		if err := chol.SolveVecTo(&step, mat.NewVecDense(m, gradient)); err != nil {
			break
		}
		for j := range trial {
			trial[j] = params[j] + step.AtVec(j)
		}
		o.evaluate(trial, gradient, hessian, nil)
		next := maxAbs(gradient) / float64(n)
		if !(next < largest) {
			break
		}
		copy(params, trial)
		largest = next
		steps++
	}
	return steps, largest
}

// toParams maps the search coordinates θ to (β, ζ): ζ_1 = θ_1 and
// ζ_j = ζ_{j−1} + exp(θ_j).
func (o *ordinalData) toParams(params, theta []float64) {
	_, k := o.x.Dims()
	copy(params[:k], theta[:k])
	params[k] = theta[k]
	for j := k + 1; j < len(theta); j++ {
		params[j] = params[j-1] + math.Exp(theta[j])
	}
}

// chainGradient turns the gradient in (β, ζ) into the gradient in θ:
// ∂ζ_i/∂θ_1 = 1 and ∂ζ_i/∂θ_j = exp(θ_j) for 2 ≤ j ≤ i.
func (o *ordinalData) chainGradient(dst, gradient, theta []float64) {
	_, k := o.x.Dims()
	copy(dst[:k], gradient[:k])
	var tail float64
	for j := len(theta) - 1; j >= k; j-- {
		tail += gradient[j]
		dst[j] = tail
		if j > k {
			dst[j] *= math.Exp(theta[j])
		}
	}
}

// chainHessian turns the Hessian in (β, ζ) into the Hessian in θ: JᵀHJ plus
// the second derivatives of the map, ∂²ζ_i/∂θ_j² = exp(θ_j) for 2 ≤ j ≤ i.
func (o *ordinalData) chainHessian(dst, hessian *mat.SymDense, gradient, theta []float64) {
	_, k := o.x.Dims()
	m := len(theta)
	jacobian := mat.NewDense(m, m, nil)
	for j := range k {
		jacobian.Set(j, j, 1)
	}
	for i := k; i < m; i++ {
		jacobian.Set(i, k, 1)
		for j := k + 1; j <= i; j++ {
			jacobian.Set(i, j, math.Exp(theta[j]))
		}
	}
	var half, full mat.Dense
	half.Mul(jacobian.T(), hessian)
	full.Mul(&half, jacobian)
	curvature := make([]float64, m)
	o.chainGradient(curvature, gradient, theta)
	for j := k + 1; j < m; j++ {
		full.Set(j, j, full.At(j, j)+curvature[j])
	}
	dst.CopySym(symmetrize(&full))
}

// perfectlyPredicted counts the rows whose observed response has a fitted
// probability of 1 up to separationMargin.
func (o *ordinalData) perfectlyPredicted(params []float64) int {
	var count int
	for i := range o.y {
		single := ordinalData{x: o.x.Slice(i, i+1, 0, o.x.RawMatrix().Cols).(*mat.Dense), y: o.y[i : i+1], categories: o.categories}
		if 1-math.Exp(single.evaluate(params, nil, nil, nil)) < separationMargin {
			count++
		}
	}
	return count
}

// logisticPoint holds the logistic distribution function at t from both
// ends, F(t) and F(−t) = 1 − F(t), each computed without cancellation.
type logisticPoint struct{ below, above float64 }

// logisticAt evaluates F at t with one exponential; at ±∞ it is exact.
func logisticAt(t float64) logisticPoint {
	e := math.Exp(-math.Abs(t))
	small, large := e/(1+e), 1/(1+e)
	if t < 0 {
		return logisticPoint{below: small, above: large}
	}
	return logisticPoint{below: large, above: small}
}

// density is F′(t) = F(t)F(−t); it is 0 at ±∞.
func (f logisticPoint) density() float64 { return f.below * f.above }

// slope is F″(t) = F′(t)(1 − 2F(t)).
func (f logisticPoint) slope() float64 { return f.density() * (f.above - f.below) }

// intervalProbability is F(a) − F(b) for a > b, taken from the upper tails
// when both are above the median, where the difference of two values near 1
// would lose the digits.
func intervalProbability(a, b logisticPoint) float64 {
	if b.below > 0.5 {
		return b.above - a.above
	}
	return a.below - b.below
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}
