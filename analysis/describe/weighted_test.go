package describe

import (
	"math"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

// weightedTolerance is the absolute agreement required with svymean.
const weightedTolerance = 1e-6

// svyCase is one case of "means" in weights_reference.json, which
// analysis/testdata/weights_reference.R computed with survey's svymean and
// svyby.
type svyCase struct {
	Name             string
	Y, Group         string
	CategoryVariable string `json:"category_variable"`
	Weights, Cluster string
	Means            []svyRow
	Proportions      []svyRow
}

type svyRow struct {
	Group, Category      string
	Estimate, SE, Lo, Hi float64
	N                    int
	SumWeights           float64 `json:"sum_weights"`
}

// svyData is a case's rows: apiclus1's schools with their sampling weights,
// or canvass's respondents with the weights survey::rake gave them.
type svyData struct {
	values                   []float64
	labels, groups, clusters []string
	weights                  []float64
}

func loadSvyData(t *testing.T, c svyCase, raked []float64) svyData {
	t.Helper()
	file := map[string]string{"apiclus1": "apiclus1.csv", "canvass": "canvass_cases.csv"}[c.Name]
	table := reftest.ReadTable(t, file)
	keep := make([]bool, table.Len())
	for i := range keep {
		keep[i] = true
	}
	if c.Name == "canvass" {
		for i, r := range reftest.Column(t, table, "responded") {
			keep[i] = r == 1
		}
	}
	strs := func(name string) []string {
		all, err := table.Strings(name)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i, s := range all {
			if keep[i] {
				out = append(out, s)
			}
		}
		return out
	}
	var d svyData
	for i, v := range reftest.Column(t, table, c.Y) {
		if keep[i] {
			d.values = append(d.values, v)
		}
	}
	d.labels, d.groups, d.clusters = strs(c.CategoryVariable), strs(c.Group), strs(c.Cluster)
	if c.Weights == "raked" {
		d.weights = raked
	} else {
		for i, w := range reftest.Column(t, table, c.Weights) {
			if keep[i] {
				d.weights = append(d.weights, w)
			}
		}
	}
	if len(d.weights) != len(d.values) {
		t.Fatalf("%d weights for %d rows", len(d.weights), len(d.values))
	}
	return d
}

func TestWeightedMatchesSvymean(t *testing.T) {
	var ref struct {
		Rake []struct {
			Name    string
			Weights []float64
		}
		Means []svyCase
	}
	reftest.LoadJSON(t, "weights_reference.json", &ref)
	var raked []float64
	for _, r := range ref.Rake {
		if r.Name == "canvass" {
			raked = r.Weights
		}
	}
	var worst reftest.Worst
	check := func(t *testing.T, what string, est, se, lo, hi float64, want svyRow) {
		t.Helper()
		worst.Abs(t, what+" estimate", est, want.Estimate, weightedTolerance)
		worst.Abs(t, what+" se", se, want.SE, weightedTolerance)
		worst.Abs(t, what+" lo", lo, want.Lo, weightedTolerance)
		worst.Abs(t, what+" hi", hi, want.Hi, weightedTolerance)
	}
	for _, c := range ref.Means {
		t.Run(c.Name, func(t *testing.T) {
			d := loadSvyData(t, c, raked)
			overall, err := WeightedGroupMeans(d.values, nil, d.weights, d.clusters, 0.95)
			if err != nil {
				t.Fatal(err)
			}
			byGroup, err := WeightedGroupMeans(d.values, d.groups, d.weights, d.clusters, 0.95)
			if err != nil {
				t.Fatal(err)
			}
			means := append(overall, byGroup...)
			if len(means) != len(c.Means) {
				t.Fatalf("%d means, want %d", len(means), len(c.Means))
			}
			for _, want := range c.Means {
				// The overall mean is group "", which no real group is.
				m := findMean(means, want.Group)
				if m == nil {
					t.Fatalf("no mean for group %q", want.Group)
				}
				check(t, "mean of "+want.Group, m.Mean, m.SE, m.Lo, m.Hi, want)
				if m.N != want.N {
					t.Errorf("group %q: N = %d, want %d", want.Group, m.N, want.N)
				}
				worst.Abs(t, "sum of weights of "+want.Group, m.SumWeights, want.SumWeights, weightedTolerance)
			}

			tables, err := WeightedFrequencies(d.labels, nil, d.weights, d.clusters, 0.95)
			if err != nil {
				t.Fatal(err)
			}
			if hasGroupProportions(c) {
				more, err := WeightedFrequencies(d.labels, d.groups, d.weights, d.clusters, 0.95)
				if err != nil {
					t.Fatal(err)
				}
				tables = append(tables, more...)
			}
			compared := 0
			for _, table := range tables {
				for _, row := range table.Rows {
					want := findRow(c.Proportions, table.Group, row.Category)
					if want == nil {
						t.Fatalf("no reference for %q in group %q", row.Category, table.Group)
					}
					check(t, "proportion of "+row.Category+" in "+table.Group, row.Proportion, row.SE, row.Lo, row.Hi, *want)
					compared++
				}
			}
			if compared != len(c.Proportions) {
				t.Errorf("compared %d proportions, the reference has %d", compared, len(c.Proportions))
			}
		})
	}
	t.Logf("worst agreement with svymean and svyby: %.2g", worst.Diff)
}

// hasGroupProportions says whether the reference has proportions by group
// besides the overall ones.
func hasGroupProportions(c svyCase) bool {
	for _, p := range c.Proportions {
		if p.Group != "" {
			return true
		}
	}
	return false
}

func findMean(means []WeightedMean, group string) *WeightedMean {
	for i := range means {
		if means[i].Group == group {
			return &means[i]
		}
	}
	return nil
}

func findRow(rows []svyRow, group, category string) *svyRow {
	for i := range rows {
		if rows[i].Group == group && rows[i].Category == category {
			return &rows[i]
		}
	}
	return nil
}

// Without clusters every row is its own, as ids = ~1; a row without a value
// still counts among them. R (survey 4.1.1):
//
//	d <- data.frame(y = c(1, 2, 4, NA, 3), w = c(1, 2, 1, 3, 0.5), g = c("a", "a", "b", "b", "b"))
//	s <- svydesign(ids = ~1, weights = ~w, data = d)
//	svymean(~y, s, na.rm = TRUE); confint(., level = 0.9)
//	svyby(~y, ~g, s, svymean, na.rm = TRUE)
//	svymean(~factor(y), s, na.rm = TRUE)
func TestWeightedWithoutClusters(t *testing.T) {
	nan := math.NaN()
	values := []float64{1, 2, 4, nan, 3}
	weights := []float64{1, 2, 1, 3, 0.5}
	means, err := WeightedGroupMeans(values, nil, weights, nil, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	want := WeightedMean{N: 4, SumWeights: 4.5, Mean: 2.333333333333333, SE: 0.561694477337152,
		Lo: 1.409428135046707, Hi: 3.257238531619959}
	if len(means) != 1 || !closeMean(means[0], want) {
		t.Errorf("mean = %+v, want %+v", means, want)
	}
	byGroup, err := WeightedGroupMeans(values, []string{"a", "a", "b", "b", "b"}, weights, nil, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	wantGroups := []WeightedMean{
		{Group: "a", N: 2, SumWeights: 3, Mean: 1.66666666666667, SE: 0.351364184463153, Lo: 1.0887240134716, Hi: 2.24460931986173},
		{Group: "b", N: 2, SumWeights: 1.5, Mean: 3.66666666666667, SE: 0.351364184463153, Lo: 3.0887240134716, Hi: 4.24460931986173},
	}
	if len(byGroup) != 2 || !closeMean(byGroup[0], wantGroups[0]) || !closeMean(byGroup[1], wantGroups[1]) {
		t.Errorf("means = %+v, want %+v", byGroup, wantGroups)
	}

	tables, err := WeightedFrequencies([]string{"1", "2", "4", "", "3"}, nil, weights, nil, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []struct{ p, se float64 }{
		{0.222222222222222, 0.230966505356416}, {0.444444444444444, 0.321935921244575},
		{0.111111111111111, 0.129482573848167}, {0.222222222222222, 0.230966505356416},
	}
	if len(tables) != 1 || tables[0].N != 4 || tables[0].Missing != 1 || len(tables[0].Rows) != 4 {
		t.Fatalf("tables = %+v", tables)
	}
	for k, w := range wantRows {
		r := tables[0].Rows[k]
		if math.Abs(r.Proportion-w.p) > 1e-12 || math.Abs(r.SE-w.se) > 1e-12 {
			t.Errorf("category %s: %g (se %g), want %g (%g)", r.Category, r.Proportion, r.SE, w.p, w.se)
		}
	}
}

func closeMean(got, want WeightedMean) bool {
	return got.Group == want.Group && got.N == want.N &&
		math.Abs(got.SumWeights-want.SumWeights) < 1e-12 && math.Abs(got.Mean-want.Mean) < 1e-12 &&
		math.Abs(got.SE-want.SE) < 1e-12 && math.Abs(got.Lo-want.Lo) < 1e-12 && math.Abs(got.Hi-want.Hi) < 1e-12
}

// A group whose rows all weigh 0 has no estimate: its mean is left out and
// its frequency table has no rows, rather than 0/0.
func TestWeightedZeroWeights(t *testing.T) {
	values := []float64{1, 2, 3, 4}
	groups := []string{"a", "a", "b", "b"}
	weights := []float64{1, 1, 0, 0}
	clusters := []string{"1", "2", "1", "2"}
	means, err := WeightedGroupMeans(values, groups, weights, clusters, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if len(means) != 1 || means[0].Group != "a" {
		t.Errorf("means = %+v, want group a only", means)
	}
	tables, err := WeightedFrequencies([]string{"x", "y", "x", "y"}, groups, weights, clusters, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 || len(tables[0].Rows) != 2 || tables[1].N != 2 || tables[1].Rows != nil {
		t.Errorf("tables = %+v", tables)
	}
}

func TestWeightedBadInput(t *testing.T) {
	values := []float64{1, 2, 3}
	labels := []string{"x", "y", "x"}
	weights := []float64{1, 1, 1}
	clusters := []string{"1", "2", "2"}
	tests := []struct {
		name             string
		groups, clusters []string
		weights          []float64
		level            float64
		want             string
	}{
		{"groups", []string{"a"}, clusters, weights, 0.95, "1 group labels for 3 values"},
		{"weights", nil, clusters, weights[:2], 0.95, "2 weights for 3 values"},
		{"clusters", nil, clusters[:1], weights, 0.95, "1 cluster labels for 3 values"},
		{"level", nil, clusters, weights, 95, "confidence level 95 is not between 0 and 1"},
		{"negative weight", nil, clusters, []float64{1, -1, 1}, 0.95, "row 2 has weight -1"},
		{"NaN weight", nil, clusters, []float64{1, 1, math.NaN()}, 0.95, "row 3 has weight NaN"},
		{"missing cluster", nil, []string{"1", "", "2"}, weights, 0.95, "row 2 has no cluster"},
		{"one cluster", nil, []string{"1", "1", "1"}, weights, 0.95, "at least 2 clusters, the 3 rows have 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WeightedGroupMeans(values, tt.groups, tt.weights, tt.clusters, tt.level)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WeightedGroupMeans: error %v, want one saying %q", err, tt.want)
			}
			_, err = WeightedFrequencies(labels, tt.groups, tt.weights, tt.clusters, tt.level)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WeightedFrequencies: error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
