package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/canvass-survey/canvass/survey/fieldperiod"
)

// The field period as a PI changed it: one small document per survey,
// addressed by _id, which every respondent's request may read.

// FieldPeriod returns what a PI changed of a survey's field period;
// ENOTFOUND when nothing.
func (s *Store) FieldPeriod(ctx context.Context, surveyID string) (*fieldperiod.Setting, error) {
	return findOne[fieldperiod.Setting](ctx, s.coll(collFieldPeriod), byID(surveyID), "field period")
}

// UpdateFieldPeriod lets change modify a survey's field period setting —
// an empty one when no PI changed anything yet — and writes it if it is
// still at the revision read (revision.go), so that two PIs on two
// instances cannot undo each other. change returning an error leaves it
// as it was.
func (s *Store) UpdateFieldPeriod(ctx context.Context, surveyID string, change func(*fieldperiod.Setting) error) (*fieldperiod.Setting, error) {
	coll := s.coll(collFieldPeriod)
	// Of two instances making the first one, the store's unique _id keeps one.
	if _, err := coll.InsertOne(ctx, fieldperiod.Setting{ID: surveyID}); err != nil && !mongo.IsDuplicateKeyError(err) {
		return nil, translate(err, "field period")
	}
	unlock := s.locks.lock("fieldperiod/" + surveyID)
	defer unlock()
	return updateAt(ctx, s, coll, surveyID, "field period", func(f *fieldperiod.Setting) (int64, error) {
		f.Rev++
		return f.Rev - 1, change(f)
	})
}
