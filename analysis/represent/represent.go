// Package represent measures how well a survey's respondents represent its
// sample, from what the frame knows of every sampled case: each case's
// response propensity from a logistic model of responding on the frame
// variables, the R-indicator of Schouten, Cobben and Bethlehem (2009) with a
// standard error, and the partial R-indicators of Schouten, Shlomo and
// Skinner (2011) that say which variables, and which of their categories,
// the respondents misrepresent.
//
// The model is R's glm(responded ~ v1 + v2 + ..., family = binomial) with
// treatment contrasts. Every number returned is finite: where the data leave
// a quantity undefined the result says so (a nil field, a warning) instead.
package represent

import (
	"fmt"
	"math"
	"strings"
)

// Variable is a categorical frame variable, known for every case.
type Variable struct {
	Name string
	// Levels are the variable's levels in order; the first is the
	// reference level of the treatment contrasts.
	Levels []string
	// Values holds each case's level; every value must be one of Levels.
	Values []string
}

// Result is the propensity model and the representativeness it implies.
type Result struct {
	// N counts the cases, Respondents those that responded.
	N, Respondents int
	// Propensities are the cases' fitted response propensities, in input order.
	Propensities []float64
	// Coefficients are the model's terms: "(Intercept)", then "VAR=LEVEL"
	// for each level of each variable but its reference, in input order.
	// Levels without cases and aliased terms are left out (see Warnings).
	Coefficients []Coefficient
	// Iterations counts the Newton (IRLS) steps; Converged says whether the
	// deviance settled within them.
	Iterations int
	Converged  bool

	// MeanPropensity is the mean of the propensities, SD their sample
	// standard deviation (n − 1 denominator), CV = SD/MeanPropensity.
	MeanPropensity, SD, CV float64
	// RIndicator is R = 1 − 2·SD: 1 when every case is equally likely to
	// respond, lower the more the propensities vary.
	RIndicator float64
	// RIndicatorSE is the delta-method standard error of RIndicator (see
	// rIndicatorSE); nil where it is undefined, with a warning saying why.
	RIndicatorSE *float64
	// Partials are the partial R-indicators of each variable, in input order.
	Partials []Partial
	// Warnings name separated levels (and combinations of levels), levels
	// without cases, aliased terms and one-level variables left out of the
	// model, a fit that did not converge and an undefined RIndicatorSE.
	Warnings []string
}

// Coefficient is one term of the propensity model, on the logit scale, with
// its standard error from the inverse Fisher information (vcov of glm).
type Coefficient struct {
	Term     string
	Estimate float64
	SE       float64
}

// Partial is the partial R-indicators of one variable Z. Both are 0 when
// response does not depend on Z.
type Partial struct {
	Variable string
	// Unconditional is P_u(Z) = sqrt( (1/n) Σ_k n_k (ρ̄_k − ρ̄)² ): the
	// between-category standard deviation of the propensities.
	Unconditional float64
	// Conditional is P_c(Z) = sqrt( (1/n) Σ_cells Σ_{i∈cell} (ρ_i − ρ̄_cell)² )
	// over the cells of the cross-classification of every other variable:
	// the variation of the propensities due to Z given the rest.
	Conditional float64
	// Categories are Z's levels that have cases, in level order.
	Categories []CategoryPartial
}

// CategoryPartial is one category k of a variable: how far its cases'
// propensities are from the mean, weighted by its size.
type CategoryPartial struct {
	Level string
	// N counts the category's cases, Respondents those that responded.
	N, Respondents int
	// MeanPropensity is ρ̄_k. With an intercept in the model it equals the
	// category's response rate Respondents/N at the fitted maximum.
	MeanPropensity float64
	// Partial is P_u(Z, k) = sqrt(n_k/n)·(ρ̄_k − ρ̄): negative when the
	// category is under-represented among the respondents, positive when
	// over-represented. Σ_k Partial² = Unconditional².
	Partial float64
}

// Fit models responded on the variables over every case and computes the
// R-indicator and the partial R-indicators from the fitted propensities.
//
// A level in which nobody (or everybody) responded separates the data: the
// maximum likelihood lies at infinity, where that level's propensity is 0
// (or 1). Fit then does as R's glm does: it stops after a bounded number of
// Newton steps, by which the level's propensities are numerically 0 (or 1),
// and warns, naming the level. The propensities, the R-indicator and the
// partials are then those of the limit, to about 1e-10; the coefficient of
// the level and its standard error are not meaningful.
func Fit(vars []Variable, responded []bool) (*Result, error) {
	n := len(responded)
	if len(vars) == 0 {
		return nil, fmt.Errorf("a propensity model needs at least one frame variable")
	}
	if n < 2 {
		return nil, fmt.Errorf("%d cases are too few for a propensity model", n)
	}
	index := make([][]int, len(vars))
	for v, variable := range vars {
		var err error
		if index[v], err = levelIndex(variable, n); err != nil {
			return nil, err
		}
	}
	respondents := 0
	for _, r := range responded {
		if r {
			respondents++
		}
	}
	switch respondents {
	case 0:
		return nil, fmt.Errorf("none of the %d cases responded: there is no response to model", n)
	case n:
		return nil, fmt.Errorf("all %d cases responded: there is no nonresponse to model", n)
	}

	p := groupPatterns(index, responded)
	res := &Result{N: n, Respondents: respondents}
	d := p.design(vars, &res.Warnings)
	separated := separatedLevels(vars, p)
	res.Warnings = append(res.Warnings, separated...)

	m, err := fitLogit(d, p)
	if err != nil {
		return nil, err
	}
	res.Iterations, res.Converged = m.iterations, m.converged
	for j, term := range d.terms {
		res.Coefficients = append(res.Coefficients, Coefficient{
			Term: term, Estimate: m.beta[j], SE: math.Sqrt(m.covariance.At(j, j)),
		})
	}
	if len(separated) == 0 {
		// Only the levels' own counts were checked before the fit: a
		// combination of levels can separate too.
		if w := p.numericallySeparated(vars, m.propensity); w != "" {
			res.Warnings = append(res.Warnings, w)
		} else if !m.converged {
			res.Warnings = append(res.Warnings, fmt.Sprintf(
				"the propensity model did not converge in %d iterations; its estimates are those of the last", m.iterations))
		}
	}

	res.Propensities = make([]float64, n)
	for i, pattern := range p.of {
		res.Propensities[i] = m.propensity[pattern]
	}
	res.indicators(vars, p, d, m)
	return res, nil
}

// levelIndex is the position in variable.Levels of each case's value, and
// an error naming the first value that is not a level.
func levelIndex(variable Variable, n int) ([]int, error) {
	if len(variable.Values) != n {
		return nil, fmt.Errorf("variable %q has %d values for %d cases", variable.Name, len(variable.Values), n)
	}
	if len(variable.Levels) == 0 {
		return nil, fmt.Errorf("variable %q has no levels", variable.Name)
	}
	position := make(map[string]int, len(variable.Levels))
	for k, level := range variable.Levels {
		if _, dup := position[level]; dup {
			return nil, fmt.Errorf("variable %q lists the level %q twice", variable.Name, level)
		}
		position[level] = k
	}
	index := make([]int, n)
	for i, value := range variable.Values {
		k, ok := position[value]
		if !ok {
			return nil, fmt.Errorf("variable %q, case %d: %q is not one of its levels (%s)",
				variable.Name, i+1, value, quoteAll(variable.Levels))
		}
		index[i] = k
	}
	return index, nil
}

// separatedLevels warns of every level in which nobody or everybody
// responded: its propensity is fitted as (numerically) 0 or 1.
func separatedLevels(vars []Variable, p *patterns) []string {
	var warnings []string
	for v, variable := range vars {
		cases, respondents := p.levelCounts(v, len(variable.Levels))
		for k, level := range variable.Levels {
			var what string
			var limit int
			switch {
			case cases[k] == 0:
				continue
			case respondents[k] == 0:
				what, limit = "none", 0
			case respondents[k] == cases[k]:
				what, limit = "all", 1
			default:
				continue
			}
			warnings = append(warnings, fmt.Sprintf(
				"%s=%s: %s of its %d cases responded, so its propensity is fitted as numerically %d "+
					"(R's glm: fitted probabilities numerically 0 or 1 occurred); the coefficient of "+
					"%s=%s and its standard error are not meaningful",
				variable.Name, level, what, cases[k], limit, variable.Name, level))
		}
	}
	return warnings
}

func quoteAll(levels []string) string {
	quoted := make([]string, len(levels))
	for k, level := range levels {
		quoted[k] = fmt.Sprintf("%q", level)
	}
	return strings.Join(quoted, ", ")
}

// describe names a pattern by its levels, "department=Police, band=small".
func describe(vars []Variable, levels []int) string {
	parts := make([]string, len(vars))
	for v, variable := range vars {
		parts[v] = variable.Name + "=" + variable.Levels[levels[v]]
	}
	return strings.Join(parts, ", ")
}
