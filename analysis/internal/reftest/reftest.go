// Package reftest is what the analysis packages' tests share to compare with
// the reference results of analysis/testdata (computed in R by the scripts
// there): reading its CSV and JSON files, and tracking how closely a package
// agrees with R over many quantities.
package reftest

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/canvass-survey/canvass/analysis/dataset"
)

// Path names the file name of analysis/testdata for the tests of a package
// directly under analysis/: go test runs them in that package's directory.
func Path(name string) string { return filepath.Join("..", "testdata", name) }

// LoadJSON decodes the JSON file name of analysis/testdata into v.
func LoadJSON(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := os.ReadFile(Path(name))
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatal(err)
	}
}

// ReadTable reads the CSV file name of analysis/testdata.
func ReadTable(tb testing.TB, name string) *dataset.Table {
	tb.Helper()
	f, err := os.Open(Path(name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	table, err := dataset.Read(f)
	if err != nil {
		tb.Fatal(err)
	}
	return table
}

// ReadNumeric reads the columns cols (every column when cols is nil) of the
// CSV file name of analysis/testdata, NaN where a value is missing.
func ReadNumeric(tb testing.TB, name string, cols []string) [][]float64 {
	tb.Helper()
	return Numeric(tb, ReadTable(tb, name), cols)
}

// Numeric is table.Numeric for a test: an error ends it.
func Numeric(tb testing.TB, table *dataset.Table, cols []string) [][]float64 {
	tb.Helper()
	x, err := table.Numeric(cols)
	if err != nil {
		tb.Fatal(err)
	}
	return x
}

// Column is the numeric column name of table, NaN where a value is missing.
func Column(tb testing.TB, table *dataset.Table, name string) []float64 {
	tb.Helper()
	rows := Numeric(tb, table, []string{name})
	values := make([]float64, len(rows))
	for i, row := range rows {
		values[i] = row[0]
	}
	return values
}

// Worst checks quantities against the reference, each within a tolerance,
// and keeps the largest disagreement, which a test logs so that a drift
// towards the tolerance shows before it fails.
type Worst struct {
	Diff float64
}

// Abs checks that got is within tolerance of want.
func (w *Worst) Abs(tb testing.TB, what string, got, want, tolerance float64) {
	tb.Helper()
	w.check(tb, what, got, want, math.Abs(got-want), tolerance)
}

// Rel checks that got is within tolerance of want relative to |want|.
func (w *Worst) Rel(tb testing.TB, what string, got, want, tolerance float64) {
	tb.Helper()
	w.check(tb, what, got, want, math.Abs(got-want)/math.Abs(want), tolerance)
}

func (w *Worst) check(tb testing.TB, what string, got, want, diff, tolerance float64) {
	tb.Helper()
	// Written so that a NaN difference fails.
	if !(diff <= tolerance) {
		tb.Errorf("%s = %.10g, want %.10g (diff %.2g > %g)", what, got, want, diff, tolerance)
	}
	if diff > w.Diff {
		w.Diff = diff
	}
}
