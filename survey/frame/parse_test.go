package frame

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

const header = "email,name,title,department,city,state,population,form_of_government\n"

// rowsOf is Parse's rows alone, nil with an error.
func rowsOf(f *File, err error) ([]survey.Frame, error) {
	if err != nil {
		return nil, err
	}
	return f.Rows, nil
}

func parse(t testing.TB, s string) ([]survey.Frame, error) {
	t.Helper()
	return rowsOf(Parse(strings.NewReader(s), instrument.Default()))
}

// rowErrors returns the rows of err, failing the test if err is not *Errors.
func rowErrors(t *testing.T, err error) []RowError {
	t.Helper()
	var e *Errors
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want *Errors", err, err)
	}
	if got := survey.ErrorCode(err); got != survey.EINVALID {
		t.Errorf("ErrorCode: got %q, want %q", got, survey.EINVALID)
	}
	return e.Rows
}

func TestParse(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		got, err := parse(t, header+
			"ann@example.org,Ann Lee,Chief of Police,Police,Fairview,TX,\"31,500\",Council-Manager\n"+
			" BOB@example.org , Bob Roe ,, parks AND recreation ,Ashdale,ca,250000, mayor-council \n")
		if err != nil {
			t.Fatal(err)
		}
		want := []survey.Frame{
			{Email: "ann@example.org", Name: "Ann Lee", Title: "Chief of Police", Department: "Police", City: "Fairview", State: "TX", Population: 31500, FormOfGovernment: "council-manager"},
			{Email: "BOB@example.org", Name: "Bob Roe", Department: "Parks and Recreation", City: "Ashdale", State: "CA", Population: 250000, FormOfGovernment: "mayor-council"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("HeaderAnyOrderAndSpelling", func(t *testing.T) {
		got, err := parse(t, " Form of Government ,STATE,Population,City,Department,Title,Name,E-mail\n"+
			"commission,ny,40000,Elmwood,finance,Treasurer,Cy Do,cy@example.org\n")
		if err == nil {
			t.Fatalf("E-mail is not email, want an error, got %+v", got)
		}
		got, err = parse(t, " Form of Government ,STATE,Population,City,Department,Title,Name,EMAIL\n"+
			"commission,ny,40000,Elmwood,finance,Treasurer,Cy Do,cy@example.org\n")
		if err != nil {
			t.Fatal(err)
		}
		want := []survey.Frame{{Email: "cy@example.org", Name: "Cy Do", Title: "Treasurer", Department: "Finance", City: "Elmwood", State: "NY", Population: 40000, FormOfGovernment: "commission"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("ExtraColumns", func(t *testing.T) {
		got, err := parse(t, "email,name,title,department,city,state,population,form_of_government, FIPS ,Region code\n"+
			"a@example.org,A,,Police,X,TX,30000,commission, 48001 ,South\n"+
			"b@example.org,B,,Police,Y,TX,30000,commission,,\n")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := got[0].Extra, map[string]string{"FIPS": "48001", "Region code": "South"}; !reflect.DeepEqual(got, want) {
			t.Errorf("row 1: got %v, want %v", got, want)
		}
		if got := got[1].Extra; got != nil {
			t.Errorf("row 2: got %v, want no extra attributes", got)
		}
	})
	t.Run("ByteOrderMarkAndCRLF", func(t *testing.T) {
		body := "\xef\xbb\xbf" + strings.ReplaceAll(strings.TrimSuffix(header, "\n")+",note\n"+"a@example.org,A,,Police,X,TX,30000,commission,\"A\nB\"\n", "\n", "\r\n")
		got, err := parse(t, body)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := got[0].Extra["note"], "A\nB"; got != want {
			t.Errorf("note: got %q, want %q", got, want)
		}
		if got, want := got[0].FormOfGovernment, "commission"; got != want {
			t.Errorf("last column: got %q, want %q", got, want)
		}
	})
}

func TestParseErrors(t *testing.T) {
	const ok = "a@example.org,A,,Police,X,TX,30000,commission\n"
	tests := []struct {
		name string
		body string
		want []RowError
	}{
		{"Empty", "", []RowError{{1, "", "the file is empty"}}},
		{"OnlyByteOrderMark", "\xef\xbb\xbf", []RowError{{1, "", "the file is empty"}}},
		{"HeaderOnly", header, []RowError{{2, "", "no rows: the file ends after its header"}}},
		{"HeaderOnlyCRLF", "\xef\xbb\xbf" + strings.TrimSuffix(header, "\n") + "\r\n", []RowError{{2, "", "no rows: the file ends after its header"}}},
		{"MissingColumns", "email,name,title,city,state\n" + ok, []RowError{
			{1, "department", "the column is missing"},
			{1, "population", "the column is missing"},
			{1, "form_of_government", "the column is missing"},
		}},
		{"BadHeaderNames", strings.TrimSuffix(header, "\n") + ",$where,a.b,,Email,x\n", []RowError{
			{1, "$where", `a column name may not contain "$" or ".": rename the column`},
			{1, "a.b", `a column name may not contain "$" or ".": rename the column`},
			{1, "", "column 11 has no name"},
			{1, "email", "the column appears twice"},
		}},
		{"WrongNumberOfColumns", header + ok + "b@example.org,B,,Police,X,TX,30000\n" + "c@example.org,C,,Police,X,TX,30000,commission,extra\n", []RowError{
			{3, "", "has 7 fields where the header has 8"},
			{4, "", "has 9 fields where the header has 8"},
		}},
		{"UnbalancedQuotes", header + ok + "b@example.org,\"B,,Police,X,TX,30000,commission\n" + ok, []RowError{
			{3, "", `unbalanced quotes (found at line 4): a quoted field must end with a quote, and a quote inside it must be doubled ("")`},
		}},
		{"BareQuote", header + "b@example.org,B \"Bo\" Roe,,Police,X,TX,30000,commission\n" + "c@example.org,C,,Police,X,TX,30000,mayor\n", []RowError{
			{2, "", `a quote (") inside an unquoted field: quote the whole field and double the quote ("")`},
			{3, "form_of_government", `"mayor" is not one of the survey's forms of government: mayor-council, council-manager, commission, town meeting, representative town meeting`},
		}},
		{"Latin1", header + ok + "b@example.org,Jos\xe9 Pe\xf1a,,Police,San Jos\xe9,CA,30000,commission\n", []RowError{
			{3, "name", "is not UTF-8 text: save the file as UTF-8 (this looks like Latin-1 or Windows-1252)"},
			{3, "city", "is not UTF-8 text: save the file as UTF-8 (this looks like Latin-1 or Windows-1252)"},
		}},
		{"Latin1Header", "email,name,title,department,city,state,population,form_of_government,r\xe9gion\n" + ok, []RowError{
			{1, "", "column 9: the name is not UTF-8 text: save the file as UTF-8"},
		}},
		{"MultilineRecordLine", strings.TrimSuffix(header, "\n") + ",note\n" + "a@example.org,A,,Police,X,TX,30000,commission,\"A\nB\"\n" + "bad,B,,Police,X,TX,30000,commission,\n", []RowError{
			{4, "email", `"bad" is not an email address`},
		}},
		{"BlankLinesCount", header + "\n" + ok + "\n\n" + "bad,B,,Police,X,TX,30000,commission\n", []RowError{
			{6, "email", `"bad" is not an email address`},
		}},
		{"Fields", header + ",,,Fire,,Texas,-3,\n" + "x@example.org,X,,Police,Y,ZZ,25000.5,commission\n" + "y@example.org,Y,,Police,Y,tx,0,commission\n", []RowError{
			{2, "email", "is required"},
			{2, "name", "is required"},
			{2, "department", `"Fire" is not one of the survey's departments: Mayor's Office, Community Development, Parks and Recreation, Police, Finance`},
			{2, "city", "is required"},
			{2, "state", `"Texas" is not the two-letter code of a US state, DC or a territory`},
			{2, "population", `"-3" is not a positive whole number`},
			{2, "form_of_government", "is required"},
			{3, "state", `"ZZ" is not the two-letter code of a US state, DC or a territory`},
			{3, "population", `"25000.5" is not a positive whole number`},
			{4, "population", `"0" is not a positive whole number`},
		}},
		{"Duplicates", header + ok + "b@example.org,B,,Police,X,TX,30000,commission\n" + "A@Example.ORG,A2,,Finance,X,TX,30000,commission\n" + "b@example.org,B,,Police,X,TX,30000,commission\n", []RowError{
			{4, "email", `"A@Example.ORG" repeats the email of line 2`},
			{5, "email", `"b@example.org" repeats the email of line 3`},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := parse(t, tc.body)
			if rows != nil {
				t.Errorf("got %d rows with the error, want none", len(rows))
			}
			if got := rowErrors(t, err); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}

func TestParseErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for range MaxErrors + 500 {
		b.WriteString("not-an-email,A,,Police,X,TX,30000,commission\n")
	}
	_, err := parse(t, b.String())
	var e *Errors
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Errors", err)
	}
	if got, want := len(e.Rows), MaxErrors; got != want {
		t.Errorf("got %d errors, want %d", got, want)
	}
	if !e.Truncated {
		t.Error("Truncated is false")
	}
	if got, want := e.Error(), `frame: line 2: email: "not-an-email" is not an email address (and more: the first 1000 errors are listed)`; got != want {
		t.Errorf("Error(): got %q, want %q", got, want)
	}
}

// A failing reader is the caller's problem, passed on as it is.
func TestParseReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := rowsOf(Parse(&failingReader{data: []byte(header + "a@example.org,A,"), err: boom}, instrument.Default()))
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestRoundTrip(t *testing.T) {
	in := instrument.Default()
	rows := Synthetic(2500, 1, in)
	rows[3].Extra = map[string]string{"FIPS": "0644000", "note": "comma, \"quote\"\nand a line break"}
	rows[7].Extra = map[string]string{"FIPS": "4805000"}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	got, err := rowsOf(Parse(&buf, in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		for i := range rows {
			if !reflect.DeepEqual(got[i], rows[i]) {
				t.Fatalf("row %d: got %+v, want %+v", i, got[i], rows[i])
			}
		}
		t.Fatalf("got %d rows, want %d", len(got), len(rows))
	}
}

// InSample names the rows the store found already in the sample by the
// line each starts on, past a quoted line break.
func TestInSample(t *testing.T) {
	csv := strings.TrimSuffix(header, "\n") + ",note\n" +
		"a@example.org,A,,Police,Mesa,AZ,500000,council-manager,\"two\nlines\"\nb@example.org,B,,Police,Mesa,AZ,500000,council-manager,\n"
	f, err := Parse(strings.NewReader(csv), instrument.Default())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Lines, []int{2, 4}) {
		t.Fatalf("lines %v, want [2 4]", f.Lines)
	}
	got := rowErrors(t, f.InSample([]int{1}))
	if len(got) != 1 || got[0].Line != 4 || got[0].Field != "email" || !strings.Contains(got[0].Message, `"b@example.org" is already in the sample`) {
		t.Fatalf("got %v", got)
	}
}

func TestParseControlCharacters(t *testing.T) {
	csv := header + "a@example.org,\"Pat\r\nBcc: x@evil.example\",,Police,Mesa,AZ,500000,council-manager\n"
	_, err := rowsOf(Parse(strings.NewReader(csv), instrument.Default()))
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.Rows) != 1 || errs.Rows[0].Field != "name" || errs.Rows[0].Line != 2 {
		t.Fatalf("got %v", err)
	}
}
