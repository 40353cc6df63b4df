package results

import (
	"context"
	"fmt"
	"time"

	"github.com/canvass-survey/canvass/survey"
)

// Schedule is a cron schedule: when the nightly run is due.
type Schedule interface {
	Next(time.Time) time.Time
}

// maxAttempts is how often a scheduled night is taken over after the
// process running it died, before it is recorded as failed: a run that
// kills its process each time must not do so forever.
const maxAttempts = 3

// lookBack bounds how far back RunDue looks for the latest due time.
const lookBack = 48 * time.Hour

// Due is the latest time at or before now that sched names, within two
// days; zero if none.
func Due(sched Schedule, now time.Time) time.Time {
	var due time.Time
	// A schedule that never fires gives the zero time (robfig/cron gives up
	// after five years): that, or a time not after the last, ends the walk.
	for t := sched.Next(now.Add(-lookBack)); !t.IsZero() && !t.After(now) && t.After(due); t = sched.Next(t) {
		due = t
	}
	return due
}

// NightID is the id of the scheduled run due at t: one id per night, so
// that two instances that both find the night due insert the same record
// and only one succeeds. It is the schedule's wall-clock time in its own
// zone, so that a time the fall-back hour repeats (01:30 twice) is still
// one night.
func NightID(t time.Time) string { return "nightly-" + t.Format("20060102T1504") }

// RunDue runs the latest scheduled night if it has no result yet, or
// takes it over if the process running it died. The caller holds the
// nightly lease (package scheduler runs it as a job), so a run recorded as
// running is not running anywhere. It is cheap when there is nothing to
// do — one lookup by _id — so it can be called every minute, which is how
// a night whose instance died is taken over and a missed night caught up.
func (s *Service) RunDue(ctx context.Context, sched Schedule) error {
	if s.Instrument.Analysis == nil {
		return nil
	}
	due := Due(sched, s.Now())
	if due.IsZero() {
		return nil
	}
	id := NightID(due)
	// Nights before the latest are not taken over: one still running died.
	err := s.settleInterrupted(ctx, func(rec *Record) bool { return rec.Trigger == TriggerSchedule && rec.ID != id })
	if err != nil {
		return err
	}
	rec, err := s.Store.ResultRecord(ctx, id)
	switch {
	case survey.ErrorCode(err) == survey.ENOTFOUND:
		r := s.newResult(id, TriggerSchedule, s.Now().UTC())
		r.ScheduledFor = &due
		if err := s.record(ctx, r, 1, true, 0); err != nil {
			if survey.ErrorCode(err) == survey.ECONFLICT {
				return nil // another instance recorded the night first
			}
			return err
		}
		s.execute(ctx, r, 1)
		return nil
	case err != nil:
		return err
	case rec.Status != StatusRunning:
		return nil
	}
	return s.takeOver(ctx, rec)
}

// takeOver reruns a scheduled night whose process died, or records it as
// failed once it has died too often.
func (s *Service) takeOver(ctx context.Context, rec *Record) error {
	r, err := rec.decodeSummary()
	if err != nil {
		return err
	}
	if rec.Attempts >= maxAttempts {
		s.finish(ctx, r, rec.Attempts, fmt.Errorf("interrupted %d times: the process running it stopped each time", rec.Attempts))
		return nil
	}
	attempts := rec.Attempts + 1
	s.Logger.Warn("taking over a nightly analysis whose process stopped", "result", r.ID, "attempt", attempts)
	r.StartedAt, r.Warnings = s.Now().UTC(), []string{}
	if err := s.record(ctx, r, attempts, false, rec.Attempts); err != nil {
		return err
	}
	s.execute(ctx, r, attempts)
	return nil
}
