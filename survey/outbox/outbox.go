// Package outbox keeps the waves' outbox: it fills a wave's outbox from the
// cases the wave selects when it starts, records what became of each
// message — on the case's contact history first, then on its entry — and
// finishes the wave once no entry is left to send. The mailer, which sends
// the messages, and the simulated field period, which records what a field
// period sent, both keep it through here, so the two leave the same records.
package outbox

import (
	"context"
	"errors"
	"time"

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
	Entries(ctx context.Context, waveID, status string) ([]waves.Entry, error)
	PutEntry(ctx context.Context, e *waves.Entry) error
}

// ErrNotActive says a wave was cancelled, or finished, meanwhile.
var ErrNotActive = errors.New("the wave is no longer active")

// Start fills a wave's outbox from the cases it selects now, then marks it
// sending, and returns it with how many entries it queued. A crash in
// between leaves it scheduled, and filling again adds no entry twice. A
// wave cancelled meanwhile is returned as it is.
func Start(ctx context.Context, st Store, w *waves.Wave, now time.Time) (*waves.Wave, int, error) {
	cases, err := st.Cases(ctx, w.Survey)
	if err != nil {
		return nil, 0, err
	}
	var entries []waves.Entry
	for i := range cases {
		if waves.Selects(w.Kind, &cases[i]) {
			entries = append(entries, waves.Entry{ID: waves.OutboxID(w.ID, cases[i].ID), Wave: w.ID, Case: cases[i].ID,
				Status: waves.EntryPending, NextAttemptAt: now, UpdatedAt: now})
		}
	}
	if _, err := st.FillOutbox(ctx, entries); err != nil {
		return nil, 0, err
	}
	started, err := st.UpdateWave(ctx, w.ID, func(w *waves.Wave) error {
		if w.Status != waves.StatusScheduled {
			return ErrNotActive
		}
		w.Status, w.StartedAt = waves.StatusSending, &now
		return nil
	})
	if errors.Is(err, ErrNotActive) {
		started, err = st.Wave(ctx, w.ID)
	}
	return started, len(entries), err
}

// contactStatus is the contact an entry's final status leaves on the case;
// none for an entry skipped.
var contactStatus = map[string]string{waves.EntrySent: survey.ContactSent, waves.EntryBounced: survey.ContactBounced, waves.EntryFailed: survey.ContactFailed}

// Settle records an entry's final status at now, with the case's contact
// when a message was sent or given up on: the case first, so that after a
// crash in between the entry can be settled from the case.
func Settle(ctx context.Context, st Store, w *waves.Wave, e *waves.Entry, status, why string, now time.Time) error {
	if contact := contactStatus[status]; contact != "" {
		_, err := st.UpdateCase(ctx, e.Case, func(*survey.Case) (*survey.Change, error) {
			return &survey.Change{At: now, Contact: &survey.Contact{Wave: w.ID, Kind: w.Kind, Status: contact, At: now, Error: why}}, nil
		})
		if err != nil {
			return err
		}
	}
	e.Status, e.LastError, e.UpdatedAt = status, why, now
	if status == waves.EntrySent {
		e.SentAt = &now
	}
	return st.PutEntry(ctx, e)
}

// Finish marks the wave done once no entry is left to send, and reports
// whether it did; a wave no longer active is left as it is.
func Finish(ctx context.Context, st Store, waveID string, now time.Time) (bool, error) {
	left, err := st.Entries(ctx, waveID, waves.EntryPending)
	if err != nil || len(left) > 0 {
		return false, err
	}
	_, err = st.UpdateWave(ctx, waveID, func(w *waves.Wave) error {
		if !w.Active() {
			return ErrNotActive
		}
		w.Status, w.FinishedAt, w.PausedUntil, w.LastError = waves.StatusDone, &now, nil, ""
		return nil
	})
	if errors.Is(err, ErrNotActive) {
		return false, nil
	}
	return err == nil, err
}
