package dataset

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty file", "", "empty file"},
		{"empty column name", "a,,c\n1,2,3\n", "line 1, column 2: empty column name"},
		{"duplicate column name", "a,b,a\n1,2,3\n", `line 1, column 3: column name "a" repeats column 1`},
		{"too few fields", "a,b\n1,2\n3\n", "line 3: 1 fields, but the header has 2"},
		{"too many fields", "a,b\n1,2,3\n", "line 2: 3 fields, but the header has 2"},
		{"unbalanced quote", "a,b\n1,\"2\n3,4\n", "in the record that starts on line 2"},
		{"bare quote", "a,b\n1,2\"x\n", "line 2, column 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestNumeric(t *testing.T) {
	in := "\ufeffid, x ,y,z\n1,1.5,NA,a\n2,.,-2e3,b\n3, 4 ,,\n"
	tab, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tab.Header, []string{"id", "x", "y", "z"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Header = %q, want %q", got, want)
	}
	got, err := tab.Numeric([]string{"y", "x"})
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	want := [][]float64{{nan, 1.5}, {-2000, nan}, {nan, 4}}
	if !sameFloats(got, want) {
		t.Errorf("Numeric = %v, want %v", got, want)
	}
	strs, err := tab.Strings("z")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", ""}; !reflect.DeepEqual(strs, want) {
		t.Errorf("Strings(z) = %q, want %q", strs, want)
	}
}

func TestNumericErrors(t *testing.T) {
	tab, err := Read(strings.NewReader("a,b\n1,2\n\n3,x\n4,NaN\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cols []string
		want string
	}{
		{"non-numeric names line and column", []string{"a", "b"}, `line 4, column "b": "x" is not a number`},
		{"unknown column", []string{"c"}, `no column "c"`},
		{"column twice", []string{"a", "a"}, `column "a" selected twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tab.Numeric(tt.cols)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Numeric(%q) error = %v, want it to contain %q", tt.cols, err, tt.want)
			}
		})
	}
	var ce *CellError
	_, err = tab.Numeric(nil)
	if !errors.As(err, &ce) {
		t.Fatalf("Numeric(nil) error = %v, want a *CellError", err)
	}
	if _, err := tab.Strings("nope"); err == nil {
		t.Error("Strings(unknown column) gave no error")
	}
}

func TestNaNIsNotAMissingMarker(t *testing.T) {
	for _, cell := range []string{"NaN", "Inf", "-inf", "1e999"} {
		tab, err := Read(strings.NewReader("a\n" + cell + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tab.Numeric(nil); err == nil {
			t.Errorf("Numeric accepted %q", cell)
		}
	}
}

func TestScanNumericMatchesNumeric(t *testing.T) {
	in := "a,b,c\n1,2,3\nNA,5,6\n7,,9\n"
	tab, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want, err := tab.Numeric([]string{"c", "a"})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]float64
	names, err := ScanNumeric(strings.NewReader(in), []string{"c", "a"}, func(row []float64) error {
		got = append(got, append([]float64(nil), row...))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"c", "a"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}
	if !sameFloats(got, want) {
		t.Errorf("ScanNumeric rows = %v, want %v", got, want)
	}
}

// The survey export codes "don't know" -8 and "prefer not to say" -9: with
// NA they are missing in every entry point, without it numbers, as before.
func TestNA(t *testing.T) {
	in := "y,x,g\n1,-8,a\n2, -9 ,-8\n3,-8.0,b\n4,NA,\n-9,5,c\n"
	nan := math.NaN()
	for _, tt := range []struct {
		name    string
		opts    []Option
		numeric [][]float64
		strs    []string
	}{
		{"default", nil, [][]float64{{1, -8}, {2, -9}, {3, -8}, {4, nan}, {-9, 5}}, []string{"a", "-8", "b", "", "c"}},
		{"NA(-8, -9)", []Option{NA("-8", " -9", "")}, [][]float64{{1, nan}, {2, nan}, {3, -8}, {4, nan}, {nan, 5}}, []string{"a", "", "b", "", "c"}},
		{"NA given twice", []Option{NA("-8"), NA("-9", "-8")}, [][]float64{{1, nan}, {2, nan}, {3, -8}, {4, nan}, {nan, 5}}, []string{"a", "", "b", "", "c"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Read(strings.NewReader(in), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tab.Numeric([]string{"y", "x"})
			if err != nil {
				t.Fatal(err)
			}
			if !sameFloats(got, tt.numeric) {
				t.Errorf("Numeric = %v, want %v", got, tt.numeric)
			}
			if strs, err := tab.Strings("g"); err != nil || !reflect.DeepEqual(strs, tt.strs) {
				t.Errorf("Strings(g) = %q, %v; want %q", strs, err, tt.strs)
			}
			var streamed [][]float64
			_, err = ScanNumeric(strings.NewReader(in), []string{"y", "x"}, func(row []float64) error {
				streamed = append(streamed, append([]float64(nil), row...))
				return nil
			}, tt.opts...)
			if err != nil || !sameFloats(streamed, tt.numeric) {
				t.Errorf("ScanNumeric = %v, %v; want %v", streamed, err, tt.numeric)
			}
		})
	}
	// A marker makes a word missing too; without it the word is an error.
	tab, err := Read(strings.NewReader("x\nmissing\n"), NA("missing"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tab.Numeric(nil); err != nil || !math.IsNaN(got[0][0]) {
		t.Errorf("Numeric with NA(missing) = %v, %v; want NaN", got, err)
	}
}

func TestScanNumericStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	_, err := ScanNumeric(strings.NewReader("a\n1\n2\n3\n"), nil, func([]float64) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("err = %v after %d calls, want %v after 1", err, calls, stop)
	}
}

func FuzzRead(f *testing.F) {
	for _, seed := range []string{
		"a,b\n1,2\n", "a,b\n1,\"2\n", "x\nNA\n.\n\n", "a,b\n-8,-9\n -8,-8.0\n", "\"a\"\"b\",c\n\"1,5\",2\n", "a,a\n", "",
		"a,b\r\n1,2\r\n\r\n3,4\r", "a,b\n1,2\n3\n4,x\n", "a\n1\n2\n\"3\"\n4\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// ScanChunks' fast path against ScanNumeric: the same rows and the
		// same error, word for word, whatever the chunks and the markers.
		for _, o := range []struct {
			n, workers int
			opts       []Option
		}{{1, 2, nil}, {3, 1, nil}, {2, 2, []Option{NA("-8", "-9")}}} {
			if diff := sameScan(in, nil, o.n, o.workers, iotest.HalfReader, o.opts...); diff != "" {
				t.Fatalf("%d records a chunk, %d workers, %d markers: %s", o.n, o.workers, len(o.opts), diff)
			}
		}
		tab, err := Read(strings.NewReader(in))
		if err != nil {
			return
		}
		for i, rec := range tab.rows {
			if len(rec) != len(tab.Header) {
				t.Fatalf("row %d has %d fields, header %d", i, len(rec), len(tab.Header))
			}
		}
		x, err := tab.Numeric(nil)
		var streamed [][]float64
		_, serr := ScanNumeric(strings.NewReader(in), nil, func(row []float64) error {
			streamed = append(streamed, append([]float64(nil), row...))
			return nil
		})
		if (err == nil) != (serr == nil) {
			t.Fatalf("Numeric error %v but ScanNumeric error %v", err, serr)
		}
		if err == nil && !sameFloats(x, streamed) {
			t.Fatalf("Numeric %v but ScanNumeric %v", x, streamed)
		}
		// The export's codes as markers: the two ways in still agree, and
		// every -8 is missing.
		na := NA("-8", "-9")
		tabNA, _ := Read(strings.NewReader(in), na)
		xNA, err := tabNA.Numeric(nil)
		streamed = streamed[:0]
		_, serr = ScanNumeric(strings.NewReader(in), nil, func(row []float64) error {
			streamed = append(streamed, append([]float64(nil), row...))
			return nil
		}, na)
		if (err == nil) != (serr == nil) || err == nil && !sameFloats(xNA, streamed) {
			t.Fatalf("with NA: Numeric %v, %v but ScanNumeric %v, %v", xNA, err, streamed, serr)
		}
		for i, rec := range tabNA.rows {
			for j, cell := range rec {
				if err == nil && strings.TrimSpace(cell) == "-8" && !math.IsNaN(xNA[i][j]) {
					t.Fatalf("row %d column %d: -8 read as %v", i, j, xNA[i][j])
				}
			}
		}
	})
}

// sameFloats compares two matrices, NaN equal to NaN.
func sameFloats(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			x, y := a[i][j], b[i][j]
			if x != y && !(math.IsNaN(x) && math.IsNaN(y)) {
				return false
			}
		}
	}
	return true
}

func TestParseSimpleAgreesWithParseFloat(t *testing.T) {
	for _, cell := range []string{"0", "3", "-7", "12.5", "0.1", ".5", "5.", "-0.000001", "123456789012345", "3.14159265358979", "-0", "007"} {
		got, ok := parseSimple(cell)
		want, err := strconv.ParseFloat(cell, 64)
		if !ok || err != nil || got != want || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("parseSimple(%q) = %v, %v; ParseFloat = %v, %v", cell, got, ok, want, err)
		}
	}
	for _, cell := range []string{"", ".", "-", "1e3", "1.2.3", " 1", "NA", "1234567890123456", "0x10", "+1"} {
		if v, ok := parseSimple(cell); ok {
			t.Errorf("parseSimple(%q) = %v, want it left to the general path", cell, v)
		}
	}
}

func FuzzParseSimple(f *testing.F) {
	for _, seed := range []string{"1", "-2.5", ".25", "99999999999999.9"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		got, ok := parseSimple(cell)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(cell, 64)
		if err != nil || got != want {
			t.Fatalf("parseSimple(%q) = %v; ParseFloat = %v, %v", cell, got, want, err)
		}
	})
}
