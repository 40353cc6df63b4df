package weights

import (
	"fmt"

	"github.com/canvass-survey/canvass/analysis/represent"
	"github.com/canvass-survey/canvass/analysis/weighting"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Case is what weighting needs of a case: its id, its frame strata and
// its disposition.
type Case struct {
	ID string
	aapor.Strata
	Code aapor.Code
}

// Report says how the weights were made, for the results and the codebook.
type Report struct {
	// Status is ok, failed (Reason says why; the results are then
	// unweighted) or off (the questionnaire turns weighting off).
	Status    string   `json:"status"`
	Reason    string   `json:"reason,omitempty"`
	Variables []string `json:"variables"`
	// Eligible counts the cases the margins are counted over (every code
	// but NE), Respondents those weighted (I and P).
	Eligible    int `json:"eligible"`
	Respondents int `json:"respondents"`
	Iterations  int `json:"iterations"`
	// MaxDifference is the largest gap left between a margin's weighted
	// total and the frame's count.
	MaxDifference float64 `json:"max_difference"`
	// DesignEffect is Kish's n·Σw²/(Σw)², EffectiveN the sample size it
	// leaves: (Σw)²/Σw².
	DesignEffect float64    `json:"design_effect"`
	EffectiveN   float64    `json:"effective_n"`
	Min          float64    `json:"min"`
	Max          float64    `json:"max"`
	Mean         float64    `json:"mean"`
	Trim         []float64  `json:"trim,omitempty"`
	Trimmed      int        `json:"trimmed"`
	Collapsed    []Collapse `json:"collapsed"`
	Warnings     []string   `json:"warnings"`
	// ModelsWeighted says whether the models use the weights: they do not;
	// weighted means and proportions sit beside the unweighted ones.
	ModelsWeighted bool `json:"models_weighted"`
}

// Collapse is a level of a margin with frame cases but no respondents,
// merged into a neighbouring level so that raking never divides by zero.
type Collapse struct {
	Variable string `json:"variable"`
	Level    string `json:"level"`
	Into     string `json:"into"`
}

// Report statuses.
const (
	StatusOK     = "ok"
	StatusFailed = "failed"
	StatusOff    = "off"
)

// Of is each eligible case's response propensity, and each respondent's
// weight; both by case id.
type Of struct {
	Propensity map[string]float64
	Weight     map[string]float64
}

// Compute models the eligible cases' response propensities and rakes the
// respondents, starting from N/n, to the eligible cases' counts of each
// weighting variable. A weighting that cannot be made (too few respondents,
// raking that does not converge) is a Report with status failed and no
// weights, not an error: the results then stay unweighted.
func Compute(cases []Case, in *instrument.Instrument) (*Report, *Of) {
	spec := instrument.WeightingOf(in.Analysis)
	rep := &Report{Variables: spec.Variables, Trim: spec.Trim, Collapsed: []Collapse{}, Warnings: []string{}}
	of := &Of{Propensity: map[string]float64{}, Weight: map[string]float64{}}
	var eligible []Case
	var strata []aapor.Strata
	var responded []bool
	for _, c := range cases {
		if c.Code == aapor.NE {
			continue
		}
		eligible = append(eligible, c)
		strata = append(strata, c.Strata)
		responded = append(responded, Responded(c.Code))
		if Responded(c.Code) {
			rep.Respondents++
		}
	}
	rep.Eligible = len(eligible)
	vars := columns(variablesOf(in), strata)
	if fit, err := represent.Fit(vars, responded); err == nil {
		for i, c := range eligible {
			of.Propensity[c.ID] = fit.Propensities[i]
		}
	}
	if spec.Off {
		rep.Status = StatusOff
		return rep, of
	}
	res, err := rake(vars, responded, spec)
	if err != nil {
		rep.Status, rep.Reason = StatusFailed, err.Error()
		return rep, of
	}
	rep.Iterations, rep.MaxDifference, rep.Trimmed = res.Iterations, res.MaxDifference, res.Trimmed
	rep.Warnings = append(rep.Warnings, res.Warnings...)
	for _, c := range res.Collapsed {
		rep.Collapsed = append(rep.Collapsed, Collapse{Variable: c.Margin, Level: c.Level, Into: c.Into})
	}
	if !res.Converged {
		rep.Status, rep.Reason = StatusFailed, res.Reason
		return rep, of
	}
	rep.Status = StatusOK
	rep.DesignEffect, rep.EffectiveN, rep.Min, rep.Max, rep.Mean = res.DesignEffect, res.EffectiveN, res.Min, res.Max, res.Mean
	j := 0
	for i, c := range eligible {
		if responded[i] {
			of.Weight[c.ID] = res.Weights[j]
			j++
		}
	}
	return rep, of
}

// rake builds each variable's margin — the eligible cases' count of each
// level, the respondents' levels — and rakes.
func rake(vars []represent.Variable, responded []bool, spec instrument.WeightingSpec) (*weighting.Result, error) {
	n := 0
	for _, r := range responded {
		if r {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("no respondents to weight")
	}
	margins := make([]weighting.Margin, len(vars))
	for v, variable := range vars {
		m := weighting.Margin{Name: variable.Name, Levels: variable.Levels, Population: make([]float64, len(variable.Levels))}
		index := map[string]int{}
		for i, l := range variable.Levels {
			index[l] = i
		}
		for i, value := range variable.Values {
			m.Population[index[value]]++
			if responded[i] {
				m.Values = append(m.Values, value)
			}
		}
		margins[v] = m
	}
	opts := weighting.Options{MaxIterations: spec.MaxIterations}
	if len(spec.Trim) == 2 {
		opts.Trim = &weighting.Trim{Lower: spec.Trim[0], Upper: spec.Trim[1]}
	}
	return weighting.Rake(margins, opts)
}
