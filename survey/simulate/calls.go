package simulate

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
)

// callOutcomes are the outcomes of Response.PhoneOutcome, in its order: a
// wrong number is an undeliverable call.
var callOutcomes = []string{survey.OutcomeReached, survey.OutcomeLeftMessage, survey.OutcomeNoAnswer, survey.OutcomeUndeliverable}

// calls adds the staff's phone follow-up after the last reminder (see
// Response.Phone): a call to a person who has not started, maybe a second
// when nobody answered, and what the person said. rng is the case's own.
func (p *plan) calls(rng *rand.Rand, s *story) {
	r := Planted
	if rng.Float64() >= r.Phone {
		return
	}
	at := p.officeHours(rng, p.waves[len(p.waves)-1].At.Add(sendWindow), 1+rng.IntN(5))
	outcome := callOutcomes[pick(rng, r.PhoneOutcome)]
	if !p.call(rng, s, at, outcome) || outcome != survey.OutcomeNoAnswer || rng.Float64() >= r.PhoneAgain {
		return
	}
	answered := r.PhoneOutcome[:3] // a number that rang out is no wrong number
	total := answered[0] + answered[1] + answered[2]
	again := []float64{answered[0] / total, answered[1] / total, answered[2] / total}
	p.call(rng, s, p.officeHours(rng, at, 2+rng.IntN(2)), callOutcomes[pick(rng, again)])
}

// call adds a call at at with its outcome, and reports whether it was
// made: staff call only a person who, by then, has not started, and whom
// no bounce or mark puts out of reach, within the field period.
func (p *plan) call(rng *rand.Rand, s *story, at time.Time, outcome string) bool {
	if !at.Before(p.o.End()) {
		return false
	}
	if c := p.replayUntil(s, "", at); c.Status != survey.StatusNew || c.Bounced() || c.Mark != nil || c.DoNotContact != nil {
		return false
	}
	e := event{At: at, Kind: evCall, Outcome: outcome}
	var then []event
	switch outcome {
	case survey.OutcomeReached:
		later := slices.IndexFunc(s.Events, func(e event) bool { return e.At.After(at) })
		switch {
		case later >= 0 && s.Events[later].Kind == evOptOut:
			e.Note = "spoke with them: not interested"
		case later >= 0:
			e.Note = "spoke with them: they will fill it in this week"
		case rng.Float64() < Planted.Refuse:
			e.Note = "spoke with them: declined to take part"
			then = append(then, event{At: at.Add(time.Minute), Kind: evMark, Mark: aapor.Refused,
				Note: choose(rng, "declined on the phone: too busy this year", "declined on the phone: does not answer surveys",
					"declined on the phone: the department does not take part in surveys")})
			if rng.Float64() < Planted.DoNotContact {
				then = append(then, event{At: at.Add(2 * time.Minute), Kind: evDNC, Note: "asked on the phone not to be contacted again"})
			}
		default:
			e.Note = "spoke with them: they will look at it"
		}
	case survey.OutcomeLeftMessage:
		e.Note = choose(rng, "left a voicemail", "left a message with the front desk")
	case survey.OutcomeUndeliverable:
		e.Note = "wrong number: the number on file reaches another office"
	}
	s.Events = append(append(s.Events, e), then...)
	slices.SortStableFunc(s.Events, func(a, b event) int { return a.At.Compare(b.At) })
	return true
}

// officeHours is a moment of office hours, 9:00 to 16:30 in the
// questionnaire's time zone, on the weekday that is days weekdays after
// the day of after.
func (p *plan) officeHours(rng *rand.Rand, after time.Time, days int) time.Time {
	loc := p.in.FieldPeriod.Location()
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := after.In(loc).Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, loc)
	for n := 0; n < days; {
		if day = day.AddDate(0, 0, 1); day.Weekday() != time.Saturday && day.Weekday() != time.Sunday {
			n++
		}
	}
	y, m, d = day.Date()
	return time.Date(y, m, d, 9, 0, 0, 0, loc).Add(time.Duration(rng.IntN(450)) * time.Minute).UTC()
}

// choose draws one of the texts.
func choose(rng *rand.Rand, texts ...string) string { return texts[rng.IntN(len(texts))] }
