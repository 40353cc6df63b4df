package simulate

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// answers draws a respondent's answers to every item they see: the
// planted model's items as plantedAnswers draws them, every other item
// plausibly but without a model (none of the truth rests on them), with a
// few left out where the item is optional.
func (p *plan) answers(rng *rand.Rand, f survey.Frame, cityEffect float64) instrument.Answers {
	a := instrument.Answers(plantedAnswers(rng, f, cityEffect))
	delete(a, "years_in_position") // Each plants a constant; here it is drawn like any other item
	for _, it := range p.in.Items() {
		if _, planted := a[it.ID]; planted || (it.ShowIf != "" && !p.in.Visible(a)[it.ID]) {
			continue
		}
		if !it.Required && rng.Float64() < skipShare(it.Type) {
			continue
		}
		a[it.ID] = draw(rng, it, f)
	}
	p.in.Clean(a)
	if err := p.in.Check(a); err != nil {
		panic("simulate: drew answers the questionnaire refuses: " + err.Error()) // a bug here, not bad input
	}
	return a
}

// skipShare is how often an optional item of the type is left unanswered:
// open texts most often.
func skipShare(questionType string) float64 {
	switch questionType {
	case instrument.Text:
		return .6
	case instrument.Textarea:
		return .85
	}
	return .05
}

// draw is one answer to it in normal form.
func draw(rng *rand.Rand, it instrument.Item, f survey.Frame) any {
	if it.DontKnow && rng.Float64() < .03 {
		return instrument.DontKnow
	}
	switch it.Type {
	case instrument.Multi:
		var codes []int
		exclusive := -1
		for _, o := range it.Options {
			if o.Exclusive {
				exclusive = o.Value
			} else if rng.Float64() < .45 {
				codes = append(codes, o.Value)
			}
		}
		if len(codes) == 0 && exclusive >= 0 {
			return []int{exclusive}
		}
		if len(codes) == 0 {
			codes = []int{it.Options[rng.IntN(len(it.Options))].Value}
		}
		slices.Sort(codes)
		return codes
	case instrument.Number:
		return number(rng, it)
	case instrument.Text, instrument.Textarea:
		return text(rng, it, f)
	}
	return it.Options[rng.IntN(len(it.Options))].Value
}

// number draws within the item's range, most often near its lower end
// (a count, such as years in a position), or its upper end when that is a
// year.
func number(rng *rand.Rand, it instrument.Item) float64 {
	lo, hi := 0.0, 100.0
	if it.Min != nil {
		lo = *it.Min
	}
	if it.Max != nil {
		hi = *it.Max
	}
	u := math.Pow(rng.Float64(), 3)
	v := lo + (hi-lo)*u
	if lo >= 1000 {
		v = hi - (hi-lo)*u
	}
	if it.Integer {
		v = math.Round(v)
	}
	return v
}

var comments = []string{
	"Our biggest obstacle is staff time, not technology.",
	"We share data with the county far more than with other city departments.",
	"An open data policy is being drafted this year.",
	"Privacy rules limit what our department can share.",
}

// text is a short answer: the person's title where the item asks for one,
// else a made-up remark.
func text(rng *rand.Rand, it instrument.Item, f survey.Frame) string {
	s := comments[rng.IntN(len(comments))]
	if strings.Contains(it.ID, "title") && f.Title != "" {
		s = f.Title
	}
	if r := []rune(s); it.MaxLength > 0 && len(r) > it.MaxLength {
		s = string(r[:it.MaxLength])
	}
	return s
}
