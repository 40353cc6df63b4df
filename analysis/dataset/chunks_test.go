package dataset

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// chunked reads r with ScanChunks, n records a chunk on workers goroutines.
func chunked(r io.Reader, cols []string, n, workers int, opts ...Option) ([][]float64, error) {
	c, err := NewChunkScanner(r, cols, opts...)
	if err != nil {
		return nil, err
	}
	p := len(c.Names())
	var out [][]float64
	err = ScanChunks(c, n, workers, func(rows []float64) [][]float64 {
		var part [][]float64
		for i := 0; i < len(rows); i += p {
			part = append(part, append([]float64(nil), rows[i:i+p]...))
		}
		return part
	}, func(part [][]float64) { out = append(out, part...) })
	return out, err
}

// streamed reads r with ScanNumeric, the slow path.
func streamed(r io.Reader, cols []string, opts ...Option) ([][]float64, error) {
	var out [][]float64
	_, err := ScanNumeric(r, cols, func(row []float64) error {
		out = append(out, append([]float64(nil), row...))
		return nil
	}, opts...)
	return out, err
}

// sameScan reports how ScanChunks differs from ScanNumeric on in, or "".
func sameScan(in string, cols []string, n, workers int, wrap func(io.Reader) io.Reader, opts ...Option) string {
	want, werr := streamed(strings.NewReader(in), cols, opts...)
	got, err := chunked(wrap(strings.NewReader(in)), cols, n, workers, opts...)
	if fmt.Sprint(err) != fmt.Sprint(werr) {
		return fmt.Sprintf("error %v, ScanNumeric's %v", err, werr)
	}
	if werr == nil && !sameFloats(got, want) {
		return fmt.Sprintf("rows %v, ScanNumeric's %v", got, want)
	}
	return ""
}

var readers = map[string]func(io.Reader) io.Reader{
	"whole":    func(r io.Reader) io.Reader { return r },
	"one byte": iotest.OneByteReader,
	"halves":   iotest.HalfReader,
}

func TestScanChunksMatchesScanner(t *testing.T) {
	tests := []struct {
		name, in string
		cols     []string
		opts     []Option
	}{
		{"plain", "a,b,c\n1,2,3\n4,5,6\n7,8,9\n", nil, nil},
		{"CRLF and empty lines", "a,b\r\n\r\n1,2\r\n\n\r\n3,4\r\n5,6\r\n\n", nil, nil},
		{"no final line break, \\r at the end", "a,b\n1,2\n3,4\r", nil, nil},
		{"\\r inside a line", "a,b\n1\r,2\n3,4\r\r\n", nil, nil},
		{"missing cells and spaces", "a,b\n NA ,.\n,  7 \n-0,1e3\n.5,-12.25\n", nil, nil},
		{"selection in another order", "a,b,c\n1,x,3\n4,y,6\n", []string{"c", "a"}, nil},
		{"NA markers", "a,b\n-8,-9\n-8.0, -9 \n1,2\n", nil, []Option{NA("-8", "-9")}},
		{"byte-order mark and quoted header", "\ufeff\"a\",\"b\nc\"\n1,2\n3,4\n5,x\n", nil, nil},
		{"quotes from the third record on", "a,b\n1,2\n3,4\n\"5\",6\n7,\"8\"\n9,10\n", nil, nil},
		{"quoted line break, then a bad cell", "a,b\n1,2\n3,\"4\n5\"\n6,7\n8,x\n", nil, nil},
		{"too few fields", "a,b\n1,2\n3,4\n5\n", nil, nil},
		{"too many fields", "a,b\n1,2\n3,4,5\n", nil, nil},
		{"field count before cells", "a,b\n1,2\nx,y,z\n", nil, nil},
		{"first bad cell in selection order", "a,b\n1,2\nx,y\n", []string{"b", "a"}, nil},
		{"not a number", "a,b\n1,2\n3,NaN\n", nil, nil},
		{"bare quote", "a,b\n1,2\n3,4\"\n", nil, nil},
		{"unterminated quote", "a,b\n1,2\n3,\"4\n5,6\n", nil, nil},
		{"header only", "a,b\n", nil, nil},
		{"header only, no line break", "a,b", nil, nil},
		{"empty", "", nil, nil},
	}
	for _, tt := range tests {
		for name, wrap := range readers {
			for _, n := range []int{1, 2, 3, 100} {
				for _, workers := range []int{1, 3} {
					if diff := sameScan(tt.in, tt.cols, n, workers, wrap, tt.opts...); diff != "" {
						t.Errorf("%s, %s reader, %d records a chunk, %d workers: %s", tt.name, name, n, workers, diff)
					}
				}
			}
		}
	}
}

// Of two bad records in different chunks, the first is reported, however
// the chunks were scheduled.
func TestScanChunksReportsTheFirstError(t *testing.T) {
	in := string(likertCSV(3000, 6))
	lines := strings.SplitAfter(in, "\n")
	lines[1200] = "1,2,3,4,5,x\n"
	lines[2900] = "1,2\n"
	in = strings.Join(lines, "")
	for _, n := range []int{7, 512, 4096} {
		if diff := sameScan(in, nil, n, 4, readers["whole"]); diff != "" {
			t.Errorf("%d records a chunk: %s", n, diff)
		}
	}
}

// A read error comes after the records read before it, as Scanner meets it.
func TestScanChunksReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, in := range []string{"a,b\n1,2\n3,", "a,b\n1,x\n3,"} {
		_, werr := streamed(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), nil)
		_, err := chunked(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), nil, 1, 2)
		if err == nil || err.Error() != werr.Error() {
			t.Errorf("%q: error %v, ScanNumeric's %v", in, err, werr)
		}
	}
}

func BenchmarkScanChunks(b *testing.B) {
	data := string(likertCSV(20000, 50))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c, err := NewChunkScanner(strings.NewReader(data), nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := ScanChunks(c, 4096, 1, func([]float64) int { return 0 }, func(int) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/20000, "ns/row")
}
