package server

import (
	"bytes"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

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
		"fixed":      fixed, // {{fixed 3 .Estimate}}
		"pvalue":     pvalue,
		"numeric":    numeric,
		"measure":    measure,
		"count":      count,
		"join":       strings.Join,
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

// Base is what the layout of every respondent page needs: the page, the
// links of the case, and who runs the survey (the footer of every page).
type Base struct {
	Title       string
	SurveyTitle string
	Link        string // the respondent's link, /s/{token}
	OptOutURL   string // empty: no opt-out link
	Sponsor     instrument.Sponsor
	Contact     instrument.Contact
	Ethics      *instrument.Ethics
	PrivacyURL  string // the instrument's own address, or /privacy
}

// plainBase is Base for a page that belongs to no case, or to a link that
// is not valid.
func (s *Server) plainBase(title string) Base {
	in := s.Instrument
	privacy := in.PrivacyURL()
	if privacy == "" {
		privacy = "/privacy"
	}
	return Base{Title: title, SurveyTitle: in.Title, Sponsor: in.Sponsor, Contact: in.Contact, Ethics: in.Ethics, PrivacyURL: privacy}
}

func (s *Server) base(c echo.Context, title string) Base {
	b := s.plainBase(title)
	if c.Param("token") != "" {
		b.Link = s.pageURL(c, "")
		b.OptOutURL = b.Link + "/optout"
	}
	return b
}

type messagePage struct {
	Base
	Title, Message string
	Continue       string   // a link to go on, if any
	Details        []string // further paragraphs
	Reference      string   // what the respondent quotes when writing, if anything
	Ask            string   // the question that leads to the contact, if any
}

type welcomePage struct {
	Base
	Intro, Consent string
	Privacy        string // the privacy notice's text; empty when it is an address
	Minutes, Pages int
	About          bool // Pages may still change with the answers
}

// questionPage is one page of the questionnaire.
type questionPage struct {
	Base
	PageTitle, Intro string
	Number, Of       int  // progress: this is page Number of Of
	About            bool // Of may still change with the answers
	Percent          int
	Action           string
	Shown            int64 // when the page was rendered, for paradata
	Fields           []*field
	Errors           []fieldError
	Problem          string // a problem not tied to a field, e.g. the store did not answer
	First            bool
	Returning        bool // reached by "Change" from Review: Next goes back there
}

// fieldError is one line of an error summary: a sentence that names the
// question, linking to it (on this page, or on its own page from Review).
type fieldError struct{ Href, Summary string }

// questionName is how a sentence names an item: its text without a final
// full stop, and a matrix row that continues its stem ("other departments
// in the city?") after the stem.
func questionName(it instrument.Item) string {
	name := strings.TrimSuffix(strings.TrimSpace(it.Text), ".")
	if r, _ := utf8.DecodeRuneInString(name); it.Group != "" && unicode.IsLower(r) {
		name = strings.TrimRight(strings.TrimSpace(it.GroupText), "…. ") + " " + name
	}
	return name
}

// summarySentence names the question in a message beside a field, so that
// the error summary reads as a sentence: "Select an answer for 'Our
// software meets the needs of our work'". The name goes before any
// explanation (after ":" or in brackets) the message carries.
func summarySentence(it instrument.Item, msg string) string {
	name := " for '" + questionName(it) + "'"
	if i := strings.IndexAny(msg, ":("); i > 0 {
		sep := " "
		if msg[i] == ':' {
			sep = ""
		}
		return strings.TrimRight(msg[:i], " ") + name + sep + msg[i:]
	}
	return msg + name
}

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
	InMatrix                     bool     // a matrix row: the matrix says whether it is required
	// Condition is set on a follow-up whose condition reads an answer on
	// this page: the condition in words, shown with it ("If …:").
	Condition string
	Reveal    *reveal // how scripts reveal it; nil: always shown
}

// Controls is every follow-up that some answer of f reveals: a select
// list, unlike radio buttons, is one control for all of its answers.
func (f *field) Controls() string {
	var ids []string
	for _, c := range slices.Concat(f.Options, f.Special) {
		for _, id := range strings.Fields(c.Controls) {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return strings.Join(ids, " ")
}

// reveal is a follow-up that scripts show only while its controlling
// answer is one of Values (the GOV.UK conditional reveal).
type reveal struct {
	Controller string // the controlling item's id, its inputs' name
	Values     string // the answers that show it, space-separated
}

type choice struct {
	Value, Label string
	Checked      bool
	Exclusive    bool
	Controls     string // ids of the follow-ups this answer reveals, space-separated
}

var specialLabels = map[string]string{instrument.DontKnow: "Don't know", instrument.PreferNotToSay: "Prefer not to say"}

// renderPage shows page with the saved answers, or with raw — what was just
// posted — where the page comes back to be corrected.
func (s *Server) renderPage(c echo.Context, status int, v *respond.View, page int, raw map[string][]string, errs map[string]string, problem string) error {
	in := s.Instrument
	p := in.Pages[page]
	pages := s.Respond.VisiblePages(v.Visible)
	number := slices.Index(pages, page) + 1
	qp := questionPage{Base: s.base(c, p.Title), PageTitle: p.Title, Intro: p.Intro, Number: number, Of: len(pages), About: s.Respond.PagesMayChange(page),
		Action: s.pageURL(c, p.ID), Shown: s.Now().UnixMilli(), Problem: problem, First: number <= 1, Returning: returning(c)}
	if qp.Returning {
		qp.Action += "?return=review"
	}
	if qp.Of > 0 {
		qp.Percent = 100 * (number - 1) / qp.Of
	}
	var matrix *field
	byID := map[string]*field{}
	for _, it := range in.PageItems(page) {
		if !s.Respond.ShownOnPage(it, v.Visible) {
			continue
		}
		f := newField(it, v.Answers[it.ID], raw, errs[it.ID])
		byID[it.ID] = f
		if f.Error != "" {
			qp.Errors = append(qp.Errors, fieldError{Href: "#" + f.ID, Summary: summarySentence(it, f.Error)})
		}
		if it.Group == "" {
			s.conditional(f, it, v.Answers, byID)
			qp.Fields = append(qp.Fields, f)
			matrix = nil
			continue
		}
		if matrix == nil || matrix.ID != it.Group {
			matrix = &field{ID: it.Group, Type: instrument.Matrix, Label: it.GroupText, Required: it.Required}
			s.conditional(matrix, it, v.Answers, byID)
			if q := findQuestion(p, it.Group); q != nil {
				matrix.Hint = q.Help
			}
			qp.Fields = append(qp.Fields, matrix)
		}
		f.InMatrix = true
		matrix.Rows = append(matrix.Rows, f)
	}
	if len(qp.Errors) > 0 || problem != "" {
		qp.Title = "Error: " + qp.Title
	}
	return s.render(c, status, "page.html", qp)
}

// conditional marks f, the field of item it (a matrix: of its first row),
// as a follow-up when its condition reads an earlier answer on its page,
// and the controlling answers that reveal it. byID holds the page's fields
// so far; the controller comes before its follow-ups.
func (s *Server) conditional(f *field, it instrument.Item, a instrument.Answers, byID map[string]*field) {
	if !s.Respond.ReadsOwnPage(it) {
		return
	}
	f.Condition = "If " + s.conditionWords(it, a) + ":"
	controller, values, ok := s.Instrument.RevealedBy(it.ID, a)
	ctl := byID[controller]
	if !ok || ctl == nil {
		return
	}
	f.Reveal = &reveal{Controller: controller, Values: strings.Join(values, " ")}
	for _, list := range [][]choice{ctl.Options, ctl.Special} {
		for i := range list {
			if slices.Contains(values, list[i].Value) {
				list[i].Controls = strings.TrimSpace(list[i].Controls + " conditional-" + f.ID)
			}
		}
	}
}

// conditionWords is the condition of item it in words, completing "If …":
// the file's own words, else the answers that show it, else a general
// phrase for a condition whose answers cannot be listed.
func (s *Server) conditionWords(it instrument.Item, a instrument.Answers) string {
	if it.ShowIfText != "" {
		return it.ShowIfText
	}
	controller, values, ok := s.Instrument.RevealedBy(it.ID, a)
	if !ok || len(values) == 0 {
		return "it applies given your answers above"
	}
	c, _ := s.Instrument.Item(controller)
	labels := make([]string, len(values))
	for i, v := range values {
		labels[i] = strconv.Quote(answerText(c, formCode(v)))
	}
	return fmt.Sprintf("you answered %s to %q", strings.Join(labels, " or "), c.Text)
}

// formCode is a posted choice as a stored answer: an option code, or a
// special answer as it is.
func formCode(v string) any {
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return v
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

// reviewAnswer is one question and its answer; a matrix is its stem once,
// with its rows and their answers.
type reviewAnswer struct {
	ID, Question, Answer string
	Missing              bool
	Rows                 []reviewAnswer
}

func (s *Server) renderReview(c echo.Context, status int, v *respond.View, errs map[string]string) error {
	in := s.Instrument
	rp := reviewPage{Base: s.base(c, "Check your answers before submitting"), Submit: s.pageURL(c, "") + "/submit"}
	missing := map[string]bool{}
	for _, id := range in.Missing(v.Answers) {
		missing[id] = true
	}
	for _, page := range s.Respond.VisiblePages(v.Visible) {
		// "Change" comes back here once the page is saved.
		change := s.pageURL(c, in.Pages[page].ID) + "?return=review"
		sec := reviewSection{Title: in.Pages[page].Title, ChangeURL: change}
		for _, it := range in.PageItems(page) {
			if !v.Visible[it.ID] {
				continue
			}
			a := reviewAnswer{ID: it.ID, Question: it.Text, Answer: answerText(it, v.Answers[it.ID]), Missing: missing[it.ID]}
			switch last := len(sec.Answers) - 1; {
			case it.Group == "":
				sec.Answers = append(sec.Answers, a)
			case last >= 0 && sec.Answers[last].ID == it.Group:
				sec.Answers[last].Rows = append(sec.Answers[last].Rows, a)
			default:
				sec.Answers = append(sec.Answers, reviewAnswer{ID: it.Group, Question: it.GroupText, Rows: []reviewAnswer{a}})
			}
			if _, ok := errs[it.ID]; ok {
				rp.Errors = append(rp.Errors, fieldError{Href: change + "#" + it.ID, Summary: summarySentence(it, requiredMessage(it))})
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
