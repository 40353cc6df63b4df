package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Compare-and-set across processes. A document that several writers may
// change (a case, a wave, a lease, a result's record) carries a counter, and
// a writer replaces it whole only if the counter still holds the value it
// read — so that exactly one writer wins each revision, whichever store
// serves it:
//
//   - MongoDB applies a filter of {_id, counter} atomically.
//   - FerretDB does not: it reads the document, tests the filter in Go and
//     writes the document back by _id, so two processes can both "win" one
//     revision (measured: in 200 of 200 rounds). What it does enforce is a
//     unique _id, inside SQLite or PostgreSQL: of two inserts of one _id,
//     one fails. So a writer first inserts a claim {_id: collection/id/
//     counter/seen}; the one whose insert succeeds owns the step from seen,
//     and writes the document by _id alone (the only filter FerretDB's
//     SQLite backend answers without scanning). The claim holds the new
//     document, so that if its writer dies between the claim and the write,
//     the next writer rolls it forward instead of waiting for ever.
//   - The embedded store that this process started serves no other: the
//     per-document lock of this process orders its writers, and a read of
//     the counter under that lock decides.

// casMode is how this store makes a compare-and-set atomic.
type casMode int

const (
	casOwn    casMode = iota // the embedded store of this process: its locks decide
	casFilter                // MongoDB: the filter decides
	casClaim                 // a FerretDB other processes share: a unique claim decides
)

func (m casMode) String() string {
	return [...]string{"process locks (embedded store)", "filtered update (MongoDB)", "unique claims (shared FerretDB)"}[m]
}

// claimWriteWindow bounds how long the winner of a claim may take to write
// the document; claimStale is how old a claim whose document is still
// unwritten must be before another writer rolls it forward. The gap covers
// a write that was sent just before its deadline and then waited for the
// store's lock (SQLite's busy timeout is 10 s): a roll-forward never races
// the claim's own writer.
const (
	claimWriteWindow = 5 * time.Second
	claimStale       = 30 * time.Second
)

// claimReadWindow bounds how old the read a claim is based on may be: a
// claim that old could be made after its predecessor was swept (claimKeep),
// and win a revision that was taken long ago. claimKeep is how long claims
// are kept before the hourly sweep removes them.
const (
	claimReadWindow = time.Minute
	claimKeep       = time.Hour
)

// revisionClaim is one writer's claim of the step from revision Seen of a
// document; Doc is the document it writes.
type revisionClaim struct {
	ID  string    `bson:"_id"`
	At  time.Time `bson:"at"`
	Doc bson.Raw  `bson:"doc"`
}

// errLost says another writer took the revision: read again and decide again.
var errLost = errors.New("store: another writer took this revision")

// updateAt reads the document id of coll, lets change modify it — change
// returns the revision it read, and leaves the document at the next — and
// writes it whole at that next revision (replaceAt), reading and deciding
// again when another writer got there first. change's error leaves the
// document as it was.
func updateAt[T any](ctx context.Context, s *Store, coll *mongo.Collection, id, what string, change func(*T) (seen int64, err error)) (*T, error) {
	for attempt := 1; ; attempt++ {
		readAt := time.Now()
		doc, err := findOne[T](ctx, coll, byID(id), what)
		if err != nil {
			return nil, err
		}
		seen, err := change(doc)
		if err != nil {
			return nil, err
		}
		err = s.replaceAt(ctx, coll, id, "rev", seen, doc, readAt)
		if err == nil {
			return doc, nil
		}
		if !errors.Is(err, errLost) {
			return nil, translate(err, what)
		}
		if attempt == maxAttempts {
			return nil, survey.Errorf(survey.EUNAVAILABLE, "this %s is being changed by too many at once; please try again", what)
		}
	}
}

// maxAttempts bounds updateAt's loop: a case, a wave or a key is written by
// a handful of requests at once at most.
const maxAttempts = 8

// replaceAt replaces the document id of coll with doc if the document's
// counter field still holds seen, the value read at readAt; doc carries the
// counter's next value. It returns errLost when another writer got there
// first. In casOwn mode the caller need not hold the document's lock: this
// takes it.
func (s *Store) replaceAt(ctx context.Context, coll *mongo.Collection, id, counter string, seen int64, doc any, readAt time.Time) error {
	switch s.cas {
	case casFilter:
		return matchedOne(coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: counter, Value: seen}}, doc))
	case casClaim:
		return s.replaceClaimed(ctx, coll, id, counter, seen, doc, readAt)
	}
	unlock := s.locks.lock("cas/" + coll.Name() + "/" + id)
	defer unlock()
	now, err := counterOf(ctx, coll, id, counter)
	if err != nil {
		return err
	}
	if now != seen {
		return errLost
	}
	return matchedOne(coll.ReplaceOne(ctx, byID(id), doc))
}

// replaceClaimed is replaceAt on a shared FerretDB.
func (s *Store) replaceClaimed(ctx context.Context, coll *mongo.Collection, id, counter string, seen int64, doc any, readAt time.Time) error {
	if time.Since(readAt) > claimReadWindow {
		return errLost
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		return err
	}
	claimID := fmt.Sprintf("%s/%s/%s/%d", coll.Name(), id, counter, seen)
	_, err = s.coll(collClaims).InsertOne(ctx, revisionClaim{ID: claimID, At: time.Now().UTC(), Doc: raw})
	if mongo.IsDuplicateKeyError(err) {
		return s.awaitClaimed(ctx, coll, id, counter, seen, claimID)
	}
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, claimWriteWindow)
	defer cancel()
	return matchedOne(coll.ReplaceOne(wctx, byID(id), raw))
}

// awaitClaimed waits, after losing the claim of the step from seen, until
// the winner's document is written — so that the caller's next read sees
// it — and rolls the winner's document forward if its writer left it
// unwritten for claimStale. It returns errLost once the step is done.
func (s *Store) awaitClaimed(ctx context.Context, coll *mongo.Collection, id, counter string, seen int64, claimID string) error {
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		now, err := counterOf(ctx, coll, id, counter)
		if err != nil || now != seen {
			return errors.Join(err, errLost)
		}
		claim, err := findOne[revisionClaim](ctx, s.coll(collClaims), byID(claimID), "claim")
		if err != nil {
			return err
		}
		if time.Since(claim.At) > claimStale {
			// Its writer died between claim and write. The filter keeps a
			// roll-forward that comes late from undoing a later revision;
			// FerretDB answers it by scanning, but only after a crash.
			_, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: counter, Value: seen}}, claim.Doc)
			return errors.Join(err, errLost)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// counterOf reads one document's counter field; a document written before
// it had one is at 0.
func counterOf(ctx context.Context, coll *mongo.Collection, id, counter string) (int64, error) {
	var doc bson.Raw
	err := coll.FindOne(ctx, byID(id), options.FindOne().SetProjection(bson.D{{Key: counter, Value: 1}})).Decode(&doc)
	if err != nil {
		return 0, err
	}
	v := doc.Lookup(counter)
	if v.Type == 0 {
		return 0, nil
	}
	n, ok := v.AsInt64OK()
	if !ok {
		return 0, fmt.Errorf("store: %s of %s is a %s", counter, id, v.Type)
	}
	return n, nil
}

// matchedOne turns an update's outcome into errLost when it matched
// nothing.
func matchedOne(res *mongo.UpdateResult, err error) error {
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return errLost
	}
	return nil
}

// detectCAS decides how this store makes a compare-and-set atomic: by its
// own locks for the embedded store it started, by claims for a FerretDB
// that answers buildInfo with its version, by filters for MongoDB.
func (s *Store) detectCAS(ctx context.Context) error {
	if s.embedded != nil {
		s.cas = casOwn
		return nil
	}
	var info bson.Raw
	if err := s.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return fmt.Errorf("buildInfo: %w", err)
	}
	s.cas = casFilter
	if _, err := info.LookupErr("ferretdbVersion"); err == nil {
		s.cas = casClaim
	}
	return nil
}

// CAS names how this store makes a compare-and-set atomic, for the
// start-up log.
func (s *Store) CAS() string { return s.cas.String() }
