package results_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

// leaseLock holds the nightly lease of st as package scheduler does,
// without its renewals (a test's run is shorter than the lease).
func leaseLock(st *store.Store) results.Lock {
	return func(ctx context.Context) (context.Context, func(), bool, error) {
		lease := store.NewLease(st, "job/nightly", time.Minute)
		ok, err := lease.Acquire(ctx, time.Now())
		if err != nil || !ok {
			return nil, nil, ok, err
		}
		return ctx, func() { _ = lease.Release(context.Background()) }, true, nil
	}
}

func newService(tb testing.TB, st *store.Store, in *instrument.Instrument) *results.Service {
	tb.Helper()
	s := results.New(st, in, aapor.DefaultThresholds, "test", leaseLock(st), slog.New(slog.NewTextHandler(io.Discard, nil)))
	tb.Cleanup(s.Close)
	return s
}

// runOK runs the analysis now and fails the test unless it ends ok.
func runOK(t *testing.T, s *results.Service) *results.Result {
	t.Helper()
	r, err := s.RunNow(context.Background(), results.TriggerCommand, "")
	if err != nil || r.Status != results.StatusOK {
		t.Fatalf("the run: %v; %+v", err, r)
	}
	return r
}

// fill stores cases.
func fill(tb testing.TB, st *store.Store, cases []*survey.Case) {
	tb.Helper()
	if err := st.InsertCases(context.Background(), "import-test", cases); err != nil {
		tb.Fatal(err)
	}
}

// scaleModels is the default questionnaire with the models on the
// observed scale scores, which the planted truth draws the outcomes from.
func scaleModels(tb testing.TB) *instrument.Instrument {
	tb.Helper()
	y := defaultYAML(tb)
	y = strings.ReplaceAll(y, "predictors: [participation, shared_goals, political_trust,", "predictors: [participation_scale, shared_goals_scale, political_trust_scale,")
	y = strings.ReplaceAll(y, "terms: [participation, shared_goals, political_trust]", "terms: [participation_scale, shared_goals_scale, political_trust_scale]")
	in, err := instrument.Parse("planted.yaml", []byte(y))
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

func defaultYAML(tb testing.TB) string {
	tb.Helper()
	return string(instrument.DefaultYAML())
}

// The pipeline on planted data, three field periods of 2,500 cases: the
// loadings' pattern comes back (Tucker's congruence ≥ .95 with the planted
// pattern for each factor) and the planted coefficients fall inside their
// 95% intervals about as often as they should.
func TestRecoversPlantedTruth(t *testing.T) {
	in := scaleModels(t)
	inside, total, sumAbsZ := 0, 0, 0.0
	for seed := uint64(1); seed <= 3; seed++ {
		st := storetest.MustOpen(t)
		fill(t, st, simulate.Cases(in, 2500, .5, seed))
		r := runOK(t, newService(t, st, in))
		if r.Cases != 2500 || r.N < 1100 || r.N > 1400 {
			t.Errorf("seed %d: cases %d, n %d", seed, r.Cases, r.N)
		}
		checkLoadings(t, r)
		for _, m := range r.Models {
			for _, c := range m.Coefficients {
				beta, planted := simulate.Beta[c.Term]
				if !planted {
					t.Errorf("model %s: unexpected term %s", m.ID, c.Term)
					continue
				}
				z := math.Abs(float64(c.Estimate)-beta) / float64(*c.ClusterSE)
				total, sumAbsZ = total+1, sumAbsZ+z
				if z <= 1.96 {
					inside++
				}
			}
		}
	}
	// 90 intervals at 95%: about 85.5 inside; fewer than 79 would have a
	// chance under 1% were they independent (the three outcomes share
	// their respondents, so the tails are somewhat wider). And they must
	// not be too wide either: the errors in standard errors, |z|, average
	// √(2/π) ≈ 0.80 for a normal; intervals twice too wide would make it
	// 0.40, half as wide 1.60.
	meanAbsZ := sumAbsZ / float64(total)
	if total != 90 || inside < 79 || meanAbsZ < .55 || meanAbsZ > 1.1 {
		t.Errorf("%d of %d planted coefficients inside their 95%% intervals, mean |z| %.2f", inside, total, meanAbsZ)
	}
	t.Logf("%d of %d planted coefficients inside their 95%% intervals, mean |z| %.2f", inside, total, meanAbsZ)
}

// checkLoadings compares each named factor's loadings with the planted
// pattern (the planted loading on its own items, zero elsewhere).
func checkLoadings(t *testing.T, r *results.Result) {
	t.Helper()
	if r.EFA == nil || len(r.Factors) != 3 {
		t.Fatalf("efa %v, factors %v", r.EFA != nil, r.Factors)
	}
	for k, f := range r.Factors {
		var xy, xx, yy float64
		for i, item := range r.EFA.Items {
			planted := 0.0
			for j, id := range simulate.Loadings[k].Items {
				if id == item {
					planted = simulate.Loadings[k].Values[j]
				}
			}
			got := float64(f.Sign) * float64(r.EFA.Loadings[i][f.Column])
			xy, xx, yy = xy+planted*got, xx+planted*planted, yy+got*got
		}
		if phi := xy / math.Sqrt(xx*yy); phi < .95 {
			t.Errorf("factor %s: congruence %.3f with the planted loadings", f.Name, phi)
		} else {
			t.Logf("factor %s: congruence %.3f", f.Name, phi)
		}
	}
}

// The same data give the same document, byte for byte.
func TestSameDataSameTables(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	fill(t, st, simulate.Cases(in, 600, .5, 3))
	s := newService(t, st, in)
	var docs [2][]byte
	for i := range docs {
		r := runOK(t, s)
		r.ID, r.StartedAt, r.FinishedAt, r.Changes = "", time.Time{}, nil, nil
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = b
	}
	if !bytes.Equal(docs[0], docs[1]) {
		t.Error("two runs on the same data differ")
	}
}

// daily is a schedule due every day at 02:00 UTC.
type daily struct{}

func (daily) Next(t time.Time) time.Time {
	next := time.Date(t.Year(), t.Month(), t.Day(), 2, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// never is a schedule that never comes round, as robfig/cron reports one.
type never struct{}

func (never) Next(time.Time) time.Time { return time.Time{} }

func TestDue(t *testing.T) {
	if due := results.Due(never{}, time.Now()); !due.IsZero() {
		t.Errorf("a schedule that never comes round is due at %v", due)
	}
	now := time.Date(2026, 12, 1, 16, 30, 0, 0, time.UTC)
	if got, want := results.Due(daily{}, now), time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("due %v, want %v", got, want)
	}
	if got, want := results.Due(daily{}, time.Date(2026, 12, 1, 1, 59, 0, 0, time.UTC)), time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("due before 02:00 %v, want the night before %v", got, want)
	}
}

// runDue runs the due night as the scheduler does: under the lease.
func runDue(t *testing.T, s *results.Service) {
	t.Helper()
	_, release, ok, err := s.Lock(context.Background())
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	defer release()
	if err := s.RunDue(context.Background(), daily{}); err != nil {
		t.Fatal(err)
	}
}

// tonight is the night the tests' clocks make due, at 02:00 UTC.
var tonight = results.NightID(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))

// plantRunningNight records tonight's run as running, at attempts, as a
// process that died part-way leaves it (or as another instance records it).
func plantRunningNight(t *testing.T, st *store.Store, attempts int) {
	t.Helper()
	dead := &results.Result{ID: tonight, Status: results.StatusRunning, Trigger: results.TriggerSchedule, Warnings: []string{}}
	if err := st.InsertResult(context.Background(), mustRecord(t, dead, attempts)); err != nil {
		t.Fatal(err)
	}
}

// A run whose process died is left recorded as running; the next check
// takes the night over and completes it, and the partial run was never
// the latest.
func TestKilledRunTakenOver(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	fill(t, st, simulate.Cases(in, 400, .5, 5))
	s := newService(t, st, in)
	s.Now = func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	plantRunningNight(t, st, 1)
	if _, err := s.Latest(context.Background()); survey.ErrorCode(err) != survey.ENOTFOUND {
		t.Fatalf("a running result is the latest: %v", err)
	}
	runDue(t, s)
	r, err := s.Latest(context.Background())
	if err != nil || r.ID != tonight || r.Status != results.StatusOK || r.N == 0 {
		t.Fatalf("latest after the takeover: %+v, %v", r, err)
	}
	rec, _ := st.ResultRecord(context.Background(), tonight)
	if rec.Attempts != 2 {
		t.Errorf("attempts %d, want 2", rec.Attempts)
	}
	runDue(t, s) // nothing more to do for the night
	if list, _ := s.List(context.Background(), 0); len(list) != 1 {
		t.Errorf("%d results for one night", len(list))
	}
}

// A night that kills its process every time is given up after three
// attempts, as failed, rather than retried forever.
func TestRunDyingEachTimeGivenUp(t *testing.T) {
	st := storetest.MustOpen(t)
	s := newService(t, st, instrument.Default())
	s.Now = func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	plantRunningNight(t, st, 3)
	runDue(t, s)
	r, err := s.Get(context.Background(), tonight)
	if err != nil || r.Status != results.StatusFailed || !strings.Contains(r.Error, "interrupted 3 times") {
		t.Fatalf("got %+v, %v", r, err)
	}
}

// A failed or insufficient run is in the history with its reason, and the
// previous ok result stays the latest.
func TestInsufficientDataKeepsTheLatest(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	s := newService(t, st, in)
	r, err := s.RunNow(context.Background(), results.TriggerCommand, "")
	if err != nil || r.Status != results.StatusInsufficient || !strings.Contains(r.Reason, "0 usable cases") {
		t.Fatalf("empty store: %+v, %v", r, err)
	}
	fill(t, st, simulate.Cases(in, 300, .5, 9))
	ok := runOK(t, s)
	// A manual run recorded as running by a process that died is settled
	// as failed by the next run, which then becomes the latest.
	dead := &results.Result{ID: "run-dead", Status: results.StatusRunning, Trigger: results.TriggerAPI, Warnings: []string{}}
	if err := st.InsertResult(context.Background(), mustRecord(t, dead, 1)); err != nil {
		t.Fatal(err)
	}
	next, err := s.RunNow(context.Background(), results.TriggerCommand, "")
	if err != nil || next.Changes == nil || next.Changes.Since != ok.ID || next.Changes.N.Delta != 0 {
		t.Fatalf("second run's changes: %+v, %v", next.Changes, err)
	}
	for _, c := range next.Changes.Congruence {
		if c < .999 {
			t.Errorf("same data, congruence %v", c)
		}
	}
	settled, _ := s.Get(context.Background(), "run-dead")
	if settled.Status != results.StatusFailed || !strings.Contains(settled.Error, "interrupted") {
		t.Errorf("the dead run: %+v", settled)
	}
	if latest, _ := s.Latest(context.Background()); latest.ID != next.ID {
		t.Errorf("latest %s, want %s", latest.ID, next.ID)
	}
}

// Two instances racing for the same night run it once.
func TestRacingSchedulersRunOnce(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	fill(t, st, simulate.Cases(in, 300, .5, 11))
	instances := []*results.Service{newService(t, st, in), newService(t, st, in)}
	now := time.Date(2026, 12, 1, 2, 0, 1, 0, time.UTC)
	var wg sync.WaitGroup
	for _, s := range instances {
		s.Now = func() time.Time { return now }
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, release, ok, err := s.Lock(context.Background())
				if err != nil || !ok {
					return // the other holds the lease: it runs the night
				}
				defer release()
				if err := s.RunDue(context.Background(), daily{}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	list, err := instances[0].List(context.Background(), 0)
	if err != nil || len(list) != 1 || list[0].Status != results.StatusOK {
		t.Fatalf("results %+v, %v", list, err)
	}
}

func mustRecord(t *testing.T, r *results.Result, attempts int) *results.Record {
	t.Helper()
	rec, err := results.EncodeRecord(r, attempts)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// failingStore is the real store whose case stream breaks part-way.
type failingStore struct{ *store.Store }

func (f failingStore) EachCase(ctx context.Context, surveyID string, fn func(*survey.Case) error) error {
	n := 0
	err := f.Store.EachCase(ctx, surveyID, func(c *survey.Case) error {
		if n++; n == 100 {
			return errors.New("the disk is on fire")
		}
		return fn(c)
	})
	return err
}

// A failed run is in the history with its error, keeps no tables, and
// leaves the previous ok result the latest.
func TestFailedRunKeepsTheLatest(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	fill(t, st, simulate.Cases(in, 300, .5, 13))
	s := newService(t, st, in)
	ok := runOK(t, s)
	s.Store = failingStore{st}
	failed, err := s.RunNow(context.Background(), results.TriggerCommand, "")
	if err != nil || failed.Status != results.StatusFailed || !strings.Contains(failed.Error, "reading the cases: the disk is on fire") {
		t.Fatalf("%+v %v", failed, err)
	}
	stored, err := s.Get(context.Background(), failed.ID)
	if err != nil || stored.Status != results.StatusFailed || stored.EFA != nil || stored.FinishedAt == nil {
		t.Errorf("stored: %+v, %v", stored, err)
	}
	if latest, _ := s.Latest(context.Background()); latest.ID != ok.ID {
		t.Errorf("latest %s after a failed run, want %s", latest.ID, ok.ID)
	}
}

// While a run holds the lease — here, another instance's — a run cannot
// start: ECONFLICT, saying why.
func TestStartWhileRunning(t *testing.T) {
	st := storetest.MustOpen(t)
	s := newService(t, st, instrument.Default())
	other := newService(t, st, instrument.Default())
	_, release, ok, err := other.Lock(context.Background())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	_, err = s.Start(context.Background(), results.TriggerAPI, "pi@example.org")
	if survey.ErrorCode(err) != survey.ECONFLICT || !strings.Contains(err.Error(), "in progress") {
		t.Errorf("got %v", err)
	}
	release()
	id, err := s.Start(context.Background(), results.TriggerAPI, "pi@example.org")
	if err != nil || id == "" {
		t.Fatalf("after the release: %q, %v", id, err)
	}
	r, err := s.Get(context.Background(), id)
	if err != nil || r.RequestedBy != "pi@example.org" || r.Trigger != results.TriggerAPI {
		t.Errorf("the run is recorded at once: %+v, %v", r, err)
	}
}

// The scores come back whole across many stored chunks, and a run that
// fails leaves none of its own behind.
func TestScoresAcrossChunks(t *testing.T) {
	defer results.SetScoresPerChunk(37)()
	st := storetest.MustOpen(t)
	in := instrument.Default()
	fill(t, st, simulate.Cases(in, 400, .5, 19))
	s := newService(t, st, in)
	r := runOK(t, s)
	var buf strings.Builder
	if err := s.WriteTable(context.Background(), r, "scores", &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil || len(rows) != r.N+1 || rows[0][0] != "case_id" {
		t.Fatalf("%d rows for n %d, %v", len(rows), r.N, err)
	}
	for i := 2; i < len(rows); i++ {
		if rows[i][0] <= rows[i-1][0] {
			t.Fatalf("row %d: %s after %s: a chunk lost or repeated", i, rows[i][0], rows[i-1][0])
		}
	}
	if _, err := st.Scores(context.Background(), r.ID, r.N/37); err != nil {
		t.Errorf("the last chunk: %v", err)
	}
	s.Store = failingStore{st}
	failed, _ := s.RunNow(context.Background(), results.TriggerCommand, "")
	if _, err := st.Scores(context.Background(), failed.ID, 0); survey.ErrorCode(err) != survey.ENOTFOUND {
		t.Errorf("a failed run's scores: %v", err)
	}
}

// racingStore is the real store as an instance sees it when another
// records the night between this one's lookup and its insert.
type racingStore struct{ *store.Store }

func (r racingStore) ResultRecord(ctx context.Context, id string) (*results.Record, error) {
	return nil, survey.Errorf(survey.ENOTFOUND, "result not found")
}

// Two instances that both find the night unrecorded both insert it: one
// insert wins, and the other leaves the night to the winner.
func TestNightRecordedOnce(t *testing.T) {
	st := storetest.MustOpen(t)
	s := newService(t, st, instrument.Default())
	s.Now = func() time.Time { return time.Date(2026, 12, 1, 2, 0, 1, 0, time.UTC) }
	plantRunningNight(t, st, 1) // the other instance's
	s.Store = racingStore{st}
	runDue(t, s)
	rec, err := st.ResultRecord(context.Background(), tonight)
	if err != nil || rec.Status != results.StatusRunning || rec.Attempts != 1 {
		t.Errorf("the winner's night: %+v, %v", rec, err)
	}
}

// cancellingStore cancels the run's context part-way through the cases,
// as a shutdown does.
type cancellingStore struct {
	*store.Store
	cancel context.CancelFunc
}

func (c cancellingStore) EachCase(ctx context.Context, surveyID string, fn func(*survey.Case) error) error {
	n := 0
	return c.Store.EachCase(ctx, surveyID, func(sc *survey.Case) error {
		if n++; n == 50 {
			c.cancel()
		}
		return fn(sc)
	})
}

// A night interrupted by a shutdown stays running, and the next check —
// after the restart — takes it over: a restart does not lose the night.
func TestShutdownMidNightTakenOver(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	fill(t, st, simulate.Cases(in, 300, .5, 23))
	s := newService(t, st, in)
	s.Now = func() time.Time { return time.Date(2026, 12, 1, 2, 0, 1, 0, time.UTC) }
	ctx, cancel := context.WithCancel(context.Background())
	s.Store = cancellingStore{st, cancel}
	_, release, _, _ := s.Lock(context.Background())
	if err := s.RunDue(ctx, daily{}); err != nil {
		t.Fatal(err)
	}
	release()
	if rec, _ := st.ResultRecord(context.Background(), tonight); rec.Status != results.StatusRunning {
		t.Fatalf("after the shutdown the night is %s", rec.Status)
	}
	s.Store = st
	runDue(t, s)
	r, err := s.Latest(context.Background())
	if err != nil || r.ID != tonight || r.Status != results.StatusOK {
		t.Fatalf("after the restart: %+v, %v", r, err)
	}
}

// panickingStore panics part-way through the cases, as a bug on odd data
// would.
type panickingStore struct{ *store.Store }

func (p panickingStore) EachCase(ctx context.Context, surveyID string, fn func(*survey.Case) error) error {
	panic("index out of range")
}

// A panic in a run fails that run, recorded with its cause; the process
// serving the respondents goes on.
func TestPanicFailsTheRun(t *testing.T) {
	st := storetest.MustOpen(t)
	s := newService(t, st, instrument.Default())
	s.Store = panickingStore{st}
	r, err := s.RunNow(context.Background(), results.TriggerCommand, "")
	if err != nil || r.Status != results.StatusFailed || !strings.Contains(r.Error, "internal error in the analysis: index out of range") {
		t.Fatalf("%+v %v", r, err)
	}
}

// The truth survives a field period in which who responds is not random:
// the simulated field period's completes and partials (response varying
// by department and city size, partials and break-offs leaving items
// out) give back the planted loadings and coefficients, because the models
// condition on department and city size. Terms the plan gives no effect
// (forms of government other than council-manager) are planted at zero.
func TestRecoversPlantedTruthFieldPeriod(t *testing.T) {
	st := storetest.MustOpen(t)
	in := scaleModels(t)
	var cases []*survey.Case
	err := simulate.Field(simulate.Options{Instrument: in, Cities: 500, Seed: 7, ResponseRate: simulate.DefaultResponseRate},
		func(c *survey.Case) error { cases = append(cases, c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	fill(t, st, cases)
	r := runOK(t, newService(t, st, in))
	checkLoadings(t, r)
	inside, total := 0, 0
	for _, m := range r.Models {
		for _, c := range m.Coefficients {
			total++
			if math.Abs(float64(c.Estimate)-simulate.Beta[c.Term]) <= 1.96*float64(*c.ClusterSE) {
				inside++
			}
		}
	}
	// About 95% should be inside; under 85% would be three standard errors short.
	if total < 30 || float64(inside) < .85*float64(total) {
		t.Errorf("%d of %d planted coefficients inside their 95%% intervals", inside, total)
	}
	t.Logf("n %d of %d cases; %d of %d planted coefficients inside their 95%% intervals", r.N, r.Cases, inside, total)
}
