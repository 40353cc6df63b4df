package represent

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// zeroSD is the standard deviation of the propensities below which they
// count as all equal: there the standard error of R is undefined.
const zeroSD = 1e-12

// indicators sets the summaries of the fitted propensities: their mean,
// SD, CV, the R-indicator with its standard error and the partials.
func (r *Result) indicators(vars []Variable, p *patterns, d *design, m *logitFit) {
	n := float64(r.N)
	var mean float64
	for pattern, rho := range m.propensity {
		mean += p.cases[pattern] * rho
	}
	mean /= n
	var sumSquares float64
	for pattern, rho := range m.propensity {
		sumSquares += p.cases[pattern] * (rho - mean) * (rho - mean)
	}
	sd := math.Sqrt(sumSquares / (n - 1))
	r.MeanPropensity, r.SD, r.CV, r.RIndicator = mean, sd, sd/mean, 1-2*sd

	if sd < zeroSD {
		r.Warnings = append(r.Warnings, "every case has the same propensity (SD 0): R is 1 and its standard error is undefined")
	} else if se, ok := rIndicatorSE(p, d, m, mean, sd); ok {
		r.RIndicatorSE = &se
	} else {
		r.Warnings = append(r.Warnings, "the delta-method variance of SD came out negative "+
			"(the propensities take about two values in equal shares, where the approximation fails): "+
			"the standard error of R is undefined")
	}
	for v, variable := range vars {
		r.Partials = append(r.Partials, partial(variable, v, p, m.propensity, mean))
	}
}

// rIndicatorSE is the standard error of R = 1 − 2S, from a delta-method
// approximation in the spirit of Shlomo, Skinner and Schouten (2012):
//
//	var(S) ≈ gᵀ V g + (m₄ − S⁴) / (4 S² n),   SE(R) = 2 √var(S)
//
// where g = ∂S/∂β = Σᵢ (ρᵢ − ρ̄) ρᵢ(1 − ρᵢ) xᵢ / ((n − 1) S) is the gradient
// of S in the model's coefficients, V their covariance (the inverse Fisher
// information), and m₄ = (1/n) Σᵢ (ρᵢ − ρ̄)⁴ the fourth central moment of the
// propensities. The first term is the variance of S due to estimating β,
// the second that of the standard deviation of a sample of n given
// propensities (var(S²) ≈ (m₄ − S⁴)/n, divided by (2S)²); the covariance of
// the two is left out. ok is false when var(S) comes out negative, which
// only the second term can make happen.
func rIndicatorSE(p *patterns, d *design, m *logitFit, mean, sd float64) (se float64, ok bool) {
	n := float64(len(p.of))
	_, k := d.x.Dims()
	g := mat.NewVecDense(k, nil)
	var m4 float64
	for pattern, rho := range m.propensity {
		dev := rho - mean
		g.AddScaledVec(g, p.cases[pattern]*dev*rho*(1-rho), d.x.RowView(pattern))
		m4 += p.cases[pattern] * dev * dev * dev * dev
	}
	g.ScaleVec(1/((n-1)*sd), g)
	m4 /= n
	variance := mat.Inner(g, m.covariance, g) + (m4-sd*sd*sd*sd)/(4*sd*sd*n)
	if variance < 0 {
		return 0, false
	}
	return 2 * math.Sqrt(variance), true
}

// partial computes the partial R-indicators of variable v (1/n denominators,
// as Schouten, Shlomo and Skinner 2011 define them).
func partial(variable Variable, v int, p *patterns, propensity []float64, mean float64) Partial {
	n := float64(len(p.of))
	levels := len(variable.Levels)
	sums := make([]float64, levels)
	for pattern, rho := range propensity {
		sums[p.levels[pattern][v]] += p.cases[pattern] * rho
	}
	cases, respondents := p.levelCounts(v, levels)
	out := Partial{Variable: variable.Name}
	var between float64
	for k, level := range variable.Levels {
		if cases[k] == 0 {
			continue
		}
		nk := float64(cases[k])
		levelMean := sums[k] / nk
		between += nk * (levelMean - mean) * (levelMean - mean)
		out.Categories = append(out.Categories, CategoryPartial{
			Level: level, N: cases[k], Respondents: respondents[k],
			MeanPropensity: levelMean, Partial: math.Sqrt(nk/n) * (levelMean - mean),
		})
	}
	out.Unconditional = math.Sqrt(between / n)

	cell, cells := p.cellsWithout(v)
	cellSums, cellCases := make([]float64, cells), make([]float64, cells)
	for pattern, rho := range propensity {
		cellSums[cell[pattern]] += p.cases[pattern] * rho
		cellCases[cell[pattern]] += p.cases[pattern]
	}
	var within float64
	for pattern, rho := range propensity {
		dev := rho - cellSums[cell[pattern]]/cellCases[cell[pattern]]
		within += p.cases[pattern] * dev * dev
	}
	out.Conditional = math.Sqrt(within / n)
	return out
}
