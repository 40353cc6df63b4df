package results_test

import (
	"context"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

// fillSimulated stores n simulated cases, 30% of them respondents as in
// the mission's survey, in batches so the generator's memory stays small.
func fillSimulated(b *testing.B, st *store.Store, n int) {
	b.Helper()
	batch := make([]*survey.Case, 0, 10000)
	flush := func() {
		if err := st.InsertCases(context.Background(), "import-bench-"+strconv.Itoa(len(batch)), batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	simulate.Each(instrument.Default(), n, .3, 1, func(c *survey.Case) {
		if batch = append(batch, c); len(batch) == cap(batch) {
			flush()
		}
	})
	if len(batch) > 0 {
		flush()
	}
}

// BenchmarkNightly times the nightly run at 2,500 and 100,000 cases beside
// the floor under it: the driver alone streaming every case document from
// the same store, undecoded (Store.ScanCases). Each size has its own store, filled once;
// the two measurements run one after the other on it. peak-RSS-MiB is the
// process's resident peak during the runs (Linux), the embedded store
// included.
func BenchmarkNightly(b *testing.B) {
	for _, n := range benchSizes() {
		st := storetest.MustOpen(b)
		fillSimulated(b, st, n)
		in := instrument.Default()
		s := newService(b, st, in)
		b.Run("cases="+strconv.Itoa(n)+"/driver", func(b *testing.B) {
			resetPeakRSS()
			for b.Loop() {
				if got, err := st.ScanCases(context.Background(), in.ID); err != nil || got != n {
					b.Fatalf("streamed %d of %d: %v", got, n, err)
				}
			}
			b.ReportMetric(peakRSS(), "peak-RSS-MiB")
		})
		b.Run("cases="+strconv.Itoa(n)+"/nightly", func(b *testing.B) {
			resetPeakRSS()
			for b.Loop() {
				r, err := s.RunNow(context.Background(), results.TriggerCommand, "")
				if err != nil || r.Status != results.StatusOK {
					b.Fatalf("%v %+v", err, r)
				}
			}
			b.ReportMetric(peakRSS(), "peak-RSS-MiB")
		})
	}
}

// resetPeakRSS returns what the heap no longer uses to the system and
// resets the kernel's resident peak (VmHWM), so peakRSS measures what
// follows.
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS is the resident peak since resetPeakRSS, in MiB; 0 where
// /proc does not tell.
func peakRSS() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// benchSizes are the numbers of cases BenchmarkNightly measures;
// NIGHTLY_BENCH_SIZES (comma-separated) overrides them.
func benchSizes() []int {
	spec := os.Getenv("NIGHTLY_BENCH_SIZES")
	if spec == "" {
		return []int{2500, 100000}
	}
	var sizes []int
	for _, f := range strings.Split(spec, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			sizes = append(sizes, n)
		}
	}
	return sizes
}
