package instrument

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	// The service must check its field period on hosts without a zoneinfo
	// database (minimal containers), so the binary carries its own.
	_ "time/tzdata"

	"github.com/expr-lang/expr"
	exprast "github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/go-playground/validator/v10"
	"github.com/goccy/go-yaml"
	yamlast "github.com/goccy/go-yaml/ast"
	yamlparser "github.com/goccy/go-yaml/parser"
)

// Default lengths of text answers when the file gives no max_length.
const (
	DefaultTextLength     = 200
	DefaultTextareaLength = 5000
)

//go:embed default.yaml
var defaultYAML []byte

var defaultInstrument = sync.OnceValue(func() *Instrument {
	in, err := Parse("default.yaml", defaultYAML)
	if err != nil {
		panic(err) // a test parses the embedded file, so this cannot ship
	}
	return in
})

// Default returns the embedded default questionnaire, the 2016 "Technology
// in US Local Governments" survey. It is parsed once and shared: callers
// must not modify it.
func Default() *Instrument { return defaultInstrument() }

// LoadFile reads and checks the instrument in the file at path.
func LoadFile(path string) (*Instrument, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Problem is one thing wrong with an instrument file.
type Problem struct {
	Path    string // inside the file, e.g. "pages[2].questions[0].scale"; empty: the whole file
	Message string
}

// LoadError lists every problem found in one instrument file, so that its
// author can fix them all in one go.
type LoadError struct {
	File     string
	Problems []Problem
}

// Error gives one problem a line: "file: path: message".
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Path == "" {
			lines[i] = e.File + ": " + p.Message
		} else {
			lines[i] = e.File + ": " + p.Path + ": " + p.Message
		}
	}
	return strings.Join(lines, "\n")
}

// Parse decodes and checks an instrument. name is the file name the errors
// report. Unknown fields are errors, so that a misspelt key ("show-if")
// cannot silently drop skip logic.
func Parse(name string, data []byte) (*Instrument, error) {
	in, problem := decode(data)
	if problem != nil {
		return nil, &LoadError{File: name, Problems: []Problem{*problem}}
	}
	c := &checker{in: in}
	c.structure()
	c.semantics()
	if len(c.problems) > 0 {
		return nil, &LoadError{File: name, Problems: c.problems}
	}
	return in, nil
}

// decode reads the YAML strictly. The YAML library panics on some malformed
// input (a tag on a scalar where a list belongs: "departments: !x y]",
// found by FuzzParse), so a panic is turned into a problem: a bad file must
// stop the service with a message, not a crash.
func decode(data []byte) (in *Instrument, problem *Problem) {
	defer func() {
		if r := recover(); r != nil {
			in, problem = nil, &Problem{Message: fmt.Sprintf("the file is not valid YAML for an instrument (the YAML reader failed: %v)", r)}
		}
	}()
	in = new(Instrument)
	if err := yaml.UnmarshalWithOptions(data, in, yaml.Strict(), yaml.CustomUnmarshaler(parseWallClock)); err != nil {
		p := yamlProblem(data, err)
		return nil, &p
	}
	return in, nil
}

// parseWallClock reads a date or a date and time without an offset; Parse
// later places it in the field period's time zone. (The YAML library's own
// time decoding silently yields the zero time for "2027-12-31T23:59:59".)
func parseWallClock(t *time.Time, b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"'`)
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			*t = v
			return nil
		}
	}
	return wallClockError(s)
}

// wallClockError is a time parseWallClock refused. The YAML library does not
// tell where a custom decoder failed, so yamlProblem finds the value.
type wallClockError string

func (e wallClockError) Error() string {
	return fmt.Sprintf("%q is not a date (2026-01-01) or a date and time (2026-01-01T08:00) without an offset", string(e))
}

// yamlProblem turns a decoding error into a Problem that names the path of
// the offending node when it can be found, and its line in any case.
func yamlProblem(data []byte, err error) Problem {
	var wce wallClockError
	if errors.As(err, &wce) {
		return Problem{Path: findPath(data, func(n yamlast.Node) bool {
			return n.GetToken() != nil && n.GetToken().Value == string(wce)
		}), Message: wce.Error()}
	}
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return Problem{Message: firstLine(err.Error())}
	}
	pos := ye.GetToken().Position
	msg := fmt.Sprintf("%s (line %d, column %d)", ye.GetMessage(), pos.Line, pos.Column)
	return Problem{Path: findPath(data, func(n yamlast.Node) bool {
		tk := n.GetToken()
		return tk != nil && tk.Position.Line == pos.Line && tk.Position.Column == pos.Column
	}), Message: msg}
}

// findPath returns the path of the first node that match accepts, "" if none.
func findPath(data []byte, match func(yamlast.Node) bool) string {
	file, err := yamlparser.ParseBytes(data, 0)
	if err != nil {
		return ""
	}
	var path string
	for _, doc := range file.Docs {
		yamlast.Walk(visitFunc(func(n yamlast.Node) {
			if path == "" && match(n) {
				path = strings.TrimPrefix(strings.TrimPrefix(n.GetPath(), "$"), ".")
			}
		}), doc)
	}
	return path
}

type visitFunc func(yamlast.Node)

func (f visitFunc) Visit(n yamlast.Node) yamlast.Visitor {
	f(n)
	return f
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// idPattern keeps ids safe as MongoDB field names (no "$" prefix, no dots)
// and as identifiers in show_if expressions.
var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// phonePattern accepts a telephone number as people write it, national or
// international ("+1 480-965-0000", "(480) 965 0000"): digits with spaces,
// dots, dashes and brackets, at least seven digits, an optional extension.
var phonePattern = regexp.MustCompile(`^\+?[0-9 ().-]*([0-9][ ().-]*){7,}( ?(ext\.?|x) ?[0-9]{1,6})?$`)

// types are the question types, as the type field's oneof tag lists them.
var types = []string{Single, Multi, Matrix, Number, Text, Textarea, Dropdown}

// reserved are words of the expression language that cannot name a variable.
var reserved = []string{"and", "contains", "else", "false", "if", "in", "let", "matches", "nil", "not", "or", "true"}

var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Report paths with the names used in the file, not the Go names.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		return name
	})
	for tag, pattern := range map[string]*regexp.Regexp{"id": idPattern, "phone": phonePattern} {
		err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool {
			return pattern.MatchString(fl.Field().String())
		})
		if err != nil {
			panic(err)
		}
	}
	return v
}()

// checker collects every problem of one instrument and derives its items.
type checker struct {
	in       *Instrument
	problems []Problem
	defined  map[string]string // id → path where it was first defined
	answers  map[string]bool   // ids of answerable items (questions and matrix rows)
	matrices map[string]bool   // ids of matrix questions (not answerable themselves)
}

func (c *checker) addf(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// structure runs the struct tags' checks.
func (c *checker) structure() {
	err := validate.Struct(c.in)
	var errs validator.ValidationErrors
	if !errors.As(err, &errs) {
		return
	}
	for _, fe := range errs {
		_, path, _ := strings.Cut(fe.Namespace(), ".") // drop the root type's name
		c.addf(path, "%s", tagMessage(fe))
	}
}

func tagMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "id":
		return fmt.Sprintf("%q is not a valid id: start with a lowercase letter, then at most 62 lowercase letters, digits or underscores", fe.Value())
	case "oneof":
		return fmt.Sprintf("%q is not one of: %s", fe.Value(), fe.Param())
	case "min":
		if fe.Field() == "items" && fe.Kind() == reflect.Slice {
			// A scale, an EFA or a frequency table: the count says what is short.
			return fmt.Sprintf("must list at least %s items, not %d", fe.Param(), reflect.ValueOf(fe.Value()).Len())
		}
		return "must list at least " + fe.Param()
	case "gte":
		return "must be at least " + fe.Param()
	case "lte":
		return "must be at most " + fe.Param()
	case "lt":
		return "must be less than " + fe.Param()
	case "email":
		return fmt.Sprintf("%q is not an email address", fe.Value())
	case "phone":
		return fmt.Sprintf("%q is not a telephone number: digits, spaces, +, -, dots and brackets, at least seven digits", fe.Value())
	}
	return "fails the " + fe.Tag() + " check"
}

// semantics runs the checks that span fields, and builds the items.
func (c *checker) semantics() {
	c.fieldPeriod()
	if c.in.AAPOR.Completeness == "" {
		c.in.AAPOR.Completeness = Substantive
	}
	c.uniqueFold("frame.departments", c.in.Frame.Departments)
	c.uniqueFold("frame.forms_of_government", c.in.Frame.FormsOfGovernment)
	c.uniqueFold("frame.codes", c.in.Frame.Codes)
	names := make([]string, 0, len(c.in.Scales))
	for name := range c.in.Scales {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c.options("scales."+name+".options", c.in.Scales[name].Options)
	}
	c.collectIDs()
	c.pages()
	c.analysis() // reads the items pages built
}

// timeZone loads the field period's zone and places its times in it.
func (c *checker) timeZone() {
	fp := &c.in.FieldPeriod
	if fp.TimeZone == "" {
		return // reported by structure
	}
	loc, err := time.LoadLocation(fp.TimeZone)
	if err != nil {
		c.addf("field_period.time_zone", "unknown time zone %q", fp.TimeZone)
		return
	}
	fp.loc = loc
	fp.Opens = inZone(fp.Opens, loc)
	fp.Closes = inZone(fp.Closes, loc)
}

func (c *checker) fieldPeriod() {
	fp := &c.in.FieldPeriod
	if fp.Opens.IsZero() {
		c.addf("field_period.opens", "is required")
	}
	if fp.Closes.IsZero() {
		c.addf("field_period.closes", "is required")
	}
	// Both are wall-clock times of the same zone, so their order does not
	// depend on the zone.
	if !fp.Opens.IsZero() && !fp.Closes.IsZero() && !fp.Opens.Before(fp.Closes) {
		c.addf("field_period.closes", "must be after opens")
	}
	c.timeZone()
}

// inZone reads t's wall clock as a time in loc.
func inZone(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

// uniqueFold reports values that repeat, ignoring case: the frame import
// matches them case-insensitively.
func (c *checker) uniqueFold(path string, values []string) {
	seen := map[string]int{}
	for i, v := range values {
		key := strings.ToLower(strings.TrimSpace(v))
		if j, dup := seen[key]; dup {
			c.addf(fmt.Sprintf("%s[%d]", path, i), "%q repeats %s[%d]", v, path, j)
			continue
		}
		seen[key] = i
	}
}

// options checks one list of options, wherever it is written.
func (c *checker) options(path string, opts []Option) {
	values := map[int]int{}
	labels := map[string]int{}
	exclusive := 0
	for i, o := range opts {
		at := fmt.Sprintf("%s[%d]", path, i)
		if j, dup := values[o.Value]; dup {
			c.addf(at+".value", "value %d repeats %s[%d]", o.Value, path, j)
		} else {
			values[o.Value] = i
		}
		if o.Value >= PreferNotToSayCode && o.Value <= NotAnsweredCode {
			c.addf(at+".value", "value %d is reserved: -9 to -5 are the export's missing-value codes", o.Value)
		}
		label := strings.ToLower(strings.TrimSpace(o.Label))
		if j, dup := labels[label]; dup && label != "" {
			c.addf(at+".label", "label %q repeats %s[%d]", o.Label, path, j)
		} else {
			labels[label] = i
		}
		if o.Exclusive {
			exclusive++
			if exclusive == 2 {
				c.addf(at+".exclusive", "only one option may be exclusive")
			}
		}
	}
}

// collectIDs records every id before the pages are checked, so that a
// show_if naming a later question is told apart from one naming nothing.
func (c *checker) collectIDs() {
	c.defined = map[string]string{}
	c.answers = map[string]bool{}
	c.matrices = map[string]bool{}
	for i, p := range c.in.Pages {
		path := fmt.Sprintf("pages[%d]", i)
		c.define(path+".id", p.ID)
		for j, q := range p.Questions {
			qpath := fmt.Sprintf("%s.questions[%d]", path, j)
			c.define(qpath+".id", q.ID)
			if q.Type == Matrix {
				c.matrices[q.ID] = true
				for k, r := range q.Rows {
					c.define(fmt.Sprintf("%s.rows[%d].id", qpath, k), r.ID)
					c.answers[r.ID] = true
				}
				continue
			}
			c.answers[q.ID] = true
		}
	}
}

func (c *checker) define(path, id string) {
	if id == "" {
		return // reported by structure
	}
	if first, dup := c.defined[id]; dup {
		c.addf(path, "duplicate id %q (first at %s)", id, first)
		return
	}
	c.defined[id] = path
	if slices.Contains(reserved, id) {
		c.addf(path, "%q is a reserved word of show_if expressions", id)
	}
}

// pages checks each page and question in order and builds the items.
func (c *checker) pages() {
	earlier := map[string]bool{} // items before the current point
	for i := range c.in.Pages {
		p := &c.in.Pages[i]
		path := fmt.Sprintf("pages[%d]", i)
		pageCond := c.condition(path+".show_if", p.ShowIf, earlier)
		for j := range p.Questions {
			q := &p.Questions[j]
			qpath := fmt.Sprintf("%s.questions[%d]", path, j)
			opts := c.question(qpath, q)
			if strings.TrimSpace(q.ShowIfText) != "" && strings.TrimSpace(q.ShowIf) == "" {
				c.addf(qpath+".show_if_text", "describes a condition, but the question has no show_if")
			}
			cond := pageCond.and(c.condition(qpath+".show_if", q.ShowIf, earlier))
			item := Item{
				ID: q.ID, Type: q.Type, Text: q.Text, Help: q.Help, Required: q.Required,
				Options: opts, Min: q.Min, Max: q.Max, Integer: q.Integer, MaxLength: q.MaxLength,
				ShowIf: cond.source, ShowIfText: strings.TrimSpace(q.ShowIfText), DontKnow: q.DontKnow, PreferNot: q.PreferNot, Page: i, Refs: cond.refs,
			}
			if q.Type != Matrix {
				c.addItem(item, cond)
				earlier[q.ID] = true
				continue
			}
			for _, r := range q.Rows {
				row := item
				row.ID, row.Text, row.Group, row.GroupText = r.ID, r.Text, q.ID, q.Text
				c.addItem(row, cond)
				earlier[r.ID] = true
			}
		}
	}
}

func (c *checker) addItem(it Item, cond condition) {
	if c.in.index == nil {
		c.in.index = map[string]int{}
	}
	c.in.index[it.ID] = len(c.in.items)
	c.in.items = append(c.in.items, it)
	c.in.conds = append(c.in.conds, cond)
}

// question checks the fields that depend on the question's type and
// returns its options.
func (c *checker) question(path string, q *Question) []Option {
	notFor := func(field string) { c.addf(path+"."+field, "is not allowed in a %s question", q.Type) }
	if !slices.Contains(types, q.Type) {
		return nil // reported by structure; the checks below would only add noise
	}
	var opts []Option
	switch q.Type {
	case Single, Multi, Matrix, Dropdown:
		opts = c.choices(path, q)
	default:
		if q.Scale != "" {
			notFor("scale")
		}
		if len(q.Options) > 0 {
			notFor("options")
		}
	}
	if q.Type == Matrix && len(q.Rows) == 0 {
		c.addf(path+".rows", "a matrix needs rows")
	} else if q.Type != Matrix && len(q.Rows) > 0 {
		notFor("rows")
	}
	if q.Type == Number {
		for _, bound := range []struct {
			field string
			v     *float64
		}{{"min", q.Min}, {"max", q.Max}} {
			if bound.v != nil && (math.IsNaN(*bound.v) || math.IsInf(*bound.v, 0)) {
				c.addf(path+"."+bound.field, "must be a finite number")
			}
		}
		if q.Min != nil && q.Max != nil && *q.Min > *q.Max {
			c.addf(path+".max", "max %g is less than min %g", *q.Max, *q.Min)
		}
		if (q.Min == nil || *q.Min <= NotAnsweredCode) && (q.Max == nil || *q.Max >= PreferNotToSayCode) {
			c.addf(path+".min", "the answer could be -9 to -5, the export's missing-value codes: set min to more than -5 (or max to less than -9)")
		}
	} else {
		if q.Min != nil {
			notFor("min")
		}
		if q.Max != nil {
			notFor("max")
		}
		if q.Integer {
			notFor("integer")
		}
	}
	switch {
	case q.Type == Text && q.MaxLength == 0:
		q.MaxLength = DefaultTextLength
	case q.Type == Textarea && q.MaxLength == 0:
		q.MaxLength = DefaultTextareaLength
	case q.Type != Text && q.Type != Textarea && q.MaxLength != 0:
		notFor("max_length")
	}
	return opts
}

// choices resolves a choice question's options, from its scale or inline.
func (c *checker) choices(path string, q *Question) []Option {
	opts := q.Options
	switch {
	case q.Scale != "" && len(q.Options) > 0:
		c.addf(path+".options", "give a scale or options, not both")
		return nil
	case q.Scale != "":
		s, ok := c.in.Scales[q.Scale]
		if !ok {
			c.addf(path+".scale", "unknown scale %q", q.Scale)
			return nil
		}
		opts = s.Options
	case len(opts) == 0:
		c.addf(path, "a %s question needs a scale or options", q.Type)
		return nil
	default:
		c.options(path+".options", opts)
	}
	if q.Type != Multi && slices.ContainsFunc(opts, func(o Option) bool { return o.Exclusive }) {
		c.addf(path, "only a multi question may have an exclusive option")
	}
	return opts
}

// condition is the compiled show_if of an item: every program must hold.
type condition struct {
	source string        // the effective expression, as shown to clients
	refs   []string      // the ids it reads, in order of first use
	progs  []*vm.Program // nil: always shown
}

func (a condition) and(b condition) condition {
	switch {
	case a.source == "":
		return b
	case b.source == "":
		return a
	}
	refs := slices.Clone(a.refs)
	for _, r := range b.refs {
		if !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	return condition{
		source: "(" + a.source + ") && (" + b.source + ")",
		refs:   refs,
		progs:  append(slices.Clone(a.progs), b.progs...),
	}
}

// condition compiles one show_if, which may read only the items in earlier.
func (c *checker) condition(path, src string, earlier map[string]bool) condition {
	if strings.TrimSpace(src) == "" {
		return condition{}
	}
	tree, err := parser.Parse(src)
	if err != nil {
		c.addf(path, "does not parse: %s", firstLine(err.Error()))
		return condition{}
	}
	ids := &identifiers{}
	exprast.Walk(&tree.Node, ids)
	ok := true
	for _, name := range ids.names {
		switch {
		case earlier[name]:
			continue
		case c.answers[name]:
			c.addf(path, "refers to %q, which does not come before it", name)
		case c.matrices[name]:
			c.addf(path, "refers to matrix %q; refer to one of its rows", name)
		default:
			c.addf(path, "refers to %q, which is not a question", name)
		}
		ok = false
	}
	if !ok {
		return condition{}
	}
	// The names were checked above; undefined ones compile as values of
	// unknown type, so that "1 in channels" type-checks while unanswered.
	prog, err := expr.Compile(src, expr.AllowUndefinedVariables(), expr.AsBool())
	if err != nil {
		c.addf(path, "does not compile: %s", firstLine(err.Error()))
		return condition{}
	}
	// AsBool lets through values of unknown type ("years + 1"); no answer
	// is a boolean, so a condition must be one by its form (a comparison,
	// "in", "not", "&&", ...).
	if t := prog.Node().Type(); t == nil || t.Kind() != reflect.Bool {
		c.addf(path, "is not a condition: compare an answer, e.g. %s == 1", ids.first())
		return condition{}
	}
	return condition{source: src, refs: ids.names, progs: []*vm.Program{prog}}
}

// identifiers collects the variable names an expression reads.
type identifiers struct{ names []string }

// first returns the first name read, or an example one.
func (v *identifiers) first() string {
	if len(v.names) == 0 {
		return "color"
	}
	return v.names[0]
}

func (v *identifiers) Visit(n *exprast.Node) {
	if id, ok := (*n).(*exprast.IdentifierNode); ok && !slices.Contains(v.names, id.Value) {
		v.names = append(v.names, id.Value)
	}
}

// DefaultYAML is the default questionnaire's file, for tools and tests that
// start from it.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }
