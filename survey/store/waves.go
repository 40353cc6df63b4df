package store

import (
	"context"
	"errors"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Waves and their outbox: one document per wave, one per (wave, case)
// message. Every write addresses one document by _id, and no view reads the
// outbox: a wave carries its counts (waves.Wave.Tally), which its sender
// keeps. The outbox is read whole only when a mailer takes it over (Outbox):
// the embedded store would answer any other filter on it by reading it all.

func (s *Store) waveColl() *mongo.Collection   { return s.coll(collWaves) }
func (s *Store) outboxColl() *mongo.Collection { return s.coll(collOutbox) }

// InsertWave stores a new wave.
func (s *Store) InsertWave(ctx context.Context, w *waves.Wave) error {
	_, err := s.waveColl().InsertOne(ctx, w)
	return translate(err, "wave")
}

// Wave returns the wave with the given id.
func (s *Store) Wave(ctx context.Context, id string) (*waves.Wave, error) {
	return findOne[waves.Wave](ctx, s.waveColl(), byID(id), "wave")
}

// Waves lists a survey's waves, the earliest scheduled first.
func (s *Store) Waves(ctx context.Context, surveyID string) ([]waves.Wave, error) {
	return findAll[waves.Wave](ctx, s.waveColl(), bson.D{{Key: "survey", Value: surveyID}},
		options.Find().SetSort(bson.D{{Key: "scheduled_at", Value: 1}, {Key: "_id", Value: 1}}), "waves")
}

// UpdateWave reads the wave, lets change modify it, and writes it back
// whole if it is still at the revision read (revision.go), so that staff
// cancelling and the mailer finishing, in one process or several, cannot
// undo each other. change returning an error leaves the wave as it was.
func (s *Store) UpdateWave(ctx context.Context, id string, change func(*waves.Wave) error) (*waves.Wave, error) {
	unlock := s.locks.lock("wave/" + id)
	defer unlock()
	return updateAt(ctx, s, s.waveColl(), id, "wave", func(w *waves.Wave) (int64, error) {
		w.Rev++
		return w.Rev - 1, change(w)
	})
}

// FillOutbox queues a wave's entries and returns how many were new. An
// entry already queued (its id is the wave and the case) is left as it
// is, so filling again after a crash neither duplicates nor resets one.
func (s *Store) FillOutbox(ctx context.Context, entries []waves.Entry) (int, error) {
	if len(entries) == 0 {
		return 0, nil
	}
	docs := make([]any, len(entries))
	for i := range entries {
		docs[i] = &entries[i]
	}
	res, err := s.outboxColl().InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var bulk mongo.BulkWriteException
	if errors.As(err, &bulk) && bulk.WriteConcernError == nil && onlyDuplicates(bulk.WriteErrors) {
		return len(entries) - len(bulk.WriteErrors), nil
	}
	if err != nil {
		return 0, translate(err, "outbox entries")
	}
	return len(res.InsertedIDs), nil
}

func onlyDuplicates(errs []mongo.BulkWriteError) bool {
	for _, e := range errs {
		if !mongo.IsDuplicateKeyError(e) {
			return false
		}
	}
	return true
}

// EntriesInStatus returns every outbox entry in a status, whatever its
// wave. The embedded store reads the whole outbox for it: for a poll of
// the bounce mailbox that met a notification no VERP address names, never
// for the mailer or a view of the waves or the cases.
func (s *Store) EntriesInStatus(ctx context.Context, status string) ([]waves.Entry, error) {
	return findAll[waves.Entry](ctx, s.outboxColl(), bson.D{{Key: "status", Value: status}}, nil, "outbox entries")
}

// Outbox returns every outbox entry, in id order: a mailer reads it once
// when it takes the outbox over, and keeps it from there.
func (s *Store) Outbox(ctx context.Context) ([]waves.Entry, error) {
	return findAll[waves.Entry](ctx, s.outboxColl(), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}), "outbox")
}

// PutEntry writes an outbox entry whole, addressed by its id.
func (s *Store) PutEntry(ctx context.Context, e *waves.Entry) error {
	res, err := s.outboxColl().ReplaceOne(ctx, byID(e.ID), e)
	if err != nil {
		return translate(err, "outbox entry")
	}
	if res.MatchedCount == 0 {
		return survey.Errorf(survey.ENOTFOUND, "outbox entry not found")
	}
	return nil
}

// WaveSummaries lists a survey's waves with their outbox counts.
func (s *Store) WaveSummaries(ctx context.Context, surveyID string) ([]waves.Summary, error) {
	ws, err := s.Waves(ctx, surveyID)
	out := make([]waves.Summary, len(ws))
	for i, w := range ws {
		out[i] = waves.Summary{Wave: w, Counts: w.Tally}
	}
	return out, err
}

// WaveProgress is, for the progress view, each wave that has sent
// anything: its kind, its first send, and how many messages went out or
// did not reach the person; the earliest first.
func (s *Store) WaveProgress(ctx context.Context, surveyID string) ([]waves.Progress, error) {
	sums, err := s.WaveSummaries(ctx, surveyID)
	if err != nil {
		return nil, err
	}
	out := []waves.Progress{}
	for _, w := range sums {
		if w.FirstSentAt == nil && w.Failed+w.Bounced == 0 {
			continue
		}
		out = append(out, waves.Progress{ID: w.ID, Kind: w.Kind, SentAt: w.FirstSentAt, Sent: w.Sent, Failed: w.Failed + w.Bounced})
	}
	sort.SliceStable(out, func(i, j int) bool { return earlier(out[i].SentAt, out[j].SentAt) })
	return out, nil
}

// earlier orders times with nil (never sent) last.
func earlier(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a != nil
	}
	return a.Before(*b)
}
