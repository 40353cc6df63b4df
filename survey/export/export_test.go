package export

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/instrument"
)

func TestWriteCSV(t *testing.T) {
	in := instrument.Default()
	submitted := time.Date(2026, 4, 2, 15, 4, 5, 0, time.UTC)
	cases := []survey.Case{
		{ID: "c1", Status: survey.StatusSubmitted, SubmittedAt: &submitted,
			Frame: survey.Frame{Email: "a@example.org", Department: "Police", Population: 50000, Extra: map[string]string{"region": "West"}},
			Answers: map[string]any{
				"years_in_position":   int32(7), // as the store may give it back
				"social_media_use":    []any{int64(1), int64(3)},
				"provide_city_depts":  4,
				"tech_capacity_1":     instrument.DontKnow,
				"job_title":           "dont_know", // plain text: the item allows no special answer
				"comments":            "=1+1",      // not a formula for whoever opens the export
				"open_data_policy":    0,           // "No" ...
				"open_data_policy_yr": 2015,        // not an item: dropped
			}},
		{ID: "c2", Status: survey.StatusNew, Frame: survey.Frame{Email: "b@example.org"}},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, in, cases, aapor.DefaultThresholds); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 {
		t.Fatalf("%d records, want a header and 2 rows", len(records))
	}
	header := records[0]
	vars := Codebook(in, []string{"region"})
	if len(header) != len(vars) {
		t.Fatalf("header has %d columns, codebook %d", len(header), len(vars))
	}
	col := func(rec []string, name string) string {
		for i, h := range header {
			if h == name {
				return rec[i]
			}
		}
		t.Fatalf("no column %q", name)
		return ""
	}
	for _, tc := range []struct{ rec, name, want string }{
		{"c1", "case_id", "c1"},
		{"c1", "frame_region", "West"},
		{"c1", "population", "50000"},
		{"c1", "submitted_at", "2026-04-02T15:04:05Z"},
		{"c1", "years_in_position", "7"},
		{"c1", "social_media_use_1", "1"},
		{"c1", "social_media_use_2", "0"},
		{"c1", "social_media_use_3", "1"},
		{"c1", "provide_city_depts", "4"},
		{"c1", "tech_capacity_1", "-8"},
		{"c1", "job_title", "dont_know"},
		{"c1", "comments", "'=1+1"},
		{"c1", "open_data_policy", "0"},
		{"c1", "open_data_policy_year", ""}, // hidden by the "No"
		{"c2", "social_media_use_1", ""},
		{"c2", "disposition", "UO"},
		{"c2", "frame_region", ""},
	} {
		rec := records[1]
		if tc.rec == "c2" {
			rec = records[2]
		}
		if got := col(rec, tc.name); got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.rec, tc.name, got, tc.want)
		}
	}
}

func TestCodebook(t *testing.T) {
	in := instrument.Default()
	vars := Codebook(in, nil)
	byName := map[string]Variable{}
	for _, v := range vars {
		if _, dup := byName[v.Name]; dup {
			t.Errorf("column %q twice", v.Name)
		}
		byName[v.Name] = v
	}
	v := byName["provide_city_depts"]
	if v.Values["0"] != "Never" || v.Values["4"] != "Daily" || v.Missing["-8"] != "Don't know" || v.Label == "" {
		t.Errorf("provide_city_depts: %+v", v)
	}
	if v := byName["open_data_policy_year"]; v.ShowIf == "" {
		t.Errorf("open_data_policy_year lacks its skip logic: %+v", v)
	}
	if v := byName["social_media_use_0"]; v.Question != "social_media_use" || v.Values["1"] != "selected" {
		t.Errorf("social_media_use_0: %+v", v)
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""}, {"plain", "plain"}, {"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"}, {"+1", "'+1"}, {"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "'\rx"}, {"a=b", "a=b"},
		// Look-alikes that spreadsheets fold to formula leaders.
		{"＝1+1", "'＝1+1"}, {"＋1", "'＋1"}, {"－1", "'－1"}, {"＠SUM(A1)", "'＠SUM(A1)"},
		{"﹦1", "'﹦1"}, {"﹢1", "'﹢1"}, {"﹣1", "'﹣1"}, {"﹫x", "'﹫x"}, {"−1", "'−1"},
		{" =1+1", "' =1+1"}, {"\u00a0=1", "'\u00a0=1"}, {"\u3000＝1", "'\u3000＝1"},
		{"é=1", "é=1"}, {"Δ", "Δ"}, {"1-2", "1-2"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
