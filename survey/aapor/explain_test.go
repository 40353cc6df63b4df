package aapor

import (
	"encoding/json"
	"slices"
	"testing"
)

// The explanations name each of the sixteen rates once, and Named finds
// each of them in the JSON's field of the same name.
func TestRatesExplained(t *testing.T) {
	r := Counts{I: 400, P: 50, R: 100, NC: 80, O: 20, UO: 150, NE: 50}.Rates(0.8)
	var fields map[string]*float64
	b, _ := json.Marshal(r)
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, info := range slices.Concat(MainRates, OtherRates) {
		names = append(names, info.Name)
		got, want := r.Named(info.Name), fields[info.Name]
		if got == nil || want == nil || *got != *want || info.Formula == "" {
			t.Errorf("%s: Named %v, JSON %v, formula %q", info.Name, got, want, info.Formula)
		}
	}
	slices.Sort(names)
	if len(names) != len(fields) || len(slices.Compact(names)) != len(fields) {
		t.Errorf("explained %v, the rates are %d", names, len(fields))
	}
	for _, info := range MainRates {
		if info.Meaning == "" {
			t.Errorf("%s is shown first without words", info.Name)
		}
	}
}
