// Package respond is what a respondent can do with a personal link: open
// the questionnaire, save answers, submit, opt out. The HTML pages and the
// JSON API both go through it, so they share every rule and the storage.
package respond

import (
	"context"
	"slices"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/fieldperiod"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/token"
)

// Service carries out respondents' requests against the store.
type Service struct {
	Store      *store.Store
	Instrument *instrument.Instrument
	Hasher     token.Hasher
	Now        func() time.Time
	// Period is the field period as a PI runs it; nil: as the
	// questionnaire gives it (a simulated field period).
	Period *fieldperiod.Keeper
	// Gate bounds the writes at the store at once; nil admits all. Reads
	// pass: by _id they are cheap, and SQLite's readers do not wait for
	// its writer.
	Gate *Gate
	// Observe, if set, learns how each save ("save") and submission
	// ("submit") ended: code is "" on success, else the error's code. The
	// server counts them for its metrics; nil counts nothing.
	Observe func(action, code string)
}

// View is a case as its respondent sees it: answers normalized, and only
// those the skip logic shows.
type View struct {
	Case    *survey.Case
	Answers instrument.Answers
	Visible map[string]bool
	// Open reports whether the field period is on, so answers are accepted.
	Open bool
	// Period is the field period in force.
	Period fieldperiod.Period
	// NotKept lists, after a save, the answers it was given that the other
	// answers make not apply, so that were not kept; sorted.
	NotKept []string
}

// errUnknownToken is the same for every unknown or malformed token, so the
// answer says nothing about which tokens exist.
func errUnknownToken() error {
	return survey.Errorf(survey.ENOTFOUND, "This link is not valid. Please check that you copied the whole link from your invitation.")
}

func (s *Service) caseID(tok string) (string, error) {
	if !token.WellFormed(tok) {
		return "", errUnknownToken()
	}
	return s.Hasher.CaseID(tok), nil
}

// Open returns the respondent's view of the case behind tok.
func (s *Service) Open(ctx context.Context, tok string) (*View, error) {
	id, err := s.caseID(tok)
	if err != nil {
		return nil, err
	}
	c, err := s.Store.Case(ctx, id)
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		return nil, errUnknownToken()
	} else if err != nil {
		return nil, err
	}
	return s.view(ctx, c)
}

func (s *Service) view(ctx context.Context, c *survey.Case) (*View, error) {
	p, err := s.period(ctx)
	if err != nil {
		return nil, err
	}
	a := s.Instrument.Normalize(c.Answers)
	s.Instrument.Clean(a)
	return &View{Case: c, Answers: a, Visible: s.Instrument.Visible(a), Open: p.Open(s.Now()), Period: p}, nil
}

// period is the field period in force.
func (s *Service) period(ctx context.Context) (fieldperiod.Period, error) {
	if s.Period == nil {
		return fieldperiod.Of(s.Instrument.FieldPeriod, nil), nil
	}
	return s.Period.Current(ctx)
}

// Save records answers: set and clear come from the instrument's decoders,
// already validated. Answers that the new answers hide are cleared in the
// same write. A new case becomes started. Page, when not empty, is where the
// link resumes; pageSeconds and device are paradata.
type Save struct {
	Set         instrument.Answers
	Clear       []string
	Page        string
	PageSeconds map[string]float64
	Device      string
}

// Save applies sv to the case behind tok.
func (s *Service) Save(ctx context.Context, tok string, sv Save) (_ *View, err error) {
	defer func() { s.observe("save", err) }()
	var notKept []string
	v, err := s.update(ctx, tok, func(c *survey.Case, now time.Time) (*survey.Change, error) {
		a := s.Instrument.Normalize(c.Answers)
		for id, v := range sv.Set {
			a[id] = v
		}
		for _, id := range sv.Clear {
			delete(a, id)
		}
		hidden := s.Instrument.Clean(a)
		ch := &survey.Change{At: now, Page: sv.Page, PageSeconds: sv.PageSeconds, Device: sv.Device,
			SetAnswers: map[string]any{}}
		notKept = notKept[:0]
		for id, v := range sv.Set {
			if _, kept := a[id]; kept {
				ch.SetAnswers[id] = v
			} else {
				notKept = append(notKept, id)
			}
		}
		ch.ClearAnswers = clearList(c.Answers, sv.Clear, hidden)
		if c.Status == survey.StatusNew {
			ch.Status = survey.StatusStarted
		}
		return ch, nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(notKept)
	v.NotKept = notKept
	return v, nil
}

// clearList is the ids to remove from the stored answers: those asked for
// and those now hidden, if the store has them at all.
func clearList(stored map[string]any, asked, hidden []string) []string {
	var out []string
	for _, id := range slices.Concat(asked, hidden) {
		if _, ok := stored[id]; ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Start records consent: a new case becomes started. Starting again is harmless.
func (s *Service) Start(ctx context.Context, tok, device string) (*View, error) {
	return s.update(ctx, tok, func(c *survey.Case, now time.Time) (*survey.Change, error) {
		ch := &survey.Change{At: now, Device: device}
		if c.Status == survey.StatusNew {
			ch.Status = survey.StatusStarted
		}
		return ch, nil
	})
}

// Submit makes the answers final once every required visible question has one.
func (s *Service) Submit(ctx context.Context, tok string) (_ *View, err error) {
	defer func() { s.observe("submit", err) }()
	return s.update(ctx, tok, func(c *survey.Case, now time.Time) (*survey.Change, error) {
		a := s.Instrument.Normalize(c.Answers)
		hidden := s.Instrument.Clean(a)
		if missing := s.Instrument.Missing(a); len(missing) > 0 {
			fields := map[string]string{}
			for _, id := range missing {
				fields[id] = "This question needs an answer"
			}
			return nil, survey.FieldErrors("Some required questions have no answer yet", fields)
		}
		return &survey.Change{At: now, Status: survey.StatusSubmitted, ClearAnswers: clearList(c.Answers, nil, hidden)}, nil
	})
}

// OptOut records that the person declines. Opting out twice is harmless;
// after submitting it is a conflict: the answers stay.
func (s *Service) OptOut(ctx context.Context, tok string) (*View, error) {
	v, err := s.Open(ctx, tok)
	if err != nil || v.Case.Status == survey.StatusOptedOut {
		return v, err // opted out already: nothing to write
	}
	return s.write(ctx, tok, func(c *survey.Case) (*survey.Change, error) {
		switch c.Status {
		case survey.StatusSubmitted:
			return nil, survey.Errorf(survey.ECONFLICT, "These answers have already been submitted.")
		case survey.StatusOptedOut:
			return &survey.Change{At: c.UpdatedAt}, nil // meanwhile, from another tab
		}
		return &survey.Change{At: s.Now(), Status: survey.StatusOptedOut}, nil
	})
}

func (s *Service) observe(action string, err error) {
	if s.Observe != nil {
		s.Observe(action, survey.ErrorCode(err))
	}
}

// update runs decide on the case behind tok if it still accepts answers.
func (s *Service) update(ctx context.Context, tok string, decide func(*survey.Case, time.Time) (*survey.Change, error)) (*View, error) {
	return s.write(ctx, tok, func(c *survey.Case) (*survey.Change, error) {
		now := s.Now()
		switch {
		case c.Status == survey.StatusSubmitted:
			return nil, survey.Errorf(survey.ECONFLICT, "These answers have already been submitted and can no longer be changed.")
		case c.Status == survey.StatusOptedOut:
			return nil, survey.Errorf(survey.ECONFLICT, "You have opted out of this survey.")
		}
		// Read once the case is: a store that does not answer fails the
		// case's read, whose error says what a save needs to say.
		p, err := s.period(ctx)
		if err != nil {
			return nil, err
		}
		if !p.Open(now) {
			return nil, p.Refusal(now)
		}
		return decide(c, now)
	})
}

// write applies decide to the case behind tok, once the gate admits the
// write. An admitted write runs to its end even if the respondent goes
// away, so that what happened is settled; saves are idempotent, so a retry
// of the same answers after any failure is safe.
func (s *Service) write(ctx context.Context, tok string, decide func(*survey.Case) (*survey.Change, error)) (*View, error) {
	id, err := s.caseID(tok)
	if err != nil {
		return nil, err
	}
	// The gate is entered once the case is read and the change decided, so
	// that reads overlap the write in progress; only writes queue.
	var leave func()
	defer func() {
		if leave != nil {
			leave()
		}
	}()
	c, err := s.Store.UpdateCase(context.WithoutCancel(ctx), id, func(c *survey.Case) (*survey.Change, error) {
		ch, err := decide(c)
		if err != nil || leave != nil { // decided again after another instance wrote: the place is held
			return ch, err
		}
		if leave, err = s.Gate.Enter(ctx); err != nil {
			return nil, err
		}
		return ch, nil
	})
	switch survey.ErrorCode(err) {
	case "":
		return s.view(ctx, c)
	case survey.ENOTFOUND:
		return nil, errUnknownToken()
	case survey.EUNAVAILABLE:
		return nil, &survey.Error{Code: survey.EUNAVAILABLE, Err: err,
			Message: "We could not confirm that this was saved. Sending it again is safe: nothing is recorded twice."}
	}
	return nil, err
}
