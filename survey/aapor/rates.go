package aapor

import "math"

// Counts holds the number of cases with each disposition code.
type Counts struct {
	I  int `json:"I"`
	P  int `json:"P"`
	R  int `json:"R"`
	NC int `json:"NC"`
	O  int `json:"O"`
	UH int `json:"UH"`
	UO int `json:"UO"`
	NE int `json:"NE"`
}

// field points at the count of code; nil for an unknown code.
func (c *Counts) field(code Code) *int {
	switch code {
	case I:
		return &c.I
	case P:
		return &c.P
	case R:
		return &c.R
	case NC:
		return &c.NC
	case O:
		return &c.O
	case UH:
		return &c.UH
	case UO:
		return &c.UO
	case NE:
		return &c.NE
	}
	return nil
}

// Add counts n more cases (n may be negative) with code. It panics on a
// code that is not one of the constants: that is a bug in the caller.
func (c *Counts) Add(code Code, n int) {
	p := c.field(code)
	if p == nil {
		panic("aapor: unknown disposition code " + string(code))
	}
	*p += n
}

// plus adds d to c code by code.
func (c Counts) plus(d Counts) Counts {
	return Counts{
		I: c.I + d.I, P: c.P + d.P, R: c.R + d.R, NC: c.NC + d.NC,
		O: c.O + d.O, UH: c.UH + d.UH, UO: c.UO + d.UO, NE: c.NE + d.NE,
	}
}

// Total is the number of cases counted, eligible or not.
func (c Counts) Total() int { return c.I + c.P + c.R + c.NC + c.O + c.UH + c.UO + c.NE }

// DefaultE estimates e, the share of unknown-eligibility cases that are
// eligible, as the share eligible among the cases whose eligibility is
// known: (I+P+R+NC+O)/(I+P+R+NC+O+NE). When no case's eligibility is known
// yet it is 1, which counts every unknown case as eligible: the
// conservative choice, under which RR3 equals RR1.
func DefaultE(c Counts) float64 {
	eligible := c.I + c.P + c.R + c.NC + c.O
	if eligible+c.NE == 0 {
		return 1
	}
	return float64(eligible) / float64(eligible+c.NE)
}

// Rates are the Standard Definitions' outcome rates. A rate whose
// denominator is 0 is nil, which JSON encodes as null.
type Rates struct {
	RR1   *float64 `json:"RR1"`
	RR2   *float64 `json:"RR2"`
	RR3   *float64 `json:"RR3"`
	RR4   *float64 `json:"RR4"`
	RR5   *float64 `json:"RR5"`
	RR6   *float64 `json:"RR6"`
	COOP1 *float64 `json:"COOP1"`
	COOP2 *float64 `json:"COOP2"`
	COOP3 *float64 `json:"COOP3"`
	COOP4 *float64 `json:"COOP4"`
	REF1  *float64 `json:"REF1"`
	REF2  *float64 `json:"REF2"`
	REF3  *float64 `json:"REF3"`
	CON1  *float64 `json:"CON1"`
	CON2  *float64 `json:"CON2"`
	CON3  *float64 `json:"CON3"`
}

// Rates computes every rate of c, with e the estimated share of
// unknown-eligibility cases (UH, UO) that are eligible, in [0, 1].
func (c Counts) Rates(e float64) Rates {
	var (
		i         = float64(c.I)
		ip        = float64(c.I + c.P)
		r         = float64(c.R)
		contacted = float64(c.I + c.P + c.R + c.O) // reached: of COOP1, COOP2 and the CON numerator
		eligible  = float64(c.I + c.P + c.R + c.NC + c.O)
		unknown   = float64(c.UH + c.UO)
		all       = eligible + unknown       // the denominator of RR1, RR2, REF1, CON1
		estimated = eligible + e*unknown     // of RR3, RR4, REF2, CON2
		coopNoO   = float64(c.I + c.P + c.R) // of COOP3, COOP4, which leave O out
	)
	return Rates{
		RR1: ratio(i, all), RR2: ratio(ip, all),
		RR3: ratio(i, estimated), RR4: ratio(ip, estimated),
		RR5: ratio(i, eligible), RR6: ratio(ip, eligible),
		COOP1: ratio(i, contacted), COOP2: ratio(ip, contacted),
		COOP3: ratio(i, coopNoO), COOP4: ratio(ip, coopNoO),
		REF1: ratio(r, all), REF2: ratio(r, estimated), REF3: ratio(r, eligible),
		CON1: ratio(contacted, all), CON2: ratio(contacted, estimated), CON3: ratio(contacted, eligible),
	}
}

// ratio is num/den, or nil where that is not a finite number (a zero
// denominator, or an e that is not a number), so that no NaN reaches JSON.
func ratio(num, den float64) *float64 {
	q := num / den
	if den == 0 || math.IsNaN(q) || math.IsInf(q, 0) {
		return nil
	}
	return &q
}
