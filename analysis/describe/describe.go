// Package describe computes the descriptive statistics behind the research
// brief's figures: frequency distributions of categorical answers (figure
// 1), optionally by group, and group means with t-based confidence intervals
// (figure 2); and both weighted, with standard errors that account for the
// weights and the clustering of the respondents, as R's survey package
// computes them. Every number it returns is finite: a quantity that is not
// defined for a group (the spread of a single answer) is absent, not NaN.
package describe

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/canvass-survey/canvass/analysis/category"
)

// Frequency is one category of a frequency table.
type Frequency struct {
	Category string
	Count    int
	// Percent is 100·Count/N of the table.
	Percent float64
}

// FrequencyTable is the distribution of one variable within one group.
type FrequencyTable struct {
	// Group is the group's label, "" for the table of all rows.
	Group string
	// N counts the rows with an answer; Missing those without one.
	N, Missing int
	// Rows list every category seen in any group, in category order, so that
	// the tables of all groups line up; Rows is empty when N is 0.
	Rows []Frequency
}

// Frequencies tabulates values ("" is missing). With groups nil it returns
// one table over all rows; otherwise one table per group label, in category
// order, leaving out the rows whose group is missing.
func Frequencies(values, groups []string) ([]FrequencyTable, error) {
	if groups != nil && len(groups) != len(values) {
		return nil, fmt.Errorf("%d group labels for %d values", len(groups), len(values))
	}
	categories := category.Levels(values)
	position := make(map[string]int, len(categories))
	for i, c := range categories {
		position[c] = i
	}

	groupLevels, groupIndex := splitGroups(groups, len(values))
	counts := make([][]int, len(groupLevels))
	tables := make([]FrequencyTable, len(groupLevels))
	for g, label := range groupLevels {
		counts[g] = make([]int, len(categories))
		tables[g].Group = label
	}
	for i, v := range values {
		g := groupIndex[i]
		if g < 0 {
			continue
		}
		if v == "" {
			tables[g].Missing++
			continue
		}
		tables[g].N++
		counts[g][position[v]]++
	}
	for g := range tables {
		if tables[g].N == 0 {
			continue
		}
		for c, label := range categories {
			tables[g].Rows = append(tables[g].Rows, Frequency{
				Category: label,
				Count:    counts[g][c],
				Percent:  100 * float64(counts[g][c]) / float64(tables[g].N),
			})
		}
	}
	return tables, nil
}

// GroupMean summarizes one group's values.
type GroupMean struct {
	Group string
	N     int
	Mean  float64
	// Spread is nil when N < 2, where the standard deviation and the
	// interval are undefined.
	Spread *Spread
}

// Spread is a group's dispersion and the t-based confidence interval of its
// mean: Mean ± t(level; N−1)·SE.
type Spread struct {
	SD, SE float64
	Lo, Hi float64
}

// GroupMeans returns the mean of values (NaN is missing) in each group, in
// category order, with a confidence interval at level (0.95 for 95%). With
// groups nil there is one group, labelled "". Groups without a value are
// left out.
func GroupMeans(values []float64, groups []string, level float64) ([]GroupMean, error) {
	if groups != nil && len(groups) != len(values) {
		return nil, fmt.Errorf("%d group labels for %d values", len(groups), len(values))
	}
	if !(level > 0 && level < 1) {
		return nil, fmt.Errorf("confidence level %g is not between 0 and 1", level)
	}
	groupLevels, groupIndex := splitGroups(groups, len(values))
	members := make([][]float64, len(groupLevels))
	for i, v := range values {
		if g := groupIndex[i]; g >= 0 && !math.IsNaN(v) {
			members[g] = append(members[g], v)
		}
	}
	var means []GroupMean
	for g, label := range groupLevels {
		x := members[g]
		if len(x) == 0 {
			continue
		}
		m := GroupMean{Group: label, N: len(x), Mean: stat.Mean(x, nil)}
		if len(x) >= 2 {
			sd := stat.StdDev(x, nil)
			se := sd / math.Sqrt(float64(len(x)))
			t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(x) - 1)}.Quantile(1 - (1-level)/2)
			m.Spread = &Spread{SD: sd, SE: se, Lo: m.Mean - t*se, Hi: m.Mean + t*se}
		}
		means = append(means, m)
	}
	return means, nil
}

// splitGroups returns the group levels and each row's group index (-1 for a
// missing group). Without groups every row is in the one group "".
func splitGroups(groups []string, n int) ([]string, []int) {
	if groups == nil {
		return []string{""}, make([]int, n)
	}
	levels := category.Levels(groups)
	return levels, category.Index(groups, levels)
}
