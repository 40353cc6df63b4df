package describe

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/canvass-survey/canvass/analysis/category"
)

// The weighted estimates are those of R's survey package for a design with
// weights and one stage of clusters, no strata and no finite population
// correction: svydesign(ids = ~cluster, weights = ~w, data = d). A mean or
// proportion in a group is the ratio Σ wᵢyᵢ / Σ wᵢ over the group's rows with
// a value, and its variance is the linearization (with-replacement) estimate
//
//	var = G/(G−1) · Σ_g (z_g − z̄)²,   z_g = Σ_{i∈g} wᵢ(yᵢ − ȳ) / Σ wᵢ
//
// summed over every cluster g of the design, z̄ the mean of the z_g. A group
// is a domain: the clusters without any of its rows count, with z_g = 0, as
// svyby and svymean(na.rm = TRUE) count them. The interval is the normal
// one, estimate ± z·SE, as confint gives for svymean and svyby. The weights
// are taken as fixed: raked weights' own variability is not accounted for.

// WeightedMean is the weighted mean of one group, as
// svyby(~y, ~group, design, svymean, na.rm = TRUE) reports it.
type WeightedMean struct {
	Group string
	// N counts the group's rows with a value, SumWeights their weights.
	N          int
	SumWeights float64
	Mean, SE   float64
	Lo, Hi     float64
}

// WeightedGroupMeans returns the weighted mean of values (NaN is missing)
// in each group, in category order, with its linearization standard error
// over the clusters and a normal interval at level (0.95 for 95%). With
// groups nil there is one group, labelled "", which is svymean(~y, design,
// na.rm = TRUE). With clusters nil every row is its own cluster (ids = ~1).
// Groups without a value, or whose values all have weight 0, are left out.
func WeightedGroupMeans(values []float64, groups []string, weights []float64, clusters []string, level float64) ([]WeightedMean, error) {
	d, err := newDesign(len(values), groups, weights, clusters, level)
	if err != nil {
		return nil, err
	}
	var means []WeightedMean
	for g, label := range d.groupLevels {
		var rows []int
		for i, v := range values {
			if d.group[i] == g && !math.IsNaN(v) {
				rows = append(rows, i)
			}
		}
		total, mean := d.ratio(rows, func(i int) float64 { return values[i] })
		if total == 0 {
			continue
		}
		se := d.se(rows, total, mean, func(i int) float64 { return values[i] })
		means = append(means, WeightedMean{
			Group: label, N: len(rows), SumWeights: total,
			Mean: mean, SE: se, Lo: mean - d.z*se, Hi: mean + d.z*se,
		})
	}
	return means, nil
}

// WeightedFrequency is one category of a weighted frequency table.
type WeightedFrequency struct {
	Category string
	// Count is the number of rows in the category, Weighted their weights.
	Count    int
	Weighted float64
	// Proportion is Weighted over the table's SumWeights (0 to 1), with its
	// linearization standard error and normal interval, which like R's may
	// reach below 0 or above 1.
	Proportion, SE float64
	Lo, Hi         float64
}

// WeightedFrequencyTable is the weighted distribution of one variable within
// one group, as svymean(~factor(y), design, na.rm = TRUE) in the group.
type WeightedFrequencyTable struct {
	// Group is the group's label, "" for the table of all rows.
	Group string
	// N counts the rows with an answer, SumWeights their weights; Missing
	// counts the rows without one.
	N, Missing int
	SumWeights float64
	// Rows list every category seen in any group, in category order, so
	// that the tables of all groups line up; Rows is empty when SumWeights
	// is 0.
	Rows []WeightedFrequency
}

// WeightedFrequencies tabulates values ("" is missing) with weights, as
// Frequencies does without: one table over all rows with groups nil,
// otherwise one per group label in category order, leaving out the rows
// whose group is missing. Proportions have linearization standard errors
// over the clusters (every row its own cluster with clusters nil) and normal
// intervals at level.
func WeightedFrequencies(values, groups []string, weights []float64, clusters []string, level float64) ([]WeightedFrequencyTable, error) {
	d, err := newDesign(len(values), groups, weights, clusters, level)
	if err != nil {
		return nil, err
	}
	categories := category.Levels(values)
	tables := make([]WeightedFrequencyTable, len(d.groupLevels))
	for g, label := range d.groupLevels {
		t := &tables[g]
		t.Group = label
		var rows []int
		for i, v := range values {
			switch {
			case d.group[i] != g:
			case v == "":
				t.Missing++
			default:
				rows = append(rows, i)
			}
		}
		t.N = len(rows)
		for _, i := range rows {
			t.SumWeights += d.weights[i]
		}
		if t.SumWeights == 0 {
			continue
		}
		for _, c := range categories {
			indicator := func(i int) float64 {
				if values[i] == c {
					return 1
				}
				return 0
			}
			f := WeightedFrequency{Category: c}
			for _, i := range rows {
				if values[i] == c {
					f.Count++
					f.Weighted += d.weights[i]
				}
			}
			f.Proportion = f.Weighted / t.SumWeights
			f.SE = d.se(rows, t.SumWeights, f.Proportion, indicator)
			f.Lo, f.Hi = f.Proportion-d.z*f.SE, f.Proportion+d.z*f.SE
			t.Rows = append(t.Rows, f)
		}
	}
	return tables, nil
}

// design is a one-stage cluster design over every row given: the clusters
// of the variance are those of all rows, whatever group or value they have.
type design struct {
	weights     []float64
	cluster     []int
	clusters    int
	groupLevels []string
	group       []int
	// z is the normal quantile of the interval's level.
	z float64
}

func newDesign(n int, groups []string, weights []float64, clusters []string, level float64) (*design, error) {
	if groups != nil && len(groups) != n {
		return nil, fmt.Errorf("%d group labels for %d values", len(groups), n)
	}
	if len(weights) != n {
		return nil, fmt.Errorf("%d weights for %d values", len(weights), n)
	}
	if clusters != nil && len(clusters) != n {
		return nil, fmt.Errorf("%d cluster labels for %d values", len(clusters), n)
	}
	if !(level > 0 && level < 1) {
		return nil, fmt.Errorf("confidence level %g is not between 0 and 1", level)
	}
	for i, w := range weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("row %d has weight %g; weights must be finite and not negative", i+1, w)
		}
	}
	d := &design{weights: weights, z: distuv.UnitNormal.Quantile(1 - (1-level)/2)}
	if clusters == nil {
		d.cluster = make([]int, n)
		for i := range d.cluster {
			d.cluster[i] = i
		}
		d.clusters = n
	} else {
		for i, c := range clusters {
			if c == "" {
				return nil, fmt.Errorf("row %d has no cluster", i+1)
			}
		}
		levels := category.Levels(clusters)
		d.cluster = category.Index(clusters, levels)
		d.clusters = len(levels)
	}
	if d.clusters < 2 {
		return nil, fmt.Errorf("standard errors need at least 2 clusters, the %d rows have %d", n, d.clusters)
	}
	d.groupLevels, d.group = splitGroups(groups, n)
	return d, nil
}

// ratio returns the total weight of rows and the weighted mean of y over them.
func (d *design) ratio(rows []int, y func(int) float64) (total, mean float64) {
	var weighted float64
	for _, i := range rows {
		total += d.weights[i]
		weighted += d.weights[i] * y(i)
	}
	if total == 0 {
		return 0, 0
	}
	return total, weighted / total
}

// se is the linearization standard error of the weighted mean of y over
// rows, whose total weight is total.
func (d *design) se(rows []int, total, mean float64, y func(int) float64) float64 {
	sums := make([]float64, d.clusters)
	for _, i := range rows {
		sums[d.cluster[i]] += d.weights[i] * (y(i) - mean) / total
	}
	var centre float64
	for _, s := range sums {
		centre += s
	}
	centre /= float64(d.clusters)
	var squares float64
	for _, s := range sums {
		squares += (s - centre) * (s - centre)
	}
	g := float64(d.clusters)
	return math.Sqrt(g / (g - 1) * squares)
}
