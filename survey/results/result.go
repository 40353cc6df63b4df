// Package results is the nightly analysis: it streams the cases from the
// store, builds the analysis table the questionnaire's analysis: section
// asks for, runs the statistics of package analysis/report on it, and keeps
// each run as a versioned result that PIs pull. The HTTP layer and the
// command line only call it.
package results

import (
	"time"

	"github.com/canvass-survey/canvass/analysis/report"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/weights"
)

// Statuses of a result.
const (
	StatusRunning      = "running"
	StatusOK           = "ok"
	StatusInsufficient = "insufficient_data"
	StatusFailed       = "failed"
)

// Triggers: what started a run.
const (
	TriggerSchedule = "schedule" // the nightly schedule
	TriggerAPI      = "api"      // POST /api/v1/results/run or the Results page
	TriggerCommand  = "command"  // canvass nightly --once
)

// Result is one run of the nightly analysis as PIs read it. Its JSON field
// names are a public contract: extend them, never rename them. Tables are
// absent until the run ends ok.
type Result struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Trigger string `json:"trigger"`
	// ScheduledFor is the night's scheduled time for a scheduled run.
	ScheduledFor *time.Time `json:"scheduled_for,omitempty"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at"`
	// Reason says why the data were insufficient; Error why the run failed.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
	// RequestedBy is the account that asked for a run through the API.
	RequestedBy string `json:"requested_by,omitempty"`

	CodeVersion   string        `json:"code_version,omitempty"`
	Questionnaire Questionnaire `json:"questionnaire,omitzero"`
	// Cases counts the survey's cases read; N those used (dispositions I
	// and P), the rows of the analysis table.
	Cases int `json:"cases"`
	N     int `json:"n"`
	// InputHash is the SHA-256 of the analysis table and the options: two
	// results with the same hash were computed from the same input.
	InputHash string  `json:"input_hash,omitempty"`
	Options   Options `json:"options,omitzero"`

	Warnings     []string                 `json:"warnings"`
	EFA          *report.EFA              `json:"efa,omitempty"`
	Factors      []Factor                 `json:"factors,omitempty"`
	Reliability  map[string]*report.Alpha `json:"reliability,omitempty"`
	Models       []Model                  `json:"models,omitempty"`
	Descriptives *Descriptives            `json:"descriptives,omitempty"`
	Changes      *Changes                 `json:"changes,omitempty"`
	// Weighting says how the respondents were weighted to the frame; the
	// descriptives carry weighted estimates beside the unweighted ones
	// when its status is ok. The models are unweighted.
	Weighting *weights.Report `json:"weighting,omitempty"`
}

// Questionnaire identifies the questionnaire a result was computed with.
type Questionnaire struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	// Hash is the SHA-256 of the questionnaire's analysis section as
	// loaded: a changed model changes it, a changed question text does not.
	Hash string `json:"hash"`
}

// Options are the choices a run made that the analysis section leaves to
// defaults, stated so that the result can be reproduced.
type Options struct {
	MinCases     int      `json:"min_cases"`
	Dispositions []string `json:"dispositions"`
	// Thresholds are the shares of applicable items answered that make a
	// case complete (I) or partial (P), and so choose the cases used.
	Thresholds  aapor.Thresholds `json:"thresholds"`
	Method      string           `json:"method,omitempty"`
	Rotation    string           `json:"rotation,omitempty"`
	Correlation string           `json:"correlation,omitempty"`
	Missing     string           `json:"missing,omitempty"`
	Scores      string           `json:"scores,omitempty"`
	Parallel    int              `json:"parallel,omitempty"`
	Seed        uint64           `json:"seed,omitempty"`
	Level       float64          `json:"level"`
}

// Factor ties a named factor of the questionnaire to a column of the EFA's
// loadings: Column (0-based) multiplied by Sign is the factor.
type Factor struct {
	Name   string `json:"name"`
	Label  string `json:"label"`
	Marker string `json:"marker"`
	Column int    `json:"column"`
	Sign   int    `json:"sign"`
	// Salient counts the items loading at least .3 (absolute) on it.
	Salient int `json:"salient"`
}

// Model is one fitted model of the analysis section.
type Model struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Outcome string `json:"outcome"`
	*report.Model
}

// Descriptives are the distributions and means behind the figures, and a
// summary of every variable of the analysis table.
type Descriptives struct {
	Frequencies []FrequencySet `json:"frequencies"`
	Means       []MeanSet      `json:"means"`
	Variables   []Variable     `json:"variables"`
}

// FrequencySet is the distribution of each of a set of items that share
// their options.
type FrequencySet struct {
	ID    string          `json:"id"`
	Label string          `json:"label"`
	Items []ItemFrequency `json:"items"`
}

// ItemFrequency is one item's distribution over its options, in the
// options' order; Missing counts the used cases without an answer
// (including "don't know" and "prefer not to say").
type ItemFrequency struct {
	Item    string  `json:"item"`
	Label   string  `json:"label"`
	N       int     `json:"n"`
	Missing int     `json:"missing"`
	Counts  []Count `json:"counts"`
	// Weighted are the options' weighted shares, when the run weighted.
	Weighted []WeightedShare `json:"weighted,omitempty"`
}

// WeightedShare is one option's weighted share of the answers, in percent,
// with its standard error and interval by linearization over the cities
// (as survey::svymean(~factor(item), svydesign(ids = ~city, weights = ~w))).
type WeightedShare struct {
	Value   int           `json:"value"`
	Label   string        `json:"label"`
	Percent report.Number `json:"percent"`
	SE      report.Number `json:"se"`
	Lo      report.Number `json:"lo"`
	Hi      report.Number `json:"hi"`
}

// Count is one option's count and share of the answers.
type Count struct {
	Value   int           `json:"value"`
	Label   string        `json:"label"`
	Count   int           `json:"count"`
	Percent report.Number `json:"percent"`
}

// MeanSet is a variable's mean by group, with confidence intervals.
type MeanSet struct {
	ID       string      `json:"id"`
	Label    string      `json:"label"`
	Variable string      `json:"variable"`
	By       string      `json:"by,omitempty"`
	Level    float64     `json:"level"`
	Groups   []GroupMean `json:"groups"`
}

// GroupMean is one group's mean; the spread and interval are null for a
// group of one.
type GroupMean struct {
	Group string         `json:"group"`
	N     int            `json:"n"`
	Mean  report.Number  `json:"mean"`
	SD    *report.Number `json:"sd"`
	SE    *report.Number `json:"se"`
	Lo    *report.Number `json:"lo"`
	Hi    *report.Number `json:"hi"`
	// Weighted is the group's weighted mean, when the run weighted.
	Weighted *WeightedMean `json:"weighted,omitempty"`
}

// WeightedMean is a weighted mean with its standard error and interval by
// linearization over the cities (as survey::svyby(~y, ~group,
// svydesign(ids = ~city, weights = ~w), svymean)).
type WeightedMean struct {
	Mean       report.Number `json:"mean"`
	SE         report.Number `json:"se"`
	Lo         report.Number `json:"lo"`
	Hi         report.Number `json:"hi"`
	SumWeights report.Number `json:"sum_weights"`
}

// Variable summarizes one numeric column of the analysis table: an item, a
// scale score or a factor score.
type Variable struct {
	Name    string        `json:"name"`
	Kind    string        `json:"kind"` // item, scale, factor, frame
	N       int           `json:"n"`
	Missing int           `json:"missing"`
	Mean    report.Number `json:"mean"`
	SD      report.Number `json:"sd"`
	Min     report.Number `json:"min"`
	Max     report.Number `json:"max"`
}

// Changes is what moved since the last ok result.
type Changes struct {
	Since   string    `json:"since"` // that result's id
	SinceAt time.Time `json:"since_finished_at"`
	N       Delta     `json:"n"`
	// ModelChanged is true when the analysis section changed since then:
	// the same names may then mean other items or predictors, so only n
	// is compared.
	ModelChanged bool             `json:"model_changed,omitempty"`
	Alphas       map[string]Delta `json:"alphas"`
	// Congruence is Tucker's congruence of each named factor's loadings
	// with the same factor's then: 1 is the same pattern.
	Congruence   map[string]report.Number `json:"congruence"`
	Coefficients []CoefficientChange      `json:"coefficients"`
}

// Delta is a number then and now.
type Delta struct {
	From  report.Number `json:"from"`
	To    report.Number `json:"to"`
	Delta report.Number `json:"delta"`
}

// CoefficientChange is a model term's estimate then and now.
type CoefficientChange struct {
	Model string `json:"model"`
	Term  string `json:"term"`
	Delta
}
