package instrument

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// mustLoad loads a testdata instrument that must be valid.
func mustLoad(tb testing.TB, name string) *Instrument {
	tb.Helper()
	in, err := LoadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

func TestParse_OK(t *testing.T) {
	in := mustLoad(t, "good.yaml")
	var got []string
	for _, it := range in.Items() {
		got = append(got, it.ID)
	}
	want := []string{"color", "channels", "size", "years", "share", "opinion_a", "opinion_b", "name", "note", "veteran"}
	if !slices.Equal(got, want) {
		t.Errorf("items = %v, want %v", got, want)
	}

	row, _ := in.Item("opinion_b")
	if row.Type != Matrix || row.Group != "opinion" || row.GroupText != "Do you agree?" || !row.Required || len(row.Options) != 3 || row.Page != 1 {
		t.Errorf("matrix row = %+v", row)
	}
	note, _ := in.Item("note")
	if got, want := note.ShowIf, "(color == 1) && (3 in channels)"; got != want {
		t.Errorf("note.ShowIf = %q, want %q", got, want)
	}
	if got, want := note.Refs, []string{"color", "channels"}; !slices.Equal(got, want) {
		t.Errorf("note.Refs = %v, want %v", got, want)
	}
	if got, want := note.MaxLength, DefaultTextareaLength; got != want {
		t.Errorf("default textarea max_length = %d, want %d", got, want)
	}
	if got, want := len(in.PageItems(1)), 5; got != want {
		t.Errorf("PageItems(1) has %d items, want %d", got, want)
	}
	if got := in.PageItems(7); got != nil {
		t.Errorf("PageItems(7) = %v, want none", got)
	}
	if _, ok := in.Item("opinion"); ok {
		t.Error("a matrix's own id must not be an item")
	}

	phoenix, _ := time.LoadLocation("America/Phoenix")
	if got, want := in.FieldPeriod.Opens, time.Date(2026, 1, 1, 0, 0, 0, 0, phoenix); !got.Equal(want) {
		t.Errorf("opens = %v, want %v", got, want)
	}
	if got, want := in.FieldPeriod.Closes, time.Date(2026, 12, 31, 23, 59, 59, 0, phoenix); !got.Equal(want) {
		t.Errorf("closes = %v, want %v", got, want)
	}
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 1, 1, 6, 59, 59, 0, time.UTC), false}, // 23:59:59 the day before in Phoenix
		{time.Date(2026, 1, 1, 7, 0, 0, 0, time.UTC), true},
		{time.Date(2027, 1, 1, 6, 59, 58, 0, time.UTC), true},
		{time.Date(2027, 1, 1, 6, 59, 59, 0, time.UTC), false},
	} {
		if got := in.FieldPeriod.Contains(tt.at); got != tt.want {
			t.Errorf("Contains(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

// idRule is the message of an id outside [a-z][a-z0-9_]*.
const idRule = "is not a valid id: start with a lowercase letter, then at most 62 lowercase letters, digits or underscores"

// parseErrorCases are broken instrument files and the errors they give.
var parseErrorCases = []struct {
	file string
	want []string // the error's lines, without the leading "testdata/<file>: "
}{
	{"syntax.yaml", []string{"value is not allowed in this context (line 21, column 4)"}},
	{"yaml_panic.yaml", []string{"the file is not valid YAML for an instrument (the YAML reader failed: runtime error: invalid memory address or nil pointer dereference)"}},
	{"unknown_field.yaml", []string{`pages[1].questions[2].show-if: unknown field "show-if" (line 78, column 9)`}},
	{"bad_type.yaml", []string{`pages[0].questions[2].type: "select" is not one of: single multi matrix number text textarea dropdown`}},
	{"bad_id.yaml", []string{
		`pages[1].id: "$where" ` + idRule,
		`pages[1].questions[0].rows[0].id: "opinion.a" ` + idRule,
	}},
	{"duplicate_id.yaml", []string{`pages[1].questions[1].id: duplicate id "first" (first at pages[0].id)`}},
	{"unknown_scale.yaml", []string{`pages[1].questions[0].scale: unknown scale "agree5"`}},
	{"scale_and_options.yaml", []string{"pages[1].questions[0].options: give a scale or options, not both"}},
	{"no_options.yaml", []string{"pages[0].questions[2]: a dropdown question needs a scale or options"}},
	{"duplicate_options.yaml", []string{
		"pages[0].questions[1].options[1].value: value 1 repeats pages[0].questions[1].options[0]",
		`pages[0].questions[1].options[2].label: label "web" repeats pages[0].questions[1].options[0]`,
	}},
	{"exclusive.yaml", []string{
		"pages[0].questions[0]: only a multi question may have an exclusive option",
		"pages[0].questions[1].options[3].exclusive: only one option may be exclusive",
	}},
	{"reserved_code.yaml", []string{"pages[0].questions[2].options[1].value: value -8 is reserved: -9 to -5 are the export's missing-value codes"}},
	{"min_max.yaml", []string{"pages[0].questions[3].max: max 0 is less than min 60"}},
	{"wrong_fields.yaml", []string{
		"pages[1].questions[1].max_length: must be at least 0",
		"pages[0].questions[2].min: is not allowed in a dropdown question",
		"pages[0].questions[2].max_length: is not allowed in a dropdown question",
	}},
	{"matrix_rows.yaml", []string{"pages[1].questions[0].rows: a matrix needs rows"}},
	{"show_if.yaml", []string{
		"pages[0].questions[2].show_if_text: describes a condition, but the question has no show_if",
		`pages[0].questions[4].show_if: refers to "opinion_a", which does not come before it`,
		`pages[1].show_if: refers to "name", which does not come before it`,
		`pages[1].questions[1].show_if: refers to matrix "opinion"; refer to one of its rows`,
		`pages[1].questions[2].show_if: refers to "colour", which is not a question`,
		"pages[1].questions[3].show_if: is not a condition: compare an answer, e.g. years == 1",
	}},
	{"show_if_syntax.yaml", []string{"pages[1].questions[3].show_if: does not parse: unexpected token EOF (1:7)"}},
	{"field_period.yaml", []string{
		"field_period.closes: must be after opens",
		`field_period.time_zone: unknown time zone "Mars/Olympus"`,
	}},
	{"field_period_offset.yaml", []string{`field_period.closes: "2026-12-31T23:59:59+02:00" is not a date (2026-01-01) or a date and time (2026-01-01T08:00) without an offset`}},
	{"frame.yaml", []string{
		"frame.forms_of_government: must list at least 1",
		`frame.departments[1]: " police" repeats frame.departments[0]`,
	}},
	{"sponsor.yaml", []string{
		"sponsor.institution: is required",
		`contact.email: "survey at example.edu" is not an email address`,
		`contact.phone: "call us" is not a telephone number: digits, spaces, +, -, dots and brackets, at least seven digits`,
		"privacy: is required",
		"ethics.reference: is required",
	}},
	{"required_fields.yaml", []string{"title: is required", "pages[0].questions[2].text: is required"}},
}

func TestParse_Errors(t *testing.T) {
	for _, tt := range parseErrorCases {
		t.Run(tt.file, func(t *testing.T) {
			path := "testdata/" + tt.file
			in, err := LoadFile(path)
			if in != nil {
				t.Error("a broken file must not give an instrument")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LoadError", err)
			}
			want := make([]string, len(tt.want))
			for i, line := range tt.want {
				want[i] = path + ": " + line
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestLoadFile_Missing(t *testing.T) {
	if _, err := LoadFile("testdata/nope.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want not exist", err)
	}
}

func TestParse_ReservedID(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "id: share", "id: matches", 1))
	_, err = Parse("x.yaml", data)
	if got, want := err.Error(), `x.yaml: pages[0].questions[4].id: "matches" is a reserved word of show_if expressions`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The export's missing-value codes are -9 to -5: no option may take one,
// nor may a number question's answer; aapor.completeness is one of two
// rules, substantive unless given; frame.codes name columns once.
func TestParse_ExportAndAAPOR(t *testing.T) {
	good, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"option -5", "{value: 20, label: Large}", "{value: -5, label: Large}",
			"pages[0].questions[2].options[1].value: value -5 is reserved: -9 to -5 are the export's missing-value codes"},
		{"option -10", "{value: 20, label: Large}", "{value: -10, label: Large}", ""},
		{"number without min", "        min: 0\n        max: 60\n", "        max: 60\n",
			"pages[0].questions[3].min: the answer could be -9 to -5, the export's missing-value codes: set min to more than -5 (or max to less than -9)"},
		{"number below the codes", "        min: 0\n        max: 60\n", "        min: -100\n        max: -10\n", ""},
		{"number above the codes", "        min: 0\n        max: 60\n", "        min: -4.5\n", ""},
		{"completeness", "frame:\n", "aapor:\n  completeness: all\nframe:\n",
			`aapor.completeness: "all" is not one of: substantive any_answer`},
		{"any answer", "frame:\n", "aapor:\n  completeness: any_answer\nframe:\n", ""},
		{"codes", "frame:\n", "frame:\n  codes: [FIPS, fips ]\n", `frame.codes[1]: "fips" repeats frame.codes[0]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(string(good), tc.old, tc.new, 1)
			if data == string(good) {
				t.Fatalf("%q is not in good.yaml", tc.old)
			}
			in, err := Parse("x.yaml", []byte(data))
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || err.Error() != "x.yaml: "+tc.want):
				t.Fatalf("got %v, want %s", err, tc.want)
			case tc.name == "any answer" && in.AAPOR.Completeness != AnyAnswer:
				t.Errorf("completeness %q", in.AAPOR.Completeness)
			}
		})
	}
	if got := mustLoad(t, "good.yaml").AAPOR.Completeness; got != Substantive {
		t.Errorf("default completeness %q, want %q", got, Substantive)
	}
}

// TestDefault guards the embedded questionnaire: it loads, and holds the
// items the brief's analysis needs with exactly the codes it expects.
func TestDefault(t *testing.T) {
	in := Default()
	frequency := []Option{{0, "Never", false}, {1, "Less than monthly", false}, {2, "Monthly", false}, {3, "Weekly", false}, {4, "Daily", false}}
	agree := []Option{{1, "Strongly disagree", false}, {2, "Disagree", false}, {3, "Neither agree nor disagree", false}, {4, "Agree", false}, {5, "Strongly agree", false}}
	want := map[string][]Option{}
	for _, id := range []string{"provide_city_depts", "provide_other_govs", "provide_private", "receive_city_depts", "receive_other_govs", "receive_private"} {
		want[id] = frequency
	}
	for _, id := range []string{
		"participation_1", "participation_2", "participation_3",
		"shared_goals_1", "shared_goals_2", "shared_goals_3",
		"political_trust_1", "political_trust_2", "political_trust_3",
		"barrier_exposure", "barrier_questioning", "barrier_misuse", "barrier_infrastructure",
		"tech_capacity_1", "tech_capacity_2", "tech_capacity_3", "tech_capacity_4",
	} {
		want[id] = agree
	}
	for id, opts := range want {
		it, ok := in.Item(id)
		if !ok {
			t.Errorf("no item %q", id)
			continue
		}
		if !slices.Equal(it.Options, opts) {
			t.Errorf("%s options = %v, want %v", id, it.Options, opts)
		}
	}

	if got, want := in.Frame.Departments, []string{"Mayor's Office", "Community Development", "Parks and Recreation", "Police", "Finance"}; !slices.Equal(got, want) {
		t.Errorf("departments = %q, want %q", got, want)
	}
	if got, want := in.Frame.FormsOfGovernment, []string{"mayor-council", "council-manager", "commission", "town meeting", "representative town meeting"}; !slices.Equal(got, want) {
		t.Errorf("forms of government = %q, want %q", got, want)
	}
	for _, at := range []time.Time{time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), time.Date(2027, 12, 31, 12, 0, 0, 0, time.UTC)} {
		if !in.FieldPeriod.Contains(at) {
			t.Errorf("field period does not contain %v", at)
		}
	}
	if got, want := in.FieldPeriod.Location().String(), "America/Phoenix"; got != want {
		t.Errorf("time zone = %q, want %q", got, want)
	}
	if n := len(in.Pages); n < 8 || n > 10 {
		t.Errorf("%d pages, want 8 to 10", n)
	}
	if in.Consent == "" || in.Intro == "" || in.EstimatedMinutes == 0 {
		t.Error("consent, intro and estimated minutes must be set")
	}
	for _, frameField := range []string{"department", "population", "form_of_government"} {
		if _, ok := in.Item(frameField); ok {
			t.Errorf("%s comes from the frame and must not be asked", frameField)
		}
	}
	sm, _ := in.Item("social_media_use")
	if sm.Type != Multi || !slices.ContainsFunc(sm.Options, func(o Option) bool { return o.Exclusive && o.Label == "None of these" }) {
		t.Errorf("social_media_use = %+v, want a multi with an exclusive None of these", sm)
	}
}

// TestDefault_SkipLogic: the social media follow-up shows only to those who
// use social media, its "other" question only to those who chose "another".
func TestDefault_SkipLogic(t *testing.T) {
	in := Default()
	tests := []struct {
		use       any
		followup  bool
		otherText bool
	}{
		{nil, false, false},
		{[]int{0}, false, false},
		{[]int{1}, true, false},
		{[]int{1, 6}, true, true},
	}
	for _, tt := range tests {
		a := Answers{}
		if tt.use != nil {
			a["social_media_use"] = tt.use
		}
		shown := in.Visible(a)
		if got := shown["social_media_frequency"]; got != tt.followup {
			t.Errorf("use %v: follow-up shown = %v, want %v", tt.use, got, tt.followup)
		}
		if got := shown["social_media_other"]; got != tt.otherText {
			t.Errorf("use %v: other shown = %v, want %v", tt.use, got, tt.otherText)
		}
	}
}

// RevealedBy lists the answers of a same-page controlling item that show a
// follow-up, and declines conditions whose answers cannot be listed.
func TestRevealedBy(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		showIf     string
		controller string
		values     []string
		ok         bool
	}{
		{"color == 1", "color", []string{"1"}, true},
		{`color == 2 || color == "dont_know"`, "color", []string{"2", "dont_know"}, true},
		{"size == 20", "size", []string{"20"}, true},
		{"3 in channels", "", nil, false},            // check boxes: too many combinations
		{"years > 5", "", nil, false},                // a number
		{"color == 1 && size == 10", "", nil, false}, // two controllers
	} {
		t.Run(tt.showIf, func(t *testing.T) {
			src := strings.Replace(string(data), "        text: What share?\n", "        text: What share?\n        show_if: '"+tt.showIf+"'\n", 1)
			in, err := Parse("x.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			controller, values, ok := in.RevealedBy("share", nil)
			if controller != tt.controller || !slices.Equal(values, tt.values) || ok != tt.ok {
				t.Errorf("got %q %v %v, want %q %v %v", controller, values, ok, tt.controller, tt.values, tt.ok)
			}
		})
	}
	// A condition on an earlier page is settled before the page shows.
	if _, _, ok := Default().RevealedBy("social_media_policy", nil); ok {
		t.Error("social_media_policy reads an earlier page, yet is revealed on its own")
	}
}

func TestPhonePattern(t *testing.T) {
	for phone, want := range map[string]bool{
		"+1 480-965-0000": true, "(480) 965 0000": true, "480.965.0000 ext. 12": true, "+44 20 7946 0958": true,
		"call us": false, "12345": false, "480-965-0000; DROP": false, "": false,
	} {
		if got := phonePattern.MatchString(phone); got != want {
			t.Errorf("%q: got %v, want %v", phone, got, want)
		}
	}
}

func TestPrivacyURL(t *testing.T) {
	for privacy, want := range map[string]string{
		"https://example.edu/privacy":      "https://example.edu/privacy",
		" http://example.edu/p \n":         "http://example.edu/p",
		"Your answers are kept safe.":      "",
		"javascript:alert(1)":              "",
		"https://example.edu/a b":          "",
		"See https://example.edu/privacy.": "",
	} {
		if got := (&Instrument{Privacy: privacy}).PrivacyURL(); got != want {
			t.Errorf("%q: got %q, want %q", privacy, got, want)
		}
	}
}
