package weighting

import (
	"strconv"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/synth"
)

// BenchmarkRake rakes the respondents of a simulated frame from N/n to the
// frame's counts of department, population band and form of government, as
// the nightly run does, at the first survey's size and forty times larger.
func BenchmarkRake(b *testing.B) {
	for _, cases := range []int{2500, 100_000} {
		f := synth.SampleFrame(cases, 1)
		var margins []Margin
		for _, v := range []struct {
			name           string
			levels, values []string
		}{
			{"department", synth.Departments, f.Department},
			{"population_band", synth.Bands, f.Band},
			{"form_of_government", synth.Forms, f.Form},
		} {
			m := Margin{Name: v.name, Levels: v.levels, Population: make([]float64, len(v.levels))}
			for i, value := range v.values {
				for k, level := range v.levels {
					if value == level {
						m.Population[k]++
					}
				}
				if f.Responded[i] {
					m.Values = append(m.Values, value)
				}
			}
			margins = append(margins, m)
		}
		b.Run(strconv.Itoa(cases), func(b *testing.B) {
			b.ReportAllocs()
			var iterations int
			for b.Loop() {
				r, err := Rake(margins, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if !r.Converged {
					b.Fatal(r.Reason)
				}
				iterations = r.Iterations
			}
			b.ReportMetric(float64(iterations), "sweeps")
		})
	}
}
