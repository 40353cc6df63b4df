package fieldwork

import (
	"context"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldperiod"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// ChangeFieldPeriod moves the close, pauses or resumes collection as a PI
// asks, for every instance at once, with its audit entry.
func (s *Service) ChangeFieldPeriod(ctx context.Context, by account.Actor, ch fieldperiod.Change) (fieldperiod.Period, error) {
	if by.Role != account.RolePI {
		return fieldperiod.Period{}, survey.Errorf(survey.EFORBIDDEN, "Only a principal investigator may change the field period.")
	}
	p, err := s.Period.Change(ctx, ch, by.Email, s.Now())
	if err != nil {
		return p, err
	}
	detail := map[string]string{"closes": p.Closes.Format(time.RFC3339), "paused_until": ""}
	if p.PausedUntil != nil {
		detail["paused_until"] = p.PausedUntil.Format(time.RFC3339)
	}
	s.audit(ctx, by, "fieldperiod.change", s.Instrument.ID, "", detail)
	return p, nil
}

// inForce is the instrument with the close in force, for what quotes it.
func (s *Service) inForce(ctx context.Context) (*instrument.Instrument, error) {
	if s.Period == nil {
		return s.Instrument, nil
	}
	return s.Period.InForce(ctx)
}
