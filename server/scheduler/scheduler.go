// Package scheduler runs the service's periodic jobs on cron schedules in
// the survey's time zone. Each run holds a lease in the store, renewed
// while it lasts, so that when several instances share a database one of
// them runs a job at a time, and one that dies mid-run hands it on once its
// lease runs out. Jobs are written so that running one again is harmless.
package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/canvass-survey/canvass/survey/store"
)

// Job is a named piece of periodic work.
type Job struct {
	Name string
	// Spec is a cron schedule: five fields ("0 2 * * *", 02:00 each day)
	// or a descriptor such as "@hourly".
	Spec string
	Run  func(ctx context.Context) error
}

// LeaseTTL is how long a run's lease lasts without renewal: how soon
// another instance may take a job over from one that died.
const LeaseTTL = time.Minute

// Scheduler runs jobs on their schedules until stopped.
type Scheduler struct {
	store  *store.Store
	logger *slog.Logger
	cron   *cron.Cron
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a scheduler that reads schedules in loc.
func New(st *store.Store, loc *time.Location, logger *slog.Logger) *Scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	// A job that panics is logged and the others go on: a panic in a
	// periodic job must not take the respondents' pages down with it.
	recoverPanics := cron.WithChain(cron.Recover(cron.PrintfLogger(slog.NewLogLogger(logger.Handler(), slog.LevelError))))
	return &Scheduler{store: st, logger: logger, cron: cron.New(cron.WithLocation(loc), recoverPanics), ctx: ctx, cancel: cancel}
}

// Add schedules j; a spec that does not parse is an error naming the job.
func (s *Scheduler) Add(j Job) error {
	_, err := s.cron.AddFunc(j.Spec, func() {
		if _, err := s.RunOnce(s.ctx, j); err != nil {
			s.logger.Error("scheduled job failed", "job", j.Name, "err", err)
		}
	})
	if err != nil {
		return &specError{job: j.Name, err: err}
	}
	return nil
}

type specError struct {
	job string
	err error
}

func (e *specError) Error() string { return "schedule of job " + e.job + ": " + e.err.Error() }
func (e *specError) Unwrap() error { return e.err }

// Start runs the schedules in the background.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop ends the schedules, tells a job in progress to stop, and waits for
// it to return.
func (s *Scheduler) Stop() {
	s.cancel()
	<-s.cron.Stop().Done()
}

// RunOnce runs j now if no other instance is running it, holding the job's
// lease — renewed while the job lasts — and reports whether it ran.
func (s *Scheduler) RunOnce(ctx context.Context, j Job) (ran bool, err error) {
	held, release, ok, err := Hold(ctx, s.store, j.Name, s.logger)
	if err != nil || !ok {
		return false, err
	}
	defer release()
	runCtx, stop := context.WithCancel(held)
	defer context.AfterFunc(ctx, stop)()
	defer stop()
	return true, j.Run(runCtx)
}

// Hold takes the named job's lease if no other instance holds it and
// keeps renewing it until release is called. held ends when the lease is
// lost — another instance took the job over after this one was too slow to
// renew — or at release; it does not end with ctx, which only bounds the
// taking, so that work started by a request can outlive the request.
func Hold(ctx context.Context, st *store.Store, job string, logger *slog.Logger) (held context.Context, release func(), ok bool, err error) {
	lease := store.NewLease(st, "job/"+job, LeaseTTL)
	if ok, err := lease.Acquire(ctx, time.Now()); err != nil || !ok {
		return nil, nil, ok, err
	}
	held, stop := context.WithCancel(context.WithoutCancel(ctx))
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		keep(held, stop, lease, job, logger)
	}()
	release = func() {
		stop()
		<-kept // the lease is one goroutine's: renewals end before the release
		if err := lease.Release(context.WithoutCancel(ctx)); err != nil {
			logger.Warn("releasing a job's lease; another instance takes over when it runs out", "job", job, "err", err)
		}
	}
	return held, release, true, nil
}

// keep renews the lease until ctx ends; if the lease is lost (this
// instance was too slow to renew it and another took it over) or runs out
// while the store does not answer (so that another instance may take it
// over), it stops the job, which another instance now runs.
func keep(ctx context.Context, stop context.CancelFunc, lease *store.Lease, job string, logger *slog.Logger) {
	t := time.NewTicker(LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := time.Now()
			held, err := lease.Renew(ctx, now)
			if err == nil && !held || err != nil && !now.Before(lease.Until()) {
				logger.Error("a job's lease was lost: stopping it", "job", job, "err", err)
				stop()
				return
			}
		}
	}
}
