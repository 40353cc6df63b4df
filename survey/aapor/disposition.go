// Package aapor derives AAPOR final disposition codes from what is known of
// a case, counts them, and computes the Standard Definitions' outcome rates
// (RR1–RR6, COOP1–COOP4, REF1–REF3, CON1–CON3), overall and by stratum. It
// does no I/O: the caller reads the cases and serves the result.
package aapor

import (
	"github.com/canvass-survey/canvass/survey"
)

// Code is an AAPOR disposition code.
type Code string

// The disposition codes, in the order the Standard Definitions list them.
const (
	I  Code = "I"  // complete
	P  Code = "P"  // partial
	R  Code = "R"  // refusal and break-off
	NC Code = "NC" // non-contact
	O  Code = "O"  // other eligible non-interview
	UH Code = "UH" // unknown if household/occupied: never used for named persons
	UO Code = "UO" // unknown eligibility, other
	NE Code = "NE" // not eligible
)

// Mark is what only staff can know of a case and record for it.
type Mark string

// The marks staff may record; the empty Mark means none.
const (
	Bounced     Mark = "bounced"     // the invitation came back undelivered
	Ineligible  Mark = "ineligible"  // left the position, the department does not exist
	Refused     Mark = "refused"     // declined, by phone, letter or a reply
	Unavailable Mark = "unavailable" // unavailable during the field period
	Other       Mark = "other"       // another eligible non-interview
)

// ParseMark checks a mark sent by staff; an unknown one is EINVALID.
func ParseMark(s string) (Mark, error) {
	switch m := Mark(s); m {
	case Bounced, Ineligible, Refused, Unavailable, Other:
		return m, nil
	}
	return "", survey.Errorf(survey.EINVALID, "unknown disposition code %q: use bounced, ineligible, refused, unavailable or other", s)
}

// Facts is what the disposition of one case depends on. The caller fills
// it from the case document: Status from survey.Case.Status, Answered and
// Applicable from (*instrument.Instrument).Completion over its answers,
// which counts answers as the questionnaire's aapor.completeness says
// ("prefer not to say" is no answer unless it says any_answer).
type Facts struct {
	Status     string // survey.StatusNew, StatusStarted, StatusSubmitted or StatusOptedOut
	Answered   int
	Applicable int
	Mark       Mark
	// Reached says staff logged an attempt that reached the person.
	Reached bool
}

// Thresholds are the shares of applicable items answered that make a case
// a complete or a partial; a survey may set its own.
type Thresholds struct {
	Complete float64 `json:"complete"`
	Partial  float64 `json:"partial"`
}

// DefaultThresholds are the README's: 80% for a complete, 50% for a partial.
var DefaultThresholds = Thresholds{Complete: 0.8, Partial: 0.5}

// Code maps a case to its disposition. The first rule that applies wins:
//
//  1. marked ineligible → NE: a person outside the population is left out
//     of every rate whatever they did, so staff can remove a case that was
//     answered by the wrong person.
//  2. submitted with at least t.Complete of the applicable items → I.
//  3. at least t.Partial answered → P, whatever the status: answers given
//     before an opt-out still make a partial interview.
//  4. opted out, started, or submitted under t.Partial → R: the person was
//     reached and declined or broke off (a submit with too few answers is a
//     break-off that pressed submit).
//  5. marked refused → R; marked unavailable → NC; marked other → O.
//  6. reached by an attempt staff logged → R: the person was contacted and
//     has not answered, an implicit refusal in the Standard Definitions'
//     terms, so the contact rates count the case as contacted.
//  7. anything else → UO: not yet invited, invited and never opened, or
//     bounced.
//
// So what a respondent did beats a contact mark (a complete stays I when a
// later reminder bounces), and only ineligibility beats what a respondent
// did. With no applicable items the share answered is 0. UH is never
// returned: the sample is of named persons.
func (t Thresholds) Code(f Facts) Code {
	share := 0.0
	if f.Applicable > 0 {
		share = float64(f.Answered) / float64(f.Applicable)
	}
	switch {
	case f.Mark == Ineligible:
		return NE
	case f.Status == survey.StatusSubmitted && share >= t.Complete:
		return I
	case share >= t.Partial:
		return P
	case f.Status == survey.StatusOptedOut, f.Status == survey.StatusStarted, f.Status == survey.StatusSubmitted:
		return R
	case f.Mark == Refused:
		return R
	case f.Mark == Unavailable:
		return NC
	case f.Mark == Other:
		return O
	case f.Reached:
		return R
	}
	return UO
}
