// Command gendata writes a synthetic survey data set for the analysis
// benchmarks: Likert items (1–5) driven by a few correlated factors, with a
// share of cells missing (NA). The same seed gives the same file.
//
//	go run ./analysis/bench/gendata -rows 1000000 -items 50 > big.csv
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/canvass-survey/canvass/analysis/internal/synth"
)

func main() {
	rows := flag.Int("rows", 2500, "number of rows")
	items := flag.Int("items", 50, "number of items")
	factors := flag.Int("factors", 5, "number of factors behind the items")
	missing := flag.Float64("missing", 0.005, "share of cells left missing")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := synth.Likert(os.Stdout, *rows, *items, *factors, *missing, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}
