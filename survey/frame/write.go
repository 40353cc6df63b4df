package frame

import (
	"encoding/csv"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/canvass-survey/canvass/survey"
)

// WriteCSV writes rows as a frame file that Parse reads back to the same
// rows: Columns first, then every Extra key of any row, sorted, empty where
// a row has none.
func WriteCSV(w io.Writer, rows []survey.Frame) error {
	extra := map[string]bool{}
	for _, f := range rows {
		for k := range f.Extra {
			extra[k] = true
		}
	}
	fw, err := NewWriter(w, slices.Sorted(maps.Keys(extra)))
	if err != nil {
		return err
	}
	for _, f := range rows {
		if err := fw.Write(f); err != nil {
			return err
		}
	}
	return fw.Flush()
}

// Writer writes a frame file one row at a time, so that a frame of a
// million rows need not be held in memory: Columns, then the further
// columns named when it was made.
type Writer struct {
	csv   *csv.Writer
	extra []string
	rec   []string
}

// NewWriter writes the header of a frame with the further columns extra.
func NewWriter(w io.Writer, extra []string) (*Writer, error) {
	fw := &Writer{csv: csv.NewWriter(w), extra: extra, rec: make([]string, len(Columns)+len(extra))}
	return fw, fw.csv.Write(append(slices.Clone(Columns), extra...))
}

// Write writes one row; its Extra keys that the header does not name are left out.
func (fw *Writer) Write(f survey.Frame) error {
	copy(fw.rec, []string{f.Email, f.Name, f.Title, f.Department, f.City, f.State, strconv.Itoa(f.Population), f.FormOfGovernment})
	for i, k := range fw.extra {
		fw.rec[len(Columns)+i] = f.Extra[k]
	}
	return fw.csv.Write(fw.rec)
}

// Flush writes what is buffered and reports any error of the writes.
func (fw *Writer) Flush() error {
	fw.csv.Flush()
	return fw.csv.Error()
}
