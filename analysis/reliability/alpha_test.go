package reliability

import (
	"math"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

// alphaTolerance: alpha agrees with psych to 1e-4.
const alphaTolerance = 1e-4

// alphaCase is one scale of analysis/testdata/models_reference.json.
type alphaCase struct {
	Items          []string  `json:"items"`
	Reverse        []string  `json:"reverse"`
	RawAlpha       float64   `json:"raw_alpha"`
	StdAlpha       float64   `json:"std_alpha"`
	G6             float64   `json:"g6"`
	AverageR       float64   `json:"average_r"`
	AlphaIfDropped []float64 `json:"alpha_if_dropped"`
	ItemRestR      []float64 `json:"item_rest_r"`
	OmegaTotal     float64   `json:"omega_total"`
}

func loadAlphaCases(t *testing.T) []alphaCase {
	t.Helper()
	var ref struct {
		Alpha []alphaCase `json:"alpha"`
	}
	reftest.LoadJSON(t, "models_reference.json", &ref)
	return ref.Alpha
}

func TestCronbachAlphaMatchesPsych(t *testing.T) {
	var worst reftest.Worst
	check := func(t *testing.T, what string, got, want float64) {
		t.Helper()
		worst.Abs(t, what, got, want, alphaTolerance)
	}
	for _, c := range loadAlphaCases(t) {
		t.Run(strings.Join(c.Items, ","), func(t *testing.T) {
			got, err := CronbachAlpha(c.Items, reftest.ReadNumeric(t, "bfi.csv", c.Items), c.Reverse)
			if err != nil {
				t.Fatal(err)
			}
			check(t, "raw alpha", got.Raw, c.RawAlpha)
			check(t, "std alpha", got.Standardized, c.StdAlpha)
			check(t, "G6", got.G6, c.G6)
			check(t, "average r", got.AverageR, c.AverageR)
			for i, item := range c.Items {
				check(t, item+" alpha if dropped", got.IfDropped[i], c.AlphaIfDropped[i])
				check(t, item+" item-rest r", got.ItemRest[i], c.ItemRestR[i])
			}
			if len(got.Warnings) != 0 {
				t.Errorf("warnings = %q, want none for a correctly keyed scale", got.Warnings)
			}
		})
	}
	t.Logf("worst agreement with psych::alpha: %.2g", worst.Diff)
}

func TestCronbachAlphaBadInput(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name    string
		items   []string
		rows    [][]float64
		reverse []string
		want    string
	}{
		{"one item", []string{"a"}, [][]float64{{1}, {2}}, nil, "at least 2 items"},
		{"constant item", []string{"a", "b", "c"}, [][]float64{{1, 3, 2}, {2, 3, 1}, {3, 3, 3}}, nil, "item b has no variance"},
		{"items never answered together", []string{"a", "b"}, [][]float64{{1, nan}, {2, nan}, {nan, 1}, {nan, 3}}, nil, "items a and b are answered together in 0 rows"},
		{"unknown reverse item", []string{"a", "b"}, [][]float64{{1, 2}, {2, 1}}, []string{"z"}, "reverse-keyed item z is not one of the items"},
		{"duplicate item", []string{"a", "a"}, [][]float64{{1, 2}, {2, 1}}, nil, "item a is listed twice"},
		{"reverse-keyed copy cancels out", []string{"a", "b"}, [][]float64{{1, 1}, {2, 2}, {3, 3}}, []string{"b"}, "total of the keyed items has no variance"},
		{"rest cancels out", []string{"a", "b", "c"}, [][]float64{{1, 1, 2}, {2, 2, 1}, {3, 3, 3}}, []string{"b"}, "items other than c has no variance"},
		{"short row", []string{"a", "b"}, [][]float64{{1, 2}, {2}}, nil, "row 2 has 1 values for 2 items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CronbachAlpha(tt.items, tt.rows, tt.reverse)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCronbachAlphaWarnings(t *testing.T) {
	// A1 is the reverse-keyed agreeableness item: left unreversed it
	// correlates negatively with the rest.
	items := []string{"A1", "A2", "A3", "A4", "A5"}
	got, err := CronbachAlpha(items, reftest.ReadNumeric(t, "bfi.csv", items), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "item A1 correlates negatively") {
		t.Errorf("warnings = %q, want one naming A1", got.Warnings)
	}

	two, err := CronbachAlpha(items[1:3], reftest.ReadNumeric(t, "bfi.csv", items[1:3]), nil)
	if err != nil {
		t.Fatal(err)
	}
	if two.IfDropped != nil || len(two.Warnings) != 1 {
		t.Errorf("two items: IfDropped = %v, warnings %q; want none and one warning", two.IfDropped, two.Warnings)
	}
}

func TestDuplicatedItemMatchesPsych(t *testing.T) {
	// A duplicated item makes the correlation matrix singular. Reference:
	// psych::alpha(data.frame(a = 1:5, copy = 1:5, b = c(2, 1, 3, 5, 4)))
	// prints raw_alpha 0.951219512195, G6(smc) 0.712195121951 (its
	// pseudo-inverse gives the copies an SMC of 0).
	rows := [][]float64{{1, 1, 2}, {2, 2, 1}, {3, 3, 3}, {4, 4, 5}, {5, 5, 4}}
	got, err := CronbachAlpha([]string{"a", "copy", "b"}, rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.951219512195; math.Abs(got.Raw-want) > alphaTolerance {
		t.Errorf("raw alpha = %.8f, want %.8f", got.Raw, want)
	}
	if want := 0.712195121951; math.Abs(got.G6-want) > alphaTolerance {
		t.Errorf("G6 = %.8f, want %.8f", got.G6, want)
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "singular") {
		t.Errorf("warnings = %q, want one about the singular correlations", got.Warnings)
	}
}

func TestOmegaTotalMatchesPsych(t *testing.T) {
	var worst reftest.Worst
	for _, c := range loadAlphaCases(t) {
		t.Run(strings.Join(c.Items, ","), func(t *testing.T) {
			got, err := OmegaTotal(c.Items, reftest.ReadNumeric(t, "bfi.csv", c.Items), c.Reverse)
			if err != nil {
				t.Fatal(err)
			}
			worst.Abs(t, "omega total", got.Total, c.OmegaTotal, alphaTolerance)
		})
	}
	t.Logf("worst agreement with psych::omega's omega.tot: %.2g", worst.Diff)
}
