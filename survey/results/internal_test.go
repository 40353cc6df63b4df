package results

import (
	"math"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/instrument"
)

// withScales is the default questionnaire with its analysis section's
// scales replaced by yaml.
func withScales(t *testing.T, yaml string) *instrument.Instrument {
	t.Helper()
	y := string(instrument.DefaultYAML())
	start := strings.Index(y, "\n  scales:\n")
	end := strings.Index(y, "\n  models:\n")
	in, err := instrument.Parse("scales.yaml", []byte(y[:start]+"\n  scales:\n"+yaml+y[end:]))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// Reverse-keyed items are turned over their range: an option item's
// codes, a number question's min and max.
func TestScaleScoresReverseKeys(t *testing.T) {
	in := withScales(t, `    - {name: tenure, items: [years_in_position, tech_capacity_1], reverse: [years_in_position], score: sum}
    - {name: capacity, items: [tech_capacity_1, tech_capacity_2, tech_capacity_3], reverse: [tech_capacity_2], min_answered: 2}
    - {name: participation_scale, items: [participation_1, participation_2]}
    - {name: shared_goals_scale, items: [shared_goals_1, shared_goals_2]}
    - {name: political_trust_scale, items: [political_trust_1, political_trust_2]}
    - {name: tech_capacity, items: [tech_capacity_1, tech_capacity_2]}
    - {name: provide_index, items: [provide_city_depts, provide_other_govs]}`)
	nan := math.NaN()
	tb := &table{ids: []string{"a", "b", "c"}, num: map[string][]float64{
		"years_in_position": {7, 60, nan},
		"tech_capacity_1":   {4, 1, 5},
		"tech_capacity_2":   {2, 5, nan},
		"tech_capacity_3":   {3, nan, nan},
	}}
	a := &analysis{in: in, spec: in.Analysis, t: tb}
	want := map[string][]float64{
		"tenure":   {(60 - 7) + 4, 0 + 1, 5},                      // 0+60−v; a sum of what is answered
		"capacity": {(4 + (6 - 2) + 3) / 3.0, (1 + 1) / 2.0, nan}, // 1+5−v; c answers one of three, under the minimum 2
	}
	for _, s := range in.Analysis.Scales[:2] {
		got := a.scaleScores(s)
		for i := range got {
			if w := want[s.Name][i]; !(got[i] == w || math.IsNaN(got[i]) && math.IsNaN(w)) {
				t.Errorf("%s row %d: %v, want %v", s.Name, i, got[i], w)
			}
		}
	}
}
