// Package fieldperiod is the field period as a PI runs it. The
// questionnaire file gives its dates; while the survey is in the field a PI
// may move the close (to extend collection, or end it sooner) and pause and
// resume collection, without a restart. What the PI changed is kept in the
// store, one document per survey, so that every instance serving the survey
// sees it.
package fieldperiod

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Setting is what a PI changed of a survey's field period: its document in
// the store.
type Setting struct {
	ID  string `bson:"_id"` // the survey
	Rev int64  `bson:"rev"` // counts its updates, for writes from several instances
	// Closes replaces the questionnaire's close; nil: as the file says.
	Closes *time.Time `bson:"closes,omitempty"`
	// PausedUntil is when a pause ends; nil, or past: not paused.
	PausedUntil *time.Time `bson:"paused_until,omitempty"`
	UpdatedAt   *time.Time `bson:"updated_at,omitempty"`
	UpdatedBy   string     `bson:"updated_by,omitempty"`
}

// Period is the field period in force: the questionnaire's, as a PI
// changed it.
type Period struct {
	Opens  time.Time `json:"opens"`
	Closes time.Time `json:"closes"`
	// QuestionnaireCloses is the close the questionnaire file gives.
	QuestionnaireCloses time.Time  `json:"questionnaire_closes"`
	TimeZone            string     `json:"time_zone"`
	PausedUntil         *time.Time `json:"paused_until,omitempty"`
	UpdatedAt           *time.Time `json:"updated_at,omitempty"`
	UpdatedBy           string     `json:"updated_by,omitempty"`

	loc *time.Location
}

// Of is the questionnaire's field period as the setting changes it; a nil
// setting changes nothing.
func Of(fp instrument.FieldPeriod, s *Setting) Period {
	p := Period{Opens: fp.Opens, Closes: fp.Closes, QuestionnaireCloses: fp.Closes, TimeZone: fp.TimeZone, loc: fp.Location()}
	if s != nil {
		if s.Closes != nil {
			p.Closes = s.Closes.In(p.loc)
		}
		p.PausedUntil, p.UpdatedAt, p.UpdatedBy = inZone(s.PausedUntil, p.loc), inZone(s.UpdatedAt, p.loc), s.UpdatedBy
	}
	return p
}

func inZone(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	in := t.In(loc)
	return &in
}

// Location is the survey's time zone.
func (p Period) Location() *time.Location { return p.loc }

// PausedAt reports whether collection is paused at t.
func (p Period) PausedAt(t time.Time) bool {
	return p.PausedUntil != nil && t.Before(*p.PausedUntil)
}

// Open reports whether the survey accepts answers at t: Opens ≤ t < Closes,
// and no pause.
func (p Period) Open(t time.Time) bool {
	return !t.Before(p.Opens) && t.Before(p.Closes) && !p.PausedAt(t)
}

// LastDay is the last day of collection: the end is excluded, so a close
// at midnight makes it the day before.
func (p Period) LastDay() string { return day(p.Closes.Add(-time.Nanosecond), p.loc) }

// Closed says why the survey takes no answers at t, as the respondent
// reads it: a title and a sentence; both empty when it takes them.
func (p Period) Closed(t time.Time) (title, why string) {
	switch {
	case t.Before(p.Opens):
		return "The survey is not open yet", "Thank you for your interest. The survey opens on " + day(p.Opens, p.loc) + ". Please come back then with the same link."
	case !t.Before(p.Closes):
		return "The survey has closed", "Thank you for your interest. The survey closed on " + p.LastDay() + " and no longer accepts answers."
	case p.PausedAt(t):
		return "Collection is paused", "Collection is paused until " + p.PausedUntil.Format("Monday, January 2, 2006 at 3:04 PM MST") +
			". Your answers so far are kept; please come back then with the same link."
	}
	return "", ""
}

// Refusal is the error a change of answers gets at t: ECLOSED saying why,
// or nil when the survey takes answers.
func (p Period) Refusal(t time.Time) error {
	if _, why := p.Closed(t); why != "" {
		return survey.Errorf(survey.ECLOSED, "%s", why)
	}
	return nil
}

func day(t time.Time, loc *time.Location) string { return t.In(loc).Format("Monday, January 2, 2006") }

// Change is what a PI asks: a new close, a pause until a time, or the end
// of the pause — any of them, resume excluding a pause. Times are
// YYYY-MM-DDTHH:MM in the survey's zone or RFC 3339; a close may also be a
// date, YYYY-MM-DD, the last day of collection.
type Change struct {
	Closes      string `json:"closes" form:"closes"`
	PausedUntil string `json:"paused_until" form:"paused_until"`
	Resume      bool   `json:"resume" form:"resume"`
}

// apply checks the change against the period p in force at now and
// makes it on the setting s, naming each problem by its field.
func (ch Change) apply(s *Setting, p Period, now time.Time, by string) error {
	fields := map[string]string{}
	if ch.Closes == "" && ch.PausedUntil == "" && !ch.Resume {
		return survey.FieldErrors("Nothing to change", map[string]string{"closes": "give a new close, paused_until or resume"})
	}
	stamp := func(t time.Time) string { return t.In(p.loc).Format("2006-01-02 15:04 MST") }
	past := "is in the past: it is " + stamp(now) + " now"
	closes := p.Closes
	if ch.Closes != "" {
		t, err := parse(ch.Closes, p.loc, true)
		switch {
		case err != nil:
			fields["closes"] = err.Error()
		case !t.After(p.Opens):
			fields["closes"] = "must be after the start, " + stamp(p.Opens)
		case !t.After(now):
			fields["closes"] = past
		default:
			closes = t
		}
	}
	var until *time.Time
	switch {
	case ch.Resume && ch.PausedUntil != "":
		fields["resume"] = "resume or pause, not both"
	case ch.PausedUntil != "":
		t, err := parse(ch.PausedUntil, p.loc, false)
		switch {
		case err != nil:
			fields["paused_until"] = err.Error()
		case !t.After(now):
			fields["paused_until"] = past
		default:
			until = &t
		}
	case !ch.Resume:
		until = p.PausedUntil
	}
	switch { // a pause ends before the close
	case len(fields) > 0 || until == nil || until.Before(closes):
	case ch.PausedUntil != "":
		fields["paused_until"] = "must be before the close, " + stamp(closes) + "; move the close first"
	default:
		fields["closes"] = "must be after the end of the pause, " + stamp(*until) + "; resume first"
	}
	if len(fields) > 0 {
		return survey.FieldErrors("The field period was not changed", fields)
	}
	if ch.Closes != "" {
		s.Closes = &closes
	}
	s.PausedUntil, s.UpdatedAt, s.UpdatedBy = until, &now, by
	return nil
}

// parse reads a time in the survey's zone; a date alone, where allowed,
// is the whole of that day.
func parse(v string, loc *time.Location, date bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.ParseInLocation("2006-01-02T15:04", v, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(loc), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil && date {
		return t.AddDate(0, 0, 1), nil
	}
	want := "YYYY-MM-DDTHH:MM in the survey's time zone (" + loc.String() + "), or RFC 3339"
	if date {
		want = "YYYY-MM-DD (the last day), or " + want
	}
	return time.Time{}, survey.Errorf(survey.EINVALID, "want %s", want)
}

// Store is what the field period needs of the store.
type Store interface {
	// FieldPeriod returns a survey's setting; ENOTFOUND when no PI changed
	// anything.
	FieldPeriod(ctx context.Context, surveyID string) (*Setting, error)
	// UpdateFieldPeriod lets change modify the survey's setting, made empty
	// if there is none, and writes it, one writer at a time across
	// instances.
	UpdateFieldPeriod(ctx context.Context, surveyID string, change func(*Setting) error) (*Setting, error)
}

// MaxAge is how long an instance keeps the period it read: a change made
// on another instance reaches its respondents within that time, one made
// here at once.
const MaxAge = time.Second

// Keeper reads and changes a survey's field period. Every respondent's
// request asks for it, so it keeps the period it last read for MaxAge
// rather than read the store each time.
type Keeper struct {
	Store      Store
	Instrument *instrument.Instrument
	// Wall is the real clock, which ages the period kept; nil: time.Now.
	Wall func() time.Time

	mu      sync.Mutex
	last    *Period
	read    time.Time // when last was read
	changes int       // made here, so that a read they overtook is not kept
}

func (k *Keeper) wall() time.Time {
	if k.Wall == nil {
		return time.Now()
	}
	return k.Wall()
}

// Current is the field period in force.
func (k *Keeper) Current(ctx context.Context) (Period, error) {
	k.mu.Lock()
	if k.last != nil && k.wall().Sub(k.read) < MaxAge {
		defer k.mu.Unlock()
		return *k.last, nil
	}
	changes := k.changes
	k.mu.Unlock()
	s, err := k.Store.FieldPeriod(ctx, k.Instrument.ID)
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		s, err = nil, nil
	}
	if err != nil {
		return Period{}, err
	}
	p := Of(k.Instrument.FieldPeriod, s)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.changes == changes { // else a change made here overtook this read
		k.last, k.read = &p, k.wall()
	}
	return p, nil
}

// InForce is the questionnaire with the close in force, for what quotes
// the close, such as a wave's messages.
func (k *Keeper) InForce(ctx context.Context) (*instrument.Instrument, error) {
	p, err := k.Current(ctx)
	if err != nil {
		return nil, err
	}
	in := *k.Instrument
	in.FieldPeriod.Closes = p.Closes
	return &in, nil
}

// Change makes the change ch that by asks at now, checked against the
// period in force as stored, and returns the new period.
func (k *Keeper) Change(ctx context.Context, ch Change, by string, now time.Time) (Period, error) {
	s, err := k.Store.UpdateFieldPeriod(ctx, k.Instrument.ID, func(s *Setting) error {
		return ch.apply(s, Of(k.Instrument.FieldPeriod, s), now, by)
	})
	if err != nil {
		return Period{}, err
	}
	p := Of(k.Instrument.FieldPeriod, s)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.changes++
	k.last, k.read = &p, k.wall()
	return p, nil
}
