package dataset

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// likertCSV is rows × items of integer answers 1–5 with 0.5% NA.
func likertCSV(rows, items int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for j := 0; j < items; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "q%d", j)
	}
	b.WriteByte('\n')
	for r := 0; r < rows; r++ {
		for j := 0; j < items; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			if rng.Float64() < 0.005 {
				b.WriteString("NA")
			} else {
				b.WriteByte(byte('1' + rng.IntN(5)))
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func BenchmarkScanNumeric(b *testing.B) {
	data := likertCSV(20000, 50)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_, err := ScanNumeric(bytes.NewReader(data), nil, func([]float64) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/20000, "ns/row")
}
