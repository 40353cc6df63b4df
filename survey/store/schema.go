package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The schema: every collection Canvass keeps and its secondary indexes, in
// one place. Open creates them all before the first request, so no
// collection comes into being later as a side effect of a first insert —
// which matters for the embedded store, whose _id index (see
// embedded.indexIDs) is made per collection at Open.
const (
	collCases    = "cases"
	collUsers    = "users"
	collSessions = "sessions"
	collKeys     = "api_keys"
	collAudit    = "audit"
	collImports  = "imports"
	collLeases   = "leases"
	collWaves    = "waves"
	collOutbox   = "outbox"
	collRoster   = "pi_roster" // one document per revision of the active PIs
	collOnce     = "once"      // one document per form token or key used once
	collClaims   = "claims"    // one document per revision won on a shared FerretDB (revision.go)
	collPolls    = "polls"     // one document per periodic reader of an outside source (the bounce mailbox)

	collFieldPeriod = "field_period" // one document per survey: its field period as a PI changed it

	collResults      = "results"       // one document per run of the nightly analysis
	collResultLatest = "result_latest" // one pointer to the latest ok result
	collResultScores = "result_scores" // each result's per-case scores, in chunks
)

var schema = []struct {
	name    string
	indexes []mongo.IndexModel
}{
	{collCases, []mongo.IndexModel{{Keys: bson.D{{Key: "survey", Value: 1}, {Key: "frame.email", Value: 1}},
		Options: options.Index().SetName("survey_email").SetUnique(true)}}},
	{collUsers, []mongo.IndexModel{{Keys: bson.D{{Key: "email", Value: 1}},
		Options: options.Index().SetName("email").SetUnique(true)}}},
	{collSessions, nil},
	{collKeys, nil},
	{collAudit, []mongo.IndexModel{{Keys: bson.D{{Key: "at", Value: -1}}, Options: options.Index().SetName("at")}}},
	{collImports, nil},
	{collLeases, nil},
	{collWaves, nil},
	{collOutbox, nil},
	{collRoster, nil},
	{collOnce, nil},
	{collClaims, nil},
	{collPolls, nil},
	{collFieldPeriod, nil},
	{collResults, nil},
	{collResultLatest, nil},
	{collResultScores, nil},
}

// coll returns a collection of the schema. A name outside it is a bug: the
// collection would lack its indexes, so it fails at once in any test.
func (s *Store) coll(name string) *mongo.Collection {
	for _, c := range schema {
		if c.name == name {
			return s.db.Collection(name)
		}
	}
	panic(fmt.Sprintf("store: collection %q is not in the schema", name))
}

// createSchema creates every collection and index that does not exist yet;
// running it again changes nothing.
func (s *Store) createSchema(ctx context.Context) error {
	for _, c := range schema {
		if err := s.db.CreateCollection(ctx, c.name); err != nil && !alreadyExists(err) {
			return fmt.Errorf("create collection %s: %w", c.name, err)
		}
		if len(c.indexes) > 0 {
			if _, err := s.db.Collection(c.name).Indexes().CreateMany(ctx, c.indexes); err != nil {
				return fmt.Errorf("create indexes of %s: %w", c.name, err)
			}
		}
	}
	if s.embedded != nil {
		return s.embedded.indexIDs(ctx, s.db.Name())
	}
	return nil
}

// alreadyExists reports MongoDB's NamespaceExists (48), which both stores
// answer to a create of an existing collection.
func alreadyExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Code == 48
}
