package frame

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/canvass-survey/canvass/survey/instrument"
)

// FuzzParse: no file panics the parser; a file it rejects gets errors with
// lines inside the file and no rows; a file it accepts gives valid rows,
// which WriteCSV writes back to a file that parses to the same rows.
func FuzzParse(f *testing.F) {
	in := instrument.Default()
	const ok = "a@example.org,A,,Police,X,TX,30000,commission\n"
	for _, seed := range []string{
		header + ok,
		"\xef\xbb\xbf" + header + "a@example.org,\"A\r\nB\",,police,X,tx,\"30,000\",Commission\r\n",
		"Email,NAME,title,department,city,state,population,form_of_government,Extra\n" + "a@example.org,A,,Police,X,TX,30000,commission,\" x \"\n",
		header + "a@example.org,\"A,,Police,X,TX,30000,commission\n",
		header + "a@example.org,Jos\xe9,,Police,X,TX,30000,commission\n",
		header + ok + ok,
		header,
		"",
	} {
		f.Add([]byte(seed))
	}
	var synthetic bytes.Buffer
	if err := WriteCSV(&synthetic, Synthetic(20, 1, in)); err != nil {
		f.Fatal(err)
	}
	f.Add(synthetic.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := rowsOf(Parse(bytes.NewReader(data), in))
		if err != nil {
			var e *Errors
			if !errors.As(err, &e) {
				t.Fatalf("got %T %v, want *Errors", err, err)
			}
			if rows != nil || len(e.Rows) == 0 || len(e.Rows) > MaxErrors {
				t.Fatalf("%d rows with %d errors", len(rows), len(e.Rows))
			}
			lines := bytes.Count(data, []byte("\n")) + 2 // a last line without \n, or the line after the header
			for _, r := range e.Rows {
				if r.Line < 1 || r.Line > lines {
					t.Fatalf("error at line %d of a file of %d lines: %v", r.Line, lines-1, r)
				}
			}
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		for _, r := range rows {
			if r.Email == "" || r.Name == "" || r.City == "" || r.Population <= 0 ||
				!slices.Contains(States, r.State) ||
				!slices.Contains(in.Frame.Departments, r.Department) ||
				!slices.Contains(in.Frame.FormsOfGovernment, r.FormOfGovernment) {
				t.Fatalf("accepted an invalid row: %+v", r)
			}
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, rows); err != nil {
			t.Fatal(err)
		}
		again, err := rowsOf(Parse(&buf, in))
		if err != nil {
			t.Fatalf("written back, the rows do not parse: %v\n%q", err, buf.String())
		}
		if !reflect.DeepEqual(again, rows) {
			t.Fatalf("round trip: got %+v, want %+v", again, rows)
		}
	})
}
