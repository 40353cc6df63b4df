// Package export writes the survey's data for R, Stata and SPSS: one CSV
// row per case with every question as its code, the codebook that labels
// each column, and the syntax that reads the file into each of them with
// those labels. It reads cases and the instrument and does no I/O beyond
// the writer it is given.
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/weights"
)

// Options choose what one export holds.
type Options struct {
	Thresholds aapor.Thresholds // of the disposition column
	// Deidentified leaves out every column that may identify the person:
	// name, email, title, further frame columns not declared codes, and
	// text answers.
	Deidentified bool
	// Weights are the cases' response propensities and the respondents'
	// raked weights, and Weighting how they were made; nil leaves those
	// columns empty.
	Weights   *weights.Of
	Weighting *weights.Report
}

// Variable is one column of the export as the codebook describes it.
type Variable struct {
	Name     string            `json:"name"`
	Label    string            `json:"label"`
	Type     string            `json:"type"`               // string, integer, datetime, or a question type
	Question string            `json:"question,omitempty"` // the item's id; for a multiple choice, shared by its columns
	Values   map[string]string `json:"values,omitempty"`   // code → label
	Missing  map[string]string `json:"missing,omitempty"`  // missing-value codes the column may hold → their meaning
	// ShowIf is when the item is asked, in the file's columns and codes;
	// empty: always.
	ShowIf string `json:"show_if,omitempty"`
	// Identifying columns may identify the person: the de-identified file
	// leaves them out.
	Identifying bool           `json:"identifying,omitempty"`
	Counts      map[string]int `json:"counts,omitempty"` // rows with each value and missing code
}

// numeric reports whether the column holds numbers (codes included).
func (v *Variable) numeric() bool {
	switch v.Type {
	case "integer", instrument.Single, instrument.Dropdown, instrument.Matrix, instrument.Multi, instrument.Number:
		return true
	}
	return false
}

// MissingCode is one of the codes a question's column holds instead of an
// answer.
type MissingCode struct {
	Code    int    `json:"code"`
	Label   string `json:"label"`
	Meaning string `json:"meaning"`
	Cells   int    `json:"cells"` // how many cells of the file hold it
}

// missingCodes are the codes, from the least to the most informative.
var missingCodes = []MissingCode{
	{Code: instrument.NotReachedCode, Label: "not reached", Meaning: "the respondent stopped before the item's page, or never started"},
	{Code: instrument.NotAskedCode, Label: "not asked", Meaning: "the skip logic did not ask the item: its show_if was false, given the answers"},
	{Code: instrument.NotAnsweredCode, Label: "not answered", Meaning: "the item's page was shown and the item left empty"},
	{Code: instrument.DontKnowCode, Label: "don't know", Meaning: "answered \"don't know\""},
	{Code: instrument.PreferNotToSayCode, Label: "prefer not to say", Meaning: "answered \"prefer not to say\" (an item refusal)"},
}

// Formulas states which text cells carry a leading apostrophe.
const Formulas = "A text cell that a spreadsheet would evaluate as a formula — one starting with =, +, -, @, a tab or a carriage return, " +
	"unless it is a plain number such as -3 — starts with an apostrophe ('), which spreadsheets hide and R, Stata and SPSS keep. " +
	"A text answer that reads exactly as a missing-value code (-5 to -9) starts with one too, so that the code means only the code. " +
	"Numeric columns never do."

// Book is the codebook of one export file: its columns, with the counts of
// their values and missing codes in the file, and the rules it follows.
type Book struct {
	Survey       string        `json:"survey"`
	Title        string        `json:"title"`
	Deidentified bool          `json:"deidentified"`
	Rows         int           `json:"rows"`
	AAPOR        Dispositions  `json:"aapor"`
	MissingCodes []MissingCode `json:"missing_codes"`
	Formulas     string        `json:"formulas"`
	Neutralized  int           `json:"neutralized"` // cells that got the apostrophe against formulas
	// Weighting says how the weight and propensity columns were made.
	Weighting *weights.Report `json:"weighting,omitempty"`
	Variables []Variable      `json:"variables"`

	// Per variable: its longest cell in bytes, the most decimals of a
	// number, and how many cells hold a line break.
	widths, decimals, breaks []int
}

// Dispositions says how the disposition column was derived.
type Dispositions struct {
	Completeness string           `json:"completeness"` // aapor.completeness: substantive or any_answer
	Thresholds   aapor.Thresholds `json:"thresholds"`
	Rule         string           `json:"rule"`
}

func dispositions(in *instrument.Instrument, t aapor.Thresholds) Dispositions {
	counted := `every answer but "prefer not to say" (an item refusal; "don't know" counts)`
	if in.AAPOR.Completeness == instrument.AnyAnswer {
		counted = `every answer, "don't know" and "prefer not to say" included`
	}
	return Dispositions{Completeness: in.AAPOR.Completeness, Thresholds: t, Rule: fmt.Sprintf(
		"A case is complete (I) when submitted with at least %g%% of the items that apply to it answered, and partial (P) with at least %g%%; "+
			"an item counts as answered with %s (aapor.completeness: %s).", t.Complete*100, t.Partial*100, counted, in.AAPOR.Completeness)}
}

// column is one column of the export: what the codebook says of it, and
// its cell for a case.
type column struct {
	Variable
	value func(r *record) string
}

// record is one case as its row is made.
type record struct {
	in      *instrument.Instrument
	c       *survey.Case
	answers instrument.Answers // normalized, hidden answers cleaned
	shown   map[string]bool
	reached int // the furthest page the respondent was shown; -1: none
	code    aapor.Code
}

// caseColumns are the columns before the questions: the case, its sample
// frame and what became of it. A column of a new kind goes here, with its
// cell.
func caseColumns(in *instrument.Instrument, extra []string, of *weights.Of) []column {
	frameText := func(name, label string, identifying bool, get func(f *survey.Frame) string) column {
		return column{Variable{Name: name, Label: label, Type: "string", Identifying: identifying},
			func(r *record) string { return Text(get(&r.c.Frame)) }}
	}
	stamp := func(name, label string, get func(c *survey.Case) *time.Time) column {
		return column{Variable{Name: name, Label: label, Type: "datetime"}, func(r *record) string {
			if t := get(r.c); t != nil && !t.IsZero() {
				return t.UTC().Format(time.RFC3339)
			}
			return ""
		}}
	}
	cols := []column{
		{Variable{Name: "case_id", Label: "Case identifier", Type: "string"}, func(r *record) string { return r.c.ID }},
		frameText("email", "Email (sample frame)", true, func(f *survey.Frame) string { return f.Email }),
		frameText("name", "Name (sample frame)", true, func(f *survey.Frame) string { return f.Name }),
		frameText("title", "Job title (sample frame)", true, func(f *survey.Frame) string { return f.Title }),
		frameText("department", "Department (sample frame)", false, func(f *survey.Frame) string { return f.Department }),
		frameText("city", "City (sample frame)", false, func(f *survey.Frame) string { return f.City }),
		frameText("state", "State (sample frame)", false, func(f *survey.Frame) string { return f.State }),
		{Variable{Name: "population", Label: "City population (sample frame)", Type: "integer"},
			func(r *record) string { return strconv.Itoa(r.c.Frame.Population) }},
		frameText("form_of_government", "Form of government (sample frame)", false, func(f *survey.Frame) string { return f.FormOfGovernment }),
	}
	names := extraNames(extra)
	for i, name := range extra {
		code := slices.ContainsFunc(in.Frame.Codes, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), name) })
		label := name + " (sample frame, further column: free text)"
		if code {
			label = name + " (sample frame, further column: a code)"
		}
		cols = append(cols, frameText(names[i], label, !code, func(f *survey.Frame) string { return f.Extra[name] }))
	}
	return append(cols,
		column{Variable{Name: "status", Label: "Status of the link", Type: "string", Values: map[string]string{
			survey.StatusNew: "not started", survey.StatusStarted: "started", survey.StatusSubmitted: "submitted", survey.StatusOptedOut: "opted out"}},
			func(r *record) string { return r.c.Status }},
		column{Variable{Name: "disposition", Label: "AAPOR final disposition", Type: "string", Values: map[string]string{
			"I": "complete", "P": "partial", "R": "refusal or break-off", "NC": "non-contact", "O": "other",
			"UH": "unknown if household", "UO": "unknown eligibility, other", "NE": "not eligible"}},
			func(r *record) string { return string(r.code) }},
		weightColumn("weight", "Raking weight: respondents (I, P) from N/n raked to the frame's counts of the weighting variables "+
			"(see weighting in the codebook); empty for nonrespondents", of, func(o *weights.Of) map[string]float64 { return o.Weight }),
		weightColumn("propensity", "Response propensity: fitted probability of responding (I or P) from glm(responded ~ weighting variables, "+
			"binomial) over the eligible cases; empty for NE", of, func(o *weights.Of) map[string]float64 { return o.Propensity }),
		stamp("created_at", "Imported at (UTC)", func(c *survey.Case) *time.Time { return &c.CreatedAt }),
		stamp("started_at", "Started at (UTC)", func(c *survey.Case) *time.Time { return c.StartedAt }),
		stamp("submitted_at", "Submitted at (UTC)", func(c *survey.Case) *time.Time { return c.SubmittedAt }),
		stamp("opted_out_at", "Opted out at (UTC)", func(c *survey.Case) *time.Time { return c.OptedOutAt }),
	)
}

// weightColumn is a column of one number per case from of, empty where of
// has none for the case.
func weightColumn(name, label string, of *weights.Of, values func(*weights.Of) map[string]float64) column {
	return column{Variable{Name: name, Label: label, Type: instrument.Number}, func(r *record) string {
		if of == nil {
			return ""
		}
		if v, ok := values(of)[r.c.ID]; ok {
			return strconv.FormatFloat(v, 'f', 6, 64)
		}
		return ""
	}}
}

// extraNames are the export's names of the further frame columns: "frame_"
// and the name in lower case with every run of other characters than
// letters and digits an underscore, so that R, Stata and SPSS take it as a
// variable name and it cannot collide with another column; a name that
// comes out twice gets a number.
func extraNames(extra []string) []string {
	out := make([]string, len(extra))
	for i, name := range extra {
		var b strings.Builder
		for _, r := range strings.ToLower(name) {
			if r < 128 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				b.WriteRune(r)
			} else if s := b.String(); s != "" && !strings.HasSuffix(s, "_") {
				b.WriteByte('_')
			}
		}
		base := "frame_" + strings.TrimSuffix(b.String(), "_")
		out[i] = base
		for n := 2; slices.Contains(out[:i], out[i]); n++ {
			out[i] = base + "_" + strconv.Itoa(n)
		}
	}
	return out
}

// questionColumns are a column per item, and per option of a multiple
// choice.
func questionColumns(in *instrument.Instrument) []column {
	var cols []column
	for _, it := range in.Items() {
		label := it.Text
		if it.Group != "" {
			label = it.GroupText + " — " + it.Text
		}
		v := Variable{Name: it.ID, Label: label, Type: it.Type, Question: it.ID, Missing: missingLabels(it),
			ShowIf: columnCondition(in, it.ShowIf), Identifying: it.Type == instrument.Text || it.Type == instrument.Textarea}
		if it.Type == instrument.Multi {
			for _, o := range it.Options {
				col := v
				col.Name = optionColumn(it.ID, o.Value)
				col.Label = label + " — " + o.Label
				col.Values = map[string]string{"1": "selected", "0": "not selected"}
				cols = append(cols, column{col, func(r *record) string { return r.multiCell(it, o.Value) }})
			}
			continue
		}
		if len(it.Options) > 0 {
			v.Values = map[string]string{}
			for _, o := range it.Options {
				v.Values[strconv.Itoa(o.Value)] = o.Label
			}
		}
		cols = append(cols, column{v, func(r *record) string { return r.cell(it) }})
	}
	return cols
}

// missingLabels are the missing-value codes the item's column may hold.
func missingLabels(it instrument.Item) map[string]string {
	m := map[string]string{}
	for _, mc := range missingCodes {
		switch mc.Code {
		case instrument.NotAskedCode:
			if it.ShowIf == "" {
				continue
			}
		case instrument.DontKnowCode:
			if !it.DontKnow {
				continue
			}
		case instrument.PreferNotToSayCode:
			if !it.PreferNot {
				continue
			}
		}
		m[strconv.Itoa(mc.Code)] = mc.Label
	}
	return m
}

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

// WriteCSV writes the header and one row per case, and returns the
// codebook of what it wrote.
func WriteCSV(w io.Writer, in *instrument.Instrument, cases []survey.Case, o Options) (*Book, error) {
	cw, err := NewWriter(w, in, ExtraColumns(cases), o)
	if err != nil {
		return nil, err
	}
	for i := range cases {
		if err := cw.Write(&cases[i]); err != nil {
			return nil, err
		}
	}
	return cw.Book(), cw.Flush()
}

// Writer writes the export one case at a time, so that a million cases
// need not be held, and keeps its codebook's counts as it goes.
type Writer struct {
	csv   *csv.Writer
	in    *instrument.Instrument
	t     aapor.Thresholds
	cols  []column
	book  Book
	codes map[string]int // missing code → its index in book.MissingCodes
	row   []string
}

// NewWriter writes the header of the export with the further frame
// columns extra.
func NewWriter(w io.Writer, in *instrument.Instrument, extra []string, o Options) (*Writer, error) {
	cw := &Writer{csv: csv.NewWriter(w), in: in, t: o.Thresholds, codes: map[string]int{}}
	cw.book = Book{Survey: in.ID, Title: in.Title, Deidentified: o.Deidentified, AAPOR: dispositions(in, o.Thresholds),
		MissingCodes: slices.Clone(missingCodes), Formulas: Formulas, Weighting: o.Weighting}
	for i, mc := range missingCodes {
		cw.codes[strconv.Itoa(mc.Code)] = i
	}
	var header []string
	for _, col := range append(caseColumns(in, extra, o.Weights), questionColumns(in)...) {
		if o.Deidentified && col.Identifying {
			continue
		}
		if len(col.Values)+len(col.Missing) > 0 {
			col.Counts = map[string]int{}
			for code := range col.Values {
				col.Counts[code] = 0
			}
			for code := range col.Missing {
				col.Counts[code] = 0
			}
		}
		cw.cols = append(cw.cols, col)
		cw.book.Variables = append(cw.book.Variables, col.Variable)
		header = append(header, col.Name)
	}
	cw.book.widths, cw.book.decimals, cw.book.breaks = make([]int, len(cw.cols)), make([]int, len(cw.cols)), make([]int, len(cw.cols))
	cw.row = make([]string, len(cw.cols))
	return cw, cw.csv.Write(header)
}

// Write writes the case's row.
func (cw *Writer) Write(c *survey.Case) error {
	in := cw.in
	a := in.Normalize(c.Answers)
	in.Clean(a)
	shown := in.Visible(a)
	r := &record{in: in, c: c, answers: a, shown: shown, reached: reached(in, c, a, shown), code: cw.t.Code(aapor.FactsWith(c, a, in))}
	b := &cw.book
	b.Rows++
	for i, col := range cw.cols {
		cell := col.value(r)
		cw.row[i] = cell
		v := &b.Variables[i]
		if n, ok := v.Counts[cell]; ok {
			v.Counts[cell] = n + 1
		}
		if _, ok := v.Missing[cell]; ok {
			b.MissingCodes[cw.codes[cell]].Cells++
		}
		if strings.HasPrefix(cell, "'") && formula(cell[1:]) {
			b.Neutralized++
		}
		b.widths[i] = max(b.widths[i], len(cell))
		if dot := strings.IndexByte(cell, '.'); dot >= 0 && v.numeric() {
			b.decimals[i] = max(b.decimals[i], len(cell)-dot-1)
		}
		if strings.ContainsAny(cell, "\r\n") {
			b.breaks[i]++
		}
	}
	return cw.csv.Write(cw.row)
}

// Flush writes what is buffered and reports any error of the writes.
func (cw *Writer) Flush() error {
	cw.csv.Flush()
	return cw.csv.Error()
}

// Book is the codebook of the rows written so far.
func (cw *Writer) Book() *Book { return &cw.book }

// reached is the index of the furthest page the respondent was shown, -1
// for none: every page once submitted or sent on to review; otherwise the
// furthest of the page the link resumes at (where the last save sent
// them), the pages they spent time on, the pages of their answers (a
// program answering through the API names no pages) and, once started,
// the first page the answers show.
func reached(in *instrument.Instrument, c *survey.Case, a instrument.Answers, shown map[string]bool) int {
	if c.Status == survey.StatusSubmitted || c.Page == survey.ReviewPage {
		return len(in.Pages) - 1
	}
	far := in.PageIndex(c.Page)
	for id := range c.Paradata.PageSeconds {
		far = max(far, in.PageIndex(id))
	}
	for id := range a {
		it, _ := in.Item(id)
		far = max(far, it.Page)
	}
	if c.StartedAt != nil {
		if i := slices.IndexFunc(in.Items(), func(it instrument.Item) bool { return shown[it.ID] }); i >= 0 {
			far = max(far, in.Items()[i].Page)
		}
	}
	return far
}

// missing is the code of an item without an answer. On a page the
// respondent was shown, it was not answered if shown, not asked if
// hidden. Beyond it, it was not reached, unless it is hidden by answers
// already given (every item its condition reads is on a page shown): then
// it would not have been asked.
func (r *record) missing(it instrument.Item) int {
	switch {
	case it.Page <= r.reached && r.shown[it.ID]:
		return instrument.NotAnsweredCode
	case it.Page <= r.reached, !r.shown[it.ID] && r.settled(it):
		return instrument.NotAskedCode
	}
	return instrument.NotReachedCode
}

// settled reports whether every item it's condition reads is on a page the
// respondent was shown.
func (r *record) settled(it instrument.Item) bool {
	for _, ref := range it.Refs {
		if item, _ := r.in.Item(ref); item.Page > r.reached {
			return false
		}
	}
	return true
}

func (r *record) cell(it instrument.Item) string {
	switch v := r.answers[it.ID].(type) {
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		if code, ok := specialCode(it, v); ok {
			return strconv.Itoa(code)
		}
		return answerText(v)
	}
	return strconv.Itoa(r.missing(it))
}

func (r *record) multiCell(it instrument.Item, option int) string {
	switch v := r.answers[it.ID].(type) {
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
	return strconv.Itoa(r.missing(it))
}

// specialCode is the code of a special answer the item allows; a text item
// that allows none may hold the same words as plain text.
func specialCode(it instrument.Item, v string) (int, bool) {
	switch {
	case v == instrument.DontKnow && it.DontKnow:
		return instrument.DontKnowCode, true
	case v == instrument.PreferNotToSay && it.PreferNot:
		return instrument.PreferNotToSayCode, true
	}
	return 0, false
}
