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
	extraNames := slices.Sorted(maps.Keys(extra))
	cw := csv.NewWriter(w)
	if err := cw.Write(append(slices.Clone(Columns), extraNames...)); err != nil {
		return err
	}
	rec := make([]string, len(Columns)+len(extraNames))
	for _, f := range rows {
		copy(rec, []string{f.Email, f.Name, f.Title, f.Department, f.City, f.State, strconv.Itoa(f.Population), f.FormOfGovernment})
		for i, k := range extraNames {
			rec[len(Columns)+i] = f.Extra[k]
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
