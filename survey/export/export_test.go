package export

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

var full = Options{Thresholds: aapor.DefaultThresholds}

// testCases are one case of each kind the missing-value codes tell apart,
// on the default questionnaire.
func testCases() []survey.Case {
	at := time.Date(2026, 4, 2, 15, 4, 5, 0, time.UTC)
	return []survey.Case{
		{ID: "submitted", Status: survey.StatusSubmitted, StartedAt: &at, SubmittedAt: &at, Page: survey.ReviewPage,
			Frame: survey.Frame{Email: "a@example.org", Name: "=HYPERLINK(\"x\")", Department: "Police", Population: 50000,
				Extra: map[string]string{"FIPS": "0644000", "Note": "-1 for budget"}},
			Answers: map[string]any{
				"years_in_position":     int32(7), // as the store may give it back
				"job_title":             "-7",     // typed, not the code of "not reached"
				"staff_supervised":      instrument.PreferNotToSay,
				"tech_adoption":         instrument.DontKnow,
				"social_media_use":      []any{int64(1), int64(6)},
				"comments":              "=1+1",
				"open_data_policy":      0,    // "No" hides the year ...
				"open_data_policy_year": 2015, // ... so this is not kept
			}},
		// Saved the first page, sent on to the second, and left.
		{ID: "stopped", Status: survey.StatusStarted, StartedAt: &at, Page: "technology",
			Paradata: survey.Paradata{PageSeconds: map[string]float64{"about_you": 30}},
			Answers:  map[string]any{"years_in_position": 7}},
		// "None of these" social media, sent on to the online services page:
		// the follow-ups are settled, the policy page not reached.
		{ID: "none", Status: survey.StatusStarted, StartedAt: &at, Page: "online",
			Paradata: survey.Paradata{PageSeconds: map[string]float64{"about_you": 30, "technology": 40, "social_media": 9}},
			Answers:  map[string]any{"years_in_position": 7, "social_media_use": []any{0}}},
		// A program answering through the API names no pages.
		{ID: "api", Status: survey.StatusStarted, StartedAt: &at, Answers: map[string]any{"participation_1": 3}},
		{ID: "new", Status: survey.StatusNew},
	}
}

// cell is what a case's row must hold in a column.
type cell struct{ id, col, want string }

func wantCells(t *testing.T, rows map[string]map[string]string, cells []cell) {
	t.Helper()
	for _, c := range cells {
		if got := rows[c.id][c.col]; got != c.want {
			t.Errorf("%s %s = %q, want %q", c.id, c.col, got, c.want)
		}
	}
}

// read parses an export into its header and its rows by case id.
func read(t *testing.T, data []byte) ([]string, map[string]map[string]string) {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]map[string]string{}
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, h := range records[0] {
			row[h] = rec[i]
		}
		rows[rec[0]] = row
	}
	return records[0], rows
}

func TestWriteCSV(t *testing.T) {
	in := instrument.Default()
	var buf bytes.Buffer
	book, err := WriteCSV(&buf, in, testCases(), full)
	if err != nil {
		t.Fatal(err)
	}
	header, rows := read(t, buf.Bytes())
	if len(header) != len(book.Variables) {
		t.Fatalf("header has %d columns, codebook %d", len(header), len(book.Variables))
	}
	wantCells(t, rows, []cell{
		{"submitted", "frame_fips", "0644000"},
		{"submitted", "frame_note", "'-1 for budget"},
		{"submitted", "name", "'=HYPERLINK(\"x\")"},
		{"submitted", "population", "50000"},
		{"submitted", "submitted_at", "2026-04-02T15:04:05Z"},
		{"submitted", "disposition", "R"}, // too few answers for a partial: a break-off that pressed submit
		{"submitted", "years_in_position", "7"},
		{"submitted", "job_title", "'-7"},
		{"submitted", "staff_supervised", "-9"},
		{"submitted", "tech_adoption", "-8"},
		{"submitted", "tech_capacity_1", "-5"}, // shown, left empty
		{"submitted", "social_media_use_1", "1"},
		{"submitted", "social_media_use_2", "0"},
		{"submitted", "social_media_use_0", "0"},
		{"submitted", "social_media_other", "-5"},
		{"submitted", "comments", "'=1+1"},
		{"submitted", "open_data_policy", "0"},
		{"submitted", "open_data_policy_year", "-6"}, // the "No" hides it
		{"stopped", "years_in_position", "7"},
		{"stopped", "job_title", "-5"},
		{"stopped", "tech_capacity_1", "-5"}, // the page it was sent to, shown
		{"stopped", "social_media_use_1", "-7"},
		{"stopped", "social_media_frequency", "-7"}, // hidden only because social media is not answered yet
		{"stopped", "open_data_policy_year", "-7"},
		{"none", "social_media_use_0", "1"},
		{"none", "social_media_frequency", "-6"}, // its page was skipped
		{"none", "online_services_1", "-5"},
		{"none", "social_media_policy", "-6"}, // not reached, but the answers already hide it
		{"none", "open_data_policy_year", "-7"},
		{"none", "comments", "-7"},
		{"api", "tech_capacity_1", "-5"}, // before the furthest answer
		{"api", "participation_1", "3"},
		{"api", "provide_city_depts", "-7"},
		{"new", "years_in_position", "-7"},
		{"new", "social_media_use_0", "-7"},
		{"new", "disposition", "UO"},
		{"new", "frame_fips", ""},
		{"new", "started_at", ""},
	})
	// Every question cell holds an answer or one of its column's codes.
	for _, v := range book.Variables {
		for id, row := range rows {
			if cell := row[v.Name]; v.Question != "" && strings.HasPrefix(cell, "-") && v.Missing[cell] == "" && v.Type != instrument.Number {
				t.Errorf("%s %s = %q, not a code the codebook lists for it (%v)", id, v.Name, cell, v.Missing)
			}
		}
	}
}

// The codebook counts what the file holds, column by column and code by
// code, and states its rules.
func TestBook(t *testing.T) {
	in := instrument.Default()
	var buf bytes.Buffer
	book, err := WriteCSV(&buf, in, testCases(), full)
	if err != nil {
		t.Fatal(err)
	}
	_, rows := read(t, buf.Bytes())
	cells := map[string]int{}
	for _, v := range book.Variables {
		want := map[string]int{}
		for code := range v.Values {
			want[code] = 0
		}
		for code := range v.Missing {
			want[code] = 0
		}
		for _, row := range rows {
			if _, ok := want[row[v.Name]]; ok {
				want[row[v.Name]]++
			}
			if _, ok := v.Missing[row[v.Name]]; ok {
				cells[row[v.Name]]++
			}
		}
		if len(want) == 0 {
			want = nil
		}
		if !mapsEqual(v.Counts, want) {
			t.Errorf("%s: counts %v, the file has %v", v.Name, v.Counts, want)
		}
	}
	for _, mc := range book.MissingCodes {
		if got, want := mc.Cells, cells[strconv.Itoa(mc.Code)]; got != want || mc.Meaning == "" {
			t.Errorf("code %d: %d cells, the file has %d", mc.Code, got, want)
		}
	}
	if cells["-5"] == 0 || cells["-6"] == 0 || cells["-7"] == 0 || cells["-8"] == 0 || cells["-9"] == 0 {
		t.Errorf("the test cases do not use every code: %v", cells)
	}
	if book.Rows != 5 || book.Neutralized != 3 { // the name, the note and the comment; not the typed "-7"
		t.Errorf("rows %d, neutralized %d", book.Rows, book.Neutralized)
	}
	if book.AAPOR.Completeness != instrument.Substantive || !strings.Contains(book.AAPOR.Rule, `every answer but "prefer not to say"`) ||
		!strings.Contains(book.AAPOR.Rule, "80%") {
		t.Errorf("aapor: %+v", book.AAPOR)
	}
	anyAnswer := *in
	anyAnswer.AAPOR.Completeness = instrument.AnyAnswer
	if b, _ := WriteCSV(&bytes.Buffer{}, &anyAnswer, nil, full); !strings.Contains(b.AAPOR.Rule, "any_answer") {
		t.Errorf("any_answer: %+v", b.AAPOR)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCodebookColumns(t *testing.T) {
	in := instrument.Default()
	book, err := WriteCSV(&bytes.Buffer{}, in, nil, full)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Variable{}
	for _, v := range book.Variables {
		if _, dup := byName[v.Name]; dup {
			t.Errorf("column %q twice", v.Name)
		}
		byName[v.Name] = v
	}
	v := byName["provide_city_depts"]
	if v.Values["0"] != "Never" || v.Values["4"] != "Daily" || v.Missing["-8"] != "don't know" || v.Missing["-5"] != "not answered" ||
		v.Missing["-7"] != "not reached" || v.Missing["-6"] != "" || v.Label == "" {
		t.Errorf("provide_city_depts: %+v", v)
	}
	if v := byName["social_media_use_0"]; v.Question != "social_media_use" || v.Values["1"] != "selected" {
		t.Errorf("social_media_use_0: %+v", v)
	}
	// Every condition names columns of the file, not the questions behind
	// them: social_media_use is a column per option.
	for _, v := range book.Variables {
		if v.ShowIf == "" {
			continue
		}
		if v.Missing["-6"] != "not asked" {
			t.Errorf("%s has a condition but no code for not asked", v.Name)
		}
		tree, err := parser.Parse(v.ShowIf)
		if err != nil {
			t.Fatalf("%s: %q does not parse: %v", v.Name, v.ShowIf, err)
		}
		ids := &identifiers{}
		ast.Walk(&tree.Node, ids)
		for _, id := range ids.names {
			if _, ok := byName[id]; !ok {
				t.Errorf("%s: the condition %q names %q, which is not a column", v.Name, v.ShowIf, id)
			}
		}
	}
	if got, want := byName["social_media_other"].ShowIf, "not (social_media_use_1 in [-7, -6, -5]) && social_media_use_0 == 0 && social_media_use_6 == 1"; got != want {
		t.Errorf("social_media_other asked when %q, want %q", got, want)
	}
}

type identifiers struct{ names []string }

func (v *identifiers) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v.names = append(v.names, id.Value)
	}
}

func TestColumnCondition(t *testing.T) {
	in := instrument.Default()
	for _, tc := range []struct{ in, want string }{
		{"open_data_policy == 1", "open_data_policy == 1"},
		{"6 in social_media_use", "social_media_use_6 == 1"},
		{"!(6 in social_media_use)", "social_media_use_6 == 0"},
		{"not (6 in social_media_use)", "social_media_use_6 == 0"},
		{"0 not in social_media_use", "social_media_use_0 == 0"},
		{"social_media_use == nil", "social_media_use_1 in [-7, -6, -5]"},
		{"nil != years_in_position", "not (years_in_position in [-7, -6, -5])"},
		{`open_data_policy != "dont_know"`, "open_data_policy != -8"},
		{`"prefer_not_to_say" == staff_supervised`, "staff_supervised == -9"},
		{`job_title == "dont_know"`, `job_title == "dont_know"`}, // plain text: no special answer
		{"9 in social_media_use", "9 in social_media_use"},       // no such option
		{"len(social_media_use ?? []) >= 2", "len(social_media_use ?? []) >= 2"},
		{"", ""},
	} {
		if got := columnCondition(in, tc.in); got != tc.want {
			t.Errorf("columnCondition(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDeidentified(t *testing.T) {
	in := *instrument.Default()
	in.Frame.Codes = []string{"fips"} // declared a code, unlike Note
	var buf bytes.Buffer
	book, err := WriteCSV(&buf, &in, testCases(), Options{Thresholds: aapor.DefaultThresholds, Deidentified: true})
	if err != nil {
		t.Fatal(err)
	}
	header, rows := read(t, buf.Bytes())
	for _, gone := range []string{"email", "name", "title", "frame_note", "job_title", "social_media_other", "comments"} {
		if slices.Contains(header, gone) {
			t.Errorf("the de-identified file has %s", gone)
		}
	}
	for _, kept := range []string{"case_id", "department", "city", "state", "population", "frame_fips", "disposition", "years_in_position", "social_media_use_1"} {
		if !slices.Contains(header, kept) {
			t.Errorf("the de-identified file lacks %s", kept)
		}
	}
	if got := rows["submitted"]["frame_fips"]; got != "0644000" {
		t.Errorf("frame_fips = %q", got)
	}
	if !book.Deidentified || strings.Contains(buf.String(), "a@example.org") || strings.Contains(buf.String(), "HYPERLINK") {
		t.Error("identifying data in the de-identified file")
	}
	if len(book.Variables) != len(header) {
		t.Errorf("codebook %d variables, file %d columns", len(book.Variables), len(header))
	}
}

func TestExtraNames(t *testing.T) {
	got := extraNames([]string{"FIPS", "Region code", "region-code", "Über", "Ü", "9 digits"})
	want := []string{"frame_fips", "frame_region_code", "frame_region_code_2", "frame_ber", "frame_", "frame_9_digits"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""}, {"plain", "plain"}, {"Mayor's Office", "Mayor's Office"}, {"a=b", "a=b"}, {"1-2", "1-2"},
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"+1 480-555-0100", "'+1 480-555-0100"}, {"-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"}, {"- a list", "'- a list"},
		{"-2+3", "'-2+3"}, {"-1e5", "'-1e5"},
		// A plain number is read as that number, not evaluated.
		{"-3", "-3"}, {"-8", "-8"}, {"+1", "+1"}, {"-0.5", "-0.5"},
		// Spreadsheets do not evaluate what starts with a space or a look-alike.
		{" =1+1", " =1+1"}, {"＝1+1", "＝1+1"}, {"−1", "−1"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{{"-5", "'-5"}, {"-9", "'-9"}, {"-4", "-4"}, {"-10", "-10"}, {"-05", "-05"}, {"=1", "'=1"}} {
		if got := answerText(tc.in); got != tc.want {
			t.Errorf("answerText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
