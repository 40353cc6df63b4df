// Package bench makes the data the analysis benchmarks read, for callers
// outside analysis: `canvass bench` writes with it the file it times
// canvass analyze efa and R on, the same file gendata writes.
package bench

import (
	"io"

	"github.com/canvass-survey/canvass/analysis/internal/synth"
)

// Items describes a data set: Rows rows of Items Likert items (1–5), each
// loading 0.6 on one of Factors factors that correlate 0.3; Missing is the
// share of cells left NA. The same Seed gives the same file.
type Items struct {
	Rows, Items, Factors int
	Missing              float64
	Seed                 uint64
}

// WriteItems writes the data set d as CSV with a header q01, q02, ….
func WriteItems(w io.Writer, d Items) error {
	return synth.Likert(w, d.Rows, d.Items, d.Factors, d.Missing, d.Seed)
}
