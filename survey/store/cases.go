package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/canvass-survey/canvass/survey"
)

// InsertCase stores a new case; an existing case with the same id or the
// same survey and email is ECONFLICT.
func (s *Store) InsertCase(ctx context.Context, c *survey.Case) error {
	_, err := s.cases.InsertOne(ctx, c)
	return translate(err, "case")
}

// Case returns the case with the given id.
func (s *Store) Case(ctx context.Context, id string) (*survey.Case, error) {
	return findOne[survey.Case](ctx, s.cases, byID(id), "case")
}

// UpdateCase reads the case, lets decide compute the change from it, and
// writes the case so changed, whole, if it is still at the revision decide
// saw: a compare-and-set (revision.go), decided again on the newer case
// when another writer, in this process or another, wrote first. Within
// this process the case's lock makes its writers take turns.
func (s *Store) UpdateCase(ctx context.Context, id string, decide func(*survey.Case) (*survey.Change, error)) (*survey.Case, error) {
	unlock := s.locks.lock(id)
	defer unlock()
	return updateAt(ctx, s, s.cases, id, "case", func(c *survey.Case) (int64, error) {
		ch, err := decide(c)
		if err != nil {
			return 0, err
		}
		seen := c.Rev
		c.Apply(ch) // moves c.Rev on
		return seen, nil
	})
}

// Cases returns every case of a survey. Aggregate views (progress, exports,
// waves) scan once and work in Go, which both stores do well.
func (s *Store) Cases(ctx context.Context, surveyID string) ([]survey.Case, error) {
	return findAll[survey.Case](ctx, s.cases, bson.D{{Key: "survey", Value: surveyID}}, nil, "cases")
}

// InsertCases stores a frame import's cases, all or none. Without
// multi-document transactions, the import is recorded as pending first; a
// failure part-way removes what it wrote, found by its ImportID, and an
// import a crash left pending is removed by the next import or start.
//
// The unique index on survey and email is the duplicate check against the
// sample: the import does not read the cases already there (on the embedded
// store, a scan of all of them). A case whose email the survey has already
// makes the whole import fail with a *DuplicateError naming every such case.
func (s *Store) InsertCases(ctx context.Context, importID string, cases []*survey.Case) error {
	if err := s.removeUnfinishedImports(ctx, time.Now().Add(-unfinishedAfter)); err != nil {
		return err
	}
	if _, err := s.imports.InsertOne(ctx, pendingImport{ID: importID, StartedAt: time.Now().UTC()}); err != nil {
		return translate(err, "import")
	}
	dup := &DuplicateError{}
	for start := 0; start < len(cases); start += importChunk {
		chunk := cases[start:min(start+importChunk, len(cases))]
		docs := make([]any, len(chunk))
		for i, c := range chunk {
			c.ImportID = importID
			docs[i] = c
		}
		// Unordered, so that one run finds every duplicate, not only the first.
		_, err := s.cases.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		var bulk mongo.BulkWriteException
		if errors.As(err, &bulk) && bulk.WriteConcernError == nil && onlyDuplicates(bulk.WriteErrors) {
			for _, we := range bulk.WriteErrors {
				dup.Indexes = append(dup.Indexes, start+we.Index)
			}
			continue
		}
		if err != nil {
			return s.undoImport(ctx, importID, translate(err, "cases"))
		}
	}
	if len(dup.Indexes) > 0 {
		slices.Sort(dup.Indexes)
		return s.undoImport(ctx, importID, dup)
	}
	_, err := s.imports.DeleteOne(ctx, byID(importID))
	return translate(err, "import")
}

// importChunk is how many cases one insert carries: each insert is one
// call with the store's timeout, and 100,000 cases at once would outlast it.
const importChunk = 2000

// undoImport removes what a failed import wrote and returns why it failed.
func (s *Store) undoImport(ctx context.Context, importID string, why error) error {
	if err := s.removeImport(context.WithoutCancel(ctx), importID); err != nil {
		return translate(errors.Join(why, err), "cases")
	}
	return why
}

// DuplicateError is an import refused because the sample already has some
// of its cases' emails. Indexes are their positions in the import.
type DuplicateError struct {
	Indexes []int
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("store: %d cases are already in the sample", len(e.Indexes))
}

// Unwrap makes it a conflict for code that knows no better.
func (e *DuplicateError) Unwrap() error {
	return survey.Errorf(survey.ECONFLICT, "some cases are already in the sample: nothing was imported")
}

// pendingImport marks a frame import whose cases are being written.
type pendingImport struct {
	ID        string    `bson:"_id"`
	StartedAt time.Time `bson:"started_at"`
}

// unfinishedAfter is how long an import may take before another process
// takes it for the leftover of a crash: 2,500 rows take about a second.
const unfinishedAfter = 10 * time.Minute

// removeUnfinishedImports removes the cases of imports still pending since
// before cutoff, and their marks.
func (s *Store) removeUnfinishedImports(ctx context.Context, cutoff time.Time) error {
	stale, err := findAll[pendingImport](ctx, s.imports, bson.D{{Key: "started_at", Value: bson.D{{Key: "$lt", Value: cutoff}}}}, nil, "imports")
	if err != nil {
		return err
	}
	for _, imp := range stale {
		if err := s.removeImport(ctx, imp.ID); err != nil {
			return translate(err, "cases")
		}
	}
	return nil
}

// removeImport deletes an import's cases, then its pending mark. The
// embedded store finds them by scanning the cases: only after a failed
// import, never on a respondent's path.
func (s *Store) removeImport(ctx context.Context, importID string) error {
	if _, err := s.cases.DeleteMany(ctx, bson.D{{Key: "import_id", Value: importID}}); err != nil {
		return err
	}
	_, err := s.imports.DeleteOne(ctx, byID(importID))
	return err
}
