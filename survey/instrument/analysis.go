package instrument

import (
	"slices"
	"strings"
)

// Analysis is the questionnaire's analysis model: what the nightly run
// computes from the answers. It lives in the questionnaire's file, beside
// the questions it reads, and is checked when the file loads, so that a
// model naming an item that does not exist stops the start, not the night.
//
// Variables are named by one name space shared by: answerable items (their
// ids), the scales below, the EFA's named factors (their scores), and the
// sample frame's fields population, department, form_of_government, state
// and city.
type Analysis struct {
	// MinCases is how many usable cases (AAPOR dispositions I and P) a run
	// needs; with fewer it ends as insufficient_data. 0 means DefaultMinCases.
	MinCases     int          `yaml:"min_cases" validate:"gte=0"`
	EFA          *EFASpec     `yaml:"efa"`
	Scales       []ScaleSpec  `yaml:"scales" validate:"dive"`
	Models       []ModelSpec  `yaml:"models" validate:"dive"`
	Descriptives Descriptives `yaml:"descriptives"`
	Figures      []FigureSpec `yaml:"figures" validate:"dive"`
	// Weighting is how respondents are weighted to the sample frame, and
	// which frame variables the response propensities are modelled on;
	// absent, DefaultWeighting.
	Weighting *WeightingSpec `yaml:"weighting"`
}

// WeightingSpec says how the respondents are weighted to the frame: raked
// to the margins of Variables, which are also what the response
// propensities and the R-indicators model.
type WeightingSpec struct {
	// Off leaves the nightly results unweighted; the Progress page still
	// shows representativeness.
	Off       bool     `yaml:"off"`
	Variables []string `yaml:"variables" validate:"dive,required"` // WeightingVariables; default DefaultWeighting's
	// Trim bounds each weight to [Trim[0], Trim[1]] times the mean weight,
	// between raking sweeps; none by default.
	Trim          []float64 `yaml:"trim"`
	MaxIterations int       `yaml:"max_iterations" validate:"gte=0,lte=1000"` // 0: DefaultMaxIterations
}

// WeightingVariables are the frame variables weights and propensities can
// use: population_band is the population's band (aapor.PopulationBands),
// region the state's Census region.
var WeightingVariables = []string{"department", "population_band", "form_of_government", "region"}

// DefaultWeighting is the weighting when the questionnaire gives none: the
// propensity model glm(responded ~ department + population_band +
// form_of_government, binomial) and raking to those three margins.
var DefaultWeighting = WeightingSpec{Variables: []string{"department", "population_band", "form_of_government"}, MaxIterations: DefaultMaxIterations}

// DefaultMaxIterations bounds the raking sweeps when the questionnaire
// does not.
const DefaultMaxIterations = 100

// WeightingOf is a's weighting with its defaults filled in; a may be nil.
func WeightingOf(a *Analysis) WeightingSpec {
	if a == nil || a.Weighting == nil {
		return DefaultWeighting
	}
	w := *a.Weighting
	if len(w.Variables) == 0 {
		w.Variables = DefaultWeighting.Variables
	}
	if w.MaxIterations == 0 {
		w.MaxIterations = DefaultMaxIterations
	}
	return w
}

// DefaultMinCases is Analysis.MinCases when the file gives none.
const DefaultMinCases = 50

// EFASpec is the exploratory factor analysis of the nightly run.
type EFASpec struct {
	Items []string `yaml:"items" validate:"min=3,dive,required"`
	// Factors names each factor by a marker item: the factor on which the
	// marker loads most (in absolute value) is that factor, with its sign
	// turned so that the marker loads positively. Naming factors this way
	// keeps their scores' meaning from night to night, whatever order the
	// rotation leaves the columns in.
	Factors     []FactorSpec `yaml:"factors" validate:"min=1,dive"`
	Method      string       `yaml:"method" validate:"omitempty,oneof=minres ml pa"`                            // default minres
	Rotation    string       `yaml:"rotation" validate:"omitempty,oneof=none varimax quartimax promax oblimin"` // default oblimin
	Correlation string       `yaml:"correlation" validate:"omitempty,oneof=pearson polychoric"`                 // default pearson
	Missing     string       `yaml:"missing" validate:"omitempty,oneof=pairwise listwise"`                      // default pairwise
	Scores      string       `yaml:"scores" validate:"omitempty,oneof=regression Bartlett"`                     // default regression
	// Parallel is how many simulated data sets parallel analysis uses
	// (default 20, psych's; -1 skips it); Seed makes it reproducible
	// (default 1).
	Parallel int    `yaml:"parallel" validate:"gte=-1"`
	Seed     uint64 `yaml:"seed"`
}

// FactorSpec names one factor of the EFA.
type FactorSpec struct {
	Name   string `yaml:"name" validate:"required,id"`
	Marker string `yaml:"marker" validate:"required"` // one of the EFA's items
	Label  string `yaml:"label"`                      // for tables and figures; default Name
}

// ScaleSpec is a named scale: a score per case from several items.
type ScaleSpec struct {
	Name    string   `yaml:"name" validate:"required,id"`
	Label   string   `yaml:"label"`
	Items   []string `yaml:"items" validate:"min=2,dive,required"`
	Reverse []string `yaml:"reverse" validate:"dive,required"` // reverse-keyed items, a subset of Items
	// Score is mean (default) or sum of the answered items; a case with
	// fewer than MinAnswered of them has no score. MinAnswered 0 means
	// half the items, rounded up.
	Score       string `yaml:"score" validate:"omitempty,oneof=mean sum"`
	MinAnswered int    `yaml:"min_answered" validate:"gte=0"`
}

// ModelSpec is a regression of the nightly run.
type ModelSpec struct {
	ID    string `yaml:"id" validate:"required,id"`
	Label string `yaml:"label"`
	// Type is ologit (an ordered logit, as MASS::polr; the outcome must be
	// an item with ordered options) or ols.
	Type    string `yaml:"type" validate:"required,oneof=ologit ols"`
	Outcome string `yaml:"outcome" validate:"required"`
	// Predictors are numeric variables, each a name or a transform of one:
	// log(x), log10(x) or sqrt(x).
	Predictors  []string          `yaml:"predictors" validate:"dive,required"`
	Categorical []CategoricalSpec `yaml:"categorical" validate:"dive"`
	// Cluster groups the cases for cluster-robust standard errors: city,
	// state or department (a city is its name within its state).
	Cluster string `yaml:"cluster" validate:"omitempty,oneof=city state department"`
}

// CategoricalSpec is a categorical predictor, entered by treatment
// contrasts against Reference.
type CategoricalSpec struct {
	Var       string `yaml:"var" validate:"required"` // department, form_of_government, state, or a single-choice item
	Reference string `yaml:"reference"`               // a level (an item's option label); default the first level
}

// Descriptives are the distributions and group means the run reports.
type Descriptives struct {
	Frequencies []FrequencySpec `yaml:"frequencies" validate:"dive"`
	Means       []MeanSpec      `yaml:"means" validate:"dive"`
}

// FrequencySpec tabulates items that share their options (a matrix's rows,
// say): one distribution per item.
type FrequencySpec struct {
	ID    string   `yaml:"id" validate:"required,id"`
	Label string   `yaml:"label"`
	Items []string `yaml:"items" validate:"min=1,dive,required"`
}

// MeanSpec is the mean of a numeric variable by group, with its
// confidence interval at Level (default 0.95).
type MeanSpec struct {
	ID       string  `yaml:"id" validate:"required,id"`
	Label    string  `yaml:"label"`
	Variable string  `yaml:"variable" validate:"required"`
	By       string  `yaml:"by" validate:"omitempty,oneof=department form_of_government state"`
	Level    float64 `yaml:"level" validate:"gte=0,lt=1"`
}

// FigureSpec is a figure of the report, drawn from the descriptives or
// the models.
type FigureSpec struct {
	ID    string `yaml:"id" validate:"required,id"`
	Title string `yaml:"title" validate:"required"`
	// Kind is frequencies (stacked bars of Frequencies, ids of
	// descriptives.frequencies), means (Means, ids of descriptives.means,
	// with their intervals) or coefficients (Terms of Models, with their
	// intervals, grouped by model).
	Kind        string   `yaml:"kind" validate:"required,oneof=frequencies means coefficients"`
	Frequencies []string `yaml:"frequencies"`
	Means       []string `yaml:"means"`
	Models      []string `yaml:"models"`
	Terms       []string `yaml:"terms"`
	Caption     string   `yaml:"caption"`
}

// Kinds of analysis variables, by where their values come from.
const (
	KindItem   = "item"   // an answerable item's code
	KindScale  = "scale"  // a scale score
	KindFactor = "factor" // a factor score of the EFA
	KindFrame  = "frame"  // a sample frame field
)

// Frame fields the analysis can read: population is numeric, the others
// categorical.
var (
	FrameNumeric     = []string{"population"}
	FrameCategorical = []string{"department", "form_of_government", "state", "city"}
)

// Transforms a numeric predictor may take, as "log(population)".
var Transforms = []string{"log", "log10", "sqrt"}

// SplitTransform reads a predictor as written: "log(population)" is the
// transform log of population, "tech_capacity" no transform. ok is false,
// with both results empty, for an unknown transform or a malformed one.
func SplitTransform(predictor string) (transform, name string, ok bool) {
	open := strings.IndexByte(predictor, '(')
	if open < 0 {
		if strings.ContainsRune(predictor, ')') {
			return "", "", false
		}
		return "", predictor, true
	}
	if !strings.HasSuffix(predictor, ")") {
		return "", "", false
	}
	transform, name = predictor[:open], predictor[open+1:len(predictor)-1]
	if !slices.Contains(Transforms, transform) || name == "" || strings.ContainsAny(name, "()") {
		return "", "", false
	}
	return transform, name, true
}

// VariableKind says where an analysis variable's values come from: one of
// the Kind constants, or "" for a name the questionnaire does not define.
func (in *Instrument) VariableKind(name string) string {
	a := in.Analysis
	switch {
	case a != nil && slices.ContainsFunc(a.Scales, func(s ScaleSpec) bool { return s.Name == name }):
		return KindScale
	case a != nil && a.EFA != nil && slices.ContainsFunc(a.EFA.Factors, func(f FactorSpec) bool { return f.Name == name }):
		return KindFactor
	case slices.Contains(FrameNumeric, name) || slices.Contains(FrameCategorical, name):
		return KindFrame
	}
	if _, ok := in.Item(name); ok {
		return KindItem
	}
	return ""
}
