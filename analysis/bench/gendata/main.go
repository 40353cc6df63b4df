// Command gendata writes a synthetic survey data set for the analysis
// benchmarks: Likert items (1–5) driven by a few correlated factors, with a
// share of cells missing (NA). The same seed gives the same file.
//
//	go run ./analysis/bench/gendata -rows 1000000 -items 50 > big.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	rows := flag.Int("rows", 2500, "number of rows")
	items := flag.Int("items", 50, "number of items")
	factors := flag.Int("factors", 5, "number of factors behind the items")
	missing := flag.Float64("missing", 0.005, "share of cells left missing")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := write(os.Stdout, *rows, *items, *factors, *missing, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

func write(f *os.File, rows, items, factors int, missing float64, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 2))
	w := bufio.NewWriterSize(f, 1<<20)
	for j := 0; j < items; j++ {
		if j > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, "q%02d", j+1)
	}
	w.WriteByte('\n')
	// Each item loads 0.6 on its own factor; factors correlate 0.3 through a
	// shared general component.
	scores := make([]float64, factors)
	var buf []byte
	for r := 0; r < rows; r++ {
		general := rng.NormFloat64()
		for k := range scores {
			scores[k] = math.Sqrt(0.3)*general + math.Sqrt(0.7)*rng.NormFloat64()
		}
		buf = buf[:0]
		for j := 0; j < items; j++ {
			if j > 0 {
				buf = append(buf, ',')
			}
			if rng.Float64() < missing {
				buf = append(buf, "NA"...)
				continue
			}
			latent := 0.6*scores[j%factors] + 0.8*rng.NormFloat64()
			v := 3 + int(math.Round(latent*1.2))
			buf = strconv.AppendInt(buf, int64(max(1, min(5, v))), 10)
		}
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return w.Flush()
}
