// Package reliability computes the internal consistency of a scale as
// psych::alpha reports it — Cronbach's alpha raw and standardized, Guttman's
// lambda 6, the average inter-item correlation, alpha if an item is dropped
// and item-rest correlations — and McDonald's omega total.
package reliability

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Alpha is the reliability of a scale, with psych::alpha's names in comments.
type Alpha struct {
	Items []string
	// N counts the rows that answer at least one item.
	N int
	// Raw is Cronbach's alpha from the item covariances (raw_alpha).
	Raw float64
	// Standardized is alpha from the item correlations (std.alpha).
	Standardized float64
	// G6 is Guttman's lambda 6 with squared multiple correlations (G6(smc)).
	G6 float64
	// AverageR is the mean inter-item correlation (average_r).
	AverageR float64
	// IfDropped is the raw alpha of the other items when each item is
	// dropped (alpha.drop$raw_alpha). It is nil for a two-item scale, where
	// what remains is a single item.
	IfDropped []float64
	// ItemRest is each item's correlation with the sum of the other items
	// (item.stats$r.drop).
	ItemRest []float64
	Warnings []string
}

// CronbachAlpha computes the reliability of the scale formed by the columns
// of rows (one row per case, NaN where missing), named items. Items named in
// reverse are reverse-keyed.
//
// As psych::alpha does, it works from the pairwise-complete covariance
// matrix C: each covariance uses the rows that answer both items, each
// variance every row that answers the item. The correlations are C scaled by
// those variances (cov2cor). Reversing an item (psych's max+min−x) only
// changes the sign of its covariances, which is how it is applied here.
func CronbachAlpha(items []string, rows [][]float64, reverse []string) (*Alpha, error) {
	p := len(items)
	if p < 2 {
		return nil, fmt.Errorf("alpha needs at least 2 items, got %d", p)
	}
	signs, err := keySigns(items, reverse)
	if err != nil {
		return nil, err
	}
	cov, answered, err := pairwiseCovariance(items, rows)
	if err != nil {
		return nil, err
	}
	for i := range p {
		for j := i; j < p; j++ {
			cov.SetSym(i, j, signs[i]*signs[j]*cov.At(i, j))
		}
	}
	cor := covToCor(cov)
	if err := checkTotals(items, cov, cor); err != nil {
		return nil, err
	}

	a := &Alpha{Items: items, N: answered}
	var singular bool
	a.Raw, a.Standardized, a.G6, a.AverageR, singular = alphaOf(cov, cor)
	if singular {
		a.Warnings = append(a.Warnings, "the item correlations are singular (is an item a copy or a sum of others?); lambda 6 uses a pseudo-inverse, as psych does")
	}
	if p > 2 {
		for i := range p {
			raw, _, _, _, _ := alphaOf(without(cov, i), without(cor, i))
			a.IfDropped = append(a.IfDropped, raw)
		}
	} else {
		a.Warnings = append(a.Warnings, "alpha if an item is dropped needs at least 3 items")
	}
	total := mat.Sum(cov)
	for i := range p {
		var withOthers float64
		for j := range p {
			if j != i {
				withOthers += cov.At(i, j)
			}
		}
		rest := total - 2*withOthers - cov.At(i, i)
		r := withOthers / math.Sqrt(cov.At(i, i)*rest)
		a.ItemRest = append(a.ItemRest, r)
		if r < 0 {
			a.Warnings = append(a.Warnings, fmt.Sprintf(
				"item %s correlates negatively with the rest of the scale (%.3f); should it be reverse-keyed?", items[i], r))
		}
	}
	return a, nil
}

// alphaOf is psych's alpha.1: raw and standardized alpha, lambda 6 and the
// average correlation of the items with covariances cov and correlations
// cor, and whether cor is singular.
func alphaOf(cov, cor *mat.SymDense) (raw, standardized, g6, averageR float64, singular bool) {
	p := float64(cov.SymmetricDim())
	scale := p / (p - 1)
	raw = (1 - mat.Trace(cov)/mat.Sum(cov)) * scale
	sumR := mat.Sum(cor)
	standardized = (1 - p/sumR) * scale
	smcs, singular := smc(cor)
	g6 = 1 - (p-floats.Sum(smcs))/sumR
	averageR = (sumR - p) / (p * (p - 1))
	return raw, standardized, g6, averageR, singular
}

// checkTotals refuses a scale whose total score, or whose total without one
// item, has no variance (as when a reverse-keyed item cancels another one
// out); alpha and the item-rest correlations divide by those variances. With
// pairwise covariances a total's variance can even come out negative.
func checkTotals(items []string, cov, cor *mat.SymDense) error {
	tiny := 1e-12 * mat.Trace(cov)
	if mat.Sum(cov) <= tiny || mat.Sum(cor) <= 1e-12 {
		return errors.New("the total of the keyed items has no variance: do reverse-keyed items cancel the others out?")
	}
	if cov.SymmetricDim() < 3 {
		return nil
	}
	for i, item := range items {
		if mat.Sum(without(cov, i)) <= tiny {
			return fmt.Errorf("the total of the items other than %s has no variance: do reverse-keyed items cancel the others out?", item)
		}
	}
	return nil
}

// keySigns is −1 for the reverse-keyed items and 1 for the others.
func keySigns(items, reverse []string) ([]float64, error) {
	position := make(map[string]int, len(items))
	for i, name := range items {
		if _, dup := position[name]; dup {
			return nil, fmt.Errorf("item %s is listed twice", name)
		}
		position[name] = i
	}
	signs := make([]float64, len(items))
	for i := range signs {
		signs[i] = 1
	}
	for _, name := range reverse {
		i, ok := position[name]
		if !ok {
			return nil, fmt.Errorf("reverse-keyed item %s is not one of the items", name)
		}
		signs[i] = -1
	}
	return signs, nil
}

// pairwiseCovariance is R's cov(x, use = "pairwise"): each entry from the
// rows where both columns are present, centred on those rows' means. It also
// counts the rows with at least one value. A pair with fewer than two rows in
// common, or an item without variance, is an error naming the items.
func pairwiseCovariance(items []string, rows [][]float64) (*mat.SymDense, int, error) {
	p := len(items)
	columns := make([][]float64, p)
	for j := range columns {
		columns[j] = make([]float64, len(rows))
	}
	var answered int
	for i, row := range rows {
		if len(row) != p {
			return nil, 0, fmt.Errorf("row %d has %d values for %d items", i+1, len(row), p)
		}
		present := false
		for j, v := range row {
			columns[j][i] = v
			present = present || !math.IsNaN(v)
		}
		if present {
			answered++
		}
	}
	cov := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			c, n := covarianceOfPair(columns[i], columns[j])
			if n < 2 {
				return nil, 0, fmt.Errorf("items %s and %s are answered together in %d rows; a covariance needs 2", items[i], items[j], n)
			}
			if i == j && !(c > 0) {
				return nil, 0, fmt.Errorf("item %s has no variance", items[i])
			}
			cov.SetSym(i, j, c)
		}
	}
	return cov, answered, nil
}

// covarianceOfPair is the sample covariance of x and y over the rows where
// both are present, computed in two passes as R does, and that row count.
func covarianceOfPair(x, y []float64) (float64, int) {
	var n int
	var sumX, sumY float64
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			n++
			sumX += x[i]
			sumY += y[i]
		}
	}
	if n < 2 {
		return 0, n
	}
	meanX, meanY := sumX/float64(n), sumY/float64(n)
	var cross float64
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			cross += (x[i] - meanX) * (y[i] - meanY)
		}
	}
	return cross / float64(n-1), n
}

// covToCor is R's cov2cor.
func covToCor(cov *mat.SymDense) *mat.SymDense {
	p := cov.SymmetricDim()
	cor := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			cor.SetSym(i, j, cov.At(i, j)/math.Sqrt(cov.At(i, i)*cov.At(j, j)))
		}
	}
	return cor
}

// without returns a with row and column i removed.
func without(a *mat.SymDense, i int) *mat.SymDense {
	p := a.SymmetricDim()
	keep := make([]int, 0, p-1)
	for j := range p {
		if j != i {
			keep = append(keep, j)
		}
	}
	b := mat.NewSymDense(p-1, nil)
	for r, j := range keep {
		for c := r; c < len(keep); c++ {
			b.SetSym(r, c, a.At(j, keep[c]))
		}
	}
	return b
}
