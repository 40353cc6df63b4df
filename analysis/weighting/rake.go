// Package weighting computes survey weights: raking (iterative proportional
// fitting) of the respondents' weights to known population margins, as R's
// survey::rake, with optional trimming, a convergence report and Kish's
// design effect due to weighting.
package weighting

import (
	"fmt"
	"math"
	"strings"
)

// Margin is one raking variable: each respondent's level of it and the
// population count of each level.
type Margin struct {
	Name string
	// Levels are the margin's levels in order; a level without respondents
	// is collapsed into the next one in this order (the previous for the last).
	Levels []string
	// Population is the population count of each level, aligned with Levels.
	Population []float64
	// Values holds each respondent's level; every value must be one of Levels.
	Values []string
}

// Defaults of Options.
const (
	DefaultEpsilon        = 1e-10
	DefaultMaxIterations  = 100
	DefaultTotalTolerance = 1e-6
)

// Options tune Rake; the zero value is the defaults.
type Options struct {
	// Start are the respondents' weights before raking; nil starts every
	// respondent at N/n, the population total over the number of respondents.
	Start []float64
	// Epsilon ends the raking when no weighted total of any level of any
	// margin differs from its population count by more than Epsilon times
	// the population total (DefaultEpsilon: the fixed point, to rounding).
	Epsilon float64
	// MaxIterations bounds the sweeps over the margins (DefaultMaxIterations).
	MaxIterations int
	// Trim, when set, bounds the weights after every sweep.
	Trim *Trim
	// TotalTolerance is how far, relative to the first margin's total, the
	// population totals of the margins may differ (DefaultTotalTolerance).
	TotalTolerance float64
}

// Trim bounds each weight to [Lower, Upper] times the mean weight, for
// example [0.3, 3]. Lower is at least 0 and below 1, Upper above 1 (+Inf for
// no upper bound).
type Trim struct {
	Lower, Upper float64
}

// Result is a raking and its report.
type Result struct {
	// Weights are the respondents' raked weights, in input order.
	Weights []float64
	// Converged says whether the margins were met within Epsilon; when not,
	// Reason says where they were still furthest off, and Weights are those
	// of the last sweep (not fit for estimates).
	Converged bool
	Reason    string
	// Iterations counts the sweeps over the margins.
	Iterations int
	// MaxDifference is the largest absolute difference, at the end, between
	// the weighted total of a level of a margin and its population count.
	MaxDifference float64
	// DesignEffect is Kish's design effect due to weighting,
	// n·Σw² / (Σw)², and EffectiveN = n/DesignEffect = (Σw)²/Σw².
	DesignEffect, EffectiveN float64
	Min, Max, Mean           float64
	// Trimmed counts the weights that the last trimming pass moved to a bound.
	Trimmed int
	// Collapsed lists the levels without respondents and where they went.
	Collapsed []Collapse
	// Warnings say the same of each collapse, in words.
	Warnings []string
}

// Collapse is a level of a margin that had population but no respondents,
// merged with its neighbour so that raking never divides by zero.
type Collapse struct {
	Margin string
	// Level is the level (or levels, joined by " + ", when an earlier
	// collapse had merged them) without respondents, Into the neighbour
	// that took its population.
	Level, Into string
}

// margin is a Margin ready to rake: each respondent's group (a level, or
// levels collapsed together) and each group's population count.
type margin struct {
	name       string
	labels     []string
	population []float64
	group      []int
}

// Rake adjusts the weights of the respondents until their weighted count
// at every level of every margin equals its population count, by iterative
// proportional fitting: in each sweep it post-stratifies to each margin in
// turn, multiplying the weights of a level's respondents by its population
// count over their weighted total; with Trim, it then clips the weights to
// their bounds. It stops when the margins are met within Epsilon (Converged)
// or after MaxIterations sweeps (not Converged, with a Reason).
//
// Errors name the margin, level or respondent at fault: values that are not
// levels, a level with respondents but no population, margins whose
// population totals differ, bad start weights or bounds.
func Rake(margins []Margin, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	if len(margins) == 0 {
		return nil, fmt.Errorf("raking needs at least one margin")
	}
	n := len(margins[0].Values)
	if n == 0 {
		return nil, fmt.Errorf("raking needs respondents; margin %q has none", margins[0].Name)
	}
	if opts.Epsilon < 0 || opts.MaxIterations < 0 {
		return nil, fmt.Errorf("epsilon %g and the iteration limit %d must not be negative", opts.Epsilon, opts.MaxIterations)
	}
	res := &Result{}
	prepared := make([]*margin, len(margins))
	for j, m := range margins {
		if len(m.Values) != n {
			return nil, fmt.Errorf("margin %q has %d values and margin %q %d: there must be one per respondent",
				m.Name, len(m.Values), margins[0].Name, n)
		}
		var err error
		if prepared[j], err = prepare(m, res); err != nil {
			return nil, err
		}
	}
	total := sum(prepared[0].population)
	for _, m := range prepared[1:] {
		if t := sum(m.population); math.Abs(t-total) > opts.TotalTolerance*total {
			return nil, fmt.Errorf("the population totals of margins %q (%g) and %q (%g) differ", margins[0].Name, total, m.name, t)
		}
	}
	weights, err := startWeights(opts.Start, n, total)
	if err != nil {
		return nil, err
	}
	if t := opts.Trim; t != nil && !(t.Lower >= 0 && t.Lower < 1 && t.Upper > 1) {
		return nil, fmt.Errorf("trimming bounds [%g, %g] of the mean weight must have 0 ≤ lower < 1 < upper", t.Lower, t.Upper)
	}

	res.Weights = weights
	var off offMargin
	for res.Iterations < opts.MaxIterations {
		res.Iterations++
		for _, m := range prepared {
			m.postStratify(weights)
		}
		if opts.Trim != nil {
			res.Trimmed = opts.Trim.apply(weights)
		}
		off = furthestOff(prepared, weights)
		if off.difference <= opts.Epsilon*total {
			res.Converged = true
			break
		}
	}
	res.MaxDifference = off.difference
	if !res.Converged {
		res.Reason = fmt.Sprintf("raking did not converge in %d iterations: %s=%s is weighted %g against a population of %g",
			res.Iterations, off.margin, off.level, off.weighted, off.population)
		if opts.Trim != nil {
			res.Reason += fmt.Sprintf(" (trimming to [%g, %g] of the mean weight may be incompatible with the margins)",
				opts.Trim.Lower, opts.Trim.Upper)
		}
	}
	res.summarize()
	return res, nil
}

func (o Options) withDefaults() Options {
	if o.Epsilon == 0 {
		o.Epsilon = DefaultEpsilon
	}
	if o.MaxIterations == 0 {
		o.MaxIterations = DefaultMaxIterations
	}
	if o.TotalTolerance == 0 {
		o.TotalTolerance = DefaultTotalTolerance
	}
	return o
}

// prepare checks a margin and groups its levels, collapsing each level that
// has population but no respondents into its neighbour (res records it).
func prepare(m Margin, res *Result) (*margin, error) {
	n := len(m.Values)
	if len(m.Population) != len(m.Levels) {
		return nil, fmt.Errorf("margin %q has %d levels and %d population counts", m.Name, len(m.Levels), len(m.Population))
	}
	position := make(map[string]int, len(m.Levels))
	for k, level := range m.Levels {
		if _, dup := position[level]; dup {
			return nil, fmt.Errorf("margin %q lists the level %q twice", m.Name, level)
		}
		if p := m.Population[k]; !(p >= 0) || math.IsInf(p, 0) {
			return nil, fmt.Errorf("margin %q: the population of %q is %g", m.Name, level, p)
		}
		position[level] = k
	}
	level := make([]int, n)
	respondents := make([]int, len(m.Levels))
	for i, value := range m.Values {
		k, ok := position[value]
		if !ok {
			return nil, fmt.Errorf("margin %q, respondent %d: %q is not one of its levels", m.Name, i+1, value)
		}
		level[i] = k
		respondents[k]++
	}

	// Groups of levels, in level order; levels with neither respondents nor
	// population take no part.
	type group struct {
		levels      []string
		population  float64
		respondents int
	}
	var groups []group
	groupOf := make([]int, len(m.Levels))
	for k, name := range m.Levels {
		groupOf[k] = -1
		if respondents[k] > 0 && m.Population[k] == 0 {
			return nil, fmt.Errorf("margin %q: %d respondents are in %q, whose population is 0", m.Name, respondents[k], name)
		}
		if respondents[k] > 0 || m.Population[k] > 0 {
			groupOf[k] = len(groups)
			groups = append(groups, group{[]string{name}, m.Population[k], respondents[k]})
		}
	}
	// Merge each group without respondents into its neighbour: the next, or
	// the previous for the last. groupOf is renumbered as groups go.
	for g := 0; g < len(groups); {
		if groups[g].respondents > 0 {
			g++
			continue
		}
		into := g + 1
		if into == len(groups) {
			into = g - 1
		}
		empty, target := groups[g], &groups[into]
		res.Collapsed = append(res.Collapsed, Collapse{Margin: m.Name, Level: strings.Join(empty.levels, " + "), Into: strings.Join(target.levels, " + ")})
		res.Warnings = append(res.Warnings, fmt.Sprintf("margin %q: no respondent is in %q (population %g); collapsed into %q",
			m.Name, strings.Join(empty.levels, " + "), empty.population, strings.Join(target.levels, " + ")))
		if into > g {
			target.levels = append(empty.levels, target.levels...)
		} else {
			target.levels = append(target.levels, empty.levels...)
		}
		target.population += empty.population
		groups = append(groups[:g], groups[g+1:]...)
		for k, h := range groupOf {
			if h == g {
				groupOf[k] = into
			}
			if groupOf[k] > g {
				groupOf[k]--
			}
		}
		// The merged group is looked at again: into > g now sits at g.
	}

	out := &margin{name: m.Name, group: make([]int, n)}
	for _, g := range groups {
		out.labels = append(out.labels, strings.Join(g.levels, " + "))
		out.population = append(out.population, g.population)
	}
	for i, k := range level {
		out.group[i] = groupOf[k]
	}
	return out, nil
}

func startWeights(start []float64, n int, total float64) ([]float64, error) {
	weights := make([]float64, n)
	if start == nil {
		for i := range weights {
			weights[i] = total / float64(n)
		}
		return weights, nil
	}
	if len(start) != n {
		return nil, fmt.Errorf("%d start weights for %d respondents", len(start), n)
	}
	for i, w := range start {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("the start weight of respondent %d is %g; start weights must be positive and finite", i+1, w)
		}
	}
	copy(weights, start)
	return weights, nil
}

// postStratify scales the weights so that each group's weighted total is its
// population count. Every group has respondents with positive weights, so
// the totals divided by are positive.
func (m *margin) postStratify(weights []float64) {
	totals := m.totals(weights)
	for g := range totals {
		totals[g] = m.population[g] / totals[g]
	}
	for i, g := range m.group {
		weights[i] *= totals[g]
	}
}

func (m *margin) totals(weights []float64) []float64 {
	totals := make([]float64, len(m.population))
	for i, g := range m.group {
		totals[g] += weights[i]
	}
	return totals
}

// apply clips the weights to the bounds and returns how many it moved.
func (t *Trim) apply(weights []float64) int {
	mean := sum(weights) / float64(len(weights))
	lower, upper := t.Lower*mean, t.Upper*mean
	moved := 0
	for i, w := range weights {
		if clipped := math.Max(lower, math.Min(upper, w)); clipped != w {
			weights[i] = clipped
			moved++
		}
	}
	return moved
}

// offMargin is the level whose weighted total is furthest from its
// population count.
type offMargin struct {
	margin, level        string
	weighted, population float64
	difference           float64
}

func furthestOff(margins []*margin, weights []float64) offMargin {
	var off offMargin
	for _, m := range margins {
		for g, weighted := range m.totals(weights) {
			if d := math.Abs(weighted - m.population[g]); d > off.difference {
				off = offMargin{m.name, m.labels[g], weighted, m.population[g], d}
			}
		}
	}
	return off
}

// summarize sets the weights' summaries and Kish's design effect.
func (r *Result) summarize() {
	n := float64(len(r.Weights))
	r.Min, r.Max = math.Inf(1), math.Inf(-1)
	var total, squares float64
	for _, w := range r.Weights {
		total += w
		squares += w * w
		r.Min, r.Max = math.Min(r.Min, w), math.Max(r.Max, w)
	}
	r.Mean = total / n
	r.DesignEffect = n * squares / (total * total)
	r.EffectiveN = total * total / squares
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}
