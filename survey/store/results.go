package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/results"
)

// The nightly results: one document per run in results (its summary for
// the history, its whole JSON document for the API), the per-case scores
// in chunks addressed by _id, and one pointer to the latest ok result. The
// pointer is written only after the result it names is complete, so a run
// killed half-way is never the latest. The results collection holds one
// document per night: listing it scans a few hundred small documents.

func (s *Store) resultColl() *mongo.Collection { return s.coll(collResults) }

// latestResultID is the _id of the pointer document in result_latest.
const latestResultID = "latest"

// InsertResult stores a new run; an id already taken is ECONFLICT, which
// is how two instances racing for the same night find one winner.
func (s *Store) InsertResult(ctx context.Context, r *results.Record) error {
	_, err := s.resultColl().InsertOne(ctx, r)
	return translate(err, "result")
}

// ReplaceResult writes a run's record whole if it is still at attempt
// prevAttempts: a run that lost its lease cannot overwrite the instance
// that took it over (ENOTFOUND). Each attempt ends with one write (the
// run's outcome, or the next attempt's takeover), so the attempt count
// serves as the record's revision (revision.go).
func (s *Store) ReplaceResult(ctx context.Context, r *results.Record, prevAttempts int) error {
	err := s.replaceAt(ctx, s.resultColl(), r.ID, "attempts", int64(prevAttempts), r, time.Now())
	if errors.Is(err, errLost) {
		return survey.Errorf(survey.ENOTFOUND, "result %s at attempt %d not found", r.ID, prevAttempts)
	}
	return translate(err, "result")
}

// ResultRecord returns a run's record with its document.
func (s *Store) ResultRecord(ctx context.Context, id string) (*results.Record, error) {
	return findOne[results.Record](ctx, s.resultColl(), byID(id), "result")
}

// ResultRecords lists runs, the latest started first, without their
// documents; limit 0 lists all.
func (s *Store) ResultRecords(ctx context.Context, limit int64) ([]results.Record, error) {
	opts := options.Find().SetSort(bson.D{{Key: "started_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetProjection(bson.D{{Key: "document", Value: 0}})
	if limit > 0 {
		opts.SetLimit(limit)
	}
	return findAll[results.Record](ctx, s.resultColl(), bson.D{}, opts, "results")
}

// RunningResults lists the runs recorded as running, without documents.
func (s *Store) RunningResults(ctx context.Context) ([]results.Record, error) {
	return findAll[results.Record](ctx, s.resultColl(), bson.D{{Key: "status", Value: results.StatusRunning}},
		options.Find().SetProjection(bson.D{{Key: "document", Value: 0}}), "results")
}

type latestPointer struct {
	ID     string `bson:"_id"`
	Result string `bson:"result"`
}

// SetLatestResult points the latest result at id.
func (s *Store) SetLatestResult(ctx context.Context, id string) error {
	_, err := s.coll(collResultLatest).ReplaceOne(ctx, byID(latestResultID), latestPointer{ID: latestResultID, Result: id},
		options.Replace().SetUpsert(true))
	return translate(err, "latest result")
}

// LatestResultID is the id of the latest ok result; ENOTFOUND before the first.
func (s *Store) LatestResultID(ctx context.Context) (string, error) {
	p, err := findOne[latestPointer](ctx, s.coll(collResultLatest), byID(latestResultID), "latest result")
	if err != nil {
		return "", err
	}
	return p.Result, nil
}

type scoresChunk struct {
	ID  string `bson:"_id"`
	CSV string `bson:"csv"`
}

func scoresChunkID(result string, n int) string { return fmt.Sprintf("%s/%06d", result, n) }

// PutScores stores the n-th chunk (from 0) of a result's per-case scores.
func (s *Store) PutScores(ctx context.Context, result string, n int, csv string) error {
	id := scoresChunkID(result, n)
	_, err := s.coll(collResultScores).ReplaceOne(ctx, byID(id), scoresChunk{ID: id, CSV: csv}, options.Replace().SetUpsert(true))
	return translate(err, "scores")
}

// DeleteScores removes a result's scores, as when its run failed. The
// chunks are addressed by _id, one after the other, until one is missing.
func (s *Store) DeleteScores(ctx context.Context, result string) error {
	for n := 0; ; n++ {
		res, err := s.coll(collResultScores).DeleteOne(ctx, byID(scoresChunkID(result, n)))
		if err != nil {
			return translate(err, "scores")
		}
		if res.DeletedCount == 0 {
			return nil
		}
	}
}

// Scores returns the n-th chunk of a result's scores; ENOTFOUND past the last.
func (s *Store) Scores(ctx context.Context, result string, n int) (string, error) {
	c, err := findOne[scoresChunk](ctx, s.coll(collResultScores), byID(scoresChunkID(result, n)), "scores")
	if err != nil {
		return "", err
	}
	return c.CSV, nil
}

// EachCase streams a survey's cases to fn, one decoded at a time, so that
// memory does not grow with the survey; fn's error stops the stream. The
// cases come without their paradata, sealed token and staff history,
// which no aggregate reads: less to send and to decode.
func (s *Store) EachCase(ctx context.Context, surveyID string, fn func(*survey.Case) error) error {
	cur, err := s.cases.Find(ctx, bson.D{{Key: "survey", Value: surveyID}}, options.Find().SetBatchSize(1000).
		SetProjection(bson.D{{Key: "paradata", Value: 0}, {Key: "sealed_token", Value: 0}, {Key: "history", Value: 0}}))
	if err != nil {
		return translate(err, "cases")
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var c survey.Case
		if err := cur.Decode(&c); err != nil {
			return translate(err, "case")
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return translate(cur.Err(), "cases")
}

// ScanCases reads every case document of a survey as EachCase does, but
// whole and without decoding them, and counts them: what reading the cases
// costs the store and the driver alone, the floor under the nightly run
// and every other view that reads all cases.
func (s *Store) ScanCases(ctx context.Context, surveyID string) (int, error) {
	cur, err := s.cases.Find(ctx, bson.D{{Key: "survey", Value: surveyID}}, options.Find().SetBatchSize(1000))
	if err != nil {
		return 0, translate(err, "cases")
	}
	defer cur.Close(ctx)
	n := 0
	for cur.Next(ctx) {
		n++
	}
	return n, translate(cur.Err(), "cases")
}
