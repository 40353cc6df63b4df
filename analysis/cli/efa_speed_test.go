package cli

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/analysis/cor"
	"github.com/canvass-survey/canvass/analysis/dataset"
	"github.com/canvass-survey/canvass/analysis/internal/synth"
	"gonum.org/v1/gonum/mat"
)

// decimalsCSV is rows × items of two-factor data with three decimals far
// from zero and 3% of cells missing, written each way a cell can be: with
// such values any change in the order of the sums would show in the bits.
func decimalsCSV(rows, items int) string {
	rng := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	for j := range items {
		fmt.Fprintf(&b, "%sx%d", map[bool]string{true: ",", false: ""}[j > 0], j+1)
	}
	b.WriteByte('\n')
	for range rows {
		f := [2]float64{rng.NormFloat64(), rng.NormFloat64()}
		for j := range items {
			if j > 0 {
				b.WriteByte(',')
			}
			switch u := rng.Float64(); {
			case u < 0.01:
			case u < 0.02:
				b.WriteString("NA")
			case u < 0.03:
				b.WriteString(".")
			default:
				fmt.Fprintf(&b, "%.3f", 1000+0.7*f[j%2]+0.7*rng.NormFloat64())
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// analyze efa --csv parses and sums the file on every core, in chunks of
// whole blocks merged in file order: the same file gives the same JSON,
// byte for byte, on one core or four, and the same correlations as adding
// its rows one at a time, as the nightly run does.
func TestEFACSVSameBitsOnAnyCores(t *testing.T) {
	path := writeFile(t, t.TempDir(), "decimals.csv", decimalsCSV(3*cor.BlockRows+321, 8))
	var first string
	for _, procs := range []int{1, 2, 4} {
		prev := runtime.GOMAXPROCS(procs)
		out, err := run(t, "efa", "--json", "--csv", path, "--factors", "2")
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		if procs == 1 {
			first = out
		} else if out != first {
			t.Errorf("GOMAXPROCS %d gives other JSON than GOMAXPROCS 1:\n%.400s\n%.400s", procs, out, first)
		}
	}
	for _, miss := range []cor.Missing{cor.Pairwise, cor.Listwise} {
		got, err := correlateCSV(path, nil, miss, dataset.NA())
		if err != nil {
			t.Fatal(err)
		}
		want := rowByRow(t, path, miss)
		if !mat.Equal(got.R, want.R) || got.N != want.Rows || miss == cor.Pairwise && !mat.Equal(got.PairN, want.PairN) {
			t.Errorf("%v: chunked correlations differ from Add row by row", miss)
		}
	}
}

// rowByRow correlates the file as the nightly run does: every row into
// Add, one at a time.
func rowByRow(t *testing.T, path string, miss cor.Missing) *cor.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := dataset.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	x, err := tab.Numeric(nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cor.Pearson(tab.Header, x, miss)
	if err != nil {
		t.Fatal(err)
	}
	if miss == cor.Listwise {
		res.Rows = res.Complete
	}
	return res
}

// BenchmarkEFACSV backs the README's figure from analysis/bench/bench_vs_r.sh:
// canvass analyze efa --csv --factors 5 on 50 Likert items with 0.5% of
// cells missing, the script's data, at a quarter of its million rows.
// -cpu 1,2 shows what the second core brings.
func BenchmarkEFACSV(b *testing.B) {
	const rows = 250_000
	path := filepath.Join(b.TempDir(), "items.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := synth.Likert(f, rows, 50, 5, 0.005, 1); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		if err := Run([]string{"efa", "--csv", path, "--factors", "5", "--json"}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6/rows, "s/1M-rows")
}
