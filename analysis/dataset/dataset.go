// Package dataset reads the CSV files that `canvass analyze` works on.
//
// A file has a header row of unique, non-empty column names and one row per
// case. A cell that is empty, "NA" or "." is missing (R's and Stata's
// conventions), and so is any value given with the NA option: NA("-8", "-9")
// reads the survey export's codes of "don't know" and "prefer not to say" as
// missing, as the nightly analysis does. Quoting follows RFC 4180
// (encoding/csv). Line numbers in errors are file lines, the header being
// line 1.
//
// Three ways in:
//
//	t, err := dataset.Read(r)                  // whole file in memory, cells as strings
//	t, err := dataset.Read(r, dataset.NA("-8", "-9")) // the same, -8 and -9 missing too
//	x, err := t.Numeric([]string{"A1", "A2"})  // rows × cols, NaN where missing
//	g, err := t.Strings("city")                // a factor or cluster column, "" where missing
//
//	names, err := dataset.ScanNumeric(r, cols, func(row []float64) error { ... })
//	sc, err := dataset.NewScanner(r, cols)     // the same, pulled: sc.Names(), sc.Scan(), sc.Row(), sc.Err()
//
//	cs, err := dataset.NewChunkScanner(r, cols) // the same rows and errors, parsed on several cores:
//	err = dataset.ScanChunks(cs, 4096, runtime.GOMAXPROCS(0), work, merge)
//
// ScanNumeric and Scanner stream: they hold one row at a time, so correlation-only work
// over millions of rows keeps memory proportional to the number of columns; ScanChunks
// holds a few chunks of rows per core.
// The row slice passed to fn is reused; copy it to keep it. A nil or empty
// cols selects every column. Numbers are parsed with strconv.ParseFloat after
// trimming spaces; "NaN" and "Inf" are rejected, since a missing value must be
// written as one of the markers above. Every entry point takes the NA option.
package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// CellError reports a cell that is neither a number nor a missing-value marker.
type CellError struct {
	Line   int    // file line, the header being line 1
	Column string // column name from the header
	Value  string
}

func (e *CellError) Error() string {
	return fmt.Sprintf("line %d, column %q: %q is not a number", e.Line, e.Column, e.Value)
}

// Option changes how a file is read.
type Option func(*options)

type options struct{ na markers }

// NA adds cell values that mean missing, besides an empty cell, "NA" and
// ".", as R's na.strings does. A cell matches after its surrounding spaces
// are trimmed, as a string: with NA("-8"), "-8" is missing and "-8.0" is the
// number. Empty values are ignored.
func NA(values ...string) Option {
	return func(o *options) {
		for _, v := range values {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(o.na, v) {
				o.na = append(o.na, v)
			}
		}
	}
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// markers are the missing-value markers given with NA; a file has a few, so
// a list is faster than a map.
type markers []string

// missing reports whether cell is a missing-value marker, default or given.
func (m markers) missing(cell string) bool {
	return IsMissing(cell) || m.has(cell)
}

// is reports whether b, a cell without spaces around it, is one of the
// given markers.
func (m markers) is(b []byte) bool {
	for _, s := range m {
		if s == string(b) {
			return true
		}
	}
	return false
}

// has reports whether cell is one of the given markers; without any it
// costs one comparison, which keeps the common path of parseCell as fast
// as before the option existed.
func (m markers) has(cell string) bool {
	return len(m) > 0 && slices.Contains(m, strings.TrimSpace(cell))
}

// IsMissing reports whether a cell holds one of the default missing-value
// markers: empty, "NA" or ".".
func IsMissing(cell string) bool {
	switch strings.TrimSpace(cell) {
	case "", "NA", ".":
		return true
	}
	return false
}

// parseCell returns NaN for a missing cell and ok=false for a cell that is
// not a finite number. The given markers go first: "-8" is a number to
// parseSimple.
func parseCell(cell string, na markers) (v float64, ok bool) {
	if na.has(cell) {
		return math.NaN(), true
	}
	if v, ok := parseSimple(cell); ok {
		return v, true
	}
	s := strings.TrimSpace(cell)
	switch s {
	case "", "NA", ".":
		return math.NaN(), true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parseSimple is the fast path for the cells survey data is made of: an
// optional minus sign, at most 15 digits and at most one decimal point.
// Anything else returns ok=false and goes the general way.
func parseSimple[T string | []byte](s T) (float64, bool) {
	v, n, ok := parseDecimal(s)
	return v, ok && n == len(s)
}

// parseDecimal reads the plain decimal that s starts with, as parseSimple
// takes it, and returns its value and length; ok=false when s does not start
// with one. Its digits form an integer below 2⁵³ and the divisor is an exact
// power of ten, so the one division is correctly rounded: the result is
// exactly what strconv.ParseFloat returns (its own "exact" path).
func parseDecimal[T string | []byte](s T) (v float64, n int, ok bool) {
	if len(s) > 0 && isDigit(s[0]) && (len(s) == 1 || !isDigit(s[1]) && s[1] != '.') {
		return float64(s[0] - '0'), 1, true // a Likert answer: one digit
	}
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		n = 1
	}
	var mantissa int64
	digits, dot := 0, -1
	for ; n < len(s); n++ {
		c := s[n]
		if isDigit(c) {
			mantissa = mantissa*10 + int64(c-'0')
			digits++
		} else if c == '.' && dot < 0 {
			dot = digits
		} else {
			break
		}
	}
	if digits == 0 || digits > 15 {
		return 0, 0, false
	}
	v = float64(mantissa)
	if dot >= 0 {
		v /= pow10[digits-dot]
	}
	if neg {
		v = -v
	}
	return v, n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Table is a CSV file held in memory, cells as strings.
type Table struct {
	Header []string
	rows   [][]string
	lines  []int // file line on which each row starts
	na     markers
}

// Len is the number of data rows.
func (t *Table) Len() int { return len(t.rows) }

// Read reads a whole CSV file.
func Read(r io.Reader, opts ...Option) (*Table, error) {
	rd, err := newReader(r)
	if err != nil {
		return nil, err
	}
	rd.csv.ReuseRecord = false
	t := &Table{Header: rd.header, na: newOptions(opts).na}
	for {
		rec, line, err := rd.next()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
}

// Numeric returns the named columns as numbers, rows × len(cols), NaN where
// a cell is missing. A nil or empty cols selects every column.
func (t *Table) Numeric(cols []string) ([][]float64, error) {
	idx, err := columnIndex(t.Header, cols)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(t.rows))
	for i, rec := range t.rows {
		row := make([]float64, len(idx))
		if err := parseRow(row, rec, idx, t.Header, t.lines[i], t.na); err != nil {
			return nil, err
		}
		out[i] = row
	}
	return out, nil
}

// Strings returns one column's cells with spaces trimmed, "" where missing.
func (t *Table) Strings(col string) ([]string, error) {
	idx, err := columnIndex(t.Header, []string{col})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(t.rows))
	for i, rec := range t.rows {
		if cell := rec[idx[0]]; !t.na.missing(cell) {
			out[i] = strings.TrimSpace(cell)
		}
	}
	return out, nil
}

// ScanNumeric streams a CSV file, calling fn with each row's selected columns
// (NaN where missing). It returns the selected column names. An error from fn
// stops the scan and is returned as is.
func ScanNumeric(r io.Reader, cols []string, fn func(row []float64) error, opts ...Option) ([]string, error) {
	sc, err := NewScanner(r, cols, opts...)
	if err != nil {
		return nil, err
	}
	for sc.Scan() {
		if err := fn(sc.Row()); err != nil {
			return nil, err
		}
	}
	return sc.Names(), sc.Err()
}

// Scanner streams the selected numeric columns of a CSV file row by row, for
// callers that need the column names before the first row.
type Scanner struct {
	rd    *reader
	idx   []int
	names []string
	row   []float64
	na    markers
	err   error
}

// NewScanner reads the header and selects cols (nil or empty: every column).
func NewScanner(r io.Reader, cols []string, opts ...Option) (*Scanner, error) {
	rd, err := newReader(r)
	if err != nil {
		return nil, err
	}
	idx, err := columnIndex(rd.header, cols)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(idx))
	for k, j := range idx {
		names[k] = rd.header[j]
	}
	return &Scanner{rd: rd, idx: idx, names: names, row: make([]float64, len(idx)), na: newOptions(opts).na}, nil
}

// Names are the selected columns, in the order of each row.
func (s *Scanner) Names() []string { return s.names }

// Scan advances to the next row; it returns false at the end of the file or
// on an error, which Err then reports.
func (s *Scanner) Scan() bool {
	if s.err != nil {
		return false
	}
	rec, line, err := s.rd.next()
	if err == io.EOF {
		return false
	}
	if err == nil {
		err = parseRow(s.row, rec, s.idx, s.rd.header, line, s.na)
	}
	s.err = err
	return err == nil
}

// Row is the current row (NaN where missing). The slice is reused by the
// next Scan; copy it to keep it.
func (s *Scanner) Row() []float64 { return s.row }

// Err is the error that stopped the scan, nil at the end of the file.
func (s *Scanner) Err() error { return s.err }

func parseRow(dst []float64, rec []string, idx []int, header []string, line int, na markers) error {
	for k, j := range idx {
		v, ok := parseCell(rec[j], na)
		if !ok {
			return &CellError{Line: line, Column: header[j], Value: rec[j]}
		}
		dst[k] = v
	}
	return nil
}

// columnIndex maps column names to their positions in header.
func columnIndex(header, cols []string) ([]int, error) {
	if len(cols) == 0 {
		idx := make([]int, len(header))
		for j := range idx {
			idx[j] = j
		}
		return idx, nil
	}
	pos := make(map[string]int, len(header))
	for j, h := range header {
		pos[h] = j
	}
	idx := make([]int, len(cols))
	seen := make(map[string]bool, len(cols))
	for k, c := range cols {
		j, ok := pos[c]
		if !ok {
			return nil, fmt.Errorf("no column %q in the header", c)
		}
		if seen[c] {
			return nil, fmt.Errorf("column %q selected twice", c)
		}
		seen[c] = true
		idx[k] = j
	}
	return idx, nil
}

// reader wraps encoding/csv with the header checks and error messages that
// every entry point shares.
type reader struct {
	csv    *csv.Reader
	header []string
	end    int // file line on which the header ends
	line0  int // file lines before the first that csv reads
}

// newCSV reads records as every entry point does. Given a *bufio.Reader
// of at least 4 KiB, encoding/csv reads through it and no further than the
// end of each record, which lets ChunkScanner take over after the header.
func newCSV(r io.Reader) *csv.Reader {
	c := csv.NewReader(r)
	c.FieldsPerRecord = -1 // checked by checkFields, to name the expected count
	c.ReuseRecord = true
	return c
}

func newReader(r io.Reader) (*reader, error) {
	c := newCSV(r)
	rd := &reader{csv: c}
	rec, err := c.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: no header row")
	}
	if err != nil {
		return nil, describe(err, 0)
	}
	rd.end, _ = c.FieldPos(0)
	for _, h := range rec {
		rd.end += strings.Count(h, "\n") // line breaks inside quoted names
	}
	header := make([]string, len(rec))
	seen := make(map[string]int, len(rec))
	for j, h := range rec {
		h = strings.TrimSpace(h)
		if j == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a byte-order mark from spreadsheet exports
		}
		if h == "" {
			return nil, fmt.Errorf("line 1, column %d: empty column name", j+1)
		}
		if k, dup := seen[h]; dup {
			return nil, fmt.Errorf("line 1, column %d: column name %q repeats column %d", j+1, h, k+1)
		}
		seen[h] = j
		header[j] = h
	}
	rd.header = header
	return rd, nil
}

// next returns the next record and the file line it starts on.
func (rd *reader) next() ([]string, int, error) {
	rec, err := rd.csv.Read()
	if err != nil {
		if err == io.EOF {
			return nil, 0, err
		}
		return nil, 0, describe(err, rd.line0)
	}
	line, _ := rd.csv.FieldPos(0)
	line += rd.line0
	if err := checkFields(rec, rd.header, line); err != nil {
		return nil, 0, err
	}
	return rec, line, nil
}

// checkFields checks that a record has a field for each column.
func checkFields(rec, header []string, line int) error {
	if len(rec) != len(header) {
		return fmt.Errorf("line %d: %d fields, but the header has %d", line, len(rec), len(header))
	}
	return nil
}

// describe rewrites encoding/csv's errors as "line L, column C: problem",
// adding line0 to the lines csv counted.
func describe(err error, line0 int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	start, line := pe.StartLine+line0, pe.Line+line0
	if start != line { // a quoted field ran over line ends
		return fmt.Errorf("line %d, column %d, in the record that starts on line %d: %w", line, pe.Column, start, pe.Err)
	}
	return fmt.Errorf("line %d, column %d: %w", line, pe.Column, pe.Err)
}
