// Package export writes the survey's data for R, Stata and SPSS: one CSV
// row per case with every question as its code, and the codebook that
// labels each column. It reads cases and the instrument and does no I/O
// beyond the writer it is given.
package export

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Variable is one column of the export as the codebook describes it.
type Variable struct {
	Name     string            `json:"name"`
	Label    string            `json:"label"`
	Type     string            `json:"type"`               // string, integer, number, code, datetime, or a question type
	Question string            `json:"question,omitempty"` // the item's id; for a multiple choice, shared by its columns
	Values   map[string]string `json:"values,omitempty"`   // code → label
	Missing  map[string]string `json:"missing,omitempty"`  // special codes → their meaning
	ShowIf   string            `json:"show_if,omitempty"`  // asked only when this holds; otherwise empty
}

// specialCodes are the missing-value codes of special answers.
var specialCodes = map[string]int{instrument.DontKnow: instrument.DontKnowCode, instrument.PreferNotToSay: instrument.PreferNotToSayCode}

// frameColumns are the sample frame's fields, in order.
var frameColumns = []Variable{
	{Name: "case_id", Label: "Case identifier", Type: "string"},
	{Name: "email", Label: "Email (sample frame)", Type: "string"},
	{Name: "name", Label: "Name (sample frame)", Type: "string"},
	{Name: "title", Label: "Job title (sample frame)", Type: "string"},
	{Name: "department", Label: "Department (sample frame)", Type: "string"},
	{Name: "city", Label: "City (sample frame)", Type: "string"},
	{Name: "state", Label: "State (sample frame)", Type: "string"},
	{Name: "population", Label: "City population (sample frame)", Type: "integer"},
	{Name: "form_of_government", Label: "Form of government (sample frame)", Type: "string"},
}

var statusColumns = []Variable{
	{Name: "status", Label: "Status of the link", Type: "string", Values: map[string]string{
		survey.StatusNew: "not started", survey.StatusStarted: "started", survey.StatusSubmitted: "submitted", survey.StatusOptedOut: "opted out"}},
	{Name: "disposition", Label: "AAPOR final disposition", Type: "string", Values: map[string]string{
		"I": "complete", "P": "partial", "R": "refusal or break-off", "NC": "non-contact", "O": "other",
		"UH": "unknown if household", "UO": "unknown eligibility, other", "NE": "not eligible"}},
	{Name: "created_at", Label: "Imported at (UTC)", Type: "datetime"},
	{Name: "started_at", Label: "Started at (UTC)", Type: "datetime"},
	{Name: "submitted_at", Label: "Submitted at (UTC)", Type: "datetime"},
	{Name: "opted_out_at", Label: "Opted out at (UTC)", Type: "datetime"},
}

// Codebook lists every column of the export for the given further frame
// columns (see ExtraColumns), in order.
func Codebook(in *instrument.Instrument, extra []string) []Variable {
	vars := slices.Clone(frameColumns)
	for _, name := range extra {
		vars = append(vars, Variable{Name: ExtraPrefix + name, Label: name + " (sample frame, further column)", Type: "string"})
	}
	vars = append(vars, statusColumns...)
	for _, it := range in.Items() {
		label := it.Text
		if it.Group != "" {
			label = it.GroupText + " — " + it.Text
		}
		missing := map[string]string{}
		if it.DontKnow {
			missing[strconv.Itoa(instrument.DontKnowCode)] = "Don't know"
		}
		if it.PreferNot {
			missing[strconv.Itoa(instrument.PreferNotToSayCode)] = "Prefer not to say"
		}
		if len(missing) == 0 {
			missing = nil
		}
		v := Variable{Name: it.ID, Label: label, Type: it.Type, Question: it.ID, Missing: missing, ShowIf: it.ShowIf}
		if it.Type == instrument.Multi {
			for _, o := range it.Options {
				col := v
				col.Name = it.ID + "_" + optionSuffix(o.Value)
				col.Label = label + " — " + o.Label
				col.Values = map[string]string{"1": "selected", "0": "not selected"}
				vars = append(vars, col)
			}
			continue
		}
		if len(it.Options) > 0 {
			v.Values = map[string]string{}
			for _, o := range it.Options {
				v.Values[strconv.Itoa(o.Value)] = o.Label
			}
		}
		vars = append(vars, v)
	}
	return vars
}

// optionSuffix names a multiple choice's option column; a negative code
// cannot appear in a column name, so it is spelled out.
func optionSuffix(code int) string {
	if code < 0 {
		return "m" + strconv.Itoa(-code)
	}
	return strconv.Itoa(code)
}

// ExtraPrefix starts the export's name of a further frame column, so that
// one called "status" or like a question cannot collide with another column.
const ExtraPrefix = "frame_"

// ExtraColumns is the sorted union of the further frame columns of cases.
func ExtraColumns(cases []survey.Case) []string {
	var names []string
	for _, c := range cases {
		for k := range c.Frame.Extra {
			if !slices.Contains(names, k) {
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	return names
}

// WriteCSV writes the header and one row per case: hidden and unanswered
// questions are empty, special answers their negative codes.
func WriteCSV(w io.Writer, in *instrument.Instrument, cases []survey.Case, t aapor.Thresholds) error {
	cw, err := NewWriter(w, in, ExtraColumns(cases), t)
	if err != nil {
		return err
	}
	for i := range cases {
		if err := cw.Write(&cases[i]); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// Writer writes the export one case at a time, so that a million cases
// need not be held: the columns of Codebook(in, extra).
type Writer struct {
	csv   *csv.Writer
	in    *instrument.Instrument
	extra []string
	t     aapor.Thresholds
}

// NewWriter writes the header of the export with the further frame
// columns extra.
func NewWriter(w io.Writer, in *instrument.Instrument, extra []string, t aapor.Thresholds) (*Writer, error) {
	cw := &Writer{csv: csv.NewWriter(w), in: in, extra: extra, t: t}
	vars := Codebook(in, extra)
	header := make([]string, len(vars))
	for i, v := range vars {
		header[i] = v.Name
	}
	return cw, cw.csv.Write(header)
}

// Write writes the case's row.
func (cw *Writer) Write(c *survey.Case) error {
	return cw.csv.Write(row(c, cw.in, cw.extra, cw.t))
}

// Flush writes what is buffered and reports any error of the writes.
func (cw *Writer) Flush() error {
	cw.csv.Flush()
	return cw.csv.Error()
}

func row(c *survey.Case, in *instrument.Instrument, extra []string, t aapor.Thresholds) []string {
	f := c.Frame
	out := []string{c.ID, Text(f.Email), Text(f.Name), Text(f.Title), f.Department, Text(f.City), f.State, strconv.Itoa(f.Population), f.FormOfGovernment}
	for _, name := range extra {
		out = append(out, Text(f.Extra[name]))
	}
	out = append(out, c.Status, string(t.Code(aapor.FactsOf(c, in))),
		stamp(&c.CreatedAt), stamp(c.StartedAt), stamp(c.SubmittedAt), stamp(c.OptedOutAt))
	answers := in.Normalize(c.Answers)
	in.Clean(answers)
	for _, it := range in.Items() {
		v, answered := answers[it.ID]
		if it.Type == instrument.Multi {
			for _, o := range it.Options {
				out = append(out, multiCell(it, v, o.Value))
			}
			continue
		}
		out = append(out, cell(it, v, answered))
	}
	return out
}

func cell(it instrument.Item, v any, answered bool) string {
	if !answered {
		return ""
	}
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		if code, ok := specialCode(it, v); ok {
			return strconv.Itoa(code)
		}
		return Text(v)
	}
	return ""
}

// Text is a text cell that a spreadsheet will not run: one that starts with
// = + - @ or a tab or carriage return would be read as a formula (a
// respondent could plant =HYPERLINK(...) for staff to open), so it gets a
// leading apostrophe, which spreadsheets hide and R and Stata keep.
func Text(s string) string {
	if formulaLeader(s) {
		return "'" + s
	}
	return s
}

// formulaLeader reports whether a spreadsheet could take s for a formula.
// Spreadsheets fold look-alikes — full-width ＝＋－＠, the small forms ﹦﹢﹣﹫,
// the minus sign − — to their ASCII forms, and some trim leading spaces
// first, so the first character after any spaces is compared in its
// compatibility (NFKC) form.
func formulaLeader(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '\t' || s[0] == '\r' {
		return true
	}
	r, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(s, unicode.IsSpace))
	if r == '\u2212' { // MINUS SIGN has no compatibility mapping to '-'
		return true
	}
	folded := norm.NFKC.String(string(r))
	return folded != "" && strings.ContainsRune("=+-@", rune(folded[0]))
}

// specialCode is the code of a special answer the item allows; a text item
// that allows none may hold the same words as plain text.
func specialCode(it instrument.Item, v string) (int, bool) {
	if (v == instrument.DontKnow && it.DontKnow) || (v == instrument.PreferNotToSay && it.PreferNot) {
		return specialCodes[v], true
	}
	return 0, false
}

func multiCell(it instrument.Item, v any, option int) string {
	switch v := v.(type) {
	case []int:
		if slices.Contains(v, option) {
			return "1"
		}
		return "0"
	case string:
		if code, ok := specialCode(it, v); ok {
			return strconv.Itoa(code)
		}
	}
	return ""
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
