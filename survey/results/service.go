package results

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Store is what the nightly run needs of the store.
type Store interface {
	EachCase(ctx context.Context, surveyID string, fn func(*survey.Case) error) error
	InsertResult(ctx context.Context, r *Record) error
	ReplaceResult(ctx context.Context, r *Record, prevAttempts int) error
	ResultRecord(ctx context.Context, id string) (*Record, error)
	ResultRecords(ctx context.Context, limit int64) ([]Record, error)
	RunningResults(ctx context.Context) ([]Record, error)
	SetLatestResult(ctx context.Context, id string) error
	LatestResultID(ctx context.Context) (string, error)
	PutScores(ctx context.Context, result string, n int, csv string) error
	DeleteScores(ctx context.Context, result string) error
	Scores(ctx context.Context, result string, n int) (string, error)
}

// Lock holds the nightly job's lease in the store (package scheduler's
// Hold): ok is false while another process holds it; held ends when the
// lease is lost; release gives it back.
type Lock func(ctx context.Context) (held context.Context, release func(), ok bool, err error)

// Service runs the nightly analysis and serves its results.
type Service struct {
	Store       Store
	Instrument  *instrument.Instrument
	Thresholds  aapor.Thresholds
	CodeVersion string
	Lock        Lock
	Logger      *slog.Logger
	Now         func() time.Time
	// Observe, if set, learns how each run this process executed ended —
	// its status, or "interrupted" when it was left for another instance
	// or a restart to take over — and how long it took on the real clock.
	// The server records it in its metrics; nil records nothing.
	Observe func(status string, took time.Duration)

	background sync.WaitGroup
	stop       context.CancelFunc
	base       context.Context
}

// New returns the service; Close stops the runs it started in the background.
func New(st Store, in *instrument.Instrument, th aapor.Thresholds, codeVersion string, lock Lock, logger *slog.Logger) *Service {
	base, stop := context.WithCancel(context.Background())
	return &Service{Store: st, Instrument: in, Thresholds: th, CodeVersion: codeVersion, Lock: lock, Logger: logger,
		Now: time.Now, base: base, stop: stop}
}

// Close cancels the runs in progress — each ends as failed, and the
// previous result stays the latest — and waits for them.
func (s *Service) Close() {
	s.stop()
	s.background.Wait()
}

// errNoAnalysis is returned when the questionnaire has no analysis section.
var errNoAnalysis = survey.Errorf(survey.ECONFLICT, "the questionnaire has no analysis: section, so there is nothing to run")

// errRunning is returned when another run holds the lease.
var errRunning = survey.Errorf(survey.ECONFLICT, "a run of the analysis is in progress; wait for it to finish")

// Start begins a run in the background and returns its id as soon as the
// run is recorded, so that the id can be read at once.
func (s *Service) Start(ctx context.Context, trigger, requestedBy string) (string, error) {
	r, held, release, err := s.begin(ctx, trigger, requestedBy)
	if err != nil {
		return "", err
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer release()
		runCtx, cancel := mergeCancel(held, s.base)
		defer cancel()
		s.execute(runCtx, r, 1)
	}()
	return r.ID, nil
}

// RunNow runs the analysis and returns its result when it ends.
func (s *Service) RunNow(ctx context.Context, trigger, requestedBy string) (*Result, error) {
	r, held, release, err := s.begin(ctx, trigger, requestedBy)
	if err != nil {
		return nil, err
	}
	defer release()
	runCtx, cancel := mergeCancel(held, ctx)
	defer cancel()
	return s.execute(runCtx, r, 1), nil
}

// begin takes the lease and records a new run.
func (s *Service) begin(ctx context.Context, trigger, requestedBy string) (*Result, context.Context, func(), error) {
	if s.Instrument.Analysis == nil {
		return nil, nil, nil, errNoAnalysis
	}
	held, release, ok, err := s.Lock(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if !ok {
		return nil, nil, nil, errRunning
	}
	now := s.Now().UTC()
	r := s.newResult(fmt.Sprintf("run-%s-%s", now.Format("20060102T150405Z"), rand.Text()[:6]), trigger, now)
	r.RequestedBy = requestedBy
	if err := s.record(ctx, r, 1, true, 0); err != nil {
		release()
		return nil, nil, nil, err
	}
	return r, held, release, nil
}

func (s *Service) newResult(id, trigger string, now time.Time) *Result {
	return &Result{ID: id, Status: StatusRunning, Trigger: trigger, StartedAt: now, CodeVersion: s.CodeVersion,
		Questionnaire: questionnaireOf(s.Instrument), Warnings: []string{}}
}

// record stores r: newly (insert), settling first the runs a dead process
// left running; or over its own record, if that is still at attempt
// prev — else another instance took the run over, and ENOTFOUND says so.
func (s *Service) record(ctx context.Context, r *Result, attempts int, insert bool, prev int) error {
	rec, err := EncodeRecord(r, attempts)
	if err != nil {
		return err
	}
	if !insert {
		return s.Store.ReplaceResult(ctx, rec, prev)
	}
	if err := s.settleInterrupted(ctx, func(rec *Record) bool { return rec.Trigger != TriggerSchedule }); err != nil {
		return err
	}
	return s.Store.InsertResult(ctx, rec)
}

// settleInterrupted marks as failed the runs still recorded as running
// that settle selects. The caller holds the lease, so nothing is running
// them: their process died. A scheduled night is left to RunDue, which
// takes the latest one over.
func (s *Service) settleInterrupted(ctx context.Context, settle func(*Record) bool) error {
	running, err := s.Store.RunningResults(ctx)
	if err != nil {
		return err
	}
	for i := range running {
		rec := &running[i]
		if !settle(rec) {
			continue
		}
		r, err := rec.decodeSummary()
		if err != nil {
			return err
		}
		s.finish(ctx, r, rec.Attempts, fmt.Errorf("%w: the process running it stopped before it finished", errInterrupted))
	}
	return nil
}

// errInterrupted is the error of a run that did not get to finish.
var errInterrupted = errors.New("interrupted")

// execute computes r and records how it ended; it returns r as recorded.
func (s *Service) execute(ctx context.Context, r *Result, attempts int) *Result {
	if s.Observe != nil {
		start := time.Now()
		defer func() {
			status := r.Status
			if status == StatusRunning {
				status = "interrupted"
			}
			s.Observe(status, time.Since(start))
		}()
	}
	err := s.safeCompute(ctx, r)
	if err != nil && ctx.Err() != nil && r.Trigger == TriggerSchedule {
		// Shut down or lost its lease: the night stays running, and the
		// next check — here after a restart, or by the instance that took
		// the lease — takes it over, rather than losing the night.
		s.Logger.Warn("the nightly analysis was interrupted; it will be taken over", "result", r.ID, "err", err)
		return r
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w: the service stopped or lost the run's lease (%v); start it again", errInterrupted, err)
	}
	s.finish(context.WithoutCancel(ctx), r, attempts, err)
	return r
}

// safeCompute is compute with a panic turned into the run's error: odd
// data must fail one run, not the process serving the respondents.
func (s *Service) safeCompute(ctx context.Context, r *Result) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.Logger.Error("the nightly analysis panicked", "result", r.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error in the analysis: %v", p)
		}
	}()
	return s.compute(ctx, r)
}

// finish records r's end. A run that failed keeps no tables or scores; the
// latest pointer moves only after an ok result and its scores are stored,
// and only if no other instance took the run over meanwhile.
func (s *Service) finish(ctx context.Context, r *Result, attempts int, err error) {
	now := s.Now().UTC()
	r.FinishedAt = &now
	if err != nil {
		r.Status, r.Error = StatusFailed, err.Error()
		r.EFA, r.Factors, r.Reliability, r.Models, r.Descriptives, r.Changes = nil, nil, nil, nil, nil, nil
		s.Logger.Error("the nightly analysis failed", "result", r.ID, "err", err)
	}
	recErr := s.record(ctx, r, attempts, false, attempts)
	switch {
	case survey.ErrorCode(recErr) == survey.ENOTFOUND:
		s.Logger.Warn("another instance took this analysis over; its own end stands", "result", r.ID)
		return
	case recErr == nil && r.Status == StatusOK:
		recErr = s.Store.SetLatestResult(ctx, r.ID)
	case recErr == nil && r.Status != StatusOK:
		recErr = s.Store.DeleteScores(ctx, r.ID)
	}
	if recErr != nil {
		s.Logger.Error("recording the end of a nightly analysis", "result", r.ID, "err", recErr)
		return
	}
	s.Logger.Info("nightly analysis finished", "result", r.ID, "status", r.Status, "n", r.N, "warnings", len(r.Warnings))
}

// mergeCancel is a context that ends when either a or b does; it carries a's values.
func mergeCancel(a, b context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(a)
	stop := context.AfterFunc(b, cancel)
	return ctx, func() { stop(); cancel() }
}

// Latest is the latest ok result; ENOTFOUND before the first.
func (s *Service) Latest(ctx context.Context) (*Result, error) {
	id, err := s.Store.LatestResultID(ctx)
	if err != nil {
		if survey.ErrorCode(err) == survey.ENOTFOUND {
			return nil, survey.Errorf(survey.ENOTFOUND, "no analysis has finished yet")
		}
		return nil, err
	}
	return s.Get(ctx, id)
}

// Get is the result with the given id.
func (s *Service) Get(ctx context.Context, id string) (*Result, error) {
	rec, err := s.Store.ResultRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	return rec.decodeDocument()
}

// Document is the stored JSON of the result with the given id, byte for
// byte as computed.
func (s *Service) Document(ctx context.Context, id string) ([]byte, error) {
	rec, err := s.Store.ResultRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	return rec.Document, nil
}

// LatestID is the id of the latest ok result; ENOTFOUND before the first.
func (s *Service) LatestID(ctx context.Context) (string, error) {
	id, err := s.Store.LatestResultID(ctx)
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		return "", survey.Errorf(survey.ENOTFOUND, "no analysis has finished yet")
	}
	return id, err
}

// List is the history, the latest started first, without tables.
func (s *Service) List(ctx context.Context, limit int) ([]Result, error) {
	recs, err := s.Store.ResultRecords(ctx, int64(limit))
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(recs))
	for _, rec := range recs {
		r, err := rec.decodeSummary()
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}
