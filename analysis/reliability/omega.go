package reliability

import (
	"fmt"
	"strings"

	"github.com/canvass-survey/canvass/analysis/cor"
	"github.com/canvass-survey/canvass/analysis/efa"
)

// Omega is McDonald's omega total of a scale.
type Omega struct {
	Total    float64
	Warnings []string
}

// OmegaTotal is McDonald's omega total from a one-factor solution, as
// psych::omega(x, nfactors = 1, key = ...) reports omega.tot:
//
//	ω_t = (ΣR − Σu²) / ΣR
//
// where R holds the pairwise-complete Pearson correlations of the keyed
// items (psych::omega's cor(x, use = "pairwise"), not alpha's rescaled
// covariances) and u² are the uniquenesses of a one-factor minres fit.
// psych's default omega.tot comes from a Schmid–Leiman bifactor solution of
// several factors; with one factor the two definitions coincide, and a scale
// meant to measure one thing is where omega total is usually reported.
func OmegaTotal(items []string, rows [][]float64, reverse []string) (*Omega, error) {
	signs, err := keySigns(items, reverse)
	if err != nil {
		return nil, err
	}
	if len(items) < 3 {
		return nil, fmt.Errorf("omega needs at least 3 items for a one-factor solution, got %d", len(items))
	}
	correlations, err := cor.Pearson(items, rows, cor.Pairwise)
	if err != nil {
		return nil, err
	}
	r := correlations.R
	p := len(items)
	for i := range p {
		for j := i; j < p; j++ {
			r.SetSym(i, j, signs[i]*signs[j]*r.At(i, j))
		}
	}
	fit, err := efa.Analyze(items, r, efa.Options{
		Factors:  1,
		Rotation: efa.NoRotation,
		N:        correlations.Rows,
		PairN:    correlations.PairN,
	})
	if err != nil {
		return nil, fmt.Errorf("omega's one-factor solution: %w", err)
	}
	var total, unique float64
	for i := range p {
		for j := range p {
			total += r.At(i, j)
		}
		unique += fit.Uniquenesses[i]
	}
	return &Omega{Total: (total - unique) / total, Warnings: omegaWarnings(fit)}, nil
}

// omegaWarnings are the one-factor fit's warnings that bear on omega. Omega
// reads only the uniquenesses, so that the fit statistics of a model with
// no degrees of freedom left (three items, one factor: just identified)
// are undefined does not matter to it, and a three-item scale would
// otherwise carry that warning every time.
func omegaWarnings(fit *efa.Result) []string {
	var out []string
	for _, w := range fit.Warnings {
		if fit.Fit.DF <= 0 && strings.HasPrefix(w, efa.NoDFWarning) {
			continue
		}
		out = append(out, w)
	}
	return out
}
