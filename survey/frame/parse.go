// Package frame reads, checks and writes the sample frame: the CSV file
// that lists the sampled persons, one case per row. It does no I/O beyond
// the reader and writer it is given and knows nothing of the store.
package frame

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Columns are the columns every frame has, in the order WriteCSV writes them.
var Columns = []string{"email", "name", "title", "department", "city", "state", "population", "form_of_government"}

// MaxErrors is how many errors Parse reports before it stops reading: a
// file with more is wrong throughout, and its first errors say how.
const MaxErrors = 1000

// RowError is one thing wrong with the file. Line counts the file's lines
// from 1, the header's; an error in a record that spans several lines
// (quoted line breaks) has the line where the record starts. Field names
// the column: one of Columns, or a further column's name as the header
// writes it; it is empty for the record as a whole.
type RowError struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Errors is every error found in a file that Parse rejects.
type Errors struct {
	Rows []RowError
	// Truncated says Parse stopped at MaxErrors and the file may have more.
	Truncated bool
}

func (e *Errors) Error() string {
	if len(e.Rows) == 0 {
		return "frame: invalid"
	}
	first := e.Rows[0]
	msg := fmt.Sprintf("frame: line %d: %s", first.Line, first.Message)
	if first.Field != "" {
		msg = fmt.Sprintf("frame: line %d: %s: %s", first.Line, first.Field, first.Message)
	}
	switch {
	case e.Truncated:
		msg += fmt.Sprintf(" (and more: the first %d errors are listed)", len(e.Rows))
	case len(e.Rows) > 1:
		msg += fmt.Sprintf(" (and %d more errors)", len(e.Rows)-1)
	}
	return msg
}

// Unwrap makes the rejection an EINVALID domain error, so that
// survey.ErrorCode and the server's error mapping treat it as the caller's.
func (e *Errors) Unwrap() error {
	return survey.Errorf(survey.EINVALID, "the sample frame has errors: nothing was imported")
}

// row is one record with its checks; csv names the column.
type row struct {
	Email            string `csv:"email" validate:"required,max=254,email"`
	Name             string `csv:"name" validate:"required,max=200"`
	Title            string `csv:"title" validate:"max=200"`
	Department       string `csv:"department" validate:"required,department"`
	City             string `csv:"city" validate:"required,max=200"`
	State            string `csv:"state" validate:"required,state"`
	Population       string `csv:"population" validate:"required,population"`
	FormOfGovernment string `csv:"form_of_government" validate:"required,form_of_government"`
}

// States are the two-letter codes of the 50 states, the District of
// Columbia and the inhabited territories.
var States = strings.Fields(`AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD
	MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY
	DC AS GU MP PR VI`)

var stateSet = func() map[string]bool {
	m := make(map[string]bool, len(States))
	for _, s := range States {
		m[s] = true
	}
	return m
}()

// populationPattern accepts digits, optionally grouped by commas as
// spreadsheets write them ("25,000").
var populationPattern = regexp.MustCompile(`^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)$`)

// population reads a positive whole number.
func population(s string) (int, bool) {
	if !populationPattern.MatchString(s) {
		return 0, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	return n, err == nil && n > 0
}

// canon maps the case-folded spelling of each allowed value to its
// canonical one; it travels to the validator in the context.
type canon struct {
	departments, forms map[string]string
	departmentList     string // for messages
	formList           string
}

type canonKey struct{}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func newCanon(in *instrument.Instrument) *canon {
	index := func(values []string) map[string]string {
		m := make(map[string]string, len(values))
		for _, v := range values {
			m[fold(v)] = v
		}
		return m
	}
	return &canon{
		departments:    index(in.Frame.Departments),
		forms:          index(in.Frame.FormsOfGovernment),
		departmentList: strings.Join(in.Frame.Departments, ", "),
		formList:       strings.Join(in.Frame.FormsOfGovernment, ", "),
	}
}

var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string { return f.Tag.Get("csv") })
	inList := func(list func(*canon) map[string]string) validator.FuncCtx {
		return func(ctx context.Context, fl validator.FieldLevel) bool {
			_, ok := list(ctx.Value(canonKey{}).(*canon))[fold(fl.Field().String())]
			return ok
		}
	}
	must(v.RegisterValidationCtx("department", inList(func(c *canon) map[string]string { return c.departments })))
	must(v.RegisterValidationCtx("form_of_government", inList(func(c *canon) map[string]string { return c.forms })))
	must(v.RegisterValidation("state", func(fl validator.FieldLevel) bool {
		return stateSet[strings.ToUpper(fl.Field().String())]
	}))
	must(v.RegisterValidation("population", func(fl validator.FieldLevel) bool {
		_, ok := population(fl.Field().String())
		return ok
	}))
	return v
}()

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func (c *canon) message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "max":
		return "is longer than " + fe.Param() + " characters"
	case "email":
		return fmt.Sprintf("%q is not an email address", fe.Value())
	case "department":
		return fmt.Sprintf("%q is not one of the survey's departments: %s", fe.Value(), c.departmentList)
	case "form_of_government":
		return fmt.Sprintf("%q is not one of the survey's forms of government: %s", fe.Value(), c.formList)
	case "state":
		return fmt.Sprintf("%q is not the two-letter code of a US state, DC or a territory", fe.Value())
	case "population":
		return fmt.Sprintf("%q is not a positive whole number", fe.Value())
	}
	return "fails the " + fe.Tag() + " check"
}

// utf8BOM is the byte-order mark that spreadsheet programs put first.
const utf8BOM = "\xef\xbb\xbf"

// Parse reads and checks a sample frame against the departments and forms
// of government of in. It returns every row, or, if anything at all is
// wrong with the file, no row and an *Errors listing what (at most
// MaxErrors of it). An error of r itself is returned as it is.
//
// The header names the columns in any order, matched to Columns ignoring
// case, surrounding spaces, and spaces or hyphens written for underscores
// ("Form of Government"). Each of Columns must be there; every further
// column goes into Frame.Extra under its header name where a row gives it
// a value. A further column's name must not contain "$" or "." (nor NUL),
// which MongoDB field names cannot hold: the file is rejected rather than
// the name changed, so that the attribute keeps the name its author chose.
//
// Values are trimmed; department and form of government take their
// canonical spelling, state its upper case, population may group its
// digits with commas. Title may be empty. Two rows with the same email,
// ignoring case, are an error on the second. A UTF-8 byte-order mark and
// CRLF line ends are fine; other encodings than UTF-8 are not.
//
// Parse does not know the sample: the store's unique index finds the rows
// whose emails it already has, and File.InSample reports them.
func Parse(r io.Reader, in *instrument.Instrument) (*File, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		br.Discard(len(utf8BOM)) // peeked, so it cannot fail
	}
	p := &parser{
		csv:    csv.NewReader(br),
		canon:  newCanon(in),
		emails: map[string]int{},
	}
	p.ctx = context.WithValue(context.Background(), canonKey{}, p.canon)
	p.csv.ReuseRecord = true
	file := p.parse()
	switch {
	case p.readErr != nil:
		return nil, p.readErr
	case len(p.errs.Rows) > 0:
		return nil, &p.errs
	}
	return file, nil
}

// File is a frame that passed every check: its rows, and the line each
// starts on, for what is found wrong with a row later.
type File struct {
	Rows  []survey.Frame
	Lines []int
}

// InSample is the rejection of the rows, by index in Rows, whose emails the
// sample already has.
func (f *File) InSample(indexes []int) *Errors {
	errs := &Errors{}
	for _, i := range indexes {
		if len(errs.Rows) == MaxErrors {
			errs.Truncated = true
			break
		}
		errs.Rows = append(errs.Rows, RowError{Line: f.Lines[i], Field: "email",
			Message: fmt.Sprintf("%q is already in the sample", f.Rows[i].Email)})
	}
	return errs
}

type parser struct {
	csv     *csv.Reader
	canon   *canon
	ctx     context.Context // carries canon to the validator
	names   []string        // per column: its name in Columns, or as the header writes it
	index   map[string]int  // name in Columns → position in the record
	emails  map[string]int  // folded email → line of its first row
	errs    Errors
	readErr error // r failed: not the file's fault
}

// fail records an error and reports whether Parse should stop reading.
func (p *parser) fail(line int, field, format string, args ...any) (stop bool) {
	if len(p.errs.Rows) == MaxErrors {
		p.errs.Truncated = true
		return true
	}
	p.errs.Rows = append(p.errs.Rows, RowError{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	return false
}

func (p *parser) parse() *File {
	header, err := p.csv.Read()
	if err == io.EOF {
		p.fail(1, "", "the file is empty")
		return nil
	}
	if err != nil {
		p.syntax(err)
		return nil
	}
	headerLine, _ := p.csv.FieldPos(0)
	if !p.header(headerLine, header) {
		return nil
	}
	p.csv.FieldsPerRecord = len(header)
	file := &File{}
	for {
		rec, err := p.csv.Read()
		if err == io.EOF {
			break
		}
		var stop bool
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe) && pe.Err == csv.ErrFieldCount:
			stop = p.fail(pe.StartLine, "", "has %d fields where the header has %d", len(rec), len(header))
		case err != nil:
			stop = p.syntax(err)
		default:
			line, _ := p.csv.FieldPos(0)
			var f survey.Frame
			var ok bool
			f, ok, stop = p.row(line, rec)
			if ok {
				file.Rows = append(file.Rows, f)
				file.Lines = append(file.Lines, line)
			}
		}
		if stop {
			return nil
		}
	}
	if file.Rows == nil && len(p.errs.Rows) == 0 {
		p.fail(headerLine+1, "", "no rows: the file ends after its header")
	}
	return file
}

// syntax records a CSV syntax error, or a failure to read, which stops.
func (p *parser) syntax(err error) (stop bool) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		p.readErr = err
		return true
	}
	where := "" // a quoted field may run on from the record's first line
	if pe.Line != pe.StartLine {
		where = fmt.Sprintf(" (found at line %d)", pe.Line)
	}
	switch pe.Err {
	case csv.ErrQuote:
		return p.fail(pe.StartLine, "", "unbalanced quotes%s: a quoted field must end with a quote, and a quote inside it must be doubled (\"\")", where)
	case csv.ErrBareQuote:
		return p.fail(pe.StartLine, "", "a quote (\") inside an unquoted field%s: quote the whole field and double the quote (\"\")", where)
	}
	return p.fail(pe.StartLine, "", "%v%s", pe.Err, where)
}

// columnKey is the name a header cell would have in Columns.
func columnKey(name string) string {
	return strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(name))
}

// header learns the columns; it reports whether rows can be read.
func (p *parser) header(line int, rec []string) bool {
	p.names = make([]string, len(rec))
	p.index = map[string]int{}
	seen := map[string]bool{}
	ok := true
	bad := func(field, format string, args ...any) {
		p.fail(line, field, format, args...)
		ok = false
	}
	for i, cell := range rec {
		name := strings.TrimSpace(cell)
		if key := columnKey(name); slices.Contains(Columns, key) {
			name = key
			p.index[key] = i
		}
		p.names[i] = name
		switch {
		case !utf8.ValidString(name):
			bad("", "column %d: the name is not UTF-8 text: save the file as UTF-8", i+1)
		case name == "":
			bad("", "column %d has no name", i+1)
		case seen[name]:
			bad(name, "the column appears twice")
		case strings.ContainsAny(name, "$.\x00"):
			bad(name, `a column name may not contain "$" or ".": rename the column`)
		}
		seen[name] = true
	}
	for _, c := range Columns {
		if _, found := p.index[c]; !found {
			bad(c, "the column is missing")
		}
	}
	return ok
}

// core reports whether column i is one of Columns rather than a further one.
func (p *parser) core(i int) bool {
	_, ok := p.index[p.names[i]]
	return ok
}

// row checks one record and makes it a Frame.
func (p *parser) row(line int, rec []string) (f survey.Frame, ok, stop bool) {
	ok = true
	bad := func(field, format string, args ...any) {
		ok = false
		stop = stop || p.fail(line, field, format, args...)
	}
	for i, v := range rec {
		switch {
		case !utf8.ValidString(v):
			bad(p.names[i], "is not UTF-8 text: save the file as UTF-8 (this looks like Latin-1 or Windows-1252)")
		case p.core(i) && strings.ContainsFunc(v, unicode.IsControl):
			// A line break inside a quoted name or city would break the
			// headers of every message addressed with it; further columns
			// are only kept, so they may hold several lines.
			bad(p.names[i], "contains a line break, tab or other control character")
		}
	}
	if !ok {
		return f, false, stop
	}
	get := func(col string) string { return strings.TrimSpace(rec[p.index[col]]) }
	r := row{
		Email: get("email"), Name: get("name"), Title: get("title"), Department: get("department"),
		City: get("city"), State: get("state"), Population: get("population"), FormOfGovernment: get("form_of_government"),
	}
	var invalid validator.ValidationErrors
	if err := validate.StructCtx(p.ctx, &r); errors.As(err, &invalid) {
		for _, fe := range invalid {
			bad(fe.Field(), "%s", p.canon.message(fe))
		}
	} else if err != nil {
		panic(err) // only a non-struct argument gets here: a bug
	}
	if r.Email != "" {
		key := strings.ToLower(r.Email)
		if first, dup := p.emails[key]; dup {
			bad("email", "%q repeats the email of line %d", r.Email, first)
		} else {
			p.emails[key] = line
		}
	}
	if !ok {
		return f, false, stop
	}
	pop, _ := population(r.Population)
	f = survey.Frame{
		Email: r.Email, Name: r.Name, Title: r.Title,
		Department: p.canon.departments[fold(r.Department)], City: r.City, State: strings.ToUpper(r.State),
		Population: pop, FormOfGovernment: p.canon.forms[fold(r.FormOfGovernment)],
	}
	for i, v := range rec {
		if p.core(i) {
			continue
		}
		if v = strings.TrimSpace(v); v != "" {
			if f.Extra == nil {
				f.Extra = map[string]string{}
			}
			f.Extra[p.names[i]] = v
		}
	}
	return f, true, stop
}
