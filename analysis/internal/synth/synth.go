// Package synth writes the synthetic survey data sets of the analysis
// benchmarks: Likert items (1–5) driven by a few correlated factors, with a
// share of cells missing (NA). The same seed gives the same file.
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// Likert writes a header q01, q02, ... and rows × items answers. Each item
// loads 0.6 on one of factors factors; factors correlate 0.3 through a
// shared general component.
func Likert(w io.Writer, rows, items, factors int, missing float64, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 2))
	bw := bufio.NewWriterSize(w, 1<<20)
	for j := 0; j < items; j++ {
		if j > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, "q%02d", j+1)
	}
	bw.WriteByte('\n')
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
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
