package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"time"

	"github.com/canvass-survey/canvass/survey/store"
)

// Lease lets one process at a time do work that must not be done twice
// when several instances share a database, such as working the mail
// outbox. The store keeps who holds it and until when; a holder that stops
// without releasing it (a crash) keeps it until then. Holders' clocks must
// agree to well within TTL. A Lease is for one goroutine.
type Lease struct {
	Store  *store.Store
	Name   string
	Holder string // unique to this Lease in this process
	TTL    time.Duration

	until time.Time // when this holder's last claim runs out; zero when none
}

// NewLease returns the named lease with a holder name that tells staff
// which host and process hold it.
func NewLease(st *store.Store, name string, ttl time.Duration) *Lease {
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
