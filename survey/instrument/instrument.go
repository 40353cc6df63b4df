// Package instrument defines questionnaires ("instruments"): their YAML
// format, the checks run when one is loaded, skip logic, and the validation
// of a respondent's answers against them. It does no I/O beyond reading the
// instrument file and knows nothing of HTTP or the store.
package instrument

import (
	"net/url"
	"strings"
	"time"
)

// Question types.
const (
	Single   = "single"   // one option, radio buttons
	Multi    = "multi"    // several options, check boxes; an option may be exclusive ("none of these")
	Matrix   = "matrix"   // several items sharing one scale; each item is its own question id
	Number   = "number"   // a number within min and max, optionally an integer
	Text     = "text"     // a short text, one line
	Textarea = "textarea" // a long text
	Dropdown = "dropdown" // one option from a select list
)

// Special answers a question may allow besides its options. In JSON and in
// the store they are these strings; in the CSV export, the codes below.
const (
	DontKnow           = "dont_know"
	PreferNotToSay     = "prefer_not_to_say"
	DontKnowCode       = -8
	PreferNotToSayCode = -9
)

// The CSV export's codes for an item without an answer, beside the special
// answers' codes: together -9 to -5, which no option and no number question
// may take (checked at load), so a code never reads as an answer.
const (
	NotAnsweredCode = -5 // its page was shown and the item left empty
	NotAskedCode    = -6 // its show_if was false, given the answers
	NotReachedCode  = -7 // the respondent stopped before its page
)

// What counts as an answered item toward AAPOR's complete and partial
// thresholds (aapor.completeness).
const (
	// Substantive counts every answer but "prefer not to say", which is an
	// item refusal: AAPOR counts items "answered with other than a refusal
	// or no answer", so "don't know" counts.
	Substantive = "substantive"
	AnyAnswer   = "any_answer" // special answers count too
)

// Instrument is a loaded and checked questionnaire.
type Instrument struct {
	ID               string `yaml:"id" validate:"required,id"`
	Title            string `yaml:"title" validate:"required"`
	Version          string `yaml:"version"`
	Intro            string `yaml:"intro"`                              // shown on the welcome page
	Consent          string `yaml:"consent" validate:"required"`        // the consent text the welcome page shows
	EstimatedMinutes int    `yaml:"estimated_minutes" validate:"gte=0"` // shown on the welcome page
	// Who runs the survey, whom to ask, and what happens to the answers:
	// shown on the welcome page, in every page's footer and in the default
	// invitation's signature, so that a personal link does not read like
	// phishing.
	Sponsor     Sponsor          `yaml:"sponsor" validate:"required"`
	Contact     Contact          `yaml:"contact" validate:"required"`
	Privacy     string           `yaml:"privacy" validate:"required"` // a privacy notice, or the http(s) address of one
	Ethics      *Ethics          `yaml:"ethics"`                      // the approving board, if any
	FieldPeriod FieldPeriod      `yaml:"field_period"`
	AAPOR       AAPOR            `yaml:"aapor"` // how the AAPOR dispositions read the answers
	Frame       Frame            `yaml:"frame"` // what the sample frame may contain
	Scales      map[string]Scale `yaml:"scales" validate:"dive,keys,id,endkeys"`
	Pages       []Page           `yaml:"pages" validate:"min=1,dive"`
	Analysis    *Analysis        `yaml:"analysis"` // what the nightly run computes; none: no nightly analysis

	// Derived by Parse from the fields above.
	items []Item         // answerable items in questionnaire order
	index map[string]int // item id → position in items
	conds []condition    // per item: the compiled show_if of its page and question
}

// Sponsor is the institution that runs the survey and the researcher
// responsible for it.
type Sponsor struct {
	Institution           string `yaml:"institution" validate:"required"`
	PrincipalInvestigator string `yaml:"principal_investigator" validate:"required"`
}

// Contact is whom respondents write to or call with questions.
type Contact struct {
	Name  string `yaml:"name" validate:"required"`
	Email string `yaml:"email" validate:"required,email"`
	Phone string `yaml:"phone" validate:"omitempty,phone"`
}

// Ethics is the board that approved the study and its reference, e.g. an
// Institutional Review Board's protocol number.
type Ethics struct {
	Board     string `yaml:"board" validate:"required"`
	Reference string `yaml:"reference" validate:"required"`
}

// PrivacyURL is the privacy notice's address when Privacy is one, else "".
func (in *Instrument) PrivacyURL() string {
	p := strings.TrimSpace(in.Privacy)
	if u, err := url.Parse(p); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.ContainsAny(p, " \n") {
		return p
	}
	return ""
}

// FieldPeriod is when the survey accepts answers. The file gives Opens and
// Closes as wall-clock dates or times without an offset ("2026-01-01",
// "2027-12-31T23:59:59"); Parse places them in TimeZone.
type FieldPeriod struct {
	TimeZone string    `yaml:"time_zone" validate:"required"` // IANA name, e.g. America/Phoenix
	Opens    time.Time `yaml:"opens"`
	Closes   time.Time `yaml:"closes"`

	loc *time.Location // TimeZone, loaded by Parse
}

// Location is the field period's time zone.
func (f FieldPeriod) Location() *time.Location { return f.loc }

// Contains reports whether the survey accepts answers at t: Opens ≤ t < Closes.
func (f FieldPeriod) Contains(t time.Time) bool {
	return !t.Before(f.Opens) && t.Before(f.Closes)
}

// AAPOR is how the survey applies AAPOR's Standard Definitions.
type AAPOR struct {
	// Completeness is Substantive (the default, set by Parse) or AnyAnswer.
	Completeness string `yaml:"completeness" validate:"omitempty,oneof=substantive any_answer"`
}

// Frame lists the canonical values the sample frame's fields may take.
type Frame struct {
	Departments       []string `yaml:"departments" validate:"min=1,dive,required"`
	FormsOfGovernment []string `yaml:"forms_of_government" validate:"min=1,dive,required"`
	// Codes names the further frame columns that hold codes, such as a FIPS
	// place code: the de-identified export keeps them. Any other further
	// column may be free text (a note, a phone number) and is left out.
	Codes []string `yaml:"codes" validate:"dive,required"`
}

// Scale is a named, reusable list of options.
type Scale struct {
	Options []Option `yaml:"options" validate:"min=1,dive"`
}

// Option is one answer choice: an integer code and its label.
type Option struct {
	Value     int    `yaml:"value" json:"value"`
	Label     string `yaml:"label" json:"label" validate:"required"`
	Exclusive bool   `yaml:"exclusive,omitempty" json:"exclusive,omitempty"` // multi only: "none of these"
}

// Page is one screen of the questionnaire.
type Page struct {
	ID        string     `yaml:"id" validate:"required,id"`
	Title     string     `yaml:"title"`
	Intro     string     `yaml:"intro"`
	ShowIf    string     `yaml:"show_if"` // the page shows when this holds (empty: always)
	Questions []Question `yaml:"questions" validate:"min=1,dive"`
}

// Question is one question as written in the file. A matrix expands into
// one Item per row (see Items).
type Question struct {
	ID        string   `yaml:"id" validate:"required,id"`
	Type      string   `yaml:"type" validate:"required,oneof=single multi matrix number text textarea dropdown"`
	Text      string   `yaml:"text" validate:"required"`
	Help      string   `yaml:"help"`
	Required  bool     `yaml:"required"`
	Scale     string   `yaml:"scale"`                   // name of a scale in Instrument.Scales
	Options   []Option `yaml:"options" validate:"dive"` // inline options instead of a scale
	Rows      []Row    `yaml:"rows" validate:"dive"`    // matrix only
	Min       *float64 `yaml:"min"`
	Max       *float64 `yaml:"max"`
	Integer   bool     `yaml:"integer"`
	MaxLength int      `yaml:"max_length" validate:"gte=0,lte=100000"`
	ShowIf    string   `yaml:"show_if"`
	// ShowIfText is show_if in words, completing "If …": the page shows it
	// above a follow-up that depends on an answer on the same page.
	ShowIfText string `yaml:"show_if_text"`
	DontKnow   bool   `yaml:"dont_know"`         // allows "don't know"
	PreferNot  bool   `yaml:"prefer_not_to_say"` // allows "prefer not to say"
}

// Row is one item of a matrix: its own question id and text.
type Row struct {
	ID   string `yaml:"id" validate:"required,id"`
	Text string `yaml:"text" validate:"required"`
}
