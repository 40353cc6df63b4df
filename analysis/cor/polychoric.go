package cor

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// maxCategories is psych's max.cat: with more answer categories a Pearson
// correlation is the better choice.
const maxCategories = 8

// PolychoricResult is a polychoric correlation matrix with the thresholds
// behind it.
type PolychoricResult struct {
	Names []string
	R     *mat.SymDense
	// Thresholds[i] are item i's cut points on the standard normal scale,
	// one fewer than the categories (±Inf for a category nobody chose).
	Thresholds [][]float64
	Smoothed   bool          // R was not positive definite and was smoothed (psych's cor.smooth)
	PairN      *mat.SymDense // rows behind each correlation
}

// Polychoric estimates the correlations of the normal variables assumed to
// underlie ordinal items, as psych::polychoric does by default: categories
// are the integers from the smallest to the largest answer over all items;
// each item's thresholds come from its own marginal proportions (global =
// TRUE), and each correlation maximizes the likelihood of the pair's
// table over the rows where both are present, given those thresholds.
// Where psych's one-dimensional search stops at a tolerance of about 1e-4,
// this one goes to 1e-9, so the two agree to about 1e-4.
//
// psych falls back to per-pair thresholds when items have different numbers
// of categories; that case is an error here rather than a silent change of
// method.
func Polychoric(names []string, x [][]float64) (*PolychoricResult, error) {
	p := len(names)
	lo, cats, err := categories(names, x)
	if err != nil {
		return nil, err
	}

	thresholds := make([][]float64, p)
	for j := range thresholds {
		counts := make([]float64, cats)
		var n float64
		for _, row := range x {
			if v := row[j]; !math.IsNaN(v) {
				counts[int(v-lo)]++
				n++
			}
		}
		if n == 0 || maxOf(counts) == n {
			return nil, fmt.Errorf("polychoric: column %q is constant", names[j])
		}
		thresholds[j] = make([]float64, cats-1)
		var cum float64
		for c := 0; c < cats-1; c++ {
			cum += counts[c]
			thresholds[j][c] = distuv.UnitNormal.Quantile(cum / n)
		}
	}

	r := mat.NewSymDense(p, nil)
	pairN := mat.NewSymDense(p, nil)
	table := make([]float64, cats*cats)
	for i := 0; i < p; i++ {
		r.SetSym(i, i, 1)
		for j := i; j < p; j++ {
			clear(table)
			var n float64
			for _, row := range x {
				a, b := row[i], row[j]
				if !math.IsNaN(a) && !math.IsNaN(b) {
					table[int(a-lo)*cats+int(b-lo)]++
					n++
				}
			}
			pairN.SetSym(i, j, n)
			if i == j {
				continue
			}
			if n == 0 {
				return nil, fmt.Errorf("polychoric: columns %q and %q have no rows in common", names[i], names[j])
			}
			r.SetSym(i, j, maximizeRho(table, n, thresholds[i], thresholds[j]))
		}
	}
	smooth, smoothed, err := Smooth(r)
	if err != nil {
		return nil, fmt.Errorf("polychoric: %w", err)
	}
	return &PolychoricResult{Names: names, R: smooth, Thresholds: thresholds, Smoothed: smoothed, PairN: pairN}, nil
}

// categories checks that every item is scored in the same whole-number
// categories and returns the lowest and how many there are.
func categories(names []string, x [][]float64) (lo float64, cats int, err error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	itemMax := make([]float64, len(names))
	for j := range itemMax {
		itemMax[j] = math.Inf(-1)
	}
	for r, row := range x {
		for j, v := range row {
			if math.IsNaN(v) {
				continue
			}
			if v != math.Trunc(v) {
				return 0, 0, fmt.Errorf("polychoric: row %d, column %q: %v is not a whole-number category", r+1, names[j], v)
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			itemMax[j] = math.Max(itemMax[j], v)
		}
	}
	cats = int(hi-lo) + 1
	if math.IsInf(lo, 1) || cats < 2 {
		return 0, 0, fmt.Errorf("polychoric: the items need at least two categories")
	}
	if cats > maxCategories {
		return 0, 0, fmt.Errorf("polychoric: %d categories (%v to %v); above %d a Pearson correlation is the better choice", cats, lo, hi, maxCategories)
	}
	for j, m := range itemMax {
		if m != hi {
			return 0, 0, fmt.Errorf("polychoric: column %q tops out at %v, the others at %v: items need the same categories", names[j], m, hi)
		}
	}
	return lo, cats, nil
}

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	return m
}

// maximizeRho finds the correlation in (−1, 1) that maximizes the
// likelihood of a contingency table (counts, row-major) given the row and
// column thresholds, by golden-section search.
func maximizeRho(table []float64, n float64, rowCuts, colCuts []float64) float64 {
	negLogLik := func(rho float64) float64 {
		probs := cellProbabilities(rho, rowCuts, colCuts)
		var f float64
		for k, count := range table {
			if count > 0 && probs[k] > 0 { // psych drops cells of zero probability
				f -= count / n * math.Log(probs[k])
			}
		}
		return f
	}
	const invPhi = 0.6180339887498949
	a, b := -1.0, 1.0
	c, d := b-invPhi*(b-a), a+invPhi*(b-a)
	fc, fd := negLogLik(c), negLogLik(d)
	for b-a > 1e-9 {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - invPhi*(b-a)
			fc = negLogLik(c)
		} else {
			a, c, fc = c, d, fd
			d = a + invPhi*(b-a)
			fd = negLogLik(d)
		}
	}
	return (a + b) / 2
}

// cellProbabilities returns the bivariate normal probability of every cell
// of the table the thresholds cut, row-major.
func cellProbabilities(rho float64, rowCuts, colCuts []float64) []float64 {
	rows, cols := len(rowCuts)+1, len(colCuts)+1
	bound := func(cuts []float64, i int) float64 { // i = 0 … len(cuts)+1
		switch {
		case i == 0:
			return math.Inf(-1)
		case i > len(cuts):
			return math.Inf(1)
		}
		return cuts[i-1]
	}
	cdf := make([]float64, (rows+1)*(cols+1))
	for i := 0; i <= rows; i++ {
		for j := 0; j <= cols; j++ {
			cdf[i*(cols+1)+j] = bivariateNormalCDF(bound(rowCuts, i), bound(colCuts, j), rho)
		}
	}
	probs := make([]float64, rows*cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			at := func(a, b int) float64 { return cdf[a*(cols+1)+b] }
			probs[i*cols+j] = at(i+1, j+1) - at(i, j+1) - at(i+1, j) + at(i, j)
		}
	}
	return probs
}

// Gauss-Legendre nodes and weights on [−1, 1] for bivariateNormalCDF.
var legendreX, legendreW = func() ([]float64, []float64) {
	x, w := make([]float64, 48), make([]float64, 48)
	quad.Legendre{}.FixedLocations(x, w, -1, 1)
	return x, w
}()

// bivariateNormalCDF is P(X ≤ h, Y ≤ k) for standard normals with
// correlation rho, by Sheppard's formula
//
//	Φ₂(h, k; ρ) = Φ(h)Φ(k) + 1/(2π) ∫₀^asin ρ exp(−(h² − 2hk sin θ + k²) / (2 cos² θ)) dθ,
//
// integrated by 48-point Gauss-Legendre quadrature.
func bivariateNormalCDF(h, k, rho float64) float64 {
	switch {
	case math.IsInf(h, -1) || math.IsInf(k, -1):
		return 0
	case math.IsInf(h, 1):
		return distuv.UnitNormal.CDF(k)
	case math.IsInf(k, 1):
		return distuv.UnitNormal.CDF(h)
	}
	upper := math.Asin(rho)
	half := upper / 2
	var integral float64
	for i, t := range legendreX {
		theta := half * (t + 1)
		s, c := math.Sincos(theta)
		integral += legendreW[i] * math.Exp(-(h*h-2*h*k*s+k*k)/(2*c*c))
	}
	integral *= half
	return distuv.UnitNormal.CDF(h)*distuv.UnitNormal.CDF(k) + integral/(2*math.Pi)
}
