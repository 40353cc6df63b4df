package efa

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// duplicateItem returns r with item i repeated as a last item, a singular matrix.
func duplicateItem(r *mat.SymDense, i int) *mat.SymDense {
	p := r.SymmetricDim()
	out := mat.NewSymDense(p+1, nil)
	for a := 0; a <= p; a++ {
		for b := a; b <= p; b++ {
			ia, ib := a, b
			if a == p {
				ia = i
			}
			if b == p {
				ib = i
			}
			out.SetSym(a, b, r.At(ia, ib))
		}
	}
	return out
}

func TestBadInput(t *testing.T) {
	in := loadInput(t, "holzinger")
	items := append(append([]string(nil), in.items...), "x1copy")
	tests := []struct {
		name  string
		items []string
		r     *mat.SymDense
		opt   Options
		want  string
	}{
		{"duplicated column", items, duplicateItem(in.r, 0), Options{Factors: 3, N: in.n}, `singular`},
		{"fewer rows than items", in.items, in.r, Options{Factors: 2, N: 8}, "needs more observations than items"},
		{"more factors than items", in.items, in.r, Options{Factors: 9, N: in.n}, "9 factors for 9 items"},
		{"no factors", in.items, in.r, Options{Factors: 0, N: in.n}, "0 factors"},
		{"names do not match", in.items[:3], in.r, Options{Factors: 1, N: in.n}, "3 item names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Analyze(tt.items, tt.r, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	_, err := Analyze(items, duplicateItem(in.r, 0), Options{Factors: 3, N: in.n})
	if !errors.Is(err, ErrSingular) || !strings.Contains(err.Error(), `"x1" "x1copy"`) {
		t.Errorf("singular error = %v, want ErrSingular naming x1 and x1copy", err)
	}
}

func TestNegativeDegreesOfFreedom(t *testing.T) {
	in := loadInput(t, "holzinger")
	res, err := Analyze(in.items, in.r, Options{Factors: 6, N: in.n, Rotation: Varimax})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Fit.DF; got >= 0 {
		t.Fatalf("df = %g, want negative", got)
	}
	if !hasWarning(res, "df = ") {
		t.Errorf("warnings = %q, want one about df", res.Warnings)
	}
	for name, v := range map[string]float64{"p": res.Fit.P, "rmsea": res.Fit.RMSEA, "tli": res.Fit.TLI, "bic": res.Fit.BIC} {
		if !math.IsNaN(v) {
			t.Errorf("%s = %g with negative df, want NaN (undefined)", name, v)
		}
	}
}

// TestHeywood builds a correlation matrix whose exact one-factor model needs
// a loading above 1 for the first item, and checks that the fit stops at the
// bound and says so.
func TestHeywood(t *testing.T) {
	load := []float64{1.2, 0.5, 0.5, 0.5, 0.5}
	p := len(load)
	r := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			v := load[i] * load[j]
			if i == j {
				v = 1
			}
			r.SetSym(i, j, math.Min(v, 0.95))
		}
	}
	items := []string{"a", "b", "c", "d", "e"}
	for _, m := range []Method{MinRes, ML, PA} {
		t.Run(string(m), func(t *testing.T) {
			res, err := Analyze(items, r, Options{Factors: 1, N: 200, Method: m})
			if err != nil {
				t.Fatal(err)
			}
			if !hasWarning(res, `heywood: item "a"`) {
				t.Errorf("warnings = %q, want a Heywood case on item a", res.Warnings)
			}
			for i, h := range res.Communalities {
				if math.IsNaN(h) {
					t.Errorf("communality %d is NaN", i)
				}
			}
		})
	}
}

func hasWarning(res *Result, prefix string) bool {
	for _, w := range res.Warnings {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}

// TestNotConverged: with four factors on the nine Holzinger-Swineford items
// the principal axes iteration has not settled after psych's 50 rounds.
func TestNotConverged(t *testing.T) {
	in := loadInput(t, "holzinger")
	res, err := Analyze(in.items, in.r, Options{Factors: 4, N: in.n, Method: PA})
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(res, "not converged: the pa fit") {
		t.Errorf("warnings = %q, want one about convergence", res.Warnings)
	}
}
