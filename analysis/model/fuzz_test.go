package model

import (
	"math"
	"strconv"
	"testing"
)

// fuzzData decodes bytes into a small data set: each group of four bytes is
// a row with an ordinal response (0-3 or missing), a numeric predictor
// (missing at 255), a three-level factor and a cluster of four.
func fuzzData(data []byte) (Factor, Variable, Predictors) {
	n := len(data) / 4
	y := Factor{Name: "y", Labels: make([]string, n)}
	yNumeric := Variable{Name: "y", Values: make([]float64, n)}
	x := Variable{Name: "x", Values: make([]float64, n)}
	g := Factor{Name: "g", Labels: make([]string, n)}
	c := Factor{Name: "c", Labels: make([]string, n)}
	for i := range n {
		row := data[4*i : 4*i+4]
		if row[0]%5 < 4 {
			y.Labels[i] = strconv.Itoa(int(row[0] % 5))
			yNumeric.Values[i] = float64(row[0] % 5)
		} else {
			yNumeric.Values[i] = math.NaN()
		}
		x.Values[i] = float64(row[1]) - 128
		if row[1] == 255 {
			x.Values[i] = math.NaN()
		}
		g.Labels[i] = string(rune('a' + row[2]%3))
		c.Labels[i] = strconv.Itoa(int(row[3] % 4))
	}
	return y, yNumeric, Predictors{Numeric: []Variable{x}, Factors: []Factor{g}, Cluster: &c}
}

func finite(values ...float64) bool {
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// FuzzModels feeds both models arbitrary small data sets: they must return
// an error or finite numbers, never panic.
func FuzzModels(f *testing.F) {
	f.Add([]byte("\x00\x10\x00\x00\x01\x20\x01\x01\x02\x30\x02\x02\x03\x40\x00\x03\x01\x11\x01\x00\x02\x25\x02\x01\x00\x35\x00\x02\x03\x45\x01\x03"))
	f.Add([]byte("\x00\x01\x00\x00\x00\x02\x01\x01\x01\x03\x02\x02\x01\x04\x00\x03\x02\x05\x01\x00\x02\x06\x02\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		y, yNumeric, p := fuzzData(data)
		if fit, err := OrderedLogit(y, p); err == nil {
			for _, c := range fit.Coefficients {
				if !finite(c.Estimate, c.SE, c.Statistic, c.P, c.ClusterSE) {
					t.Fatalf("ordered logit %s: %+v", c.Term, c)
				}
			}
			for _, th := range fit.Thresholds {
				if !finite(th.Estimate, th.SE, th.ClusterSE) {
					t.Fatalf("ordered logit threshold %+v", th)
				}
			}
			if !finite(fit.LogLik) {
				t.Fatalf("loglik %g", fit.LogLik)
			}
		}
		if fit, err := OLS(yNumeric, p); err == nil {
			for _, c := range fit.Coefficients {
				if !finite(c.Estimate, c.SE, c.Statistic, c.P, c.ClusterSE) {
					t.Fatalf("OLS %s: %+v", c.Term, c)
				}
			}
			if !finite(fit.R2, fit.AdjR2) {
				t.Fatalf("OLS R2 %g, adjusted %g", fit.R2, fit.AdjR2)
			}
		}
	})
}
