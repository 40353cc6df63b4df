package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/waves"
)

// What the contact log and the bounce mailbox read besides cases and
// waves: one outbox entry by its id, a case by its email, and the state of
// the bounce mailbox's poll.

// Entry returns the outbox entry with the given id: OutboxID(wave, case)
// finds a case's message of a wave without scanning the outbox.
func (s *Store) Entry(ctx context.Context, id string) (*waves.Entry, error) {
	return findOne[waves.Entry](ctx, s.outboxColl(), byID(id), "outbox entry")
}

// CaseByEmail returns the survey's case with the given email, lower-cased
// as the import stores it. MongoDB answers from the unique index on survey
// and email; the embedded store scans the cases (a staff action, never a
// respondent's).
func (s *Store) CaseByEmail(ctx context.Context, surveyID, email string) (*survey.Case, error) {
	return findOne[survey.Case](ctx, s.cases, bson.D{{Key: "survey", Value: surveyID}, {Key: "frame.email", Value: email}}, "case")
}

// Poll is the state of a periodic reader of an outside source, such as the
// bounce mailbox, kept in the store so that every instance's pages show
// what the instance holding the job saw.
type Poll struct {
	ID        string    `bson:"_id" json:"-"`
	LastPoll  time.Time `bson:"last_poll" json:"last_poll"`             // when the last poll ended, well or not
	LastOK    time.Time `bson:"last_ok,omitempty" json:"last_ok"`       // when a poll last ended well
	LastError string    `bson:"last_error,omitempty" json:"last_error"` // why the last poll failed; empty when it did not
	// Counts of what the polls found, added up: bounced, delayed, failed,
	// unmatched (left flagged for a person) and so on.
	Counts map[string]int `bson:"counts,omitempty" json:"counts"`
}

func (s *Store) pollColl() *mongo.Collection { return s.coll(collPolls) }

// PutPoll writes a poll's state whole, by its id.
func (s *Store) PutPoll(ctx context.Context, p *Poll) error {
	_, err := s.pollColl().ReplaceOne(ctx, byID(p.ID), p, options.Replace().SetUpsert(true))
	return translate(err, "poll state")
}

// Poll returns the named poll's state; ENOTFOUND before its first poll.
func (s *Store) Poll(ctx context.Context, id string) (*Poll, error) {
	return findOne[Poll](ctx, s.pollColl(), byID(id), "poll state")
}
