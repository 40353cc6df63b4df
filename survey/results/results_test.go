package results_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"strings"
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

// The pipeline on planted data: the loadings' pattern comes back (Tucker's
// congruence ≥ .95 with the planted pattern for each factor) and the
// planted coefficients fall inside their 95% intervals about as often as
// they should.
func TestRecoversPlantedTruth(t *testing.T) {
	st := storetest.MustOpen(t)
	in := scaleModels(t)
	fill(t, st, simulate.Cases(in, 2500, .5, 7))
	r, err := newService(t, st, in).RunNow(context.Background(), results.TriggerCommand, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != results.StatusOK {
		t.Fatalf("status %s: %s %s", r.Status, r.Reason, r.Error)
	}
	if r.Cases != 2500 || r.N < 1100 || r.N > 1400 {
		t.Errorf("cases %d, n %d", r.Cases, r.N)
	}
	checkLoadings(t, r)
	inside, total := 0, 0
	for _, m := range r.Models {
		for _, c := range m.Coefficients {
			beta, planted := simulate.Beta[c.Term]
			if !planted {
				t.Errorf("model %s: unexpected term %s", m.ID, c.Term)
				continue
			}
			total++
			if math.Abs(float64(c.Estimate)-beta) <= 1.96*float64(*c.ClusterSE) {
				inside++
			}
		}
	}
	// 30 intervals at 95%: fewer than 25 inside has a chance under 1%.
	if total != 30 || inside < 25 {
		t.Errorf("%d of %d planted coefficients inside their 95%% intervals", inside, total)
	}
	t.Logf("%d of %d planted coefficients inside their 95%% intervals; warnings %q", inside, total, r.Warnings)
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
		r, err := s.RunNow(context.Background(), results.TriggerCommand, "")
		if err != nil || r.Status != results.StatusOK {
			t.Fatalf("run %d: %v %+v", i, err, r)
		}
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
