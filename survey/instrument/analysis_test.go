package instrument

import (
	"errors"
	"strings"
	"testing"
)

// editDefault returns the default questionnaire with edits applied: pairs
// of an old text, whose first occurrence must exist, and its replacement.
// An empty old appends the new text to the file (to analysis.figures).
func editDefault(tb testing.TB, edits ...string) []byte {
	tb.Helper()
	src := string(defaultYAML)
	for i := 0; i+1 < len(edits); i += 2 {
		old, repl := edits[i], edits[i+1]
		if old == "" {
			src += repl
			continue
		}
		if !strings.Contains(src, old) {
			tb.Fatalf("default.yaml has no %q", old)
		}
		src = strings.Replace(src, old, repl, 1)
	}
	return []byte(src)
}

// Frequently edited lines of the default analysis; the first occurrence of
// each is in its first model.
const (
	model0Predictors = "predictors: [participation, shared_goals, political_trust, log(population), tech_capacity]"
	model0FormOfGov  = "{var: form_of_government, reference: mayor-council}"
	model0Outcome    = "type: ologit\n      outcome: provide_city_depts"
	trustScale       = "items: [political_trust_1, political_trust_2, political_trust_3]}"
	participationEnd = "items: [participation_1, participation_2, participation_3, participation_4]}"
	beforeDescr      = "  descriptives:\n"
)

// withPredictor adds a predictor to the first model.
func withPredictor(p string) []string {
	return []string{model0Predictors, strings.TrimSuffix(model0Predictors, "]") + ", " + p + "]"}
}

// withCategorical adds a categorical variable to the first model.
func withCategorical(cat string) []string {
	return []string{model0FormOfGov, model0FormOfGov + "\n        - " + cat}
}

// withEFA replaces the whole default analysis, from its EFA on, by an EFA
// alone with the given items and one factor marked by the first: the
// models and figures would only repeat that its factors are gone.
func withEFA(extra string, items ...string) []string {
	rest := string(defaultYAML[strings.Index(string(defaultYAML), "  efa:\n"):])
	return []string{rest, "  efa:\n    items: [" + strings.Join(items, ", ") + "]\n    factors: [{name: f1, marker: " + items[0] + "}]\n" + extra}
}

// analysisErrorCases are broken analysis sections and the problems they
// give: each problem's path and a word of its message, nothing more.
var analysisErrorCases = []struct {
	name  string
	edits []string
	want  []Problem
}{
	// EFA
	{"efa unknown item", []string{"political_trust_2, political_trust_3]\n", "political_trust_2, political_trust_9]\n"}, []Problem{{"analysis.efa.items[10]", `unknown item "political_trust_9"`}}},
	{"efa text item", []string{"shared_goals_3, shared_goals_4,", "shared_goals_3, job_title,"}, []Problem{{"analysis.efa.items[7]", "text question"}}},
	{"efa multi item", []string{"shared_goals_3, shared_goals_4,", "shared_goals_3, social_media_use,"}, []Problem{{"analysis.efa.items[7]", "multi question"}}},
	{"efa matrix id", []string{"shared_goals_3, shared_goals_4,", "shared_goals_3, provide_data,"}, []Problem{{"analysis.efa.items[7]", "matrix question; name one of its rows"}}},
	{"efa repeated item", []string{"shared_goals_3, shared_goals_4,", "shared_goals_3, shared_goals_3,"}, []Problem{{"analysis.efa.items[7]", "repeats analysis.efa.items[6]"}}},
	{"efa marker not an item", []string{"marker: political_trust_1,", "marker: tech_capacity_1,"}, []Problem{{"analysis.efa.factors[2].marker", "not one of analysis.efa.items"}}},
	{"efa markers repeat", []string{"marker: shared_goals_1,", "marker: participation_1,"}, []Problem{{"analysis.efa.factors[1].marker", "already marks analysis.efa.factors[0]"}}},
	{"efa number item, polychoric", withEFA("    correlation: polychoric\n", "participation_1", "participation_2", "years_in_position"), []Problem{{"analysis.efa.items[2]", "polychoric correlations need items with options"}}},
	{"efa two items", withEFA("", "participation_1", "participation_2"), []Problem{{"analysis.efa.items", "at least 3 items, not 2"}}},
	{"efa as many factors as items", []string{"items: [participation_1, participation_2, participation_3, participation_4,\n            shared_goals_1, shared_goals_2, shared_goals_3, shared_goals_4,\n            political_trust_1, political_trust_2, political_trust_3]",
		"items: [participation_1, shared_goals_1, political_trust_1]"}, []Problem{{"analysis.efa.factors", "fewer factors than items"}}},
	{"efa negative degrees of freedom", []string{"items: [participation_1, participation_2, participation_3, participation_4,\n            shared_goals_1, shared_goals_2, shared_goals_3, shared_goals_4,\n",
		"items: [participation_1, shared_goals_1,\n"}, []Problem{{"analysis.efa.factors", "not identified (at most 2 factors here)"}}},

	// Names of scales and factors
	{"scale named like an item", []string{"{name: participation_scale,", "{name: job_title,"}, []Problem{{"analysis.scales[0].name", "already an item's id"}}},
	{"scale named like a factor", []string{"{name: participation_scale,", "{name: participation,"}, []Problem{{"analysis.scales[0].name", "repeats analysis.efa.factors[0].name"}}},
	{"scale named like a frame field", []string{"{name: participation_scale,", "{name: state,"}, []Problem{{"analysis.scales[0].name", "sample frame field"}}},
	{"two scales, one name", []string{"{name: shared_goals_scale,", "{name: participation_scale,"}, []Problem{{"analysis.scales[1].name", "repeats analysis.scales[0].name"}}},
	{"item named like a frame field", []string{"id: job_title", "id: city"}, []Problem{{"pages[0].questions[1].id", "sample frame field"}}},

	// Scales
	{"scale of one item", []string{trustScale, "items: [political_trust_1]}"}, []Problem{{"analysis.scales[2].items", "at least 2 items, not 1"}}},
	{"scale repeats an item", []string{trustScale, "items: [political_trust_1, political_trust_1, political_trust_3]}"}, []Problem{{"analysis.scales[2].items[1]", "repeats analysis.scales[2].items[0]"}}},
	{"scale unknown item", []string{"tech_capacity_5]}", "tech_capacity_6]}"}, []Problem{{"analysis.scales[3].items[4]", `unknown item "tech_capacity_6"`}}},
	{"scale textarea item", []string{"provide_private]}", "comments]}"}, []Problem{{"analysis.scales[4].items[2]", "textarea question"}}},
	{"scale reverse not an item of it", []string{participationEnd, strings.TrimSuffix(participationEnd, "}") + ", reverse: [tech_capacity_1]}"}, []Problem{{"analysis.scales[0].reverse[0]", "not one of the scale's items"}}},
	{"scale reverse repeats", []string{participationEnd, strings.TrimSuffix(participationEnd, "}") + ", reverse: [participation_2, participation_2]}"}, []Problem{{"analysis.scales[0].reverse[1]", "repeats"}}},
	{"scale reverse of an unbounded number", []string{"        min: 0\n        max: 60\n", "        min: 0\n", participationEnd, "items: [participation_1, years_in_position], reverse: [years_in_position]}"},
		[]Problem{{"analysis.scales[0].reverse[0]", "no range to reverse"}}},
	{"scale min_answered above its items", []string{trustScale, strings.TrimSuffix(trustScale, "}") + ", min_answered: 4}"}, []Problem{{"analysis.scales[2].min_answered", "4 is more than the scale's 3 items"}}},

	// Models: outcomes
	{"ologit outcome a scale", []string{"outcome: provide_city_depts", "outcome: provide_index"}, []Problem{{"analysis.models[0].outcome", "not ordinal"}}},
	{"ologit outcome a number", []string{"outcome: provide_city_depts", "outcome: years_in_position"}, []Problem{{"analysis.models[0].outcome", "not ordinal"}}},
	{"ologit outcome a multi", []string{"outcome: provide_city_depts", "outcome: online_services"}, []Problem{{"analysis.models[0].outcome", "not ordinal"}}},
	{"ologit outcome unknown", []string{"outcome: provide_city_depts", "outcome: provide_citydepts"}, []Problem{{"analysis.models[0].outcome", `unknown variable "provide_citydepts"`}}},
	{"ols outcome a text", []string{model0Outcome, "type: ols\n      outcome: job_title"}, []Problem{{"analysis.models[0].outcome", "not numeric"}}},
	{"ols outcome a frame field", []string{model0Outcome, "type: ols\n      outcome: population"}, []Problem{
		{"analysis.models[0].outcome", "sample frame field"},
		{"analysis.models[0].predictors[3]", `"population" is the model's outcome`},
	}},

	// Models: predictors
	{"unknown transform", []string{"log(population)", "exp(population)"}, []Problem{{"analysis.models[0].predictors[3]", "not a predictor"}}},
	{"predictor a categorical frame field", withPredictor("state"), []Problem{{"analysis.models[0].predictors[5]", "not numeric: it is a categorical frame field"}}},
	{"predictor a text", withPredictor("job_title"), []Problem{{"analysis.models[0].predictors[5]", "not numeric: it is a text question"}}},
	{"predictor unknown", withPredictor("budget"), []Problem{{"analysis.models[0].predictors[5]", `unknown variable "budget"`}}},
	{"predictor the outcome", withPredictor("provide_city_depts"), []Problem{{"analysis.models[0].predictors[5]", "outcome"}}},
	{"predictor repeated", withPredictor("tech_capacity"), []Problem{{"analysis.models[0].predictors[5]", "repeats analysis.models[0].predictors[4]"}}},
	{"log of codes from 0", withPredictor("log(receive_private)"), []Problem{{"analysis.models[0].predictors[5]", "can be 0, where log is undefined"}}},
	{"log of a scale coded from 0", withPredictor("log(provide_index)"), []Problem{{"analysis.models[0].predictors[5]", "can be 0, where log is undefined"}}},
	{"sqrt of a negative code", []string{"{value: 1, label: Much more slowly}", "{value: -1, label: Much more slowly}", model0Predictors, strings.TrimSuffix(model0Predictors, "]") + ", sqrt(tech_adoption)]"},
		[]Problem{{"analysis.models[0].predictors[5]", "can be -1, where sqrt is undefined"}}},
	{"log of a factor", withPredictor("log10(participation)"), []Problem{{"analysis.models[0].predictors[5]", "factor"}}},
	{"model with nothing on the right", []string{beforeDescr, "    - {id: empty, type: ols, outcome: provide_index}\n" + beforeDescr}, []Problem{{"analysis.models[3]", "needs predictors or categorical"}}},
	{"model id repeated", []string{beforeDescr, "    - {id: provide_private, type: ols, outcome: provide_index, predictors: [participation]}\n" + beforeDescr}, []Problem{{"analysis.models[3].id", "repeats analysis.models[2]"}}},

	// Models: categorical variables
	{"categorical city", []string{model0FormOfGov, "{var: city}"}, []Problem{{"analysis.models[0].categorical[1].var", "cluster by city"}}},
	{"categorical multi", withCategorical("{var: social_media_use}"), []Problem{{"analysis.models[0].categorical[2].var", "cannot be categorical"}}},
	{"categorical matrix row", withCategorical("{var: tech_capacity_1}"), []Problem{{"analysis.models[0].categorical[2].var", "cannot be categorical: it is a matrix row"}}},
	{"categorical unknown", withCategorical("{var: region}"), []Problem{{"analysis.models[0].categorical[2].var", `unknown variable "region"`}}},
	{"categorical and numeric", withCategorical("{var: tech_capacity}"), []Problem{{"analysis.models[0].categorical[2].var", "already a numeric predictor at analysis.models[0].predictors[4]"}}},
	{"categorical repeated", withCategorical("{var: department}"), []Problem{{"analysis.models[0].categorical[2].var", "repeats analysis.models[0].categorical[0]"}}},
	{"categorical the outcome", withCategorical("{var: provide_city_depts}"), []Problem{{"analysis.models[0].categorical[2].var", "outcome"}}},
	{"department reference not a department", []string{`reference: "Mayor's Office"`, "reference: Fire"}, []Problem{{"analysis.models[0].categorical[0].reference", "not a level"}}},
	{"department reference misspelt", []string{`reference: "Mayor's Office"`, "reference: mayor's office"}, []Problem{{"analysis.models[0].categorical[0].reference", `is spelt "Mayor's Office" in frame.departments`}}},
	{"form of government reference", []string{"reference: mayor-council", "reference: strong mayor"}, []Problem{{"analysis.models[0].categorical[1].reference", "not a level: it is not one of frame.forms_of_government"}}},
	{"item reference not a label", withCategorical("{var: staff_supervised, reference: Nobody}"), []Problem{{"analysis.models[0].categorical[2].reference", `option labels of "staff_supervised"`}}},

	// Descriptives
	{"frequency items with other codes", []string{"receive_other_govs, receive_private]", "receive_other_govs, tech_capacity_1]"}, []Problem{{"analysis.descriptives.frequencies[1].items[2]", "share their options"}}},
	{"frequency of a number", []string{"receive_other_govs, receive_private]", "receive_other_govs, years_in_position]"}, []Problem{{"analysis.descriptives.frequencies[1].items[2]", "needs items with options"}}},
	{"frequency of an unknown item", []string{"receive_other_govs, receive_private]", "receive_other_govs, receive_public]"}, []Problem{{"analysis.descriptives.frequencies[1].items[2]", "unknown item"}}},
	{"descriptive ids repeat", []string{"{id: provide_by_department,", "{id: provide,"}, []Problem{
		{"analysis.descriptives.means[0].id", "repeats analysis.descriptives.frequencies[0].id"},
		{"analysis.figures[1].means[0]", `unknown mean "provide_by_department"`},
	}},
	{"mean of a text", []string{"variable: provide_index", "variable: job_title"}, []Problem{{"analysis.descriptives.means[0].variable", "not numeric"}}},
	{"mean at level 1", []string{"by: department}", "by: department, level: 1}"}, []Problem{{"analysis.descriptives.means[0].level", "must be less than 1"}}},

	// Figures
	{"figure id repeated", []string{"id: figure2", "id: figure1"}, []Problem{{"analysis.figures[1].id", "repeats analysis.figures[0]"}}},
	{"frequencies figure with means", []string{"frequencies: [provide, receive]\n", "frequencies: [provide, receive]\n      means: [provide_by_department]\n"}, []Problem{{"analysis.figures[0].means", "not drawn by a frequencies figure"}}},
	{"means figure without means", []string{"      means: [provide_by_department]\n", ""}, []Problem{{"analysis.figures[1].means", "needs means"}}},
	{"unknown frequency table", []string{"frequencies: [provide, receive]", "frequencies: [provide, recieve]"}, []Problem{{"analysis.figures[0].frequencies[1]", `unknown frequency table "recieve"`}}},
	{"unknown model", []string{"models: [provide_city_depts, provide_other_govs, provide_private]", "models: [provide_city_depts, provide_public]"}, []Problem{{"analysis.figures[2].models[1]", `unknown model "provide_public"`}}},
	{"term not a predictor", []string{"terms: [participation, shared_goals, political_trust]", "terms: [participation, population]"}, []Problem{{"analysis.figures[2].terms[1]", `"population" is not a predictor of models "provide_city_depts", "provide_other_govs", "provide_private"`}}},
	{"coefficients without terms", []string{"      terms: [participation, shared_goals, political_trust]\n", ""}, []Problem{{"analysis.figures[2].terms", "needs terms"}}},
	{"predictor renamed under a figure", []string{"predictors: [participation,", "predictors: [participaton,"}, []Problem{
		{"analysis.models[0].predictors[0]", `unknown variable "participaton"`},
		{"analysis.figures[2].terms[0]", `not a predictor of model "provide_city_depts"`},
	}},

	{"negative min_cases", []string{"min_cases: 50", "min_cases: -1"}, []Problem{{"analysis.min_cases", "must be at least 0"}}},

	// Weighting
	{"weighting on an unknown variable", []string{"variables: [department, population_band,", "variables: [department, city,"}, []Problem{{"analysis.weighting.variables[1]", `"city" cannot weight`}}},
	{"weighting variable twice", []string{"variables: [department, population_band,", "variables: [department, department,"}, []Problem{{"analysis.weighting.variables[1]", "repeats"}}},
	{"trim one bound", []string{"variables: [department, population_band, form_of_government]", "variables: [department]\n    trim: [0.5]"}, []Problem{{"analysis.weighting.trim", "two bounds around 1"}}},
	{"trim bounds not around 1", []string{"variables: [department, population_band, form_of_government]", "variables: [department]\n    trim: [1.5, 3]"}, []Problem{{"analysis.weighting.trim", "0 < lower < 1 < upper"}}},
	{"too many raking sweeps", []string{"variables: [department, population_band, form_of_government]", "variables: [department]\n    max_iterations: 5000"}, []Problem{{"analysis.weighting.max_iterations", "1000"}}},
}

func TestParse_AnalysisErrors(t *testing.T) {
	for _, tt := range analysisErrorCases {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Parse("x.yaml", editDefault(t, tt.edits...))
			var le *LoadError
			if in != nil || !errors.As(err, &le) {
				t.Fatalf("Parse = %v, %v; want a *LoadError", in != nil, err)
			}
			if !sameProblems(le.Problems, tt.want) {
				t.Errorf("got\n%s\nwant one problem for each of\n%v", err, tt.want)
			}
		})
	}
}

// sameProblems reports whether got has exactly one problem for each of
// want: the same path, a message that contains want's.
func sameProblems(got, want []Problem) bool {
	if len(got) != len(want) {
		return false
	}
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for i, g := range got {
			if !used[i] && g.Path == w.Path && strings.Contains(g.Message, w.Message) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// analysisOKCases are edits of the default analysis that must still load:
// the edges of what the checks allow.
var analysisOKCases = []struct {
	name  string
	edits []string
}{
	{"ols of a scale", []string{model0Outcome, "type: ols\n      outcome: provide_index"}},
	{"ols of a number, by a factor", []string{model0Outcome, "type: ols\n      outcome: years_in_position"}},
	{"log and sqrt of a scale coded from 1", withPredictor("log(shared_goals_scale), sqrt(political_trust_scale)")},
	{"sqrt of codes from 0", withPredictor("sqrt(receive_private)")},
	{"a number and a dropdown as predictors", withPredictor("years_in_position, staff_supervised")},
	{"a dropdown, categorical, with a label as reference", withCategorical("{var: staff_supervised, reference: None}")},
	{"a single item, categorical, by its first level", withCategorical("{var: tech_adoption}")},
	{"state with any reference", withCategorical("{var: state, reference: AZ}")},
	{"categorical alone", []string{beforeDescr, "    - {id: by_department, type: ologit, outcome: provide_private, categorical: [{var: department}], cluster: state}\n" + beforeDescr}},
	{"reverse-keyed items, all of them answered", []string{trustScale, "items: [political_trust_1, political_trust_2, political_trust_3], reverse: [political_trust_2], min_answered: 3, score: sum}"}},
	{"a scale of a number with a range", []string{trustScale, "items: [political_trust_1, years_in_position], reverse: [years_in_position]}"}},
	{"polychoric EFA", []string{"    method: minres\n", "    method: minres\n    correlation: polychoric\n    missing: listwise\n"}},
	{"one factor", withEFA("", "participation_1", "participation_2", "participation_3")},
	{"mean of a frame field at 90%", []string{"variable: provide_index, by: department}", "variable: population, by: state, level: 0.9}"}},
}

func TestParse_AnalysisOK(t *testing.T) {
	for _, tt := range analysisOKCases {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse("x.yaml", editDefault(t, tt.edits...)); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestVariableKind(t *testing.T) {
	in := Default()
	for name, want := range map[string]string{
		"participation":       KindFactor,
		"tech_capacity":       KindScale, // the scale, not the matrix of the same id
		"provide_index":       KindScale,
		"provide_private":     KindItem,
		"tech_capacity_1":     KindItem,
		"comments":            KindItem,
		"population":          KindFrame,
		"city":                KindFrame,
		"form_of_government":  KindFrame,
		"provide_data":        "", // a matrix: its rows are the items
		"provide_city_depts ": "",
		"log(population)":     "", // a predictor, not a variable
		"":                    "",
	} {
		if got := in.VariableKind(name); got != want {
			t.Errorf("VariableKind(%q) = %q, want %q", name, got, want)
		}
	}
	// Without an analysis section there are neither scales nor factors.
	good := mustLoad(t, "good.yaml")
	if good.Analysis != nil {
		t.Fatal("good.yaml has an analysis section")
	}
	for name, want := range map[string]string{"color": KindItem, "participation": "", "state": KindFrame} {
		if got := good.VariableKind(name); got != want {
			t.Errorf("good.yaml: VariableKind(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestSplitTransform(t *testing.T) {
	for _, tt := range []struct {
		in              string
		transform, name string
		ok              bool
	}{
		{"tech_capacity", "", "tech_capacity", true},
		{"log(population)", "log", "population", true},
		{"log10(population)", "log10", "population", true},
		{"sqrt(years_in_position)", "sqrt", "years_in_position", true},
		{"", "", "", true}, // nothing to split: the required tag refuses it
		{"exp(population)", "", "", false},
		{"LOG(population)", "", "", false},
		{" log(population)", "", "", false},
		{"(population)", "", "", false},
		{"log()", "", "", false},
		{"log(population", "", "", false},
		{"population)", "", "", false},
		{"log(population))", "", "", false},
		{"log(sqrt(population))", "", "", false},
		{"log(population)x", "", "", false},
	} {
		transform, name, ok := SplitTransform(tt.in)
		if transform != tt.transform || name != tt.name || ok != tt.ok {
			t.Errorf("SplitTransform(%q) = %q, %q, %v; want %q, %q, %v", tt.in, transform, name, ok, tt.transform, tt.name, tt.ok)
		}
	}
}
