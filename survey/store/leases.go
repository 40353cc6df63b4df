package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/canvass-survey/canvass/survey"
)

// Leases let one process at a time do a job that must not run twice when
// several share a database (working the mail outbox, the nightly run): one
// document per job, {_id: name, holder, until, rev}, created by an insert
// (one winner) and changed by a compare-and-set on rev (revision.go), so
// that two processes never both hold it, on MongoDB as on a shared
// FerretDB. Releasing clears the holder rather than deleting the document:
// its revisions must never start again.

func (s *Store) leaseColl() *mongo.Collection { return s.coll(collLeases) }

type leaseDoc struct {
	ID     string    `bson:"_id"`
	Holder string    `bson:"holder"`
	Until  time.Time `bson:"until"`
	Rev    int64     `bson:"rev"`
}

// ClaimLease makes holder the holder of the named lease until the given
// time if the lease is free, ran out before now, or is holder's already,
// and reports whether it did.
func (s *Store) ClaimLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	return s.changeLease(ctx, name, holder, until, func(l *leaseDoc) bool {
		return l.Holder == "" || l.Holder == holder || l.Until.Before(now)
	})
}

// RenewLease moves the named lease's end to until if holder still holds
// it, and reports whether it did: if so, nobody else held it meanwhile.
func (s *Store) RenewLease(ctx context.Context, name, holder string, until time.Time) (bool, error) {
	return s.changeLease(ctx, name, holder, until, func(l *leaseDoc) bool { return l.Holder == holder })
}

// ReleaseLease frees the named lease if holder holds it, so that another
// may claim it at once.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.changeLease(ctx, name, "", time.Time{}, func(l *leaseDoc) bool { return l.Holder == holder })
	return err
}

// changeLease gives the named lease to holder until the given time if may
// allows it on the lease as stored, and reports whether it did. Losing the
// compare-and-set to another writer means the lease changed hands or was
// renewed meanwhile: it is reported as not done, not retried.
func (s *Store) changeLease(ctx context.Context, name, holder string, until time.Time, may func(*leaseDoc) bool) (bool, error) {
	unlock := s.locks.lock("lease/" + name)
	defer unlock()
	readAt := time.Now()
	cur, err := findOne[leaseDoc](ctx, s.leaseColl(), byID(name), "lease")
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		cur, err = &leaseDoc{ID: name}, nil
		if may(cur) && holder != "" {
			_, err := s.leaseColl().InsertOne(ctx, leaseDoc{ID: name, Holder: holder, Until: until, Rev: 1})
			if mongo.IsDuplicateKeyError(err) {
				return false, nil // another holder created it first
			}
			return err == nil, translate(err, "lease")
		}
	}
	if err != nil || !may(cur) {
		return false, err
	}
	err = s.replaceAt(ctx, s.leaseColl(), name, "rev", cur.Rev, leaseDoc{ID: name, Holder: holder, Until: until, Rev: cur.Rev + 1}, readAt)
	if errors.Is(err, errLost) {
		return false, nil
	}
	return err == nil, translate(err, "lease")
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
