package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/canvass-survey/canvass/server/bounces"
	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/server/mailer"
	"github.com/canvass-survey/canvass/server/metrics"
	"github.com/canvass-survey/canvass/server/scheduler"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/fieldwork"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/robfig/cron/v3"
)

// DefaultDemoCities is the demo's size: 300 cities, 1,500 cases. The
// mission's 2,500 (`--demo-cities 500`) take the embedded store a minute
// of single-document writes on two cores; 1,500 show every page as well in
// under forty seconds.
const DefaultDemoCities = 300

// RunOptions are what `canvass serve` adds to the configuration.
type RunOptions struct {
	Demo bool // simulate a field period on a new store, and print links and a login
	// DemoCities is the size of the demo's simulated frame; zero:
	// DefaultDemoCities.
	DemoCities int
	Stdout     io.Writer // the listening address and demo links
	Stderr     io.Writer // logs
	Now        func() time.Time
	// Version is the code's version, stamped on analysis results.
	Version string
}

// Run is `canvass serve`: it loads the questionnaire, opens the store,
// serves until ctx ends, then shuts down in order — stop accepting, let
// in-flight requests finish, close the store — so nothing acknowledged is
// lost.
func Run(ctx context.Context, cfg config.Config, secretWarning string, o RunOptions) error {
	logger := newLogger(cfg, o.Stderr)
	if secretWarning != "" {
		logger.Warn(secretWarning)
	}
	in, err := LoadInstrument(cfg.Instrument)
	if err != nil {
		return err
	}
	m := metrics.New()
	storeCfg := cfg.Store(logger)
	storeCfg.Monitor = m.StoreMonitor() // every store command timed for /metrics
	st, err := store.Open(ctx, storeCfg)
	if err != nil {
		return err
	}
	logger.Info("store open", "embedded", cfg.MongoURI == "", "compare_and_set", st.CAS())
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := st.Close(closeCtx); err != nil {
			logger.Error("closing the store", "err", err)
		}
	}()
	s, err := New(Options{Store: st, Instrument: in, Secret: cfg.Secret, Logger: logger, Now: o.Now, BaseURL: cfg.BaseURL,
		SessionIdle: cfg.SessionIdle, SessionLifetime: cfg.SessionLifetime, TrustedProxies: cfg.TrustedProxies,
		MailServer: cfg.SMTP.Server(), MailDomain: cfg.SMTP.Domain(), BounceMailbox: cfg.Bounces.Mailbox(), Version: o.Version,
		Metrics: m, MetricsToken: cfg.MetricsToken})
	if err != nil {
		return err
	}
	if err := s.bootstrapPI(ctx, cfg.AdminEmail, cfg.AdminPassword); err != nil {
		return fmt.Errorf("first PI: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.BaseURL == "http://"+cfg.Addr { // port 0 and the like: say where we really are
		s.BaseURL = "http://" + ln.Addr().String()
	}
	fmt.Fprintf(o.Stdout, "canvass: serving %q on %s\n", in.Title, s.BaseURL)
	if o.Demo { // before the mailer and the schedule start: neither should see a half-made field period
		if err := s.printDemo(ctx, cfg.Secret, o); err != nil {
			ln.Close()
			return err
		}
	}
	sender, stopMailer, err := mailer.Start(st, in, cfg, s.BaseURL, logger, m.Mail)
	if err != nil {
		ln.Close()
		return err
	}
	if sender != nil {
		s.Fieldwork.Sender = sender
	}
	defer stopMailer()      // before the store closes: the message in flight is recorded
	defer s.Results.Close() // before the store closes: a run in progress ends as failed, recorded
	stopJobs, err := startJobs(st, s.Results, s.Fieldwork, cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopJobs() // before the store closes: a job in progress finishes
	return serveUntilDone(ctx, ln, s, cfg.ShutdownTimeout, logger)
}

// serveUntilDone serves on ln until ctx ends, then lets the requests in
// flight finish within timeout.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, timeout time.Duration, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// NightlyJob names the nightly analysis's lease: the schedule, the API's
// "run now" and `canvass nightly --once` all hold it, so one runs at a time.
const NightlyJob = "nightly"

// nightlyCatchUp is how often every instance checks that the latest
// scheduled night has its result: it is how a night whose instance died
// mid-run is taken over, and a night missed while every instance was down
// is caught up.
const nightlyCatchUp = "@every 1m"

// startJobs schedules the periodic jobs: the hourly sweep of what can no
// longer be used — sessions past their idle time or lifetime, and the
// once-claims of forms from them — the nightly analysis, and the bounce
// mailbox's poll.
func startJobs(st *store.Store, res *results.Service, fw *fieldwork.Service, cfg config.Config, logger *slog.Logger) (stop func(), err error) {
	zone := res.Instrument.FieldPeriod.Location()
	if cfg.NightlyZone != nil {
		zone = cfg.NightlyZone
	}
	jobs := scheduler.New(st, zone, logger)
	err = jobs.Add(scheduler.Job{Name: "sweep", Spec: "@hourly", Run: func(ctx context.Context) error {
		now := time.Now()
		swept, err := st.Sweep(ctx, now.Add(-cfg.SessionIdle), now.Add(-cfg.SessionLifetime), now.Add(-cfg.SessionLifetime))
		logger.Info("swept expired sessions and form claims", "sessions", swept.Sessions, "once", swept.Once)
		return err
	}})
	if err == nil && cfg.NightlySpec != "" && res.Instrument.Analysis != nil {
		err = addNightly(jobs, res, cfg.NightlySpec, zone)
	}
	if err == nil && cfg.Bounces.Host != "" {
		r := &bounces.Reader{Config: cfg.Bounces, VERP: cfg.SMTP.VERP, Store: st, Recorder: fw, Logger: logger, Now: time.Now}
		err = jobs.Add(scheduler.Job{Name: bounces.Job, Spec: "@every " + cfg.Bounces.Poll.String(), Run: r.Poll})
	}
	if err != nil {
		return nil, err
	}
	jobs.Start()
	return jobs.Stop, nil
}

// addNightly schedules the nightly analysis at spec, and the catch-up
// check that runs a due night nobody finished.
func addNightly(jobs *scheduler.Scheduler, res *results.Service, spec string, zone *time.Location) error {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return err
	}
	runDue := func(ctx context.Context) error { return res.RunDue(ctx, inZone{sched, zone}) }
	for _, s := range []string{spec, nightlyCatchUp} {
		if err := jobs.Add(scheduler.Job{Name: NightlyJob, Spec: s, Run: runDue}); err != nil {
			return err
		}
	}
	return nil
}

// inZone reads a cron schedule in a time zone, as the scheduler does.
type inZone struct {
	cron.Schedule
	loc *time.Location
}

func (z inZone) Next(t time.Time) time.Time { return z.Schedule.Next(t.In(z.loc)) }

// printDemo simulates the demo's field period on a new store, creates the
// demo PI, and prints links still to answer and the login.
func (s *Server) printDemo(ctx context.Context, secret []byte, o RunOptions) error {
	w := o.Stdout
	if err := s.SimulateDemo(ctx, secret, cmp.Or(o.DemoCities, DefaultDemoCities), w, o.Stderr); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	links, err := s.demoLinks(ctx, secret)
	if err != nil {
		return fmt.Errorf("demo links: %w", err)
	}
	fmt.Fprintln(w, "demo respondents' personal links:")
	for _, l := range links {
		fmt.Fprintln(w, "  "+l)
	}
	admin, err := s.CreateDemoPI(ctx, secret)
	if err != nil {
		return fmt.Errorf("demo PI: %w", err)
	}
	fmt.Fprintln(w, "the research team's pages:\n  "+admin)
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// RunNightlyOnce is `canvass nightly --once`: it opens the configured
// store and runs the nightly analysis now, under the same lease as the
// schedule and the API, so it waits for nothing and runs nothing twice.
func RunNightlyOnce(ctx context.Context, cfg config.Config, version string, logger *slog.Logger) (*results.Result, error) {
	in, err := LoadInstrument(cfg.Instrument)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.Store(logger))
	if err != nil {
		return nil, err
	}
	defer st.Close(context.WithoutCancel(ctx))
	res := newResults(st, in, version, logger)
	defer res.Close()
	return res.RunNow(ctx, results.TriggerCommand, "command line")
}

// newResults is the results service over st, whose runs hold the nightly lease.
func newResults(st *store.Store, in *instrument.Instrument, version string, logger *slog.Logger) *results.Service {
	return results.New(st, in, aapor.DefaultThresholds, version, func(ctx context.Context) (context.Context, func(), bool, error) {
		return scheduler.Hold(ctx, st, NightlyJob, logger)
	}, logger)
}

// LoadInstrument is the questionnaire in file, or the default when file
// is empty (CANVASS_INSTRUMENT unset).
func LoadInstrument(file string) (*instrument.Instrument, error) {
	if file == "" {
		return instrument.Default(), nil
	}
	in, err := instrument.LoadFile(file)
	if err != nil {
		return nil, fmt.Errorf("questionnaire: %w", err)
	}
	return in, nil
}
