package reliability

import (
	"math"
	"testing"
)

// FuzzCronbachAlpha feeds arbitrary small scales (three items scored 0-5,
// 6 and 7 meaning missing): the result is an error or finite numbers, never
// a panic.
func FuzzCronbachAlpha(f *testing.F) {
	f.Add([]byte{1, 2, 3, 2, 3, 4, 3, 4, 5, 1, 1, 2}, false)
	f.Add([]byte{1, 1, 7, 2, 2, 6, 3, 3, 1, 4, 4, 2}, true)
	f.Fuzz(func(t *testing.T, data []byte, reverseFirst bool) {
		items := []string{"a", "b", "c"}
		var rows [][]float64
		for i := 0; i+3 <= len(data); i += 3 {
			row := make([]float64, 3)
			for j, b := range data[i : i+3] {
				row[j] = float64(b % 8)
				if row[j] > 5 {
					row[j] = math.NaN()
				}
			}
			rows = append(rows, row)
		}
		var reverse []string
		if reverseFirst {
			reverse = items[:1]
		}
		a, err := CronbachAlpha(items, rows, reverse)
		if err != nil {
			return
		}
		values := append([]float64{a.Raw, a.Standardized, a.G6, a.AverageR}, a.IfDropped...)
		for _, v := range append(values, a.ItemRest...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite result %+v", a)
			}
		}
	})
}
