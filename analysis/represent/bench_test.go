package represent

import (
	"strconv"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/synth"
)

// BenchmarkFit fits the default propensity model (department, population
// band, form of government) and its indicators on the first survey's size
// and on a frame forty times larger.
func BenchmarkFit(b *testing.B) {
	for _, cases := range []int{2500, 100_000} {
		f := synth.SampleFrame(cases, 1)
		vars := []Variable{
			{Name: "department", Levels: synth.Departments, Values: f.Department},
			{Name: "population_band", Levels: synth.Bands, Values: f.Band},
			{Name: "form_of_government", Levels: synth.Forms, Values: f.Form},
		}
		b.Run(strconv.Itoa(cases), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Fit(vars, f.Responded); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
