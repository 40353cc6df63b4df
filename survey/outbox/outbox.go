// Package outbox keeps the waves' outbox: it fills a wave's outbox from the
// cases the wave selects when it starts, records what became of each
// message — on the case's contact history first, then on its entry — keeps
// the wave's counts of its entries on the wave, and finishes the wave once
// no entry is left to send. The mailer, which sends
// the messages, and the simulated field period, which records what a field
// period sent, both keep it through here, so the two leave the same records.
package outbox

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Store is what the outbox needs of the store: cases, waves and entries,
// each written by _id.
type Store interface {
	Cases(ctx context.Context, surveyID string) ([]survey.Case, error)
	UpdateCase(ctx context.Context, id string, decide func(*survey.Case) (*survey.Change, error)) (*survey.Case, error)
	Wave(ctx context.Context, id string) (*waves.Wave, error)
	UpdateWave(ctx context.Context, id string, change func(*waves.Wave) error) (*waves.Wave, error)
	FillOutbox(ctx context.Context, entries []waves.Entry) (int, error)
	PutEntry(ctx context.Context, e *waves.Entry) error
}

// ErrNotActive says a wave was cancelled, or finished, meanwhile.
var ErrNotActive = errors.New("the wave is no longer active")

// Selected lists the ids of the cases the wave selects at now.
func Selected(ctx context.Context, st Store, w *waves.Wave, now time.Time) ([]string, error) {
	cases, err := st.Cases(ctx, w.Survey)
	if err != nil {
		return nil, err
	}
	var ids []string
	for i := range cases {
		if w.Selects(&cases[i], now) {
			ids = append(ids, cases[i].ID)
		}
	}
	return ids, nil
}

// Start fills a wave's outbox from the cases it selects now, then marks it
// sending, and returns it with the entries it queued. A crash in between
// leaves it scheduled, and filling again adds no entry twice (and counts
// only the new ones: the entries of the first try were counted when the
// outbox was read after the crash). A wave cancelled meanwhile is returned
// as it is.
func Start(ctx context.Context, st Store, w *waves.Wave, now time.Time) (*waves.Wave, []waves.Entry, error) {
	ids, err := Selected(ctx, st, w, now)
	if err != nil {
		return nil, nil, err
	}
	entries := make([]waves.Entry, len(ids))
	for i, id := range ids {
		entries[i] = waves.Entry{ID: waves.OutboxID(w.ID, id), Wave: w.ID, Case: id, Status: waves.EntryPending, NextAttemptAt: now, UpdatedAt: now}
	}
	added, err := st.FillOutbox(ctx, entries)
	if err != nil {
		return nil, nil, err
	}
	started, err := st.UpdateWave(ctx, w.ID, func(w *waves.Wave) error {
		w.Tally.Plus(waves.Counts{Queued: added, Pending: added})
		if w.Status == waves.StatusScheduled {
			w.Status, w.StartedAt = waves.StatusSending, &now
		}
		return nil
	})
	return started, entries, err
}

// contactStatus is the contact an entry's final status leaves on the case;
// none for an entry skipped.
var contactStatus = map[string]string{waves.EntrySent: survey.ContactSent, waves.EntryBounced: survey.ContactBounced,
	waves.EntryFailed: survey.ContactFailed, waves.EntryUncertain: survey.ContactUncertain}

// Settle records an entry's final status at now, with the case's contact
// when a message was sent or given up on: the case first, so that after a
// crash in between the entry can be settled from the case.
func Settle(ctx context.Context, st Store, w *waves.Wave, e *waves.Entry, status, why string, now time.Time) error {
	if err := contact(ctx, st, w, e.Case, status, why, now); err != nil {
		return err
	}
	settle(e, status, why, now)
	if err := st.PutEntry(ctx, e); err != nil || status != waves.EntryUncertain && e.Attempts == 0 {
		return err
	}
	// A crash before this write leaves the wave's lists wrong by one until
	// the next mailer recovers the outbox and lists them again.
	_, err := st.UpdateWave(ctx, e.Wave, func(w *waves.Wave) error {
		w.Retrying = waves.Without(w.Retrying, e.Case)
		if status == waves.EntryUncertain {
			w.Unresolved = waves.With(w.Unresolved, e.Case)
		}
		return nil
	})
	return err
}

// Retry records an entry the mail server refused for now, to be tried
// again: after its first refusal, its case joins the wave's Retrying.
func Retry(ctx context.Context, st Store, e *waves.Entry) error {
	if err := st.PutEntry(ctx, e); err != nil || e.Attempts != 1 {
		return err
	}
	_, err := st.UpdateWave(ctx, e.Wave, func(w *waves.Wave) error { w.Retrying = waves.With(w.Retrying, e.Case); return nil })
	return err
}

// Uncertain records an entry the mailer stopped while handing it to the
// mail server, at now: on the case first, as a contact that keeps the case
// out of every later wave until staff resolve it, then on the entry. It is
// never sent again by itself.
func Uncertain(ctx context.Context, st Store, e *waves.Entry, why string, now time.Time) error {
	w, err := st.Wave(ctx, e.Wave)
	if err != nil {
		return err
	}
	return Settle(ctx, st, w, e, waves.EntryUncertain, why, now)
}

// contact records on the case the message an entry's final status says
// was sent, given up on or maybe sent; none for an entry skipped, and none
// for a wave whose message has its outcome on the case already (Recover
// may settle an entry whose case has it).
func contact(ctx context.Context, st Store, w *waves.Wave, caseID, status, why string, at time.Time) error {
	c := contactStatus[status]
	if c == "" {
		return nil
	}
	_, err := st.UpdateCase(ctx, caseID, func(cur *survey.Case) (*survey.Change, error) {
		if cur.Messaged(w.ID) {
			return nil, errRecorded
		}
		return &survey.Change{At: at, Contact: &survey.Contact{Wave: w.ID, Kind: w.Kind, Mode: survey.ModeEmail, Status: c, At: at, Error: why}}, nil
	})
	if errors.Is(err, errRecorded) {
		return nil
	}
	return err
}

// errRecorded leaves a case that already has the contact as it is.
var errRecorded = errors.New("the contact is recorded already")

// settle gives an entry its final status.
func settle(e *waves.Entry, status, why string, at time.Time) {
	e.Status, e.LastError, e.UpdatedAt = status, why, at
	if status == waves.EntrySent {
		e.SentAt = &at
	}
}

// Delivery is what became of one message of a wave sent all at once
// elsewhere: its entry's final status, why, and when.
type Delivery struct {
	Case, Status, Why string
	At                time.Time
}

// Record keeps a wave whose messages were all sent at once, as the mailer
// would have left it, with one write to the outbox instead of one per
// message: each case's contact first (writers cases at a time: they are
// independent), then every entry settled, then the wave done at finished.
// A simulated field period records its waves so.
func Record(ctx context.Context, st Store, w *waves.Wave, ds []Delivery, finished time.Time, writers int) error {
	entries := make([]waves.Entry, len(ds))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(writers)
	for i, d := range ds {
		entries[i] = waves.Entry{ID: waves.OutboxID(w.ID, d.Case), Wave: w.ID, Case: d.Case, NextAttemptAt: w.ScheduledAt}
		settle(&entries[i], d.Status, d.Why, d.At)
		g.Go(func() error { return contact(gctx, st, w, d.Case, d.Status, d.Why, d.At) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if _, err := st.FillOutbox(ctx, entries); err != nil {
		return err
	}
	_, err := st.UpdateWave(ctx, w.ID, func(w *waves.Wave) error {
		if w.Status != waves.StatusScheduled {
			return ErrNotActive
		}
		started := w.ScheduledAt
		w.Status, w.StartedAt, w.FinishedAt, w.Tally = waves.StatusDone, &started, &finished, waves.Counts{}
		for i := range entries {
			w.Tally.Add(&entries[i])
			if entries[i].Status == waves.EntryUncertain {
				w.Unresolved = waves.With(w.Unresolved, entries[i].Case)
			}
		}
		return nil
	})
	return err
}

// Resettle writes an entry its sender had settled, at the other final
// status someone else found for it later — staff resolving an uncertain
// message, a bounce coming back — and moves the wave's counts with it.
func Resettle(ctx context.Context, st interface {
	PutEntry(ctx context.Context, e *waves.Entry) error
	UpdateWave(ctx context.Context, id string, change func(*waves.Wave) error) (*waves.Wave, error)
}, e *waves.Entry, from string) error {
	if err := st.PutEntry(ctx, e); err != nil || e.Status == from {
		return err
	}
	var d waves.Counts
	d.Move(from, e)
	_, err := st.UpdateWave(ctx, e.Wave, func(w *waves.Wave) error {
		w.Tally.Plus(d)
		if from == waves.EntryUncertain {
			w.Unresolved = waves.Without(w.Unresolved, e.Case)
		}
		return nil
	})
	return err
}

// Count adds to a wave's counts d, what became of its entries since the
// last time, and with done — its sender has no entry left to send — marks
// it done if it is still active. It returns the wave as it is now.
func Count(ctx context.Context, st Store, waveID string, d waves.Counts, done bool, now time.Time) (*waves.Wave, error) {
	return st.UpdateWave(ctx, waveID, func(w *waves.Wave) error {
		w.Tally.Plus(d)
		if done && w.Active() {
			w.Status, w.FinishedAt, w.PausedUntil, w.LastError = waves.StatusDone, &now, nil, ""
		}
		return nil
	})
}
