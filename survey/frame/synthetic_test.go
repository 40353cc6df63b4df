package frame

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/instrument"
)

func TestSynthetic(t *testing.T) {
	in := instrument.Default()
	rows := Synthetic(2500, 42, in)
	if got, want := len(rows), 2500; got != want {
		t.Fatalf("got %d rows, want %d", got, want)
	}
	if !reflect.DeepEqual(Synthetic(2500, 42, in), rows) {
		t.Error("the same seed gave another frame")
	}
	if reflect.DeepEqual(Synthetic(2500, 43, in), rows) {
		t.Error("another seed gave the same frame")
	}
	// 500 cities, each with every department once and one state,
	// population and form of government.
	cities := map[int][]string{}
	emails := map[string]bool{}
	for i, r := range rows {
		city := rows[i-i%5]
		if r.City != city.City || r.State != city.State || r.Population != city.Population || r.FormOfGovernment != city.FormOfGovernment {
			t.Fatalf("row %d is not of the city of row %d: %+v, %+v", i, i-i%5, r, city)
		}
		cities[i/5] = append(cities[i/5], r.Department)
		if r.Population < 25_000 || r.Population >= 250_000 {
			t.Errorf("row %d: population %d outside 25,000–250,000", i, r.Population)
		}
		if !slices.Contains(in.Frame.FormsOfGovernment, r.FormOfGovernment) || !slices.Contains(States[:50], r.State) {
			t.Errorf("row %d: %+v", i, r)
		}
		if emails[r.Email] {
			t.Errorf("row %d: email %s repeats", i, r.Email)
		}
		emails[r.Email] = true
	}
	if got, want := len(cities), 500; got != want {
		t.Errorf("got %d cities, want %d", got, want)
	}
	for i, depts := range cities {
		if !slices.Equal(depts, in.Frame.Departments) {
			t.Fatalf("city %d has departments %v", i, depts)
		}
	}
	// Plausible spreads: many states, California the most common, and
	// council-manager and mayor-council the common forms.
	byState, byForm := map[string]int{}, map[string]int{}
	for i := 0; i < len(rows); i += 5 {
		byState[rows[i].State]++
		byForm[rows[i].FormOfGovernment]++
	}
	if len(byState) < 30 {
		t.Errorf("only %d states", len(byState))
	}
	for s, n := range byState {
		if n > byState["CA"] {
			t.Errorf("%s has %d cities, more than California's %d", s, n, byState["CA"])
		}
	}
	if common := byForm["council-manager"] + byForm["mayor-council"]; common < 400 {
		t.Errorf("council-manager and mayor-council in only %d of 500 cities: %v", common, byForm)
	}
}

func TestSyntheticSizes(t *testing.T) {
	for _, n := range []int{0, 1, 7} {
		if got := len(Synthetic(n, 1, instrument.Default())); got != n {
			t.Errorf("Synthetic(%d): got %d rows", n, got)
		}
	}
}

// frameCSV is a valid synthetic frame of n rows as a file.
func frameCSV(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, Synthetic(n, 1, instrument.Default())); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestParse100000Rows(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	data := frameCSV(t, 100_000)
	rows, err := rowsOf(Parse(bytes.NewReader(data), instrument.Default()))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 100_000; got != want {
		t.Fatalf("got %d rows, want %d", got, want)
	}
	// One bad row at the very end rejects them all.
	bad := append(slices.Clone(data), "late@example.org,Late,,Police,X,TX,30000,monarchy\n"...)
	rows, err = rowsOf(Parse(bytes.NewReader(bad), instrument.Default()))
	if rows != nil {
		t.Errorf("got %d rows with an error", len(rows))
	}
	if got, want := rowErrors(t, err), 100_002; len(got) != 1 || got[0].Line != want || !strings.Contains(got[0].Message, "monarchy") {
		t.Errorf("got %v, want one error at line %d", got, want)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{2_500, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			data := frameCSV(b, n)
			in := instrument.Default()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := rowsOf(Parse(bytes.NewReader(data), in)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// The analysis takes a city within its state for a cluster: no two cities
// of a state share a name, however many the state gets.
func TestCitiesUniqueWithinState(t *testing.T) {
	g := NewCities(1, instrument.Default())
	seen := map[string]bool{}
	for i := range 20_000 {
		f := g.Next()[0]
		key := f.State + "/" + f.City
		if seen[key] {
			t.Fatalf("city %d repeats %s", i, key)
		}
		seen[key] = true
	}
}
