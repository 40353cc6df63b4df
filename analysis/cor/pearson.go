// Package cor computes correlation matrices: Pearson correlations from a
// stream of rows, with pairwise-complete (psych's default) or listwise
// deletion of missing values, and polychoric correlations for ordinal items.
package cor

import (
	"fmt"
	"math"
	"slices"
	"sync"

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

// BlockRows is how many consecutive rows form a block. The sums of each
// block are computed on their own and added to the total in the order of
// the blocks, so that rows summed on several goroutines in chunks of whole
// blocks (Sum, then Merge in order) give the same bits as rows added one at
// a time with Add.
const BlockRows = 4096

// tileRows is how many rows of a block are transposed at once, column by
// column, before their cross products are folded in with vectorized dot
// products: 512 rows of 50 columns stay in the L2 cache. Columns lie
// tileStride apart, not 4 KiB, which would put every column's next cell in
// the same L1 cache set.
const (
	tileRows   = 512
	tileStride = tileRows + 8
)

// Accumulator collects the sums for a Pearson correlation matrix from rows
// added one at a time, or in blocks summed concurrently, in O(p²) memory
// whatever the number of rows.
//
// Each column is shifted by its first observed value before it is summed, so
// that sums of squares do not cancel catastrophically for data far from
// zero (each block by its own, moved onto the file's when it is merged). Missing cells count as zero in the cross products Σ x_i x_j, which
// makes those pairwise-complete as they stand; the per-column sums are kept
// over every present cell and corrected, for each pair, by what the rows
// missing the other column contributed. That correction costs O(p) per
// missing cell, so sparse missingness is nearly free.
type Accumulator struct {
	names   []string
	p       int
	missing Missing
	total   *sums

	pending []float64 // rows given to Add and not yet summed, row-major
	ragged  bool      // a block shorter than BlockRows was merged: only Result may follow

	blocks sync.Pool // *sums of one block, reused once merged
	tiles  sync.Pool // *[]float64 of p × tileStride, scratch of Sum
}

// sums are the sums of a run of rows, relative to a shift per column. A
// block's shift is its own first observed values, so that blocks can be
// summed before the rows ahead of them are read; Merge moves a block's sums
// onto the total's shift, the first observed values of the file.
type sums struct {
	rows, complete int
	shift          []float64
	seen           []bool // a value observed, so shift is set
	n, sum         []float64
	cross          []float64 // p × p upper triangle: Σ x_i x_j, missing as 0; the diagonal is Σ x_i²
	// [j*p+i]: count, Σ x_i and Σ x_i² over rows where j is missing and i
	// present; a missing cell updates one contiguous run of each.
	lostN, lostSum, lostSq []float64
}

func newSums(p int) *sums {
	return &sums{
		shift: make([]float64, p), seen: make([]bool, p),
		n: make([]float64, p), sum: make([]float64, p),
		cross: make([]float64, p*p),
		lostN: make([]float64, p*p), lostSum: make([]float64, p*p), lostSq: make([]float64, p*p),
	}
}

func (s *sums) reset() {
	s.rows, s.complete = 0, 0
	clear(s.seen)
	for _, v := range [][]float64{s.shift, s.n, s.sum, s.cross, s.lostN, s.lostSum, s.lostSq} {
		clear(v)
	}
}

// NewAccumulator starts an empty correlation over the named columns.
func NewAccumulator(names []string, missing Missing) *Accumulator {
	p := len(names)
	a := &Accumulator{names: names, p: p, missing: missing, total: newSums(p)}
	a.blocks.New = func() any { return newSums(p) }
	a.tiles.New = func() any { t := make([]float64, p*tileStride); return &t }
	return a
}

// Add folds one row (NaN where missing) into the sums. The row is not kept.
func (a *Accumulator) Add(row []float64) {
	if len(row) != a.p {
		panic(fmt.Sprintf("cor: row of %d values added to a %d-column accumulator", len(row), a.p))
	}
	if a.pending = append(a.pending, row...); len(a.pending) == BlockRows*a.p {
		a.flush()
	}
}

// flush sums and merges the rows given to Add.
func (a *Accumulator) flush() {
	rows := a.pending
	a.pending = a.pending[:0] // Sum keeps nothing, so the buffer is free again
	a.Merge(a.Sum(rows))
}

// Sums are the sums of consecutive blocks of rows, from Sum, for Merge.
type Sums struct{ blocks []*sums }

// Sum returns the sums of rows (row-major, a.p values each, NaN where
// missing), block by block. It may be called from several goroutines at
// once; the rows are not kept.
func (a *Accumulator) Sum(rows []float64) *Sums {
	if len(rows)%a.p != 0 {
		panic(fmt.Sprintf("cor: %d values are not whole rows of %d columns", len(rows), a.p))
	}
	tile := a.tiles.Get().(*[]float64)
	defer a.tiles.Put(tile)
	out := &Sums{}
	for step := BlockRows * a.p; len(rows) > 0; {
		block := rows[:min(step, len(rows))]
		rows = rows[len(block):]
		s := a.blocks.Get().(*sums)
		s.reset()
		a.sumBlock(s, block, *tile)
		out.blocks = append(out.blocks, s)
	}
	return out
}

// sumBlock sums one block, tile by tile.
func (a *Accumulator) sumBlock(s *sums, block, tile []float64) {
	p := a.p
	for r, unseen := 0, p; r < len(block) && unseen > 0; r += p {
		for j, v := range block[r : r+p] {
			if !s.seen[j] && !math.IsNaN(v) {
				s.shift[j], s.seen[j] = v, true
				unseen--
			}
		}
	}
	for len(block) > 0 {
		part := block[:min(tileRows*p, len(block))]
		block = block[len(part):]
		m := a.transpose(s, part, tile)
		for i := 0; i < p; i++ {
			ci := tile[i*tileStride : i*tileStride+m]
			s.sum[i] += floats.Sum(ci)
			for j := i; j < p; j++ {
				s.cross[i*p+j] += floats.Dot(ci, tile[j*tileStride:j*tileStride+m])
			}
		}
	}
	for j := range s.n {
		s.n[j] += float64(s.complete) // transpose counts only the incomplete rows' cells
	}
}

// transpose writes the shifted rows of part into tile, column by column,
// zero where missing, and returns how many rows it wrote: listwise deletion
// leaves incomplete rows out.
func (a *Accumulator) transpose(s *sums, part, tile []float64) int {
	p, m := a.p, 0
	for r := 0; r < len(part); r += p {
		row := part[r : r+p]
		s.rows++
		switch {
		case !slices.ContainsFunc(row, math.IsNaN):
			s.complete++
			for j, v := range row {
				tile[j*tileStride+m] = v - s.shift[j]
			}
		case a.missing == Listwise:
			continue
		default:
			for j, v := range row {
				x := 0.0
				if !math.IsNaN(v) {
					x = v - s.shift[j]
					s.n[j]++
				}
				tile[j*tileStride+m] = x
			}
			s.subtractMissing(row)
		}
		m++
	}
	return m
}

// subtractMissing records, for each missing cell j of row, what every
// present cell i contributed to column i's sums, so that Result can remove it
// from pair (i, j).
func (s *sums) subtractMissing(row []float64) {
	p := len(row)
	for j, v := range row {
		if !math.IsNaN(v) {
			continue
		}
		for i, u := range row {
			if math.IsNaN(u) {
				continue
			}
			x := u - s.shift[i]
			s.lostN[j*p+i]++
			s.lostSum[j*p+i] += x
			s.lostSq[j*p+i] += x * x
		}
	}
}

// Merge adds sums from Sum to the total. Call it in the order of the rows,
// each Sums but the last holding whole blocks, and not between calls of Add
// that leave a block unfinished: then the result is the same, bit for bit,
// as that of adding the rows one at a time.
func (a *Accumulator) Merge(s *Sums) {
	if len(a.pending) > 0 {
		panic("cor: Merge while rows given to Add are pending")
	}
	for _, b := range s.blocks {
		if a.ragged {
			panic("cor: Merge after a block shorter than BlockRows")
		}
		a.ragged = b.rows < BlockRows
		a.total.merge(b)
		a.blocks.Put(b)
	}
}

// merge adds block b's sums to s after moving them from b's shift to s's:
// with x = y + d, d = b.shift - s.shift, Σx = Σy + n d and
// Σx_i x_j = Σy_i y_j + d_i Σy_j + d_j Σy_i + n d_i d_j over the pair's rows.
// Where the shifts agree (always, for whole numbers) d is 0 and nothing
// changes but the sums' order.
func (s *sums) merge(b *sums) {
	p := len(s.n)
	d := make([]float64, p)
	for j := range d {
		switch {
		case !b.seen[j]:
		case !s.seen[j]:
			s.shift[j], s.seen[j] = b.shift[j], true
		default:
			d[j] = b.shift[j] - s.shift[j]
		}
	}
	s.rows += b.rows
	s.complete += b.complete
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			ij, ji := i*p+j, j*p+i
			nij := b.n[i] - b.lostN[ji]
			si, sj := b.sum[i]-b.lostSum[ji], b.sum[j]-b.lostSum[ij]
			s.cross[ij] += b.cross[ij] + d[i]*sj + d[j]*si + nij*d[i]*d[j]
		}
	}
	for m := 0; m < p; m++ { // missing
		for i, di := range d { // present
			k := m*p + i
			s.lostSq[k] += b.lostSq[k] + 2*di*b.lostSum[k] + b.lostN[k]*di*di
			s.lostSum[k] += b.lostSum[k] + b.lostN[k]*di
			s.lostN[k] += b.lostN[k]
		}
	}
	for i, di := range d {
		s.sum[i] += b.sum[i] + b.n[i]*di
		s.n[i] += b.n[i]
	}
}

// Result returns the correlation matrix. A pair with fewer than two rows in
// common, or a column without variance over a pair's rows, is an error that
// names the columns: psych would return NA there, which no factor analysis
// can use.
func (a *Accumulator) Result() (*Result, error) {
	if len(a.pending) > 0 {
		a.flush()
	}
	p, t := a.p, a.total
	r := mat.NewSymDense(p, nil)
	pairN := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			ij, ji := i*p+j, j*p+i
			n := t.n[i] - t.lostN[ji]
			si, sii := t.sum[i]-t.lostSum[ji], t.cross[i*p+i]-t.lostSq[ji]
			sj, sjj := t.sum[j]-t.lostSum[ij], t.cross[j*p+j]-t.lostSq[ij]
			sij := t.cross[ij]
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
	return &Result{Names: a.names, R: r, PairN: pairN, Rows: t.rows, Complete: t.complete}, nil
}

// Pearson correlates the columns of x (rows × columns, NaN where missing).
func Pearson(names []string, x [][]float64, missing Missing) (*Result, error) {
	a := NewAccumulator(names, missing)
	for _, row := range x {
		a.Add(row)
	}
	return a.Result()
}
