package instrument

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/canvass-survey/canvass/survey"
)

// Answers maps item ids to normalized answers: int for single, dropdown and
// matrix codes; []int, sorted and unique, for multi; float64 for number;
// string for text and textarea; DontKnow or PreferNotToSay where the item
// allows them. A missing key means unanswered.
type Answers map[string]any

// DecodeJSON validates a JSON answers object: {"id": value}. A null value
// clears that answer. Choice codes must be JSON numbers (a numeric string is
// refused); a multi answer is an array of codes, and an empty array, like an
// empty or blank text, clears. Any problem rejects the whole object with an
// EINVALID *survey.Error whose Fields name each offending key.
func (in *Instrument) DecodeJSON(raw map[string]json.RawMessage) (set Answers, clear []string, err error) {
	set = Answers{}
	problems := map[string]string{}
	for id, msg := range raw {
		it, ok := in.Item(id)
		if !ok {
			problems[id] = "Unknown question"
			continue
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.UseNumber() // keep integers exact and out-of-range numbers detectable
		if err := dec.Decode(&v); err != nil {
			problems[id] = "Not valid JSON"
			continue
		}
		v, problem := it.accept(v)
		switch {
		case problem != "":
			problems[id] = problem
		case v == nil:
			clear = append(clear, id)
		default:
			set[id] = v
		}
	}
	if len(problems) > 0 {
		return nil, nil, survey.FieldErrors("Some answers are not valid", problems)
	}
	slices.Sort(clear)
	return set, clear, nil
}

// FormResult is a decoded page form. Raw keeps what was posted for each item
// of the page, so that a page with errors can be shown again as typed.
type FormResult struct {
	Set   Answers
	Clear []string
	Raw   map[string][]string
}

// DecodeForm validates the form posted by page (an index into Pages). Each
// item of the page is a field named by its id: repeated for multi, absent
// or blank to clear. A posted DontKnow or PreferNotToSay that the item allows
// is the answer whatever else was posted, since the page offers it as one
// more radio button or check box. Fields that are not items of the page are
// ignored. The result is never nil; on error its Raw is still filled in.
func (in *Instrument) DecodeForm(page int, form url.Values) (*FormResult, error) {
	res := &FormResult{Set: Answers{}, Raw: map[string][]string{}}
	if page < 0 || page >= len(in.Pages) {
		return res, survey.Errorf(survey.ENOTFOUND, "There is no page %d", page+1)
	}
	problems := map[string]string{}
	for _, it := range in.PageItems(page) {
		posted := form[it.ID]
		if len(posted) > 0 {
			res.Raw[it.ID] = posted
		}
		v, problem := it.accept(formValue(it, posted))
		switch {
		case problem != "":
			problems[it.ID] = problem
		case v == nil:
			res.Clear = append(res.Clear, it.ID)
		default:
			res.Set[it.ID] = v
		}
	}
	if len(problems) > 0 {
		res.Set, res.Clear = Answers{}, nil
		return res, survey.FieldErrors("There is a problem with your answers", problems)
	}
	return res, nil
}

// formValue turns the strings posted for an item into what accept takes:
// nil (clear), a special answer, a number, a list of numbers or a text. A
// string that does not parse as a number is passed on for accept to refuse.
func formValue(it Item, posted []string) any {
	var values []string
	for _, s := range posted {
		if s = strings.TrimSpace(s); s != "" {
			values = append(values, s)
		}
	}
	for _, s := range values {
		if it.allows(s) {
			return s
		}
	}
	if len(values) == 0 {
		return nil
	}
	if it.Type == Multi {
		list := make([]any, len(values))
		for i, s := range values {
			list[i] = number(s)
		}
		return list
	}
	if len(values) > 1 {
		return values // refused by accept: one value expected
	}
	switch it.Type {
	case Text, Textarea:
		return values[0]
	}
	return number(values[0])
}

// number parses s as a float64 if it is one, else returns s unchanged.
func number(s string) any {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return s
}

// Normalize converts answers read back from the store (int32, int64,
// float64, string, arrays of any slice type such as bson.A) to their
// normalized forms. Unknown ids, and values the instrument no longer accepts
// (it may have changed since they were saved), are dropped.
func (in *Instrument) Normalize(stored map[string]any) Answers {
	a := Answers{}
	for id, raw := range stored {
		it, ok := in.Item(id)
		if !ok {
			continue
		}
		if v, problem := it.accept(raw); problem == "" && v != nil {
			a[id] = v
		}
	}
	return a
}

// Check validates answers already in Go form, e.g. assembled by hand, with
// the same rules and messages as DecodeJSON.
func (in *Instrument) Check(a Answers) error {
	problems := map[string]string{}
	for id, v := range a {
		it, ok := in.Item(id)
		if !ok {
			problems[id] = "Unknown question"
			continue
		}
		if norm, problem := it.accept(v); problem != "" {
			problems[id] = problem
		} else if !reflect.DeepEqual(norm, v) {
			problems[id] = fmt.Sprintf("Not in normal form: %v", v)
		}
	}
	if len(problems) > 0 {
		return survey.FieldErrors("Some answers are not valid", problems)
	}
	return nil
}

// accept validates one answer to the item and returns its normalized form,
// nil for "unanswered", or a message for the respondent. It takes the
// values of every source: JSON (json.Number, string, []any), the store
// (int32, int64, float64, bson.A) and forms (float64, []any).
func (it Item) accept(v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	if s, ok := v.(string); ok && (s == DontKnow || s == PreferNotToSay) {
		if it.allows(s) {
			return s, ""
		}
		if it.Type != Text && it.Type != Textarea { // in a text, it is just text
			return nil, "This question does not offer that answer"
		}
	}
	switch it.Type {
	case Single, Dropdown, Matrix:
		code, ok := toInt(v)
		if !ok {
			return nil, "Choose one of the options"
		}
		if !it.hasOption(code) {
			return nil, fmt.Sprintf("%d is not one of the options", code)
		}
		return code, ""
	case Multi:
		return it.acceptMulti(v)
	case Number:
		return it.acceptNumber(v)
	case Text, Textarea:
		s, ok := v.(string)
		if !ok {
			return nil, "Enter text"
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, ""
		}
		if !utf8.ValidString(s) {
			return nil, "Enter text"
		}
		if n := utf8.RuneCountInString(s); n > it.MaxLength {
			return nil, fmt.Sprintf("Enter at most %d characters (this has %d)", it.MaxLength, n)
		}
		return s, ""
	}
	return nil, "Unknown question type"
}

func (it Item) acceptMulti(v any) (any, string) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, "Choose any of the options (a list of option codes)"
	}
	if rv.Len() == 0 {
		return nil, ""
	}
	codes := make([]int, 0, rv.Len())
	for i := range rv.Len() {
		code, ok := toInt(rv.Index(i).Interface())
		if !ok {
			return nil, "Choose any of the options (a list of option codes)"
		}
		if !it.hasOption(code) {
			return nil, fmt.Sprintf("%d is not one of the options", code)
		}
		codes = append(codes, code)
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	if len(codes) > 1 {
		for _, o := range it.Options {
			if o.Exclusive && slices.Contains(codes, o.Value) {
				return nil, fmt.Sprintf("%q cannot be combined with other answers", o.Label)
			}
		}
	}
	return codes, ""
}

func (it Item) acceptNumber(v any) (any, string) {
	f, ok := toFloat(v)
	if !ok {
		return nil, "Enter a number"
	}
	if it.Integer && f != math.Trunc(f) {
		return nil, "Enter a whole number"
	}
	below := it.Min != nil && f < *it.Min
	above := it.Max != nil && f > *it.Max
	switch {
	case (below || above) && it.Min != nil && it.Max != nil:
		return nil, fmt.Sprintf("Enter a number between %g and %g", *it.Min, *it.Max)
	case below:
		return nil, fmt.Sprintf("Enter a number of at least %g", *it.Min)
	case above:
		return nil, fmt.Sprintf("Enter a number of at most %g", *it.Max)
	}
	return f, ""
}

// toFloat accepts any finite number, whatever its Go type.
func toFloat(v any) (float64, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(n), 64); err != nil {
			return 0, false
		}
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int:
		f = float64(n)
	case int32:
		f = float64(n)
	case int64:
		f = float64(n)
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// toInt accepts a number that is a whole number small enough for an option
// code (1.0 and 1e0 are 1).
func toInt(v any) (int, bool) {
	f, ok := toFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, false
	}
	return int(f), true
}
