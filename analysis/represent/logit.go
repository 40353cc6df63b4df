package represent

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Newton's method (IRLS) as R's glm.fit runs it for the binomial family:
// at most maxIterations steps, stopping when the deviance changes by less
// than devianceTolerance relative to |deviance| + 0.1. glm's default
// tolerance is 1e-8; the tighter one puts the estimates at the maximum to
// well under 1e-6 (Newton's steps shrink quadratically) at the cost of one
// step more.
const (
	maxIterations     = 25
	devianceTolerance = 1e-10
	// maxHalvings bounds the step halvings after a step that raised the
	// deviance, which Newton's method on the concave log-likelihood does
	// only far from the maximum. Near it a step changes the deviance by less
	// than its rounding, so a rise within the convergence tolerance is no
	// reason to halve (that would stop short of the maximum).
	maxHalvings = 30
	// etaBound clamps the linear predictor where R's logit link does
	// (THRESH in R's family.c), so that a separated level's propensity stops
	// at about 1e-13 instead of underflowing to 0 and its weight stays
	// positive.
	etaBound = 30
)

// logitFit is a fitted propensity model.
type logitFit struct {
	beta []float64
	// covariance is the inverse Fisher information at beta: vcov(glm).
	covariance *mat.SymDense
	// propensity is each pattern's fitted propensity.
	propensity []float64
	iterations int
	converged  bool
}

// fitLogit maximizes the binomial log-likelihood of the patterns' counts of
// respondents over the design, which has the same maximum as that of the
// cases one by one.
func fitLogit(d *design, p *patterns) (*logitFit, error) {
	rows, k := d.x.Dims()
	var cases, respondents float64
	for pattern := range rows {
		cases += p.cases[pattern]
		respondents += p.respondents[pattern]
	}
	// Start from the overall response rate, every other term 0.
	beta := make([]float64, k)
	beta[0] = math.Log(respondents / (cases - respondents))
	fit := &logitFit{propensity: make([]float64, rows)}
	deviance := fit.deviance(d, p, beta)

	step := mat.NewVecDense(k, nil)
	candidate := make([]float64, k)
	for fit.iterations < maxIterations {
		fit.iterations++
		information, score := fit.derivatives(d, p)
		var chol mat.Cholesky
		if !chol.Factorize(information) {
			return nil, fmt.Errorf("the propensity model's information matrix is singular after %d iterations", fit.iterations)
		}
		if err := chol.SolveVecTo(step, score); err != nil {
			return nil, fmt.Errorf("solving for the propensity model's Newton step: %w", err)
		}
		t := 1.0
		var next float64
		for halving := 0; ; halving++ {
			for j := range k {
				candidate[j] = beta[j] + t*step.AtVec(j)
			}
			next = fit.deviance(d, p, candidate)
			if next-deviance <= devianceTolerance*(math.Abs(deviance)+0.1) || halving == maxHalvings {
				break
			}
			t /= 2
		}
		copy(beta, candidate)
		fit.converged = math.Abs(next-deviance)/(math.Abs(next)+0.1) < devianceTolerance
		deviance = next
		if fit.converged {
			break
		}
	}

	// fit.propensity is that of beta, which deviance computed last.
	information, _ := fit.derivatives(d, p)
	var chol mat.Cholesky
	if !chol.Factorize(information) {
		return nil, fmt.Errorf("the propensity model's information matrix is singular at the estimates")
	}
	fit.covariance = mat.NewSymDense(k, nil)
	if err := chol.InverseTo(fit.covariance); err != nil {
		return nil, fmt.Errorf("inverting the propensity model's information matrix: %w", err)
	}
	fit.beta = beta
	return fit, nil
}

// deviance sets each pattern's propensity at beta and returns the deviance
// of the cases, −2 times their log-likelihood, as glm's.
func (fit *logitFit) deviance(d *design, p *patterns, beta []float64) float64 {
	rows, _ := d.x.Dims()
	var loglik float64
	for pattern := range rows {
		e := math.Max(-etaBound, math.Min(etaBound, floats.Dot(d.x.RawRowView(pattern), beta)))
		fit.propensity[pattern] = 1 / (1 + math.Exp(-e))
		// log ρ = −log(1 + e^−η) and log(1 − ρ) = −log(1 + e^η), exactly
		// even where ρ rounds to 0 or 1.
		r, c := p.respondents[pattern], p.cases[pattern]
		loglik -= r*math.Log1p(math.Exp(-e)) + (c-r)*math.Log1p(math.Exp(e))
	}
	return -2 * loglik
}

// derivatives are the Fisher information Σ n ρ(1−ρ) x xᵀ and the score
// Σ (r − n ρ) x of the log-likelihood at the current propensities.
func (fit *logitFit) derivatives(d *design, p *patterns) (*mat.SymDense, *mat.VecDense) {
	rows, k := d.x.Dims()
	scaled := mat.NewDense(rows, k, nil)
	residual := mat.NewVecDense(rows, nil)
	for pattern, rho := range fit.propensity {
		w := math.Sqrt(p.cases[pattern] * rho * (1 - rho))
		for j := range k {
			scaled.Set(pattern, j, w*d.x.At(pattern, j))
		}
		residual.SetVec(pattern, p.respondents[pattern]-p.cases[pattern]*rho)
	}
	information := mat.NewSymDense(k, nil)
	information.SymOuterK(1, scaled.T())
	score := mat.NewVecDense(k, nil)
	score.MulVec(d.x.T(), residual)
	return information, score
}
