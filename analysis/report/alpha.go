package report

import "github.com/canvass-survey/canvass/analysis/reliability"

// Alpha is a scale's reliability, as `canvass analyze alpha --json` prints it.
type Alpha struct {
	N              int      `json:"n"`
	RawAlpha       Number   `json:"raw_alpha"`
	StdAlpha       Number   `json:"std_alpha"`
	G6             Number   `json:"g6"`
	AverageR       Number   `json:"average_r"`
	AlphaIfDropped []Number `json:"alpha_if_dropped"`
	ItemRestR      []Number `json:"item_rest_r"`
	// Beyond psych::alpha's own output:
	Items   []string `json:"items"`
	Reverse []string `json:"reverse"`
	// OmegaTotal is absent when the one-factor solution cannot be fitted
	// (fewer than 3 items, say); a warning then says why.
	OmegaTotal *Number  `json:"omega_total,omitempty"`
	Warnings   []string `json:"warnings"`
}

// Reliability is the reliability of the scale made of items (rows hold
// their values, NaN where missing), reversed naming the reverse-keyed ones:
// psych::alpha's statistics and McDonald's omega total.
func Reliability(items []string, rows [][]float64, reversed []string) (*Alpha, error) {
	alpha, err := reliability.CronbachAlpha(items, rows, reversed)
	if err != nil {
		return nil, err
	}
	out := &Alpha{
		N:              alpha.N,
		RawAlpha:       Number(alpha.Raw),
		StdAlpha:       Number(alpha.Standardized),
		G6:             Number(alpha.G6),
		AverageR:       Number(alpha.AverageR),
		AlphaIfDropped: Numbers(alpha.IfDropped),
		ItemRestR:      Numbers(alpha.ItemRest),
		Items:          items,
		Reverse:        append([]string{}, reversed...),
		Warnings:       append([]string{}, alpha.Warnings...),
	}
	if omega, err := reliability.OmegaTotal(items, rows, reversed); err != nil {
		out.Warnings = append(out.Warnings, "omega total not computed: "+err.Error())
	} else {
		total := Number(omega.Total)
		out.OmegaTotal = &total
		for _, w := range omega.Warnings {
			out.Warnings = append(out.Warnings, "omega's one-factor solution: "+w)
		}
	}
	return out, nil
}
