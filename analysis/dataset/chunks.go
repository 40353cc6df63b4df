package dataset

import (
	"bufio"
	"bytes"
	"io"
	"slices"
	"strings"
	"sync"
)

// ChunkScanner reads the selected numeric columns of a CSV file like
// Scanner, for ScanChunks, which parses the file on several goroutines and
// gives the same rows and the same errors, word for word.
//
// The file is cut into chunks of a fixed number of records at line ends.
// A chunk without a quote character — every chunk of a plain numeric
// export — is split on commas and its cells parsed by the fast path of
// parseCell; a record that path does not take (a cell that is not a plain
// decimal or missing, a wrong number of fields) is parsed again the slow
// way, which words the error as Scanner does. A quote may hide a line break inside a field, so from
// the first chunk holding one to the end of the file, the records are read
// by encoding/csv, one after another, as Scanner reads them.
type ChunkScanner struct {
	sc   *Scanner      // the header and the selection; Scanner's reader stops at the header
	src  *bufio.Reader // the file after the header
	line int           // file line of src's first byte
	sel  []int         // for each column of the file: its place in a row, or -1
}

// NewChunkScanner reads the header and selects cols (nil or empty: every
// column).
func NewChunkScanner(r io.Reader, cols []string, opts ...Option) (*ChunkScanner, error) {
	src := bufio.NewReaderSize(r, 64<<10)
	sc, err := NewScanner(src, cols, opts...)
	if err != nil {
		return nil, err
	}
	sel := make([]int, len(sc.rd.header))
	for j := range sel {
		sel[j] = -1
	}
	for k, j := range sc.idx {
		sel[j] = k
	}
	return &ChunkScanner{sc: sc, src: src, line: sc.rd.end + 1, sel: sel}, nil
}

// Names are the selected columns, in the order of each row.
func (c *ChunkScanner) Names() []string { return c.sc.names }

// ScanChunks reads the rest of c's file in chunks of n records, the last
// perhaps shorter. work gets each chunk's rows (row-major, len(c.Names())
// values a row, NaN where missing) on one of workers goroutines, and may
// not keep them; merge gets what work returned, on the calling goroutine,
// in the order of the file. The first error in the file, as Scanner words
// it, stops the scan and is returned after every chunk before it went
// through merge; later chunks may have gone through work.
//
// Memory is bounded by a few chunks per worker, whatever the file's size.
func ScanChunks[T any](c *ChunkScanner, n, workers int, work func(rows []float64) T, merge func(T)) error {
	n, workers = max(n, 1), max(workers, 1)
	type job struct {
		*piece
		out  T
		done chan struct{}
	}
	stop := make(chan struct{})
	jobs := make(chan *job, workers)
	order := make(chan *job, 2*workers)    // bounds the chunks in flight
	free := make(chan *piece, 3*workers+2) // merged pieces, whose buffers split reuses
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		defer close(jobs)
		defer close(order)
		c.split(n, func() *piece {
			select {
			case pc := <-free:
				return pc
			default:
				return new(piece)
			}
		}, func(pc *piece) bool {
			j := &job{piece: pc, done: make(chan struct{})}
			return send(order, j, stop) && send(jobs, j, stop)
		})
	})
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				if !j.parsed {
					j.rows, j.err = c.parse(j.data, j.line, slices.Grow(j.rows[:0], j.records*len(c.sc.idx)))
				}
				if j.err == nil && len(j.rows) > 0 && !stopped(stop) {
					j.out = work(j.rows)
				}
				close(j.done)
			}
		})
	}
	for j := range order {
		<-j.done
		if j.err != nil {
			close(stop)
			return j.err
		}
		if len(j.rows) > 0 { // a chunk of empty lines has none
			merge(j.out)
		}
		select {
		case free <- j.piece:
		default:
		}
	}
	return nil
}

// send sends v unless stop is closed first.
func send[T any](ch chan<- T, v T, stop <-chan struct{}) bool {
	select {
	case ch <- v:
		return true
	case <-stop:
		return false
	}
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// piece is one chunk of the file: whole records, quote-free, to parse, or
// the rows the slow path parsed already. An error ends the file.
type piece struct {
	data    []byte
	line    int // file line of data's first byte
	records int // in data, at least
	parsed  bool
	rows    []float64
	err     error
}

// split cuts the file into pieces of n records and passes them to emit in
// order, until the end of the file, an error (passed in a piece after the
// records read before it, as Scanner would meet it), or emit returns false.
// next gives an empty piece, perhaps with buffers to reuse.
func (c *ChunkScanner) split(n int, next func() *piece, emit func(*piece) bool) {
	var carry []byte
	line, eof, size := c.line, false, 64<<10
	for !eof || len(carry) > 0 {
		pc := next()
		data := append(slices.Grow(pc.data[:0], size+size/8), carry...) // a chunk's size is a good guess of the next's
		pos, found, lines := 0, 0, 0
		var err error
	scan:
		for found < n && err == nil {
			i := bytes.IndexByte(data[pos:], '\n')
			switch {
			case i >= 0:
				if i > 1 || i == 1 && data[pos] != '\r' { // an empty line is no record
					found++
				}
				pos, lines = pos+i+1, lines+1
			case eof:
				pos = len(data) // the last line, without its line break
				break scan
			default:
				data, eof, err = read(c.src, data)
			}
		}
		if bytes.IndexByte(data[:pos], '"') >= 0 {
			c.slow(data, line, n, next, emit)
			return
		}
		carry = append(carry[:0], data[pos:]...)
		pc.data, pc.line, pc.records, pc.parsed = data[:pos], line, found, false
		line, size = line+lines, max(size, pos)
		if pos > 0 && !emit(pc) {
			return
		}
		if err != nil {
			emit(&piece{parsed: true, err: err})
			return
		}
	}
}

// read appends what src gives to data, growing it when it is full, and
// reports the end of the file.
func read(src io.Reader, data []byte) ([]byte, bool, error) {
	if len(data) == cap(data) {
		data = slices.Grow(data, max(len(data), 64<<10))
	}
	m, err := src.Read(data[len(data):cap(data)])
	data = data[:len(data)+m]
	if err == io.EOF {
		return data, true, nil
	}
	return data, false, err
}

// slow reads the rest of the file, from data (whose first byte is on file
// line line) on, with encoding/csv as Scanner does, still in pieces of n
// records.
func (c *ChunkScanner) slow(data []byte, line, n int, next func() *piece, emit func(*piece) bool) {
	rd := &reader{csv: newCSV(io.MultiReader(bytes.NewReader(data), c.src)), header: c.sc.rd.header, line0: line - 1}
	sc := &Scanner{rd: rd, idx: c.sc.idx, names: c.sc.names, row: make([]float64, len(c.sc.idx)), na: c.sc.na}
	for more := true; more; {
		pc := next()
		pc.data, pc.parsed, pc.rows = nil, true, pc.rows[:0]
		for more = sc.Scan(); more; more = sc.Scan() {
			if pc.rows = append(pc.rows, sc.Row()...); len(pc.rows) == n*len(sc.row) {
				break
			}
		}
		if pc.err = sc.Err(); len(pc.rows) == 0 && pc.err == nil {
			return
		}
		if !emit(pc) || pc.err != nil {
			return
		}
	}
}

// parse appends the rows of the quote-free records in data, whose first
// byte is on file line line, to rows.
func (c *ChunkScanner) parse(data []byte, line int, rows []float64) ([]float64, error) {
	p := len(c.sc.idx)
	for ; len(data) > 0; line++ {
		rec := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			rec, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		// As encoding/csv reads a line: \r\n ends it as \n does, a \r at
		// the end of the file is dropped, and an empty line is no record.
		if k := len(rec) - 1; k >= 0 && rec[k] == '\r' {
			rec = rec[:k]
		}
		if len(rec) == 0 {
			continue
		}
		rows = slices.Grow(rows, p)[:len(rows)+p]
		if err := c.parseRecord(rec, line, rows[len(rows)-p:]); err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// parseRecord parses the selected cells of one quote-free record into dst.
// A plain decimal is read in the same pass that finds its end.
func (c *ChunkScanner) parseRecord(rec []byte, line int, dst []float64) error {
	i, na := 0, c.sc.na
	for j, k := range c.sel {
		v, n, ok := parseDecimal(rec[i:])
		end := i + n
		if ok = ok && (end == len(rec) || rec[end] == ',') && !na.is(rec[i:end]); ok && k >= 0 {
			dst[k] = v
		} else if !ok {
			end, ok = c.field(rec, i, k, dst)
		}
		switch {
		case !ok:
			return c.parseSlow(rec, line, dst)
		case end == len(rec) && j == len(c.sel)-1:
			return nil
		case end == len(rec): // too few fields
			return c.parseSlow(rec, line, dst)
		}
		i = end + 1
	}
	return c.parseSlow(rec, line, dst) // too many fields
}

// field parses a field that is not a plain decimal, which starts at i, into
// dst[k] (k < 0: a column not selected) and returns where it ends, at a
// comma or at the end of rec.
func (c *ChunkScanner) field(rec []byte, i, k int, dst []float64) (int, bool) {
	end := len(rec)
	if e := bytes.IndexByte(rec[i:], ','); e >= 0 {
		end = i + e
	}
	if k < 0 {
		return end, true
	}
	v, ok := parseCell(string(rec[i:end]), c.sc.na)
	dst[k] = v
	return end, ok
}

// parseSlow parses a record the fast path refused as Scanner does, which
// words the error: a quote-free record is its line split at commas.
func (c *ChunkScanner) parseSlow(rec []byte, line int, dst []float64) error {
	fields := strings.Split(string(rec), ",")
	if err := checkFields(fields, c.sc.rd.header, line); err != nil {
		return err
	}
	return parseRow(dst, fields, c.sc.idx, c.sc.rd.header, line, c.sc.na)
}
