package report

import (
	"gonum.org/v1/gonum/mat"

	"github.com/canvass-survey/canvass/analysis/efa"
)

// EFA is an exploratory factor analysis with its adequacy tests, as
// `canvass analyze efa --json` prints it.
type EFA struct {
	N             int        `json:"n"`
	Items         []string   `json:"items"`
	Method        string     `json:"method"`
	Rotation      string     `json:"rotation"`
	Loadings      [][]Number `json:"loadings"`
	Communalities []Number   `json:"communalities"`
	Uniquenesses  []Number   `json:"uniquenesses"`
	Eigenvalues   []Number   `json:"eigenvalues"`
	SSLoadings    []Number   `json:"ss_loadings"`
	Phi           [][]Number `json:"phi"`
	Fit           struct {
		Chi2    Number    `json:"chi2"`
		DF      Number    `json:"df"`
		P       Number    `json:"p"`
		RMSEA   Number    `json:"rmsea"`
		RMSEACI [2]Number `json:"rmsea_ci"`
		TLI     Number    `json:"tli"`
		BIC     Number    `json:"bic"`
		RMSR    Number    `json:"rmsr"`
	} `json:"fit"`
	KMO struct {
		Overall Number   `json:"overall"`
		Items   []Number `json:"items"`
	} `json:"kmo"`
	Bartlett struct {
		Chi2 Number `json:"chi2"`
		DF   Number `json:"df"`
		P    Number `json:"p"`
	} `json:"bartlett"`
	// Beyond psych::fa's own output:
	Complexity    []Number  `json:"complexity"`     // Hofmann's item complexity
	ProportionVar []Number  `json:"proportion_var"` // SS loadings / items
	ScoreR2       []Number  `json:"score_r2"`       // factor score adequacy (regression scores)
	MAP           []Number  `json:"map"`            // Velicer's MAP for 1..8 components
	Parallel      *Parallel `json:"parallel,omitempty"`
	Warnings      []string  `json:"warnings"`
}

// Parallel is parallel analysis, when asked for: the simulated
// eigenvalues and how many factors and components exceed them.
type Parallel struct {
	Iterations  int      `json:"iterations"`
	Seed        uint64   `json:"seed"`
	NFactors    int      `json:"nfactors"`
	NComponents int      `json:"ncomponents"`
	SimFactors  []Number `json:"sim_factors"`
	SimComps    []Number `json:"sim_components"`
}

// Correlations is what an EFA starts from: a correlation matrix of the
// items and the number of observations behind it.
type Correlations struct {
	Items []string
	R     *mat.SymDense
	N     int
	// PairN holds each pair's complete observations when the correlations
	// are pairwise-complete; nil otherwise.
	PairN *mat.SymDense
}

// EFAOptions are the choices of an EFA run.
type EFAOptions struct {
	Factors  int
	Method   efa.Method
	Rotation efa.Rotation
	// Parallel is how many simulated data sets parallel analysis uses; 0
	// skips it. Seed makes it reproducible.
	Parallel int
	Seed     uint64
}

// mapFactors is how many MAP values are reported, psych vss's default n.
const mapFactors = 8

// RunEFA factors the correlations and adds the adequacy tests (KMO,
// Bartlett's sphericity, Velicer's MAP) and, when asked, parallel analysis.
// It returns the document and the solution it was made from.
func RunEFA(c Correlations, o EFAOptions) (*EFA, *efa.Result, error) {
	res, err := efa.Analyze(c.Items, c.R, efa.Options{Factors: o.Factors, Method: o.Method, Rotation: o.Rotation, N: c.N, PairN: c.PairN})
	if err != nil {
		return nil, nil, err
	}
	kmo, err := efa.SamplingAdequacy(c.R)
	if err != nil {
		return nil, nil, err
	}
	bartlett, err := efa.Sphericity(c.R, c.N)
	if err != nil {
		return nil, nil, err
	}
	mapValues, err := efa.MAP(c.R, mapFactors)
	if err != nil {
		return nil, nil, err
	}
	out := newEFA(res, kmo, bartlett, mapValues)
	if o.Parallel > 0 {
		pa, err := efa.Parallel(c.R, c.N, o.Parallel, o.Seed)
		if err != nil {
			return nil, nil, err
		}
		out.Parallel = &Parallel{Iterations: o.Parallel, Seed: o.Seed, NFactors: pa.NFactors, NComponents: pa.NComponents,
			SimFactors: Numbers(pa.SimFactors), SimComps: Numbers(pa.SimComponents)}
	}
	return out, res, nil
}

func newEFA(res *efa.Result, kmo efa.KMO, b efa.Bartlett, mapValues []float64) *EFA {
	out := &EFA{
		N: res.N, Items: res.Items, Method: string(res.Method), Rotation: string(res.Rotation),
		Loadings:      Matrix(res.Loadings),
		Communalities: Numbers(res.Communalities),
		Uniquenesses:  Numbers(res.Uniquenesses),
		Eigenvalues:   Numbers(res.Eigenvalues),
		SSLoadings:    Numbers(res.SSLoadings),
		Complexity:    Numbers(res.Complexity),
		ProportionVar: Numbers(res.ProportionVar),
		ScoreR2:       Numbers(res.ScoreR2),
		MAP:           Numbers(mapValues),
		Warnings:      append([]string{}, res.Warnings...),
	}
	if res.Phi != nil {
		out.Phi = Matrix(res.Phi)
	}
	f := res.Fit
	out.Fit.Chi2, out.Fit.DF, out.Fit.P = Number(f.Chi2), Number(f.DF), Number(f.P)
	out.Fit.RMSEA, out.Fit.RMSEACI = Number(f.RMSEA), [2]Number{Number(f.RMSEALo), Number(f.RMSEAHi)}
	out.Fit.TLI, out.Fit.BIC, out.Fit.RMSR = Number(f.TLI), Number(f.BIC), Number(f.RMSR)
	out.KMO.Overall, out.KMO.Items = Number(kmo.Overall), Numbers(kmo.Items)
	out.Bartlett.Chi2, out.Bartlett.DF, out.Bartlett.P = Number(b.Chi2), Number(b.DF), Number(b.P)
	return out
}
