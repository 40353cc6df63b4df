package category

import (
	"slices"
	"strings"
	"testing"
)

// FuzzLevels checks the level order on arbitrary labels read from a CSV:
// every non-empty label appears exactly once, Index inverts Levels, and the
// order does not depend on the order of the rows.
func FuzzLevels(f *testing.F) {
	f.Add("10,2,1,2")
	f.Add("Police,Finance,,Mayor")
	f.Add("1.0,1,1e0,-0,0,NaN,Inf,-Inf")
	f.Add("0x10,16,1_0")
	f.Fuzz(func(t *testing.T, joined string) {
		labels := strings.Split(joined, ",")
		levels := Levels(labels)
		reversed := slices.Clone(labels)
		slices.Reverse(reversed)
		if again := Levels(reversed); !slices.Equal(levels, again) {
			t.Fatalf("Levels depends on row order: %q vs %q", levels, again)
		}
		index := Index(labels, levels)
		for i, label := range labels {
			switch {
			case label == "" && index[i] != -1:
				t.Fatalf("missing label got level %d", index[i])
			case label != "" && (index[i] < 0 || levels[index[i]] != label):
				t.Fatalf("label %q indexed as %d in %q", label, index[i], levels)
			}
		}
		if len(slices.Compact(slices.Clone(levels))) != len(levels) {
			t.Fatalf("repeated level in %q", levels)
		}
	})
}
