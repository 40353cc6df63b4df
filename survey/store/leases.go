package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Leases let one process at a time do a job that must not run twice when
// several share a database (working the mail outbox, the nightly run): one
// document per job, {_id: name, holder, until}. Each write is one update of
// that document, atomic on MongoDB. The embedded FerretDB applies an update
// by reading the document and writing it back, so the store's per-document
// lock serializes them within this process, the only one an embedded store
// serves. The collection holds a few documents, so filtering on more than
// _id costs nothing there.

func (s *Store) leaseColl() *mongo.Collection { return s.coll(collLeases) }

// ClaimLease makes holder the holder of the named lease until the given
// time if the lease is free, ran out before now, or is holder's already,
// and reports whether it did.
func (s *Store) ClaimLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	unlock := s.locks.lock("lease/" + name)
	defer unlock()
	filter := bson.D{{Key: "_id", Value: name}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: now}}}},
		bson.D{{Key: "holder", Value: holder}},
	}}}
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "holder", Value: holder}, {Key: "until", Value: until}}}}
	_, err := s.leaseColl().UpdateOne(ctx, filter, set, options.UpdateOne().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		// The filter did not match, so the upsert tried to create the
		// document: another holder has it, or won the race to create it.
		return false, nil
	}
	if err != nil {
		return false, translate(err, "lease")
	}
	return true, nil
}

// RenewLease moves the named lease's end to until if holder still holds
// it, and reports whether it did: if so, nobody else held it meanwhile.
func (s *Store) RenewLease(ctx context.Context, name, holder string, until time.Time) (bool, error) {
	unlock := s.locks.lock("lease/" + name)
	defer unlock()
	res, err := s.leaseColl().UpdateOne(ctx, bson.D{{Key: "_id", Value: name}, {Key: "holder", Value: holder}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "until", Value: until}}}})
	if err != nil {
		return false, translate(err, "lease")
	}
	return res.MatchedCount == 1, nil
}

// ReleaseLease frees the named lease if holder holds it, so that another
// may claim it at once.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	unlock := s.locks.lock("lease/" + name)
	defer unlock()
	_, err := s.leaseColl().DeleteOne(ctx, bson.D{{Key: "_id", Value: name}, {Key: "holder", Value: holder}})
	return translate(err, "lease")
}

// Lease lets one process at a time do work that must not be done twice
// when several instances share a database, such as working the mail
// outbox or the nightly run. The store keeps who holds it and until when; a holder that stops
// without releasing it (a crash) keeps it until then. Holders' clocks must
// agree to well within TTL. A Lease is for one goroutine.
type Lease struct {
	Store  *Store
	Name   string
	Holder string // unique to this Lease in this process
	TTL    time.Duration

	until time.Time // when this holder's last claim runs out; zero when none
}

// NewLease returns the named lease with a holder name that tells staff
// which host and process hold it.
func NewLease(st *Store, name string, ttl time.Duration) *Lease {
	host, _ := os.Hostname()
	return &Lease{Store: st, Name: name, TTL: ttl, Holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])}
}

// Acquire claims the lease for TTL from now if it is free, has run out,
// or is this holder's already, and reports whether this holder has it.
func (l *Lease) Acquire(ctx context.Context, now time.Time) (bool, error) {
	ok, err := l.Store.ClaimLease(ctx, l.Name, l.Holder, now, now.Add(l.TTL))
	return l.record(ok, err, now)
}

// Renew extends the lease for TTL from now if this holder still has it:
// true means that nobody else held it since this holder's last claim.
func (l *Lease) Renew(ctx context.Context, now time.Time) (bool, error) {
	ok, err := l.Store.RenewLease(ctx, l.Name, l.Holder, now.Add(l.TTL))
	return l.record(ok, err, now)
}

func (l *Lease) record(ok bool, err error, now time.Time) (bool, error) {
	switch {
	case err != nil: // the store did not say: the last claim stands
	case ok:
		l.until = now.Add(l.TTL)
	default:
		l.until = time.Time{}
	}
	return ok, err
}

// Release frees the lease, if this holder has it, so that another process
// may take it at once. This holder counts itself without the lease even if
// the store cannot be told.
func (l *Lease) Release(ctx context.Context) error {
	l.until = time.Time{}
	return l.Store.ReleaseLease(ctx, l.Name, l.Holder)
}

// Until is when this holder's last claim runs out: the zero time when it
// holds none.
func (l *Lease) Until() time.Time { return l.until }
