package aapor

import (
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// FactsOf reads a case document's disposition facts: its status, how much
// of what its answers make applicable they answer, and its mark — a staff
// mark, or Bounced when a message to it bounced.
func FactsOf(c *survey.Case, in *instrument.Instrument) Facts {
	a := in.Normalize(c.Answers)
	in.Clean(a)
	return FactsWith(c, a, in)
}

// FactsWith is FactsOf for a caller that has already normalized and
// cleaned the case's answers into a.
func FactsWith(c *survey.Case, a instrument.Answers, in *instrument.Instrument) Facts {
	answered, applicable := in.Completion(a)
	f := Facts{Status: c.Status, Answered: answered, Applicable: applicable, Reached: c.Reached()}
	switch {
	case c.Mark != nil:
		f.Mark = Mark(c.Mark.Code)
	case c.Bounced():
		f.Mark = Bounced
	}
	return f
}

// StrataOf is the part of a frame that progress is broken down by.
func StrataOf(f survey.Frame) Strata {
	return Strata{Department: f.Department, State: f.State, Population: f.Population, FormOfGovernment: f.FormOfGovernment}
}

// CaseOf is a case document as the progress report sees it: its strata,
// its code and when it reached it, after the steps the Case type's comment
// describes.
func CaseOf(c *survey.Case, in *instrument.Instrument, t Thresholds) Case {
	code := t.Code(FactsOf(c, in))
	pc := Case{Code: code, Strata: StrataOf(c.Frame)}
	respondent := func() time.Time {
		switch {
		case c.SubmittedAt != nil:
			return *c.SubmittedAt
		case c.OptedOutAt != nil:
			return *c.OptedOutAt
		case code == P && c.AnsweredAt != nil:
			return *c.AnsweredAt // the save that took it past the partial threshold, or a later one
		case c.StartedAt != nil:
			return *c.StartedAt
		}
		return time.Time{}
	}
	switch code {
	case I, P, R:
		pc.At = respondent()
	case NE, NC, O:
		if c.Mark != nil {
			pc.At = c.Mark.At
		}
	}
	if code == R && pc.At.IsZero() { // refused or reached, never started: from the mark or the contact
		pc.At = reachedAt(c)
	}
	if c.StartedAt != nil && !pc.At.IsZero() && pc.At.After(*c.StartedAt) && code != R {
		pc.Earlier = []Step{{At: *c.StartedAt, Code: R}}
	}
	return pc
}

// reachedAt is when a case that never started became R: the refusal's
// mark, or else the first logged attempt that reached the person.
func reachedAt(c *survey.Case) time.Time {
	if c.Mark != nil && Mark(c.Mark.Code) == Refused {
		return c.Mark.At
	}
	for _, ct := range c.Contacts {
		if !ct.IsEmail() && ct.Status == survey.OutcomeReached {
			return ct.At
		}
	}
	return time.Time{}
}
