package simulate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Staff is the actor the simulation's staff actions name.
const Staff = "simulated staff"

// change is the change the services make for an event on case c —
// respond.Service's for the person's; fieldwork.Service's Mark, LogContact
// and DoNotContact for staff's — so that a story replays without a store
// to the case the services leave.
func (p *plan) change(c *survey.Case, e *event) *survey.Change {
	ch := &survey.Change{At: e.At}
	switch e.Kind {
	case evStart, evSave:
		ch.Device = e.Device
		if c.Status == survey.StatusNew {
			ch.Status = survey.StatusStarted
		}
		if e.Kind == evSave {
			ch.SetAnswers, ch.Page = maps.Clone(e.Set), e.Next
			ch.PageSeconds = e.pageSeconds()
		}
	case evSubmit:
		ch.Status = survey.StatusSubmitted
	case evOptOut:
		ch.Status = survey.StatusOptedOut
	case evMark:
		ch.Mark = &survey.Mark{Code: string(e.Mark), Note: e.Note, At: e.At, By: Staff}
		ch.Event = &survey.Event{At: e.At, By: Staff, What: "mark", Code: string(e.Mark), Note: e.Note}
	case evCall:
		ch.Contact = &survey.Contact{Mode: survey.ModePhone, Status: e.Outcome, Note: e.Note, At: e.At, By: Staff}
	case evDNC:
		ch.DoNotContact = &survey.Flag{At: e.At, By: Staff, Note: e.Note}
		ch.Event = &survey.Event{At: e.At, By: Staff, What: "do_not_contact", Note: e.Note}
	}
	return ch
}

// contactChange is the change the mailer makes when a message is sent or bounces.
func (p *plan) contactChange(ct contact) *survey.Change {
	w := p.waves[ct.Wave]
	return &survey.Change{At: ct.At, Contact: &survey.Contact{Wave: w.ID, Kind: w.Kind, Status: ct.Status, At: ct.At, Error: ct.Error}}
}

// replay is the case as the field period leaves it: imported at the start,
// then every message and event in time order.
func (p *plan) replay(s *story, id string) *survey.Case { return p.replayUntil(s, id, time.Time{}) }

// replayUntil is the case as it stands at until, before what happens
// then; the zero until is the end.
func (p *plan) replayUntil(s *story, id string, until time.Time) *survey.Case {
	c := &survey.Case{ID: id, Survey: p.in.ID, Frame: s.Frame, Status: survey.StatusNew, CreatedAt: p.o.Start, UpdatedAt: p.o.Start}
	before := func(t time.Time) bool { return until.IsZero() || t.Before(until) }
	i, j := 0, 0
	for (i < len(s.Contacts) && before(s.Contacts[i].At)) || (j < len(s.Events) && before(s.Events[j].At)) {
		if j == len(s.Events) || (i < len(s.Contacts) && !s.Contacts[i].At.After(s.Events[j].At)) {
			c.Apply(p.contactChange(s.Contacts[i]))
			i++
		} else {
			c.Apply(p.change(c, &s.Events[j]))
			j++
		}
	}
	return c
}

// Summary is what a simulated field period left: every case's AAPOR
// disposition, overall and by department.
type Summary struct {
	Cases        int                     `json:"cases"`
	Counts       aapor.Counts            `json:"dispositions"`
	ByDepartment map[string]aapor.Counts `json:"by_department"`
	// Staff's phone follow-up after the last reminder: the calls logged,
	// the cases called, those reached, those marked refused, and those on
	// the do-not-contact list.
	Calls        int       `json:"calls"`
	Called       int       `json:"called"`
	Reached      int       `json:"reached"`
	Refused      int       `json:"refused"`
	DoNotContact int       `json:"do_not_contact"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
}

func newSummary(o Options) *Summary {
	return &Summary{ByDepartment: map[string]aapor.Counts{}, Start: o.Start, End: o.End()}
}

// add counts a case.
func (s *Summary) add(c *survey.Case, in *instrument.Instrument) {
	code := aapor.DefaultThresholds.Code(aapor.FactsOf(c, in))
	s.Cases++
	s.Counts.Add(code, 1)
	d := s.ByDepartment[c.Frame.Department]
	d.Add(code, 1)
	s.ByDepartment[c.Frame.Department] = d
	calls := 0
	for _, ct := range c.Contacts {
		if ct.Mode == survey.ModePhone {
			calls++
		}
	}
	s.Calls += calls
	if calls > 0 {
		s.Called++
	}
	if c.Reached() {
		s.Reached++
	}
	if c.Mark != nil && aapor.Mark(c.Mark.Code) == aapor.Refused {
		s.Refused++
	}
	if c.DoNotContact != nil {
		s.DoNotContact++
	}
}

// String says it in a few lines, with the response rates.
func (s *Summary) String() string {
	var b strings.Builder
	c := s.Counts
	fmt.Fprintf(&b, "%d cases, %s to %s: %d complete, %d partial, %d refused or broke off, %d not reached (NC %d, O %d), %d never answered or bounced (UO), %d not eligible\n",
		s.Cases, s.Start.Format("2006-01-02"), s.End.Format("2006-01-02"), c.I, c.P, c.R, c.NC+c.O, c.NC, c.O, c.UO, c.NE)
	fmt.Fprintf(&b, "response rate RR2 %s overall", percent(c.Rates(aapor.DefaultE(c)).RR2))
	for _, d := range slices.Sorted(maps.Keys(s.ByDepartment)) {
		dc := s.ByDepartment[d]
		fmt.Fprintf(&b, "; %s %s", d, percent(dc.Rates(aapor.DefaultE(dc)).RR2))
	}
	b.WriteString("\n")
	if s.Called > 0 {
		fmt.Fprintf(&b, "after the last reminder staff phoned %d who had not started (%d calls): %d reached, %d refused, %d put on the do-not-contact list\n",
			s.Called, s.Calls, s.Reached, s.Refused, s.DoNotContact)
	}
	return b.String()
}

func percent(r *float64) string {
	if r == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100**r)
}
