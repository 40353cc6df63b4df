// Package category orders the levels of a categorical variable the one way
// the whole analysis engine uses: numeric order when every level is a number
// (so "2" comes before "10"), otherwise lexicographic order. The first level
// is the reference level of treatment contrasts and the lowest category of
// an ordinal response.
package category

import (
	"cmp"
	"slices"
	"strconv"
)

// Levels returns the distinct labels in level order. An empty label means a
// missing value and is not a level.
func Levels(labels []string) []string {
	seen := make(map[string]bool)
	var levels []string
	for _, label := range labels {
		if label == "" || seen[label] {
			continue
		}
		seen[label] = true
		levels = append(levels, label)
	}
	numbers := make(map[string]float64, len(levels))
	for _, level := range levels {
		x, err := strconv.ParseFloat(level, 64)
		if err != nil {
			slices.Sort(levels)
			return levels
		}
		numbers[level] = x
	}
	slices.SortFunc(levels, func(a, b string) int {
		// "1" and "1.0" are the same number but different labels: the
		// label breaks the tie so the order stays deterministic.
		return cmp.Or(cmp.Compare(numbers[a], numbers[b]), cmp.Compare(a, b))
	})
	return levels
}

// Index maps each label to the position of its level in levels, or -1 for a
// missing (empty) label.
func Index(labels, levels []string) []int {
	position := make(map[string]int, len(levels))
	for i, level := range levels {
		position[level] = i
	}
	index := make([]int, len(labels))
	for i, label := range labels {
		if p, ok := position[label]; ok {
			index[i] = p
		} else {
			index[i] = -1
		}
	}
	return index
}
