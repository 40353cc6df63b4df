package server

import (
	"bytes"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/respond"
	"github.com/canvass-survey/canvass/templates"
)

func parseTemplates() (*template.Template, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"paragraphs": paragraphs,
		"add":        func(a, b int) int { return a + b },
		"minus":      func(b, a float64) float64 { return a - b }, // {{.X | minus 4}} is X-4
		"lower":      strings.ToLower,
	}).ParseFS(templates.Pages(), "*.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return t, nil
}

// paragraphs splits text at blank lines, for intro and consent texts.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// render executes a page into a buffer first, so a template error becomes
// a 500 instead of half a page.
func (s *Server) render(c echo.Context, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// Base is what the layout of every respondent page needs.
type Base struct {
	Title       string
	SurveyTitle string
	Link        string // the respondent's link, /s/{token}
	OptOutURL   string // empty: no opt-out link
}

func (s *Server) base(c echo.Context, title string) Base {
	b := Base{Title: title, SurveyTitle: s.Instrument.Title}
	if c.Param("token") != "" {
		b.Link = s.pageURL(c, "")
		b.OptOutURL = b.Link + "/optout"
	}
	return b
}

type messagePage struct {
	Base
	Title, Message string
	Continue       string // a link to go on, if any
}

type welcomePage struct {
	Base
	Intro, Consent string
	Minutes, Pages int
}

// questionPage is one page of the questionnaire.
type questionPage struct {
	Base
	PageTitle, Intro string
	Number, Of       int // progress: this is page Number of Of
	Percent          int
	Action           string
	Shown            int64 // when the page was rendered, for paradata
	Fields           []*field
	Errors           []fieldError
	Problem          string // a problem not tied to a field, e.g. the store did not answer
	First            bool
}

type fieldError struct{ ID, Label, Message string }

// field is one question as the page shows it; a matrix holds its rows.
type field struct {
	ID, Type, Label, Hint, Error string
	Required                     bool
	Options                      []choice
	Special                      []choice // "don't know", "prefer not to say"
	Value                        string   // number and text inputs
	Min, Max                     string
	Step                         string
	MaxLength                    int
	Rows                         []*field // matrix only
	Conditional                  bool     // shown because its condition reads this page
}

type choice struct {
	Value, Label string
	Checked      bool
	Exclusive    bool
}

var specialLabels = map[string]string{instrument.DontKnow: "Don't know", instrument.PreferNotToSay: "Prefer not to say"}

// renderPage shows page with the saved answers, or with raw — what was just
// posted — where the page comes back to be corrected.
func (s *Server) renderPage(c echo.Context, status int, v *respond.View, page int, raw map[string][]string, errs map[string]string, problem string) error {
	in := s.Instrument
	p := in.Pages[page]
	pages := s.visiblePages(v.Answers, v.Visible)
	number := slices.Index(pages, page) + 1
	qp := questionPage{Base: s.base(c, p.Title), PageTitle: p.Title, Intro: p.Intro, Number: number, Of: len(pages),
		Action: s.pageURL(c, p.ID), Shown: s.Now().UnixMilli(), Problem: problem, First: number <= 1}
	if qp.Of > 0 {
		qp.Percent = 100 * (number - 1) / qp.Of
	}
	var matrix *field
	for _, it := range in.PageItems(page) {
		if !shownOnPage(it, v.Visible, in) {
			continue
		}
		f := newField(it, v.Answers[it.ID], raw, errs[it.ID])
		f.Conditional = !v.Visible[it.ID]
		if f.Error != "" {
			qp.Errors = append(qp.Errors, fieldError{ID: f.ID, Label: it.Text, Message: f.Error})
		}
		if it.Group == "" {
			qp.Fields = append(qp.Fields, f)
			matrix = nil
			continue
		}
		if matrix == nil || matrix.ID != it.Group {
			matrix = &field{ID: it.Group, Type: instrument.Matrix, Label: it.GroupText, Required: it.Required}
			if q := findQuestion(p, it.Group); q != nil {
				matrix.Hint = q.Help
			}
			qp.Fields = append(qp.Fields, matrix)
		}
		matrix.Rows = append(matrix.Rows, f)
	}
	if len(qp.Errors) > 0 || problem != "" {
		qp.Title = "Error: " + qp.Title
	}
	return s.render(c, status, "page.html", qp)
}

func findQuestion(p instrument.Page, id string) *instrument.Question {
	for i := range p.Questions {
		if p.Questions[i].ID == id {
			return &p.Questions[i]
		}
	}
	return nil
}

// newField builds the view of one item with its current value.
func newField(it instrument.Item, saved any, raw map[string][]string, errMsg string) *field {
	f := &field{ID: it.ID, Type: it.Type, Label: it.Text, Hint: it.Help, Required: it.Required, Error: errMsg, MaxLength: it.MaxLength}
	if it.Group != "" {
		f.Type = instrument.Single // a matrix row is answered like a single choice
	}
	posted, repost := raw[it.ID]
	if !repost {
		posted = savedStrings(saved)
	}
	for _, o := range it.Options {
		v := strconv.Itoa(o.Value)
		f.Options = append(f.Options, choice{Value: v, Label: o.Label, Checked: slices.Contains(posted, v), Exclusive: o.Exclusive})
	}
	for _, sp := range []string{instrument.DontKnow, instrument.PreferNotToSay} {
		if (sp == instrument.DontKnow && it.DontKnow) || (sp == instrument.PreferNotToSay && it.PreferNot) {
			f.Special = append(f.Special, choice{Value: sp, Label: specialLabels[sp], Checked: slices.Contains(posted, sp)})
		}
	}
	for _, p := range posted {
		if _, special := specialLabels[p]; !special {
			f.Value = p
			break
		}
	}
	if it.Min != nil {
		f.Min = strconv.FormatFloat(*it.Min, 'f', -1, 64)
	}
	if it.Max != nil {
		f.Max = strconv.FormatFloat(*it.Max, 'f', -1, 64)
	}
	f.Step = "any"
	if it.Integer {
		f.Step = "1"
	}
	return f
}

// savedStrings is a stored answer as the form would post it.
func savedStrings(v any) []string {
	switch v := v.(type) {
	case int:
		return []string{strconv.Itoa(v)}
	case []int:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = strconv.Itoa(x)
		}
		return out
	case float64:
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}
	case string:
		return []string{v}
	}
	return nil
}

// reviewPage lists the answers before submitting.
type reviewPage struct {
	Base
	Sections []reviewSection
	Errors   []fieldError
	Submit   string
}

type reviewSection struct {
	Title, ChangeURL string
	Answers          []reviewAnswer
}

type reviewAnswer struct {
	ID, Question, Answer string
	Missing              bool
}

func (s *Server) renderReview(c echo.Context, status int, v *respond.View, errs map[string]string) error {
	in := s.Instrument
	rp := reviewPage{Base: s.base(c, "Check your answers before submitting"), Submit: s.pageURL(c, "") + "/submit"}
	missing := map[string]bool{}
	for _, id := range in.Missing(v.Answers) {
		missing[id] = true
	}
	for _, page := range s.visiblePages(v.Answers, v.Visible) {
		sec := reviewSection{Title: in.Pages[page].Title, ChangeURL: s.pageURL(c, in.Pages[page].ID)}
		for _, it := range in.PageItems(page) {
			if !v.Visible[it.ID] {
				continue
			}
			q := it.Text
			if it.Group != "" {
				q = it.GroupText + " — " + it.Text
			}
			sec.Answers = append(sec.Answers, reviewAnswer{ID: it.ID, Question: q, Answer: answerText(it, v.Answers[it.ID]), Missing: missing[it.ID]})
			if msg, ok := errs[it.ID]; ok {
				rp.Errors = append(rp.Errors, fieldError{ID: it.ID, Label: q, Message: msg})
			}
		}
		rp.Sections = append(rp.Sections, sec)
	}
	if len(rp.Errors) > 0 {
		rp.Title = "Error: " + rp.Title
	}
	return s.render(c, status, "review.html", rp)
}

// answerText is an answer in words, for the review page.
func answerText(it instrument.Item, v any) string {
	if v == nil {
		return "Not answered"
	}
	if sp, ok := v.(string); ok && specialLabels[sp] != "" && (it.DontKnow || it.PreferNot) {
		return specialLabels[sp]
	}
	label := func(code int) string {
		for _, o := range it.Options {
			if o.Value == code {
				return o.Label
			}
		}
		return strconv.Itoa(code)
	}
	switch v := v.(type) {
	case int:
		return label(v)
	case []int:
		parts := make([]string, len(v))
		for i, code := range v {
			parts[i] = label(code)
		}
		return strings.Join(parts, "; ")
	}
	return strings.Join(savedStrings(v), "")
}
