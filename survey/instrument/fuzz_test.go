package instrument

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// FuzzParse: no file, however broken, panics the loader; a file it accepts
// gives a usable instrument, whose analysis names only what exists.
func FuzzParse(f *testing.F) {
	f.Add(defaultYAML)
	// Analysis sections each one step from valid, so that the fuzzer starts
	// inside every check of the section.
	for _, tt := range analysisErrorCases {
		f.Add(editDefault(f, tt.edits...))
	}
	for _, tt := range analysisOKCases {
		f.Add(editDefault(f, tt.edits...))
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Parse("fuzz.yaml", data)
		if err != nil {
			if in != nil {
				t.Error("an error must not come with an instrument")
			}
			return
		}
		for _, it := range in.Items() {
			if got, ok := in.Item(it.ID); !ok || got.ID != it.ID {
				t.Errorf("Item(%q) does not find it", it.ID)
			}
		}
		in.Visible(Answers{})
		analysisResolves(t, in)
	})
}

// analysisResolves fails t if an accepted analysis names a variable that
// does not exist, or a figure a term its models lack.
func analysisResolves(t *testing.T, in *Instrument) {
	t.Helper()
	if in.Analysis == nil {
		return
	}
	predictors := map[string][]string{}
	for _, m := range in.Analysis.Models {
		if in.VariableKind(m.Outcome) == "" {
			t.Errorf("model %q: outcome %q is nothing", m.ID, m.Outcome)
		}
		for _, p := range m.Predictors {
			if _, name, ok := SplitTransform(p); !ok || in.VariableKind(name) == "" {
				t.Errorf("model %q: predictor %q is nothing", m.ID, p)
			}
		}
		predictors[m.ID] = m.Predictors
	}
	for _, fig := range in.Analysis.Figures {
		for _, id := range fig.Models {
			for _, term := range fig.Terms {
				if !slices.Contains(predictors[id], term) {
					t.Errorf("figure %q: model %q has no term %q", fig.ID, id, term)
				}
			}
		}
	}
}

// FuzzDecodeJSON: no body panics the decoder, and whatever it accepts is
// valid and normal, survives a JSON round trip, and survives Clean.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"color": 1, "channels": [3, 1], "years": 12, "name": "Ann", "note": null}`,
		`{"color": "dont_know", "channels": "prefer_not_to_say", "years": "dont_know"}`,
		`{"color": {"$gt": 1}, "a.b": 1, "$set": {"x": 1}}`,
		`{"share": 1e999, "years": -0, "size": 2e1, "opinion_a": 3.0}`,
		`{"channels": [0, 0], "name": "\u00e9\u00e9\u00e9\u00e9\u00e9", "veteran": "  "}`,
	} {
		f.Add([]byte(seed))
	}
	in, err := LoadFile("testdata/good.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var raw map[string]json.RawMessage
		if json.Unmarshal(body, &raw) != nil {
			return
		}
		set, clear, err := in.DecodeJSON(raw)
		if err != nil {
			return
		}
		if err := in.Check(set); err != nil {
			t.Fatalf("accepted answers do not re-validate: %v", err)
		}
		if len(set)+len(clear) != len(raw) {
			t.Fatalf("%d answers set and %d cleared from %d keys", len(set), len(clear), len(raw))
		}
		again, err := json.Marshal(set)
		if err != nil {
			t.Fatal(err)
		}
		var raw2 map[string]json.RawMessage
		if err := json.Unmarshal(again, &raw2); err != nil {
			t.Fatal(err)
		}
		set2, _, err := in.DecodeJSON(raw2)
		if err != nil {
			t.Fatalf("re-encoded %s: %v", again, err)
		}
		if !reflect.DeepEqual(set2, set) {
			t.Fatalf("round trip %#v, want %#v", set2, set)
		}
		in.Clean(set)
		if err := in.Check(set); err != nil {
			t.Fatalf("cleaned answers do not re-validate: %v", err)
		}
	})
}

// FuzzDecodeForm: no posted page form panics the decoder; whatever it
// accepts re-validates, and on an error it keeps what was posted.
func FuzzDecodeForm(f *testing.F) {
	for _, seed := range []string{
		"color=1&channels=3&channels=1&years=12&name=Ann",
		"color=dont_know&years=dont_know&years=7",
		"color=%24gt&years=1e999&name=%00%ff",
		"channels=0&channels=1&unknown=1&a.b=2",
	} {
		f.Add(seed, 0)
	}
	in, err := LoadFile("testdata/good.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string, page int) {
		form, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		res, err := in.DecodeForm(page, form)
		if res == nil {
			t.Fatal("DecodeForm returned no result")
		}
		if err != nil {
			if len(res.Set) != 0 || len(res.Clear) != 0 {
				t.Fatalf("an error came with answers to save: %v", res.Set)
			}
			return
		}
		if err := in.Check(res.Set); err != nil {
			t.Fatalf("accepted answers do not re-validate: %v", err)
		}
		for id := range res.Set {
			if it, ok := in.Item(id); !ok || it.Page != page {
				t.Fatalf("answer to %q, not an item of page %d", id, page)
			}
		}
	})
}
