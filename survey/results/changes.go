package results

import (
	"context"
	"maps"
	"math"
	"slices"

	"github.com/canvass-survey/canvass/analysis/report"
	"github.com/canvass-survey/canvass/survey"
)

// changes sets r.Changes to what moved since the latest ok result; the
// first result has none.
func (s *Service) changes(ctx context.Context, r *Result) error {
	prev, err := s.Latest(ctx)
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	c := &Changes{Since: prev.ID, N: delta(float64(prev.N), float64(r.N)), Alphas: map[string]Delta{},
		Congruence: map[string]report.Number{}, Coefficients: []CoefficientChange{}}
	if prev.FinishedAt != nil {
		c.SinceAt = *prev.FinishedAt
	}
	r.Changes = c
	if prev.Questionnaire.Hash != r.Questionnaire.Hash {
		c.ModelChanged = true
		return nil
	}
	for name, now := range r.Reliability {
		if then, ok := prev.Reliability[name]; ok {
			c.Alphas[name] = delta(float64(then.RawAlpha), float64(now.RawAlpha))
		}
	}
	for _, f := range r.Factors {
		if phi, ok := congruence(prev, r, f.Name); ok {
			c.Congruence[f.Name] = report.Number(phi)
		}
	}
	c.Coefficients = coefficientChanges(prev, r)
	return nil
}

func delta(from, to float64) Delta {
	return Delta{From: report.Number(from), To: report.Number(to), Delta: report.Number(to - from)}
}

// factorLoadings is a named factor's loadings by item, turned by its sign.
func factorLoadings(r *Result, name string) (map[string]float64, bool) {
	if r.EFA == nil {
		return nil, false
	}
	for _, f := range r.Factors {
		if f.Name != name {
			continue
		}
		out := make(map[string]float64, len(r.EFA.Items))
		for i, item := range r.EFA.Items {
			out[item] = float64(f.Sign) * float64(r.EFA.Loadings[i][f.Column])
		}
		return out, true
	}
	return nil, false
}

// congruence is Tucker's congruence coefficient of a factor's loadings in
// two results, over the items both analysed, summed in b's item order so
// that the same results give the same bits.
func congruence(a, b *Result, name string) (float64, bool) {
	x, okA := factorLoadings(a, name)
	y, okB := factorLoadings(b, name)
	if !okA || !okB {
		return 0, false
	}
	var xy, xx, yy float64
	for _, item := range b.EFA.Items {
		vx, inA := x[item]
		if inA {
			vy := y[item]
			xy, xx, yy = xy+vx*vy, xx+vx*vx, yy+vy*vy
		}
	}
	if xx == 0 || yy == 0 {
		return 0, false
	}
	return xy / math.Sqrt(xx*yy), true
}

// coefficientChanges pairs the terms of the models both results fitted.
func coefficientChanges(prev, r *Result) []CoefficientChange {
	out := []CoefficientChange{}
	for _, m := range r.Models {
		i := slices.IndexFunc(prev.Models, func(p Model) bool { return p.ID == m.ID })
		if i < 0 {
			continue
		}
		then := map[string]float64{}
		for _, c := range prev.Models[i].Coefficients {
			then[c.Term] = float64(c.Estimate)
		}
		for _, c := range m.Coefficients {
			if v, ok := then[c.Term]; ok {
				out = append(out, CoefficientChange{Model: m.ID, Term: c.Term, Delta: delta(v, float64(c.Estimate))})
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
