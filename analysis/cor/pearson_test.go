package cor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/reftest"
	"gonum.org/v1/gonum/mat"
)

// naive is the textbook two-pass correlation of columns i and j over the
// rows selected by keep.
func naive(x [][]float64, i, j int, keep func(row []float64) bool) (r float64, n int) {
	var mi, mj float64
	for _, row := range x {
		if keep(row) {
			mi += row[i]
			mj += row[j]
			n++
		}
	}
	mi /= float64(n)
	mj /= float64(n)
	var sij, sii, sjj float64
	for _, row := range x {
		if keep(row) {
			sij += (row[i] - mi) * (row[j] - mj)
			sii += (row[i] - mi) * (row[i] - mi)
			sjj += (row[j] - mj) * (row[j] - mj)
		}
	}
	return sij / math.Sqrt(sii*sjj), n
}

// randomData has correlated columns around offset, with a share of cells missing.
func randomData(rows, p int, offset, missingShare float64, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([][]float64, rows)
	for r := range x {
		common := rng.NormFloat64()
		x[r] = make([]float64, p)
		for j := range x[r] {
			x[r][j] = offset + float64(j+1)*0.3*common + rng.NormFloat64()
			if rng.Float64() < missingShare {
				x[r][j] = math.NaN()
			}
		}
	}
	return x
}

func TestPearsonMatchesTwoPass(t *testing.T) {
	tests := []struct {
		name         string
		rows         int
		offset, miss float64
		missing      Missing
	}{
		{"pairwise", 1300, 0, 0.05, Pairwise},
		{"listwise", 1300, 0, 0.05, Listwise},
		{"complete data", 700, 0, 0, Pairwise},
		{"far from zero", 1300, 1e8, 0.05, Pairwise},
		{"blocks far from zero", 2*BlockRows + 300, 1e8, 0.05, Pairwise},
		{"blocks listwise", 2*BlockRows + 300, 1e3, 0.05, Listwise},
	}
	names := []string{"a", "b", "c", "d", "e"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := randomData(tt.rows, len(names), tt.offset, tt.miss, 7)
			res, err := Pearson(names, x, tt.missing)
			if err != nil {
				t.Fatal(err)
			}
			for i := range names {
				for j := range names {
					keep := func(row []float64) bool { return !math.IsNaN(row[i]) && !math.IsNaN(row[j]) }
					if tt.missing == Listwise {
						keep = func(row []float64) bool {
							for _, v := range row {
								if math.IsNaN(v) {
									return false
								}
							}
							return true
						}
					}
					want, n := naive(x, i, j, keep)
					if got := res.R.At(i, j); math.Abs(got-want) > 1e-9 {
						t.Errorf("r[%d,%d] = %.12f, want %.12f", i, j, got, want)
					}
					if got := res.PairN.At(i, j); got != float64(n) {
						t.Errorf("n[%d,%d] = %v, want %d", i, j, got, n)
					}
				}
			}
			if res.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", res.Rows, tt.rows)
			}
		})
	}
}

func TestPearsonErrors(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		x    [][]float64
		want string
	}{
		{"constant column", [][]float64{{1, 2}, {1, 3}, {1, 5}}, `column "a" is constant`},
		{"no rows in common", [][]float64{{1, nan}, {2, nan}, {nan, 3}, {nan, 4}}, `columns "a" and "b" have 0 rows in common`},
		{"constant over common rows", [][]float64{{1, 2}, {1, 3}, {2, nan}}, `column "a" is constant over the rows where "a" and "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Pearson([]string{"a", "b"}, tt.x, Pairwise)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// BenchmarkAccumulator times the nightly run's way in (Add, row by row) and
// analyze efa's (Sum and Merge, a chunk of whole blocks at a time), on 50
// columns.
func BenchmarkAccumulator(b *testing.B) {
	const rows, p = 2 * BlockRows, 50
	names := make([]string, p)
	for j := range names {
		names[j] = fmt.Sprintf("q%02d", j+1)
	}
	for _, miss := range []float64{0, 0.01} {
		x := randomData(rows, p, 3, miss, 1)
		flat := make([]float64, 0, rows*p)
		for _, row := range x {
			flat = append(flat, row...)
		}
		name := map[float64]string{0: "complete", 0.01: "1%missing"}[miss]
		b.Run(name+"/Add", func(b *testing.B) {
			a := NewAccumulator(names, Pairwise)
			for b.Loop() {
				for _, row := range x {
					a.Add(row)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
		})
		b.Run(name+"/Sum", func(b *testing.B) {
			a := NewAccumulator(names, Pairwise)
			for b.Loop() {
				a.Merge(a.Sum(flat))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
		})
	}
}

func TestPearsonAgainstR(t *testing.T) {
	var ref struct {
		CorPairwise struct {
			R [][]float64 `json:"r"`
			N [][]float64 `json:"n"`
		} `json:"cor_pairwise"`
	}
	reftest.LoadJSON(t, "efa_reference.json", &ref)
	x := reftest.ReadNumeric(t, "bfi.csv", nil)
	names := make([]string, len(x[0]))
	got, err := Pearson(names, x, Pairwise)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range ref.CorPairwise.R {
		for j, want := range row {
			if d := math.Abs(got.R.At(i, j) - want); d > 1e-12 {
				t.Errorf("r[%d, %d] = %.15f, want cor(use = 'pairwise') %.15f", i, j, got.R.At(i, j), want)
			}
			if g, w := got.PairN.At(i, j), ref.CorPairwise.N[i][j]; g != w {
				t.Errorf("n[%d, %d] = %v, want pairwiseCount %v", i, j, g, w)
			}
		}
	}
}

// Blocks summed on several goroutines, in chunks of one or more blocks and
// merged in order, give the same bits as rows added one at a time: the
// result does not depend on how the rows were cut up or on how many cores
// summed them.
func TestSumMergeEqualsAdd(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e", "f"}
	p := len(names)
	x := randomData(3*BlockRows+777, p, 1e4, 0.03, 11)
	// A column seen first well into the file moves the total's shift late.
	for r := 0; r < BlockRows+5; r++ {
		x[r][2] = math.NaN()
	}
	flat := make([]float64, 0, len(x)*p)
	for _, row := range x {
		flat = append(flat, row...)
	}
	for _, missing := range []Missing{Pairwise, Listwise} {
		seq := NewAccumulator(names, missing)
		for _, row := range x {
			seq.Add(row)
		}
		want, err := seq.Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, blocks := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%v/%d blocks a chunk", missing, blocks), func(t *testing.T) {
				a := NewAccumulator(names, missing)
				var chunks [][]float64
				for rest := flat; len(rest) > 0; {
					n := min(blocks*BlockRows*p, len(rest))
					chunks, rest = append(chunks, rest[:n]), rest[n:]
				}
				sums := make([]*Sums, len(chunks))
				var wg sync.WaitGroup
				for i := len(chunks) - 1; i >= 0; i-- { // started last first
					wg.Go(func() { sums[i] = a.Sum(chunks[i]) })
				}
				wg.Wait()
				for _, s := range sums {
					a.Merge(s)
				}
				got, err := a.Result()
				if err != nil {
					t.Fatal(err)
				}
				if !mat.Equal(got.R, want.R) || !mat.Equal(got.PairN, want.PairN) || got.Rows != want.Rows || got.Complete != want.Complete {
					t.Errorf("chunked sums differ from Add's:\n%v\n%v", mat.Formatted(got.R), mat.Formatted(want.R))
				}
			})
		}
	}
}

func TestMergeRefusesMisalignedBlocks(t *testing.T) {
	a := NewAccumulator([]string{"a"}, Pairwise)
	a.Merge(a.Sum([]float64{1, 2, 3}))
	defer func() {
		if recover() == nil {
			t.Error("Merge after a short block did not panic")
		}
	}()
	a.Merge(a.Sum([]float64{4}))
}
