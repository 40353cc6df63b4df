package weights

import (
	"time"

	"github.com/canvass-survey/canvass/analysis/represent"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Representativeness is what GET /api/v1/progress and the Progress page say
// of who has responded: the R-indicator of the response propensities, their
// spread, and the partial R-indicators that say which groups to chase.
type Representativeness struct {
	RIndicator     float64   `json:"r_indicator"`
	RIndicatorSE   *float64  `json:"r_indicator_se"`
	CV             float64   `json:"cv"`
	MeanPropensity float64   `json:"mean_propensity"`
	Eligible       int       `json:"eligible"`
	Respondents    int       `json:"respondents"`
	Partials       []Partial `json:"partials"`
	// Daily is the R-indicator as the cases stood at the end of each day.
	Daily    []Day    `json:"daily"`
	Warnings []string `json:"warnings"`
}

// Partial is one variable's partial R-indicators, and its categories'.
type Partial struct {
	Variable      string     `json:"variable"`
	Unconditional float64    `json:"unconditional"`
	Conditional   float64    `json:"conditional"`
	Categories    []Category `json:"categories"`
}

// Category is one level of a variable: negative Partial means its cases
// respond less than the rest, so it is under-represented.
type Category struct {
	Level       string  `json:"level"`
	Cases       int     `json:"cases"`
	Respondents int     `json:"respondents"`
	Partial     float64 `json:"partial"`
}

// Day is the R-indicator at the end of one day; nil while fewer than
// MinRespondents had responded.
type Day struct {
	Date        string   `json:"date"`
	RIndicator  *float64 `json:"r_indicator"`
	Respondents int      `json:"respondents"`
}

// MinRespondents is how many respondents the indicators wait for: with
// fewer, the propensities say more about chance than about who responds.
const MinRespondents = 20

// Measure fits the propensity model glm(responded ~ variables, binomial)
// over the eligible cases (every code but NE; responded is I or P) as they
// stand, and as they stood at the end of each of days (YYYY-MM-DD in loc).
// It returns nil while fewer than MinRespondents have responded.
func Measure(cases []aapor.Case, in *instrument.Instrument, days []string, loc *time.Location) (*Representativeness, error) {
	vars := variablesOf(in)
	codes := make([]aapor.Code, len(cases))
	for i, c := range cases {
		codes[i] = c.Code
	}
	fit, err := fitAt(vars, cases, codes)
	if fit == nil || err != nil {
		return nil, err
	}
	r := &Representativeness{RIndicator: fit.RIndicator, RIndicatorSE: fit.RIndicatorSE, CV: fit.CV, MeanPropensity: fit.MeanPropensity,
		Eligible: fit.N, Respondents: fit.Respondents, Partials: partialsOf(fit), Daily: []Day{}, Warnings: fit.Warnings}
	for _, date := range days {
		day, err := time.ParseInLocation(time.DateOnly, date, loc)
		if err != nil {
			return nil, err
		}
		end := day.AddDate(0, 0, 1)
		for i, c := range cases {
			codes[i] = c.CodeBefore(end)
		}
		dayFit, err := fitAt(vars, cases, codes)
		if err != nil {
			return nil, err
		}
		d := Day{Date: date}
		if dayFit != nil {
			d.RIndicator, d.Respondents = &dayFit.RIndicator, dayFit.Respondents
		}
		r.Daily = append(r.Daily, d)
	}
	return r, nil
}

// fitAt fits the model to the cases under codes; nil, nil with fewer than
// MinRespondents.
func fitAt(vars []frameVariable, cases []aapor.Case, codes []aapor.Code) (*represent.Result, error) {
	var strata []aapor.Strata
	var responded []bool
	for i, c := range cases {
		if codes[i] == aapor.NE {
			continue
		}
		strata = append(strata, c.Strata)
		responded = append(responded, Responded(codes[i]))
	}
	n := 0
	for _, r := range responded {
		if r {
			n++
		}
	}
	if n < MinRespondents {
		return nil, nil
	}
	return represent.Fit(columns(vars, strata), responded)
}

// Responded is AAPOR's notion of a response: a complete or a partial.
func Responded(code aapor.Code) bool { return code == aapor.I || code == aapor.P }

func partialsOf(fit *represent.Result) []Partial {
	out := make([]Partial, len(fit.Partials))
	for i, p := range fit.Partials {
		out[i] = Partial{Variable: p.Variable, Unconditional: p.Unconditional, Conditional: p.Conditional, Categories: make([]Category, len(p.Categories))}
		for j, c := range p.Categories {
			out[i].Categories[j] = Category{Level: c.Level, Cases: c.N, Respondents: c.Respondents, Partial: c.Partial}
		}
	}
	return out
}
