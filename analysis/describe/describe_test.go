package describe

import (
	"math"
	"reflect"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

func TestFrequencies(t *testing.T) {
	tests := []struct {
		name           string
		values, groups []string
		want           []FrequencyTable
	}{
		{
			name:   "all rows",
			values: []string{"2", "10", "", "2", "1"},
			want: []FrequencyTable{{N: 4, Missing: 1, Rows: []Frequency{
				{"1", 1, 25}, {"2", 2, 50}, {"10", 1, 25},
			}}},
		},
		{
			name:   "by group, categories line up",
			values: []string{"weekly", "daily", "weekly", "", "monthly", "daily"},
			groups: []string{"Police", "Police", "Finance", "Finance", "", "Police"},
			want: []FrequencyTable{
				{Group: "Finance", N: 1, Missing: 1, Rows: []Frequency{{"daily", 0, 0}, {"monthly", 0, 0}, {"weekly", 1, 100}}},
				{Group: "Police", N: 3, Rows: []Frequency{{"daily", 2, 100 * 2.0 / 3}, {"monthly", 0, 0}, {"weekly", 1, 100.0 / 3}}},
			},
		},
		{
			name:   "a group without answers has no rows",
			values: []string{"", "a"},
			groups: []string{"x", "y"},
			want: []FrequencyTable{
				{Group: "x", Missing: 1},
				{Group: "y", N: 1, Rows: []Frequency{{"a", 1, 100}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Frequencies(tt.values, tt.groups)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Frequencies =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestGroupMeansSmall(t *testing.T) {
	nan := math.NaN()
	// t(0.975; 1) = 12.7062047361747 (R: qt(0.975, 1)).
	got, err := GroupMeans([]float64{1, 3, 5, nan, 7}, []string{"a", "a", "b", "b", ""}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupMean{
		{Group: "a", N: 2, Mean: 2, Spread: &Spread{SD: math.Sqrt2, SE: 1, Lo: 2 - 12.7062047361747, Hi: 2 + 12.7062047361747}},
		{Group: "b", N: 1, Mean: 5},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d groups, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Group != w.Group || g.N != w.N || math.Abs(g.Mean-w.Mean) > 1e-12 || (g.Spread == nil) != (w.Spread == nil) {
			t.Fatalf("group %d = %+v, want %+v", i, g, w)
		}
		if w.Spread != nil {
			for _, pair := range [][2]float64{{g.Spread.SD, w.Spread.SD}, {g.Spread.SE, w.Spread.SE}, {g.Spread.Lo, w.Spread.Lo}, {g.Spread.Hi, w.Spread.Hi}} {
				if math.Abs(pair[0]-pair[1]) > 1e-9 {
					t.Errorf("group %s spread = %+v, want %+v", g.Group, *g.Spread, *w.Spread)
				}
			}
		}
	}
}

func TestGroupMeansBadInput(t *testing.T) {
	if _, err := GroupMeans([]float64{1, 2}, []string{"a"}, 0.95); err == nil {
		t.Error("mismatched lengths: no error")
	}
	for _, level := range []float64{0, 1, 95, math.NaN()} {
		if _, err := GroupMeans([]float64{1, 2}, nil, level); err == nil {
			t.Errorf("level %g: no error", level)
		}
	}
	if _, err := Frequencies([]string{"a"}, []string{"x", "y"}); err == nil {
		t.Error("Frequencies with mismatched lengths: no error")
	}
}

// TestGroupMeansMatchesTTest compares with t.test in
// analysis/testdata/models_reference.R: bfi's A2 by education.
func TestGroupMeansMatchesTTest(t *testing.T) {
	var ref struct {
		Means []struct {
			Value, Group string
			Groups       []struct {
				Group                string
				N                    int
				Mean, SD, SE, Lo, Hi float64
			}
		}
	}
	reftest.LoadJSON(t, "models_reference.json", &ref)
	table := reftest.ReadTable(t, "bfi_models.csv")
	for _, c := range ref.Means {
		values := reftest.Column(t, table, c.Value)
		groups, err := table.Strings(c.Group)
		if err != nil {
			t.Fatal(err)
		}
		got, err := GroupMeans(values, groups, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.Groups) {
			t.Fatalf("%d groups, want %d", len(got), len(c.Groups))
		}
		for i, want := range c.Groups {
			g := got[i]
			if g.Group != want.Group || g.N != want.N || g.Spread == nil {
				t.Fatalf("group %d = %+v, want %+v", i, g, want)
			}
			for _, pair := range [][2]float64{{g.Mean, want.Mean}, {g.Spread.SD, want.SD}, {g.Spread.SE, want.SE}, {g.Spread.Lo, want.Lo}, {g.Spread.Hi, want.Hi}} {
				if math.Abs(pair[0]-pair[1]) > 1e-10 {
					t.Errorf("education %s: got %+v %+v, want %+v", g.Group, g, *g.Spread, want)
					break
				}
			}
		}
	}
}
