// Package cor computes correlation matrices: Pearson correlations from a
// stream of rows, with pairwise-complete (psych's default) or listwise
// deletion of missing values, and polychoric correlations for ordinal items.
package cor

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Missing says how rows with missing values enter a correlation.
type Missing int

const (
	// Pairwise uses, for each pair of columns, every row where both are
	// present (R's use="pairwise.complete.obs", psych's default).
	Pairwise Missing = iota
	// Listwise uses only the rows where every column is present.
	Listwise
)

// ParseMissing maps the command-line words "pairwise" and "listwise".
func ParseMissing(s string) (Missing, error) {
	switch s {
	case "pairwise":
		return Pairwise, nil
	case "listwise":
		return Listwise, nil
	}
	return 0, fmt.Errorf("missing: %q is neither pairwise nor listwise", s)
}

func (m Missing) String() string {
	if m == Listwise {
		return "listwise"
	}
	return "pairwise"
}

// Result is a correlation matrix with the counts behind it.
type Result struct {
	Names    []string
	R        *mat.SymDense
	PairN    *mat.SymDense // rows used for each pair (psych's np.obs)
	Rows     int           // rows read
	Complete int           // rows with every column present
}

// blockRows is how many rows are buffered, column by column, before their
// cross products are folded into the sums with vectorized dot products.
const blockRows = 512

// Accumulator collects the sums for a Pearson correlation matrix from rows
// added one at a time, in O(p²) memory whatever the number of rows.
//
// Each column is shifted by its first observed value before it is summed, so
// that sums of squares do not cancel catastrophically for data far from
// zero. Missing cells count as zero in the cross products Σ x_i x_j, which
// makes those pairwise-complete as they stand; the per-column sums are kept
// over every present cell and corrected, for each pair, by what the rows
// missing the other column contributed. That correction costs O(p) per
// missing cell, so sparse missingness is nearly free.
type Accumulator struct {
	names    []string
	p        int
	missing  Missing
	rows     int
	complete int
	shift    []float64
	shifted  []bool

	block  []float64 // p × blockRows, column-major: column j is block[j*blockRows:]
	nBlock int

	n, sum, sumSq []float64 // per column, over present cells
	cross         []float64 // p × p upper triangle: Σ x_i x_j, missing as 0
	// [i*p+j]: count, Σ x_i and Σ x_i² over rows where i is present and j missing.
	lostN, lostSum, lostSq []float64
}

// NewAccumulator starts an empty correlation over the named columns.
func NewAccumulator(names []string, missing Missing) *Accumulator {
	p := len(names)
	return &Accumulator{
		names:   names,
		p:       p,
		missing: missing,
		shift:   make([]float64, p),
		shifted: make([]bool, p),
		block:   make([]float64, p*blockRows),
		n:       make([]float64, p),
		sum:     make([]float64, p),
		sumSq:   make([]float64, p),
		cross:   make([]float64, p*p),
		lostN:   make([]float64, p*p),
		lostSum: make([]float64, p*p),
		lostSq:  make([]float64, p*p),
	}
}

// Add folds one row (NaN where missing) into the sums. The row is not kept.
func (a *Accumulator) Add(row []float64) {
	if len(row) != a.p {
		panic(fmt.Sprintf("cor: row of %d values added to a %d-column accumulator", len(row), a.p))
	}
	a.rows++
	complete := true
	for j, v := range row {
		if math.IsNaN(v) {
			complete = false
		} else if !a.shifted[j] {
			a.shift[j], a.shifted[j] = v, true
		}
	}
	if complete {
		a.complete++
	} else if a.missing == Listwise {
		return
	}
	for j, v := range row {
		x := 0.0
		if !math.IsNaN(v) {
			x = v - a.shift[j]
			a.n[j]++
			a.sum[j] += x
			a.sumSq[j] += x * x
		}
		a.block[j*blockRows+a.nBlock] = x
	}
	if !complete {
		a.subtractMissing(row)
	}
	if a.nBlock++; a.nBlock == blockRows {
		a.flush()
	}
}

// subtractMissing records, for each missing cell j of row, what every
// present cell i contributed to column i's sums, so that Result can remove it
// from pair (i, j).
func (a *Accumulator) subtractMissing(row []float64) {
	for j, v := range row {
		if !math.IsNaN(v) {
			continue
		}
		for i, u := range row {
			if math.IsNaN(u) {
				continue
			}
			x := u - a.shift[i]
			a.lostN[i*a.p+j]++
			a.lostSum[i*a.p+j] += x
			a.lostSq[i*a.p+j] += x * x
		}
	}
}

func (a *Accumulator) flush() {
	for i := 0; i < a.p; i++ {
		ci := a.block[i*blockRows : i*blockRows+a.nBlock]
		for j := i; j < a.p; j++ {
			a.cross[i*a.p+j] += floats.Dot(ci, a.block[j*blockRows:j*blockRows+a.nBlock])
		}
	}
	a.nBlock = 0
}

// Result returns the correlation matrix. A pair with fewer than two rows in
// common, or a column without variance over a pair's rows, is an error that
// names the columns: psych would return NA there, which no factor analysis
// can use.
func (a *Accumulator) Result() (*Result, error) {
	if a.nBlock > 0 {
		a.flush()
	}
	p := a.p
	r := mat.NewSymDense(p, nil)
	pairN := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			ij, ji := i*p+j, j*p+i
			n := a.n[i] - a.lostN[ij]
			si, sii := a.sum[i]-a.lostSum[ij], a.sumSq[i]-a.lostSq[ij]
			sj, sjj := a.sum[j]-a.lostSum[ji], a.sumSq[j]-a.lostSq[ji]
			sij := a.cross[ij]
			pairN.SetSym(i, j, n)
			if n < 2 {
				return nil, fmt.Errorf("columns %q and %q have %v rows in common: too few for a correlation", a.names[i], a.names[j], n)
			}
			vi, vj := sii-si*si/n, sjj-sj*sj/n
			for _, c := range []struct {
				v    float64
				name string
			}{{vi, a.names[i]}, {vj, a.names[j]}} {
				if !(c.v > 0) {
					if i == j {
						return nil, fmt.Errorf("column %q is constant", c.name)
					}
					return nil, fmt.Errorf("column %q is constant over the rows where %q and %q are both present", c.name, a.names[i], a.names[j])
				}
			}
			if i == j {
				r.SetSym(i, i, 1)
				continue
			}
			c := (sij - si*sj/n) / math.Sqrt(vi*vj)
			r.SetSym(i, j, math.Max(-1, math.Min(1, c)))
		}
	}
	return &Result{Names: a.names, R: r, PairN: pairN, Rows: a.rows, Complete: a.complete}, nil
}

// Pearson correlates the columns of x (rows × columns, NaN where missing).
func Pearson(names []string, x [][]float64, missing Missing) (*Result, error) {
	a := NewAccumulator(names, missing)
	for _, row := range x {
		a.Add(row)
	}
	return a.Result()
}
