package results_test

import (
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/results/resultstest"
)

// wellFormed fails the test unless svg is one well-formed XML element, and
// counts the elements of each class in it.
func wellFormed(t *testing.T, svg string) map[string]int {
	t.Helper()
	classes := map[string]int{}
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return classes
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					classes[a.Value]++
				}
			}
		}
	}
}

// The default questionnaire's three figures, from a result with every
// table: the charts, the finding in numbers, every number in the table.
func TestFigures(t *testing.T) {
	figs := results.Figures(instrument.Default(), resultstest.Result())
	if len(figs) != 3 {
		t.Fatalf("%d figures, want 3", len(figs))
	}
	for i, tc := range []struct {
		id, class string
		marks     int
		alt       []string
		rows      int
		row       []string
		caption   string
	}{
		{"figure1", "segment", 30, []string{"The largest share answering Daily is 29.1% (Providing data: other departments in the city?).",
			"Daily or weekly, averaged over the items: Providing data 35.3% and Receiving data 40.4%."},
			6, []string{"Providing data", "other departments in the city?", "3.9", "13.5", "22.5", "31.0", "29.1", "712"}, "n counts the answers"},
		{"figure2", "mean", 5, []string{"Highest mean: Police, 2.52 (95% CI 2.40 to 2.64); lowest: Community Development, 1.86 (1.73 to 1.99), on a scale from 0 (Never) to 4 (Daily)."},
			5, []string{"Mayor's Office", "148", "2.41", "0.81", "2.28", "2.54"}, "95% confidence interval"},
		{"figure3", "coefficient", 9, []string{"The largest coefficient is Participation in decision-making for Private organizations: 0.78 (95% CI 0.61 to 0.95).",
			"Of the 9 intervals, 8 lie above zero and 0 below."},
			9, []string{"Participation in decision-making", "Other departments in the city", "0.412", "0.078", "0.259", "0.565", "<0.001"},
			"SE is the standard error clustered by city (341 clusters)"},
	} {
		f := figs[i]
		t.Run(tc.id, func(t *testing.T) {
			if f.ID != tc.id || f.Title == "" || f.Caption == "" {
				t.Errorf("figure %d: id %q, title %q, caption %q", i, f.ID, f.Title, f.Caption)
			}
			if got := wellFormed(t, f.SVG)[tc.class]; got != tc.marks {
				t.Errorf("%d marks of class %s, want %d", got, tc.class, tc.marks)
			}
			for _, want := range tc.alt {
				if !strings.Contains(f.Alt, want) {
					t.Errorf("alt %q\nwant it to say %q", f.Alt, want)
				}
			}
			if len(f.Table.Rows) != tc.rows || !slices.Equal(f.Table.Rows[0], tc.row) || !strings.Contains(f.Table.Caption, tc.caption) {
				t.Errorf("table %q, %d rows, first %q; want %d rows, first %q, a caption saying %q", f.Table.Caption, len(f.Table.Rows), f.Table.Rows[0], tc.rows, tc.row, tc.caption)
			}
			for _, row := range f.Table.Rows {
				if len(row) != len(f.Table.Header) {
					t.Errorf("row %q has %d cells, the header %d", row, len(row), len(f.Table.Header))
				}
			}
		})
	}
}

// A figure whose data the result lacks comes back undrawn, saying what is
// missing, and the others are drawn as usual.
func TestFiguresMissingData(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *results.Result)
		drawn  []bool
		says   string
	}{
		{"failed model", func(r *results.Result) { r.Models = r.Models[:2] }, []bool{true, true, false}, "the model provide_private has no result"},
		{"model without a document", func(r *results.Result) { r.Models[0].Model = nil }, []bool{true, true, false}, "the model provide_city_depts has no result"},
		{"missing term", func(r *results.Result) {
			m := *r.Models[1].Model
			m.Coefficients = m.Coefficients[1:]
			r.Models[1].Model = &m
		}, []bool{true, true, false}, "the model provide_other_govs has no term participation"},
		{"no descriptives", func(r *results.Result) { r.Descriptives = nil }, []bool{false, false, true}, "no descriptives"},
		{"means not computed", func(r *results.Result) { r.Descriptives.Means = nil }, []bool{true, false, true}, "no means provide_by_department"},
		{"no answers", func(r *results.Result) {
			for i := range r.Descriptives.Frequencies[1].Items {
				r.Descriptives.Frequencies[1].Items[i].N = 0
			}
		}, []bool{false, true, true}, "no answers for the frequencies receive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := resultstest.Result()
			tc.change(r)
			figs := results.Figures(instrument.Default(), r)
			said := false
			for i, f := range figs {
				if drawn := f.SVG != ""; drawn != tc.drawn[i] {
					t.Errorf("%s drawn: %v, want %v (alt %q)", f.ID, drawn, tc.drawn[i], f.Alt)
				}
				if f.SVG == "" {
					said = said || strings.Contains(f.Alt, tc.says)
					if !strings.HasPrefix(f.Alt, "Not drawn: ") || f.Title == "" || len(f.Table.Rows) != 0 {
						t.Errorf("%s: alt %q, title %q, %d rows", f.ID, f.Alt, f.Title, len(f.Table.Rows))
					}
				}
			}
			if !said {
				t.Errorf("no undrawn figure says %q", tc.says)
			}
		})
	}
	t.Run("no result", func(t *testing.T) {
		for _, f := range results.Figures(instrument.Default(), nil) {
			if f.SVG != "" || f.Alt != "Not drawn: there is no result." {
				t.Errorf("%s: %q", f.ID, f.Alt)
			}
		}
	})
	t.Run("no analysis section", func(t *testing.T) {
		if figs := results.Figures(&instrument.Instrument{}, resultstest.Result()); figs != nil {
			t.Errorf("%d figures", len(figs))
		}
	})
}

// Intervals use the cluster-robust standard error where the model has
// one and the model-based one where it has not, and the table says which.
func TestFiguresStandardErrors(t *testing.T) {
	r := resultstest.Result()
	m := *r.Models[2].Model
	m.Clusters = 0
	m.Coefficients = slices.Clone(m.Coefficients)
	for i := range m.Coefficients {
		m.Coefficients[i].ClusterSE = nil
	}
	r.Models[2].Model = &m
	f := results.Figures(instrument.Default(), r)[2]
	want := "SE is the standard error clustered by city (341 clusters) for Other departments in the city and Governmental organizations outside the city; the model-based standard error for Private organizations."
	if !strings.Contains(f.Table.Caption, want) {
		t.Errorf("caption %q\nwant %q", f.Table.Caption, want)
	}
	// participation in provide_private: 0.781 ± 1.959964 × 0.079 (SE), not × 0.088 (cluster SE).
	if row := f.Table.Rows[2]; !slices.Equal(row[2:6], []string{"0.781", "0.079", "0.626", "0.936"}) {
		t.Errorf("row %q", row)
	}
}
