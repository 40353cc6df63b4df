package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/respond"
	"github.com/canvass-survey/canvass/survey/waves"
)

// plan is a field period's fixed frame: its schedule and the model's
// constants, from which every case's story follows.
type plan struct {
	o         Options
	in        *instrument.Instrument
	nav       *respond.Service // pages and their order; no store
	waves     []wave
	intercept float64
}

// wave is one message of the schedule.
type wave struct {
	ID, Kind string
	At       time.Time
}

// sendWindow is how long a wave takes to go out: its messages are spread
// over it, and nobody answers while one is going out (see story.clear), so
// that which cases a wave selects does not depend on the order of sending.
const sendWindow = 30 * time.Minute

func newPlan(o Options) *plan {
	p := &plan{o: o, in: o.Instrument, nav: &respond.Service{Instrument: o.Instrument},
		intercept: math.Log(o.ResponseRate / (1 - o.ResponseRate))}
	for i, days := range []int{0, 7, 14} {
		at := o.Start.Add(time.Hour).AddDate(0, 0, days)
		kind := waves.KindReminder
		if i == 0 {
			kind = waves.KindInvitation
		}
		p.waves = append(p.waves, wave{ID: waves.IDFor("simulate", fmt.Sprintf("%d/%d", o.Seed, i)), Kind: kind, At: at})
	}
	return p
}

func (p *plan) cases() int { return p.o.Cities * len(p.in.Frame.Departments) }

// story is what happens to one case during the field period: the messages
// it gets and what the person and staff do, in time order.
type story struct {
	Index    int
	Frame    survey.Frame
	Contacts []contact
	Events   []event
}

// contact is a message of wave Wave to the case.
type contact struct {
	Wave          int
	Status, Error string
	At            time.Time
}

// Kinds of event.
const (
	evStart  = "start"  // consent given
	evSave   = "save"   // a page posted
	evSubmit = "submit" // the answers made final
	evOptOut = "optout" // the person declines
	evMark   = "mark"   // staff record a disposition
	evCall   = "call"   // staff log a phone call
	evDNC    = "dnc"    // staff put the case on the do-not-contact list
)

// event is one thing the person or staff do.
type event struct {
	At      time.Time
	Kind    string
	Page    string             // evSave: the page's id
	Next    string             // evSave: where the link resumes
	Set     instrument.Answers // evSave: the page's answers
	Seconds float64            // evSave: time on the page
	Device  string
	Mark    aapor.Mark // evMark
	Outcome string     // evCall: survey.Outcome*
	Note    string     // evMark, evCall, evDNC
}

// each makes the stories of the field period, city by city, in order, and
// hands them to fn. The frame comes from frame.Cities; each city draws the
// rest from its own generator, so a city's stories are the same whatever
// else is asked.
func (p *plan) each(fn func(*story) error) error {
	cities := frame.NewCities(int64(p.o.Seed), p.in)
	index := 0
	for c := range p.o.Cities {
		rows := cities.Next()
		rng := rand.New(rand.NewPCG(p.o.Seed, uint64(c)+2))
		calls := rand.New(rand.NewPCG(p.o.Seed, phoneStream|uint64(c)))
		effect, propensity := rng.NormFloat64(), Planted.CitySD*rng.NormFloat64()
		for _, f := range rows {
			// Each case's calls from a generator of its own, so that they
			// change nothing else that is drawn, and whether one case is
			// called no other case's calls.
			phone := rand.New(rand.NewPCG(calls.Uint64(), calls.Uint64()))
			if err := fn(p.story(rng, phone, index, f, effect, propensity)); err != nil {
				return err
			}
			index++
		}
	}
	return nil
}

// phoneStream sets the generators of the staff's calls apart from the
// cities' own (see each).
const phoneStream = 1 << 63

// story draws one case's field period: its fate (out of reach, answering,
// opting out, or neither), the person's events, the messages the waves
// send it as they select it, then the staff's calls after the last
// reminder, from phone.
func (p *plan) story(rng, phone *rand.Rand, index int, f survey.Frame, cityEffect, cityPropensity float64) *story {
	s := &story{Index: index, Frame: f}
	r := Planted
	invited := p.waves[0].At.Add(time.Duration(rng.Float64() * float64(sendWindow)))
	markAt := invited.Add(time.Hour + hours(rng, r.MarkHours))
	reachable := false // within staff's reach by phone: none of the fates staff mark
	switch u := rng.Float64(); {
	case u < r.Bounce:
		s.Contacts = []contact{{Wave: 0, Status: survey.ContactBounced, At: invited, Error: "550 5.1.1 <" + f.Email + ">: mailbox unavailable"}}
		return s
	case u < r.Bounce+r.LateBounce:
		s.add(event{At: markAt, Kind: evMark, Mark: aapor.Bounced, Note: "delivery failure notice: mailbox unavailable"})
	case u < r.Bounce+r.LateBounce+r.Ineligible:
		s.add(event{At: markAt, Kind: evMark, Mark: aapor.Ineligible, Note: "replied: has left the position"})
	case u < r.Bounce+r.LateBounce+r.Ineligible+r.Unavailable:
		s.add(event{At: markAt, Kind: evMark, Mark: aapor.Unavailable, Note: "out-of-office reply for the whole field period"})
	default:
		p.person(rng, s, cityEffect, cityPropensity)
		reachable = true
	}
	p.clear(s)
	p.contacts(rng, s, invited)
	if reachable {
		p.calls(phone, s)
	}
	return s
}

// person draws whether the person answers or opts out, after which
// message, and how far they get.
func (p *plan) person(rng *rand.Rand, s *story, cityEffect, cityPropensity float64) {
	r := Planted
	eta := p.intercept + r.Department[s.Frame.Department] + r.LogPopulation*(math.Log(float64(s.Frame.Population))-midLogPopulation) + cityPropensity
	answers := rng.Float64() < 1/(1+math.Exp(-eta))
	if !answers && rng.Float64() >= r.OptOut {
		return
	}
	after := p.waves[pick(rng, r.AfterWave)].At.Add(time.Duration(rng.Float64() * float64(sendWindow)))
	at := after.Add(r.MinDelay + hours(rng, r.DelayHours))
	device := "desktop"
	if rng.Float64() < r.Mobile {
		device = "mobile"
	}
	if !answers {
		s.add(event{At: at, Kind: evOptOut, Device: device})
		return
	}
	a := p.answers(rng, s.Frame, cityEffect)
	pages := p.nav.VisiblePages(p.in.Visible(a))
	n := len(pages)
	stop, submit, resume := n, true, n
	switch u := rng.Float64(); {
	case u < r.Complete && n > 1 && rng.Float64() < r.TwoSittings:
		resume = 1 + rng.IntN(n-1)
	case u < r.Complete:
	case u < r.Complete+r.Partial:
		stop, submit = n*3/5+rng.IntN(n-n*3/5), false
	default:
		stop, submit = rng.IntN(n/3+1), false
	}
	s.add(event{At: at, Kind: evStart, Device: device})
	at = p.sitting(rng, s, a, pages, 0, min(stop, resume), at, device)
	if resume < stop {
		at = at.Add(2*time.Hour + hours(rng, r.ResumeHours))
		at = p.sitting(rng, s, a, pages, resume, stop, at, device)
	}
	if submit {
		s.add(event{At: at.Add(time.Duration(10+rng.IntN(60)) * time.Second), Kind: evSubmit, Device: device})
	}
}

// sitting adds the saves of pages[from:to], the first at start, and
// returns when the last was saved.
func (p *plan) sitting(rng *rand.Rand, s *story, a instrument.Answers, pages []int, from, to int, at time.Time, device string) time.Time {
	for i := from; i < to; i++ {
		page := pages[i]
		set := instrument.Answers{}
		items := 0
		for _, it := range p.in.PageItems(page) {
			items++
			if v, ok := a[it.ID]; ok {
				set[it.ID] = v
			}
		}
		next := respond.Review
		if i+1 < len(pages) {
			next = p.in.Pages[pages[i+1]].ID
		}
		seconds := math.Round((8+6*float64(items))*math.Exp(.5*rng.NormFloat64())*10) / 10
		at = at.Add(time.Duration(seconds * float64(time.Second)))
		s.add(event{At: at, Kind: evSave, Page: p.in.Pages[page].ID, Next: next, Set: set, Seconds: seconds, Device: device})
	}
	return at
}

// pageSeconds is a save's paradata: the time on its page.
func (e *event) pageSeconds() map[string]float64 { return map[string]float64{e.Page: e.Seconds} }

// add appends an event; events are added in time order within a sitting,
// and clear sorts them.
func (s *story) add(e event) { s.Events = append(s.Events, e) }

// clear moves every sitting that would overlap a wave's sending to just
// after it, keeping the sitting whole, and drops what falls after the end
// of the field period: a second sitting too late leaves a partial or a
// break-off, as it would.
func (p *plan) clear(s *story) {
	slices.SortStableFunc(s.Events, func(a, b event) int { return a.At.Compare(b.At) })
	for i := 0; i < len(s.Events); {
		j := i + 1 // the sitting: events less than an hour apart
		for j < len(s.Events) && s.Events[j].At.Sub(s.Events[j-1].At) < time.Hour {
			j++
		}
		for _, w := range p.waves {
			if s.Events[i].At.Before(w.At.Add(sendWindow)) && !s.Events[j-1].At.Before(w.At) {
				shift := w.At.Add(sendWindow + time.Minute).Sub(s.Events[i].At)
				for k := i; k < j; k++ {
					s.Events[k].At = s.Events[k].At.Add(shift)
				}
			}
		}
		i = j
	}
	end := p.o.End()
	if k := slices.IndexFunc(s.Events, func(e event) bool { return !e.At.Before(end) }); k >= 0 {
		s.Events = s.Events[:k]
	}
}

// contacts adds the message of every wave that selects the case, as the
// case stands when the wave starts: the invitation goes out at invited,
// each reminder at a moment of its sending.
func (p *plan) contacts(rng *rand.Rand, s *story, invited time.Time) {
	c := &survey.Case{Status: survey.StatusNew}
	next := 0
	for w, wv := range p.waves {
		for ; next < len(s.Events) && s.Events[next].At.Before(wv.At); next++ {
			c.Apply(p.change(c, &s.Events[next]))
		}
		if !waves.Selects(wv.Kind, c) {
			continue
		}
		at := invited
		if w > 0 {
			at = wv.At.Add(time.Duration(rng.Float64() * float64(sendWindow)))
		}
		ct := contact{Wave: w, Status: survey.ContactSent, At: at}
		s.Contacts = append(s.Contacts, ct)
		c.Apply(p.contactChange(ct))
	}
}

// pick draws an index with the given probabilities.
func pick(rng *rand.Rand, shares []float64) int {
	u := rng.Float64()
	for i, s := range shares {
		if u < s {
			return i
		}
		u -= s
	}
	return len(shares) - 1
}

// hours draws an exponential time with the given mean in hours.
func hours(rng *rand.Rand, mean float64) time.Duration {
	return time.Duration(rng.ExpFloat64() * mean * float64(time.Hour))
}
