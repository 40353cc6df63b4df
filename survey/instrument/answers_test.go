package instrument

import (
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey"
)

// fields returns the Fields of an EINVALID *survey.Error, failing otherwise.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var se *survey.Error
	if !errors.As(err, &se) || se.Code != survey.EINVALID {
		t.Fatalf("err = %v, want an EINVALID *survey.Error", err)
	}
	return se.Fields
}

func TestDecodeJSON(t *testing.T) {
	in := mustLoad(t, "good.yaml")
	tests := []struct {
		name      string
		body      string
		set       Answers
		clear     []string
		badFields map[string]string
	}{
		{"single", `{"color": 2}`, Answers{"color": 2}, nil, nil},
		{"single as 2.0", `{"color": 2.0}`, Answers{"color": 2}, nil, nil},
		{"single special", `{"color": "dont_know"}`, Answers{"color": DontKnow}, nil, nil},
		{"single not an option", `{"color": 3}`, nil, nil, map[string]string{"color": "3 is not one of the options"}},
		{"single numeric string", `{"color": "2"}`, nil, nil, map[string]string{"color": "Choose one of the options"}},
		{"single fraction", `{"color": 1.5}`, nil, nil, map[string]string{"color": "Choose one of the options"}},
		{"single operator object", `{"color": {"$gt": 1}}`, nil, nil, map[string]string{"color": "Choose one of the options"}},
		{"single special not allowed", `{"size": "prefer_not_to_say"}`, nil, nil, map[string]string{"size": "This question does not offer that answer"}},
		{"dropdown", `{"size": 20}`, Answers{"size": 20}, nil, nil},
		{"dropdown huge", `{"size": 1e300}`, nil, nil, map[string]string{"size": "Choose one of the options"}},
		{"multi sorted unique", `{"channels": [3, 1, 3]}`, Answers{"channels": []int{1, 3}}, nil, nil},
		{"multi exclusive alone", `{"channels": [0]}`, Answers{"channels": []int{0}}, nil, nil},
		{"multi exclusive combined", `{"channels": [0, 2]}`, nil, nil, map[string]string{"channels": `"None of these" cannot be combined with other answers`}},
		{"multi special", `{"channels": "prefer_not_to_say"}`, Answers{"channels": PreferNotToSay}, nil, nil},
		{"multi not a list", `{"channels": 1}`, nil, nil, map[string]string{"channels": "Choose any of the options (a list of option codes)"}},
		{"multi bad element", `{"channels": [1, "x"]}`, nil, nil, map[string]string{"channels": "Choose any of the options (a list of option codes)"}},
		{"multi not an option", `{"channels": [1, 9]}`, nil, nil, map[string]string{"channels": "9 is not one of the options"}},
		{"multi empty clears", `{"channels": []}`, Answers{}, []string{"channels"}, nil},
		{"matrix row", `{"opinion_a": 3}`, Answers{"opinion_a": 3}, nil, nil},
		{"matrix itself", `{"opinion": 3}`, nil, nil, map[string]string{"opinion": "Unknown question"}},
		{"number", `{"share": 0.25}`, Answers{"share": 0.25}, nil, nil},
		{"number integer", `{"years": 12}`, Answers{"years": 12.0}, nil, nil},
		{"number not integer", `{"years": 1.5}`, nil, nil, map[string]string{"years": "Enter a whole number"}},
		{"number out of range", `{"years": 61}`, nil, nil, map[string]string{"years": "Enter a number between 0 and 60"}},
		{"number negative", `{"share": -0.1}`, nil, nil, map[string]string{"share": "Enter a number between 0 and 1"}},
		{"number as string", `{"share": "0.5"}`, nil, nil, map[string]string{"share": "Enter a number"}},
		{"number as array", `{"share": [1]}`, nil, nil, map[string]string{"share": "Enter a number"}},
		{"number special", `{"years": "dont_know"}`, Answers{"years": DontKnow}, nil, nil},
		{"number overflow", `{"share": 1e999}`, nil, nil, map[string]string{"share": "Enter a number"}},
		{"text trimmed", `{"name": "  Ann "}`, Answers{"name": "Ann"}, nil, nil},
		{"text counts characters", `{"name": "Zoë é"}`, Answers{"name": "Zoë é"}, nil, nil},
		{"text too long", `{"name": "Annabel"}`, nil, nil, map[string]string{"name": "Enter at most 5 characters (this has 7)"}},
		{"text blank clears", `{"name": "  "}`, Answers{}, []string{"name"}, nil},
		{"text not a string", `{"name": 5}`, nil, nil, map[string]string{"name": "Enter text"}},
		{"text special word is text", `{"name": "dont_know"}`, nil, nil, map[string]string{"name": "Enter at most 5 characters (this has 9)"}},
		{"textarea", `{"note": "Because."}`, Answers{"note": "Because."}, nil, nil},
		{"null clears", `{"color": null, "years": null}`, Answers{}, []string{"color", "years"}, nil},
		{"unknown id", `{"colour": 1}`, nil, nil, map[string]string{"colour": "Unknown question"}},
		{"operator key", `{"$set": 1, "a.b": 2}`, nil, nil, map[string]string{"$set": "Unknown question", "a.b": "Unknown question"}},
		{"all or nothing", `{"color": 1, "years": 99}`, nil, nil, map[string]string{"years": "Enter a number between 0 and 60"}},
		{"several", `{"color": 1, "size": 20, "channels": [1, 2], "note": null}`, Answers{"color": 1, "size": 20, "channels": []int{1, 2}}, []string{"note"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tt.body), &raw); err != nil {
				t.Fatal(err)
			}
			set, clear, err := in.DecodeJSON(raw)
			if tt.badFields != nil {
				if got := fields(t, err); !maps.Equal(got, tt.badFields) {
					t.Errorf("fields = %v, want %v", got, tt.badFields)
				}
				if set != nil || clear != nil {
					t.Errorf("on error got set %v, clear %v; want nothing", set, clear)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(set, tt.set) {
				t.Errorf("set = %#v, want %#v", set, tt.set)
			}
			if !slices.Equal(clear, tt.clear) {
				t.Errorf("clear = %v, want %v", clear, tt.clear)
			}
		})
	}
}

// decodeFormCases are pages posted to good.yaml and what they decode to.
var decodeFormCases = []struct {
	name      string
	page      int
	form      url.Values
	set       Answers
	clear     []string
	badFields map[string]string
}{
	{
		name: "whole page",
		form: url.Values{"color": {"1"}, "channels": {"1", "3"}, "size": {"10"}, "years": {" 7 "}, "share": {"0.5"}, "csrf": {"x"}},
		set:  Answers{"color": 1, "channels": []int{1, 3}, "size": 10, "years": 7.0, "share": 0.5},
	},
	{
		name:  "absent and blank clear",
		form:  url.Values{"color": {"2"}, "years": {" "}},
		set:   Answers{"color": 2},
		clear: []string{"channels", "size", "years", "share"},
	},
	{
		name:  "special wins over a typed value",
		form:  url.Values{"years": {"12", DontKnow}, "channels": {"1", PreferNotToSay}},
		set:   Answers{"years": DontKnow, "channels": PreferNotToSay},
		clear: []string{"color", "size", "share"},
	},
	{
		name:      "bad values",
		form:      url.Values{"color": {"red"}, "channels": {"0", "1"}, "size": {"10", "20"}, "years": {"seven"}, "share": {"2"}},
		badFields: map[string]string{"color": "Choose one of the options", "channels": `"None of these" cannot be combined with other answers`, "size": "Choose one of the options", "years": "Enter a number", "share": "Enter a number between 0 and 1"},
	},
	{
		name:      "special not allowed",
		form:      url.Values{"size": {DontKnow}},
		badFields: map[string]string{"size": "This question does not offer that answer"},
	},
	{
		name:      "not a finite number",
		form:      url.Values{"share": {"NaN"}, "years": {"Inf"}},
		badFields: map[string]string{"share": "Enter a number", "years": "Enter a number"},
	},
	{
		name:  "second page",
		page:  1,
		form:  url.Values{"opinion_a": {"3"}, "name": {" Bo "}, "note": {"line one\nline two"}, "color": {"2"}},
		set:   Answers{"opinion_a": 3, "name": "Bo", "note": "line one\nline two"},
		clear: []string{"opinion_b", "veteran"},
	},
	{
		name:      "text too long",
		page:      1,
		form:      url.Values{"name": {"Annabel"}},
		badFields: map[string]string{"name": "Enter at most 5 characters (this has 7)"},
	},
}

func TestDecodeForm(t *testing.T) {
	in := mustLoad(t, "good.yaml")
	for _, tt := range decodeFormCases {
		t.Run(tt.name, func(t *testing.T) {
			res, err := in.DecodeForm(tt.page, tt.form)
			if res == nil {
				t.Fatal("DecodeForm returned no result")
			}
			for _, it := range in.PageItems(tt.page) {
				if got, want := res.Raw[it.ID], tt.form[it.ID]; !slices.Equal(got, want) {
					t.Errorf("Raw[%s] = %q, want %q", it.ID, got, want)
				}
			}
			if tt.badFields != nil {
				if got := fields(t, err); !maps.Equal(got, tt.badFields) {
					t.Errorf("fields = %v, want %v", got, tt.badFields)
				}
				if len(res.Set) != 0 || res.Clear != nil {
					t.Errorf("on error got set %v, clear %v; want nothing", res.Set, res.Clear)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Set, tt.set) {
				t.Errorf("set = %#v, want %#v", res.Set, tt.set)
			}
			if !slices.Equal(res.Clear, tt.clear) {
				t.Errorf("clear = %v, want %v", res.Clear, tt.clear)
			}
		})
	}
}

func TestDecodeForm_NoSuchPage(t *testing.T) {
	in := mustLoad(t, "good.yaml")
	for _, page := range []int{-1, 2} {
		_, err := in.DecodeForm(page, url.Values{})
		if got, want := survey.ErrorCode(err), survey.ENOTFOUND; got != want {
			t.Errorf("page %d: code = %q, want %q", page, got, want)
		}
	}
}

func TestVisibleAndClean(t *testing.T) {
	in := mustLoad(t, "good.yaml")
	tests := []struct {
		name    string
		answers Answers
		hidden  []string // in questionnaire order
		cleared []string
	}{
		{"nothing answered hides the second page", Answers{}, []string{"opinion_a", "opinion_b", "name", "note", "veteran"}, nil},
		{"page shown, conditions unanswered", Answers{"color": 1}, []string{"note", "veteran"}, nil},
		{"multi membership and a number", Answers{"color": 1, "channels": []int{1, 3}, "years": 6.0}, nil, nil},
		{"special answers read as strings", Answers{"color": 1, "channels": PreferNotToSay, "years": DontKnow}, []string{"note", "veteran"}, nil},
		{
			"hiding a page clears its answers",
			Answers{"color": 2, "channels": []int{3}, "opinion_a": 1, "note": "x", "veteran": "y", "years": 9.0},
			[]string{"opinion_a", "opinion_b", "name", "note", "veteran"},
			[]string{"opinion_a", "note", "veteran"},
		},
		{"condition false", Answers{"color": 1, "years": 5.0, "veteran": "y"}, []string{"note", "veteran"}, []string{"veteran"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shown := in.Visible(tt.answers)
			var hidden []string
			for _, it := range in.Items() {
				if !shown[it.ID] {
					hidden = append(hidden, it.ID)
				}
			}
			if !slices.Equal(hidden, tt.hidden) {
				t.Errorf("hidden = %v, want %v", hidden, tt.hidden)
			}
			before := maps.Clone(tt.answers)
			if got := in.Clean(tt.answers); !slices.Equal(got, tt.cleared) {
				t.Errorf("cleared = %v, want %v", got, tt.cleared)
			}
			for id := range before {
				if _, kept := tt.answers[id]; kept == slices.Contains(tt.cleared, id) {
					t.Errorf("answer %s kept = %v after Clean", id, kept)
				}
			}
			if again := in.Clean(tt.answers); again != nil {
				t.Errorf("second Clean cleared %v, want nothing", again)
			}
		})
	}
}

// TestClean_Chain checks that a hidden answer does not keep a later item
// visible: hiding the page hides "note" even though channels still has 3.
func TestClean_Chain(t *testing.T) {
	in, err := Parse("chain.yaml", []byte(strings.Replace(mustRead(t, "testdata/good.yaml"),
		"show_if: 3 in channels", "show_if: opinion_a == 3", 1)))
	if err != nil {
		t.Fatal(err)
	}
	a := Answers{"color": 2, "opinion_a": 3, "note": "kept?"}
	if got, want := in.Clean(a), []string{"opinion_a", "note"}; !slices.Equal(got, want) {
		t.Errorf("cleared = %v, want %v", got, want)
	}
	if got, want := a, (Answers{"color": 2}); !reflect.DeepEqual(got, want) {
		t.Errorf("answers = %v, want %v", got, want)
	}
}

func TestMissingAndCompletion(t *testing.T) {
	in := mustLoad(t, "good.yaml")
	tests := []struct {
		name                 string
		answers              Answers
		missing              []string
		answered, applicable int
	}{
		{"empty", Answers{}, []string{"color", "years"}, 0, 5},
		{"second page opens", Answers{"color": 1}, []string{"years", "opinion_a", "opinion_b"}, 1, 8},
		{"don't know counts", Answers{"color": DontKnow, "years": DontKnow}, nil, 2, 5},
		{"prefer not to say does not", Answers{"color": 1, "channels": PreferNotToSay, "years": 6.0}, []string{"opinion_a", "opinion_b"}, 2, 9},
		{"all", Answers{"color": 1, "channels": []int{3}, "size": 10, "years": 6.0, "share": 1.0, "opinion_a": 1, "opinion_b": 2, "name": "A", "note": "B", "veteran": "C"}, nil, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := in.Missing(tt.answers); !slices.Equal(got, tt.missing) {
				t.Errorf("missing = %v, want %v", got, tt.missing)
			}
			answered, applicable := in.Completion(tt.answers)
			if answered != tt.answered || applicable != tt.applicable {
				t.Errorf("completion = %d/%d, want %d/%d", answered, applicable, tt.answered, tt.applicable)
			}
		})
	}
	// Under any_answer, "prefer not to say" counts as an answer too.
	any := *in
	any.AAPOR.Completeness = AnyAnswer
	if answered, _ := any.Completion(Answers{"color": 1, "channels": PreferNotToSay, "years": 6.0}); answered != 3 {
		t.Errorf("any_answer: %d answered, want 3", answered)
	}
}

// storeArray stands in for bson.A, the driver's array type: a named []any.
type storeArray []any

func TestNormalize(t *testing.T) {
	in := mustLoad(t, "good.yaml")
	stored := map[string]any{
		"color":     int32(1),
		"size":      int64(20),
		"opinion_a": float64(3),
		"channels":  storeArray{int32(3), int32(1)},
		"years":     int32(12),
		"share":     0.5,
		"name":      "Ann",
		"veteran":   DontKnow, // a text item without specials: plain text
		"note":      []any{},  // empty: unanswered
		"gone":      int32(1), // no longer in the instrument
		"size_old":  "x",
	}
	want := Answers{"color": 1, "size": 20, "opinion_a": 3, "channels": []int{1, 3}, "years": 12.0, "share": 0.5, "name": "Ann", "veteran": DontKnow}
	got := in.Normalize(stored)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize = %#v, want %#v", got, want)
	}

	// A value the instrument no longer accepts is dropped, not passed on.
	if got := in.Normalize(map[string]any{"color": int32(7), "years": "dont_know", "share": "dont_know"}); !reflect.DeepEqual(got, Answers{"years": DontKnow}) {
		t.Errorf("Normalize of stale values = %#v", got)
	}
}

// TestRoundTrip: answers decoded from JSON, stored as the driver would give
// them back, and normalized, are what was decoded.
func TestRoundTrip(t *testing.T) {
	in := Default()
	var raw map[string]json.RawMessage
	body := `{"years_in_position": 12, "job_title": "Chief", "staff_supervised": "prefer_not_to_say",
		"tech_capacity_1": 4, "social_media_use": [5, 1], "provide_private": 0, "receive_private": "dont_know",
		"comments": "Thanks."}`
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	set, _, err := in.DecodeJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Check(set); err != nil {
		t.Fatal(err)
	}
	stored := map[string]any{}
	for id, v := range set {
		switch v := v.(type) {
		case int:
			stored[id] = int32(v)
		case []int:
			arr := storeArray{}
			for _, c := range v {
				arr = append(arr, int32(c))
			}
			stored[id] = arr
		default:
			stored[id] = v
		}
	}
	if got := in.Normalize(stored); !reflect.DeepEqual(got, set) {
		t.Errorf("round trip = %#v, want %#v", got, set)
	}
}

func TestCheck(t *testing.T) {
	in := mustLoad(t, "good.yaml")
	if err := in.Check(Answers{"color": 1, "channels": []int{1, 2}, "years": 3.0, "name": "Al"}); err != nil {
		t.Errorf("valid answers: %v", err)
	}
	got := fields(t, in.Check(Answers{"color": 5, "channels": []int{2, 1}, "years": 3, "x": 1}))
	want := map[string]string{
		"color":    "5 is not one of the options",
		"channels": "Not in normal form: [2 1]",
		"years":    "Not in normal form: 3",
		"x":        "Unknown question",
	}
	if !maps.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
