// Package weights turns the sample frame and the cases' dispositions into
// what analysis/represent and analysis/weighting compute with: the frame
// variables the questionnaire's weighting names, with their levels in
// reference order, for the representativeness shown on the Progress page
// and for the weights of the nightly results and the export.
package weights

import (
	"slices"

	"github.com/canvass-survey/canvass/analysis/represent"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// frameVariable is one weighting variable: how a case's stratum gives its
// level, and every level it can have in reference order.
type frameVariable struct {
	name   string
	levels []string
	value  func(aapor.Strata) string
}

// variablesOf returns the questionnaire's weighting variables.
func variablesOf(in *instrument.Instrument) []frameVariable {
	names := instrument.WeightingOf(in.Analysis).Variables
	out := make([]frameVariable, len(names))
	for i, name := range names {
		out[i] = frameVariableNamed(name, in)
	}
	return out
}

func frameVariableNamed(name string, in *instrument.Instrument) frameVariable {
	switch name {
	case "department":
		return frameVariable{name, in.Frame.Departments, func(s aapor.Strata) string { return s.Department }}
	case "form_of_government":
		return frameVariable{name, in.Frame.FormsOfGovernment, func(s aapor.Strata) string { return s.FormOfGovernment }}
	case "region":
		return frameVariable{name, Regions, func(s aapor.Strata) string { return Region(s.State) }}
	}
	bands := make([]string, len(aapor.PopulationBands))
	for i, b := range aapor.PopulationBands {
		bands[i] = b.Label
	}
	return frameVariable{"population_band", bands, func(s aapor.Strata) string { return aapor.PopulationBand(s.Population) }}
}

// columns builds the model's variables for cases: a case whose frame leaves
// a variable empty, or gives a value outside its levels, is at level
// aapor.Unknown, last. Levels no case has are left out, so that the
// reference is the first level present and no empty level warns.
func columns(vars []frameVariable, cases []aapor.Strata) []represent.Variable {
	out := make([]represent.Variable, len(vars))
	for v, fv := range vars {
		values := make([]string, len(cases))
		present := map[string]bool{}
		for i, s := range cases {
			values[i] = fv.value(s)
			if !slices.Contains(fv.levels, values[i]) {
				values[i] = aapor.Unknown
			}
			present[values[i]] = true
		}
		var levels []string
		for _, l := range append(slices.Clone(fv.levels), aapor.Unknown) {
			if present[l] {
				levels = append(levels, l)
			}
		}
		out[v] = represent.Variable{Name: fv.name, Levels: levels, Values: values}
	}
	return out
}

// Regions are the Census Bureau's four regions, the reference first.
var Regions = []string{"Northeast", "Midwest", "South", "West"}

// Region is the Census region of a state's two-letter code ("" when the
// code is none of the 50 states and DC).
func Region(state string) string {
	return regionOf[state]
}

var regionOf = func() map[string]string {
	m := map[string]string{}
	for region, states := range map[string][]string{
		"Northeast": {"CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"},
		"Midwest":   {"IL", "IN", "MI", "OH", "WI", "IA", "KS", "MN", "MO", "NE", "ND", "SD"},
		"South":     {"DE", "DC", "FL", "GA", "MD", "NC", "SC", "VA", "WV", "AL", "KY", "MS", "TN", "AR", "LA", "OK", "TX"},
		"West":      {"AZ", "CO", "ID", "MT", "NV", "NM", "UT", "WY", "AK", "CA", "HI", "OR", "WA"},
	} {
		for _, s := range states {
			m[s] = region
		}
	}
	return m
}()
