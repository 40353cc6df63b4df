package represent

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// patterns groups the cases by their combination of levels. Every case of a
// pattern has the same row of the design matrix, hence the same propensity,
// so the model and the indicators are computed once per pattern: a frame of
// 100,000 cases on three variables has at most a few hundred patterns.
type patterns struct {
	// of is each case's pattern.
	of []int
	// levels holds each pattern's level of each variable.
	levels [][]int
	// cases and respondents count each pattern's cases (float64: they only
	// enter arithmetic).
	cases, respondents []float64
}

// groupPatterns numbers the distinct combinations of levels in order of
// first appearance.
func groupPatterns(index [][]int, responded []bool) *patterns {
	of := make([]int, len(responded))
	count := 1
	for _, levels := range index {
		count = refine(of, levels)
	}
	p := &patterns{
		of:          of,
		levels:      make([][]int, count),
		cases:       make([]float64, count),
		respondents: make([]float64, count),
	}
	for i, pattern := range of {
		if p.levels[pattern] == nil {
			p.levels[pattern] = make([]int, len(index))
			for v := range index {
				p.levels[pattern][v] = index[v][i]
			}
		}
		p.cases[pattern]++
		if responded[i] {
			p.respondents[pattern]++
		}
	}
	return p
}

// levelCounts counts the cases and respondents at each of the levels of
// variable v.
func (p *patterns) levelCounts(v, levels int) (cases, respondents []int) {
	cases, respondents = make([]int, levels), make([]int, levels)
	for pattern, l := range p.levels {
		cases[l[v]] += int(p.cases[pattern])
		respondents[l[v]] += int(p.respondents[pattern])
	}
	return cases, respondents
}

// cellsWithout numbers the cells of the cross-classification of every
// variable but v, and returns each pattern's cell and the number of cells.
func (p *patterns) cellsWithout(v int) ([]int, int) {
	cell := make([]int, len(p.levels))
	count := 1
	level := make([]int, len(p.levels))
	for u := range p.levels[0] {
		if u == v {
			continue
		}
		for pattern, levels := range p.levels {
			level[pattern] = levels[u]
		}
		count = refine(cell, level)
	}
	return cell, count
}

// refine splits groups by a further classification: it renumbers each
// element's group as the distinct pair (group, level) in order of first
// appearance, and returns the number of groups. One variable at a time, so
// that no key can overflow however many variables and levels there are.
func refine(group, level []int) int {
	ids := make(map[[2]int]int)
	for i, g := range group {
		key := [2]int{g, level[i]}
		id, ok := ids[key]
		if !ok {
			id = len(ids)
			ids[key] = id
		}
		group[i] = id
	}
	return len(ids)
}

// separationMargin is how close to 0 or 1 a fitted propensity must come to
// count as separated. No combination of frame variables credibly has a
// propensity within 1e-6 of 0 or 1 (a logit beyond ±13.8); Newton's method
// takes a separated one there in about 14 steps, and on to about 1e-10 by the
// time the deviance settles.
const separationMargin = 1e-6

// numericallySeparated warns, naming the first such pattern, when some
// propensity is numerically 0 or 1 although no single level separates
// (which separatedLevels reports): a combination of levels does.
func (p *patterns) numericallySeparated(vars []Variable, propensity []float64) string {
	for pattern, rho := range propensity {
		if rho < separationMargin || rho > 1-separationMargin {
			return fmt.Sprintf("fitted propensities numerically 0 or 1 occurred, for the %d cases with %s among others: "+
				"the frame variables together separate respondents from nonrespondents; coefficients and "+
				"standard errors are not meaningful", int(p.cases[pattern]), describe(vars, p.levels[pattern]))
		}
	}
	return ""
}

// design is the model matrix of the propensity model, one row per pattern.
type design struct {
	terms []string
	x     *mat.Dense
}

// aliasTolerance is the relative size below which the part of a column not
// explained by the columns before it counts as zero: the tolerance of the
// pivoting QR decomposition of R's glm.
const aliasTolerance = 1e-7

// design builds the model matrix: the intercept, then a 0/1 column for each
// level of each variable but its reference. A level without cases has no
// column, and when it is the reference the first level with cases takes its
// place; a column that is a combination of the ones before it (the variables
// are aliased) is left out, where glm reports NA. Each is warned of.
func (p *patterns) design(vars []Variable, warnings *[]string) *design {
	type candidate struct {
		term string
		v, k int
	}
	candidates := []candidate{{term: "(Intercept)", v: -1}}
	for v, variable := range vars {
		cases, _ := p.levelCounts(v, len(variable.Levels))
		before := len(candidates)
		reference := -1
		for k, level := range variable.Levels {
			switch {
			case cases[k] == 0:
				*warnings = append(*warnings, fmt.Sprintf("%s=%s has no cases and is left out of the model", variable.Name, level))
			case reference < 0:
				reference = k
				if k > 0 {
					*warnings = append(*warnings, fmt.Sprintf("%s: the reference level %q has no cases; %q is the reference instead",
						variable.Name, variable.Levels[0], level))
				}
			default:
				candidates = append(candidates, candidate{term: variable.Name + "=" + level, v: v, k: k})
			}
		}
		if len(candidates) == before {
			*warnings = append(*warnings, fmt.Sprintf("%s has one level (%s) among the %d cases: it cannot explain response",
				variable.Name, variable.Levels[reference], len(p.of)))
		}
	}

	// Modified Gram-Schmidt over the patterns, each row weighted by the
	// square root of its number of cases, which is Gram-Schmidt over the
	// cases themselves.
	rows := len(p.levels)
	sqrtCases := make([]float64, rows)
	for pattern, c := range p.cases {
		sqrtCases[pattern] = math.Sqrt(c)
	}
	d := &design{}
	var basis [][]float64
	var kept []candidate
	for _, c := range candidates {
		column := make([]float64, rows)
		for pattern, levels := range p.levels {
			if c.v < 0 || levels[c.v] == c.k {
				column[pattern] = sqrtCases[pattern]
			}
		}
		norm := floats.Norm(column, 2)
		for _, q := range basis {
			floats.AddScaled(column, -floats.Dot(q, column), q)
		}
		residual := floats.Norm(column, 2)
		if residual <= aliasTolerance*norm {
			*warnings = append(*warnings, fmt.Sprintf(
				"%s is aliased (in every case a combination of the terms before it) and is left out of the model, as glm reports NA for it", c.term))
			continue
		}
		floats.Scale(1/residual, column)
		basis = append(basis, column)
		kept = append(kept, c)
		d.terms = append(d.terms, c.term)
	}
	d.x = mat.NewDense(rows, len(kept), nil)
	for j, c := range kept {
		for pattern, levels := range p.levels {
			if c.v < 0 || levels[c.v] == c.k {
				d.x.Set(pattern, j, 1)
			}
		}
	}
	return d
}
