package aapor

// The rates and codes in words, as the Progress page explains them where
// they are counted.

// RateInfo is an AAPOR rate with its formula and, for the rates shown
// first, what it says in words.
type RateInfo struct{ Name, Formula, Meaning string }

// MainRates are the rates a manager watches, shown first, in words.
var MainRates = []RateInfo{
	{"RR2", "(I+P) / ((I+P) + (R+NC+O) + (UH+UO))", "Response rate: completes and partials among all cases that are or may be eligible."},
	{"COOP2", "(I+P) / ((I+P) + R + O)", "Cooperation rate: completes and partials among the people reached."},
	{"CON1", "((I+P) + R + O) / ((I+P) + (R+NC+O) + (UH+UO))", "Contact rate: people reached among all cases that are or may be eligible."},
}

// OtherRates are the rest of the Standard Definitions, behind a disclosure.
var OtherRates = []RateInfo{
	{"RR1", "I / ((I+P) + (R+NC+O) + (UH+UO))", ""},
	{"RR3", "I / ((I+P) + (R+NC+O) + e(UH+UO))", ""},
	{"RR4", "(I+P) / ((I+P) + (R+NC+O) + e(UH+UO))", ""},
	{"RR5", "I / ((I+P) + (R+NC+O))", ""},
	{"RR6", "(I+P) / ((I+P) + (R+NC+O))", ""},
	{"COOP1", "I / ((I+P) + R + O)", ""},
	{"COOP3", "I / ((I+P) + R)", ""},
	{"COOP4", "(I+P) / ((I+P) + R)", ""},
	{"REF1", "R / ((I+P) + (R+NC+O) + (UH+UO))", ""},
	{"REF2", "R / ((I+P) + (R+NC+O) + e(UH+UO))", ""},
	{"REF3", "R / ((I+P) + (R+NC+O))", ""},
	{"CON2", "((I+P) + R + O) / ((I+P) + (R+NC+O) + e(UH+UO))", ""},
	{"CON3", "((I+P) + R + O) / ((I+P) + (R+NC+O))", ""},
}

// CodeMeanings say how a case gets each AAPOR code here, with the default
// thresholds.
var CodeMeanings = []struct {
	Code    Code
	Name    string
	Meaning string
}{
	{I, "complete", "submitted with at least 80% of the questions that apply answered"},
	{P, "partial", "at least 50% answered, submitted or not"},
	{R, "refusal or break-off", "opted out, started with under 50% answered, marked refused, or reached by a phone call, letter or other attempt staff logged without answering yet"},
	{NC, "non-contact", "marked unavailable for the field period"},
	{O, "other", "marked other"},
	{UO, "unknown eligibility", "not invited yet, invited and never opened, or bounced"},
	{NE, "not eligible", "marked ineligible; left out of every rate"},
}

// Named is the rate of the given name, nil for none.
func (r Rates) Named(name string) *float64 {
	return map[string]*float64{
		"RR1": r.RR1, "RR2": r.RR2, "RR3": r.RR3, "RR4": r.RR4, "RR5": r.RR5, "RR6": r.RR6,
		"COOP1": r.COOP1, "COOP2": r.COOP2, "COOP3": r.COOP3, "COOP4": r.COOP4,
		"REF1": r.REF1, "REF2": r.REF2, "REF3": r.REF3, "CON1": r.CON1, "CON2": r.CON2, "CON3": r.CON3,
	}[name]
}
