// Package resultstest holds a result of the nightly analysis of the default
// questionnaire, built by hand with realistic numbers, for the tests of
// what shows results: the figures, the report, the Results page.
package resultstest

import (
	"math"
	"time"

	"github.com/canvass-survey/canvass/analysis/report"
	"github.com/canvass-survey/canvass/survey/results"
)

// Finished is when the fixture's run ended.
var Finished = time.Date(2026, 6, 2, 3, 4, 12, 0, time.UTC)

// Result is an ok result of the default questionnaire: 742 of 2,500 cases
// used, the EFA of the eleven socio-political items (its columns in
// another order than the named factors, one of them reflected), the five
// scales, the three ordered logits of the brief's figure 3, the
// descriptives of figures 1 and 2, and what changed since the night before.
func Result() *results.Result {
	started := Finished.Add(-72 * time.Second)
	scheduled := Finished.Truncate(24 * time.Hour).Add(3 * time.Hour)
	return &results.Result{
		ID: "nightly-20260602T030000Z", Status: results.StatusOK, Trigger: results.TriggerSchedule,
		ScheduledFor: &scheduled, StartedAt: started, FinishedAt: &Finished,
		CodeVersion:   "v0.12.0-4-g1c2d3e4",
		Questionnaire: results.Questionnaire{ID: "tech_local_gov", Version: "2016.1", Hash: "9f2c61d0b7a4e8c3f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081"},
		Cases:         2500, N: 742,
		InputHash: "4b1e9a7c2d3f5e6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a",
		Options: results.Options{MinCases: 50, Dispositions: []string{"I", "P"}, Method: "minres", Rotation: "oblimin",
			Correlation: "pearson", Missing: "pairwise", Scores: "regression", Parallel: 20, Seed: 1, Level: 0.95},
		Warnings: []string{
			"model provide_private: 14 of 742 cases left out for missing answers",
			"efa: item political_trust_3 has a communality under .3",
		},
		EFA:          efa(),
		Factors:      factors(),
		Reliability:  reliability(),
		Models:       []results.Model{providing("provide_city_depts", "Other departments in the city", 0), providing("provide_other_govs", "Governmental organizations outside the city", 1), providing("provide_private", "Private organizations", 2)},
		Descriptives: descriptives(),
		Changes:      changes(),
	}
}

func num(v float64) report.Number       { return report.Number(v) }
func ptr(v float64) *report.Number      { n := report.Number(v); return &n }
func nums(v ...float64) []report.Number { return report.Numbers(v) }

// EFAItems are the EFA's items in its order.
var EFAItems = []string{"participation_1", "participation_2", "participation_3", "participation_4",
	"shared_goals_1", "shared_goals_2", "shared_goals_3", "shared_goals_4",
	"political_trust_1", "political_trust_2", "political_trust_3"}

// efa has its columns as the rotation left them: shared goals, then
// participation, then political trust reflected (its marker loads
// negatively).
func efa() *report.EFA {
	loadings := [][]float64{
		{0.04, 0.78, -0.02}, {0.08, 0.71, 0.05}, {-0.03, 0.66, -0.09}, {0.11, 0.58, -0.04},
		{0.81, 0.02, -0.03}, {0.74, 0.06, 0.01}, {0.69, -0.05, -0.11}, {0.55, 0.12, -0.07},
		{0.02, 0.05, -0.77}, {0.09, -0.02, -0.68}, {-0.04, 0.08, -0.49},
	}
	e := &report.EFA{N: 731, Items: EFAItems, Method: "minres", Rotation: "oblimin",
		Eigenvalues: nums(4.12, 1.61, 1.18, 0.71, 0.62, 0.55, 0.50, 0.46, 0.43, 0.41, 0.41),
		SSLoadings:  nums(2.17, 2.02, 1.31), ProportionVar: nums(0.197, 0.184, 0.119),
		Phi:     [][]report.Number{nums(1, 0.42, -0.29), nums(0.42, 1, -0.35), nums(-0.29, -0.35, 1)},
		ScoreR2: nums(0.87, 0.85, 0.79), MAP: nums(0.061, 0.034, 0.021, 0.029, 0.041, 0.057, 0.080, 0.112),
		Parallel: &report.Parallel{Iterations: 20, Seed: 1, NFactors: 3, NComponents: 3,
			SimFactors: nums(0.38, 0.21, 0.14, 0.08, 0.04, 0.00, -0.03, -0.07, -0.10, -0.13, -0.17),
			SimComps:   nums(1.27, 1.19, 1.13, 1.08, 1.03, 0.99, 0.95, 0.91, 0.87, 0.82, 0.76)},
		Warnings: []string{}}
	for _, row := range loadings {
		e.Loadings = append(e.Loadings, nums(row...))
		h2 := 0.0
		for _, l := range row {
			h2 += l * l
		}
		e.Communalities = append(e.Communalities, num(h2))
		e.Uniquenesses = append(e.Uniquenesses, num(1-h2))
		e.Complexity = append(e.Complexity, num(1.02+h2/10))
	}
	e.Fit.Chi2, e.Fit.DF, e.Fit.P, e.Fit.RMSEA = 41.2, 25, 0.022, 0.031
	e.Fit.RMSEACI = [2]report.Number{0.012, 0.047}
	e.Fit.TLI, e.Fit.BIC, e.Fit.RMSR = 0.987, -123.6, 0.021
	e.KMO.Overall = 0.84
	e.KMO.Items = nums(0.86, 0.85, 0.83, 0.87, 0.82, 0.84, 0.85, 0.81, 0.80, 0.83, 0.88)
	e.Bartlett.Chi2, e.Bartlett.DF, e.Bartlett.P = 3120.5, 55, 0
	return e
}

func factors() []results.Factor {
	return []results.Factor{
		{Name: "participation", Label: "Participation in decision-making", Marker: "participation_1", Column: 1, Sign: 1, Salient: 4},
		{Name: "shared_goals", Label: "Shared goals on open government", Marker: "shared_goals_1", Column: 0, Sign: 1, Salient: 4},
		{Name: "political_trust", Label: "Trust from political actors", Marker: "political_trust_1", Column: 2, Sign: -1, Salient: 3},
	}
}

func reliability() map[string]*report.Alpha {
	scale := func(n int, raw, std, avg, omega float64, items []string, dropped ...float64) *report.Alpha {
		a := &report.Alpha{N: n, RawAlpha: num(raw), StdAlpha: num(std), G6: num(raw - 0.02), AverageR: num(avg),
			AlphaIfDropped: nums(dropped...), Items: items, Reverse: []string{}, Warnings: []string{}}
		for range items {
			a.ItemRestR = append(a.ItemRestR, num(avg+0.1))
		}
		if omega > 0 {
			a.OmegaTotal = ptr(omega)
		}
		return a
	}
	return map[string]*report.Alpha{
		"participation_scale":   scale(731, 0.82, 0.82, 0.53, 0.84, EFAItems[0:4], 0.77, 0.76, 0.79, 0.80),
		"shared_goals_scale":    scale(728, 0.84, 0.85, 0.58, 0.86, EFAItems[4:8], 0.78, 0.80, 0.81, 0.83),
		"political_trust_scale": scale(735, 0.71, 0.72, 0.46, 0.73, EFAItems[8:11], 0.58, 0.61, 0.70),
		"tech_capacity": scale(739, 0.79, 0.80, 0.44, 0.81,
			[]string{"tech_capacity_1", "tech_capacity_2", "tech_capacity_3", "tech_capacity_4", "tech_capacity_5"}, 0.74, 0.75, 0.77, 0.76, 0.78),
		"provide_index": scale(698, 0.66, 0.67, 0.40, 0,
			[]string{"provide_city_depts", "provide_other_govs", "provide_private"}, 0.59, 0.52, 0.61),
	}
}

// providing is an ordered logit of how often data are provided to one kind
// of stakeholder (which picks the column of its coefficients), with
// standard errors clustered by city.
func providing(id, label string, which int) results.Model {
	terms := []struct {
		term         string
		est, se, cse [3]float64
	}{
		{"participation", [3]float64{0.412, 0.523, 0.781}, [3]float64{0.071, 0.074, 0.079}, [3]float64{0.078, 0.081, 0.088}},
		{"shared_goals", [3]float64{0.298, 0.341, 0.302}, [3]float64{0.069, 0.072, 0.076}, [3]float64{0.074, 0.079, 0.083}},
		{"political_trust", [3]float64{0.087, 0.356, 0.331}, [3]float64{0.066, 0.070, 0.073}, [3]float64{0.071, 0.077, 0.080}},
		{"log(population)", [3]float64{0.121, 0.208, 0.064}, [3]float64{0.082, 0.085, 0.089}, [3]float64{0.095, 0.101, 0.097}},
		{"tech_capacity", [3]float64{0.254, 0.187, 0.226}, [3]float64{0.088, 0.090, 0.094}, [3]float64{0.091, 0.096, 0.099}},
		{"department=Community Development", [3]float64{-0.412, -0.388, -0.195}, [3]float64{0.190, 0.195, 0.201}, [3]float64{0.200, 0.204, 0.209}},
		{"department=Parks and Recreation", [3]float64{-0.297, -0.512, -0.143}, [3]float64{0.193, 0.199, 0.204}, [3]float64{0.197, 0.210, 0.211}},
		{"department=Police", [3]float64{0.183, 0.472, -0.088}, [3]float64{0.188, 0.192, 0.199}, [3]float64{0.192, 0.198, 0.204}},
		{"department=Finance", [3]float64{-0.215, -0.301, -0.412}, [3]float64{0.191, 0.196, 0.203}, [3]float64{0.195, 0.203, 0.214}},
		{"form_of_government=council-manager", [3]float64{0.094, 0.051, 0.133}, [3]float64{0.140, 0.144, 0.149}, [3]float64{0.170, 0.176, 0.181}},
		{"form_of_government=commission", [3]float64{-0.120, 0.211, -0.064}, [3]float64{0.402, 0.414, 0.431}, [3]float64{0.420, 0.433, 0.452}},
	}
	m := &report.Model{Model: "ologit", N: []int{712, 706, 702}[which], LogLik: ptr([]float64{-958.4, -1012.7, -987.1}[which]),
		Clusters: 341, Warnings: []string{}}
	for _, t := range terms {
		est, se, cse := t.est[which], t.se[which], t.cse[which]
		z := est / se
		m.Coefficients = append(m.Coefficients, report.Coefficient{Term: t.term, Estimate: num(est), SE: num(se),
			Z: ptr(z), P: num(math.Erfc(math.Abs(z) / math.Sqrt2)), ClusterSE: ptr(cse)})
	}
	for k, zeta := range []float64{-2.31, -0.62, 0.71, 2.02} {
		m.Thresholds = append(m.Thresholds, report.Threshold{Term: []string{"0|1", "1|2", "2|3", "3|4"}[k],
			Estimate: num(zeta + 0.1*float64(which)), SE: num(0.21), ClusterSE: ptr(0.24)})
	}
	return results.Model{ID: id, Label: label, Outcome: id, Model: m}
}

var frequencyOptions = []string{"Never", "Less than monthly", "Monthly", "Weekly", "Daily"}

// item is an item's distribution from its counts of the five options.
func item(id, label string, missing int, counts ...int) results.ItemFrequency {
	f := results.ItemFrequency{Item: id, Label: label, Missing: missing}
	for _, c := range counts {
		f.N += c
	}
	for i, c := range counts {
		f.Counts = append(f.Counts, results.Count{Value: i, Label: frequencyOptions[i], Count: c, Percent: num(100 * float64(c) / float64(f.N))})
	}
	return f
}

// group is a group's mean with its t interval (df above 100).
func group(name string, n int, mean, sd float64) results.GroupMean {
	se := sd / math.Sqrt(float64(n))
	return results.GroupMean{Group: name, N: n, Mean: num(mean), SD: ptr(sd), SE: ptr(se), Lo: ptr(mean - 1.976*se), Hi: ptr(mean + 1.976*se)}
}

func descriptives() *results.Descriptives {
	const city, govs, private = "other departments in the city?", "governmental organizations outside the city?", "private for-profit and nonprofit organizations?"
	return &results.Descriptives{
		Frequencies: []results.FrequencySet{
			{ID: "provide", Label: "Providing data", Items: []results.ItemFrequency{
				item("provide_city_depts", city, 30, 28, 96, 160, 221, 207),
				item("provide_other_govs", govs, 36, 61, 214, 226, 128, 77),
				item("provide_private", private, 40, 142, 268, 175, 79, 38)}},
			{ID: "receive", Label: "Receiving data", Items: []results.ItemFrequency{
				item("receive_city_depts", city, 29, 19, 80, 170, 238, 206),
				item("receive_other_govs", govs, 35, 40, 170, 240, 170, 87),
				item("receive_private", private, 36, 96, 250, 200, 110, 50)}},
		},
		Means: []results.MeanSet{{ID: "provide_by_department", Label: "Average frequency of providing data", Variable: "provide_index",
			By: "department", Level: 0.95, Groups: []results.GroupMean{
				group("Mayor's Office", 148, 2.41, 0.81), group("Community Development", 152, 1.86, 0.84),
				group("Parks and Recreation", 139, 1.93, 0.79), group("Police", 161, 2.52, 0.77), group("Finance", 142, 1.97, 0.83)}}},
		Variables: []results.Variable{
			{Name: "provide_city_depts", Kind: "item", N: 712, Missing: 30, Mean: 2.74, SD: 1.08, Min: 0, Max: 4},
			{Name: "provide_index", Kind: "scale", N: 742, Missing: 0, Mean: 2.15, SD: 0.83, Min: 0, Max: 4},
			{Name: "participation", Kind: "factor", N: 731, Missing: 11, Mean: 0, SD: 0.92, Min: -2.61, Max: 2.13},
			{Name: "population", Kind: "frame", N: 742, Missing: 0, Mean: 71840, SD: 48210, Min: 25120, Max: 248900},
		},
	}
}

func changes() *results.Changes {
	d := func(from, to float64) results.Delta {
		return results.Delta{From: num(from), To: num(to), Delta: num(to - from)}
	}
	return &results.Changes{Since: "nightly-20260601T030000Z", SinceAt: Finished.Add(-24 * time.Hour), N: d(731, 742),
		Alphas: map[string]results.Delta{"participation_scale": d(0.818, 0.82), "shared_goals_scale": d(0.842, 0.84),
			"political_trust_scale": d(0.703, 0.71), "tech_capacity": d(0.79, 0.79), "provide_index": d(0.655, 0.66)},
		Congruence: map[string]report.Number{"participation": 0.998, "shared_goals": 0.997, "political_trust": 0.991},
		Coefficients: []results.CoefficientChange{
			{Model: "provide_city_depts", Term: "participation", Delta: d(0.405, 0.412)},
			{Model: "provide_other_govs", Term: "political_trust", Delta: d(0.371, 0.356)},
			{Model: "provide_private", Term: "participation", Delta: d(0.768, 0.781)},
		}}
}
