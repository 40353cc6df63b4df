package cor

import (
	"math"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

func TestBivariateNormalCDF(t *testing.T) {
	// Φ₂(0, 0; ρ) = 1/4 + asin(ρ)/(2π) exactly; Φ₂(h, k; 0) = Φ(h)Φ(k).
	for _, rho := range []float64{-0.95, -0.5, 0, 0.3, 0.8, 0.95} {
		if got, want := bivariateNormalCDF(0, 0, rho), 0.25+math.Asin(rho)/(2*math.Pi); math.Abs(got-want) > 1e-12 {
			t.Errorf("Φ₂(0, 0; %g) = %.15f, want %.15f", rho, got, want)
		}
	}
	// Values from R: mnormt::pmnorm(c(h, k), varcov = matrix(c(1, r, r, 1), 2)).
	tests := []struct{ h, k, rho, want float64 }{
		{1, -0.5, 0.6, 0.30132192},
		{-1.2, 0.7, -0.4, 0.05882658},
		{0.5, 0.5, 0.9, 0.62825081},
	}
	for _, tt := range tests {
		if got := bivariateNormalCDF(tt.h, tt.k, tt.rho); math.Abs(got-tt.want) > 1e-7 {
			t.Errorf("Φ₂(%g, %g; %g) = %.8f, want %.8f", tt.h, tt.k, tt.rho, got, tt.want)
		}
	}
}

func TestPolychoricAgainstPsych(t *testing.T) {
	var ref struct {
		Polychoric struct {
			Items []string    `json:"items"`
			Rho   [][]float64 `json:"rho"`
			Tau   [][]float64 `json:"tau"`
		} `json:"polychoric"`
	}
	reftest.LoadJSON(t, "efa_reference.json", &ref)
	want := ref.Polychoric
	x := reftest.ReadNumeric(t, "bfi.csv", want.Items)
	got, err := Polychoric(want.Items, x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Rho {
		for j := range want.Rho[i] {
			if d := math.Abs(got.R.At(i, j) - want.Rho[i][j]); d > 1e-3 {
				t.Errorf("rho[%s, %s] = %.5f, want %.5f", want.Items[i], want.Items[j], got.R.At(i, j), want.Rho[i][j])
			}
		}
		for c := range want.Tau[i] {
			if d := math.Abs(got.Thresholds[i][c] - want.Tau[i][c]); d > 1e-8 {
				t.Errorf("tau[%s][%d] = %.6f, want %.6f", want.Items[i], c, got.Thresholds[i][c], want.Tau[i][c])
			}
		}
	}
}

func TestPolychoricErrors(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		x    [][]float64
		want string
	}{
		{"fractional", [][]float64{{1, 2}, {2.5, 1}}, "not a whole-number category"},
		{"too many categories", [][]float64{{1, 2}, {12, 1}}, "categories"},
		{"constant", [][]float64{{1, 2}, {1, 1}, {1, 2}, {1, 1}, {nan, 2}}, "tops out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Polychoric([]string{"a", "b"}, tt.x)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
