package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {0.01234, "0.0123"}, {4.5678, "4.57"}, {2, "2"}, {78.94, "78.9"}, {789.4, "789"}, {12345, "12,345"}, {-1234567, "-1,234,567"},
	} {
		if got := number(tc.v); got != tc.want {
			t.Errorf("number(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// Every line is one JSON object with the fields scripts read; a line not
// measured says so with nulls, not zeros.
func TestLineJSON(t *testing.T) {
	var out, js bytes.Buffer
	tb := &table{out: &out, jsonOut: &js}
	tb.add(against("nightly", 3, "s", 2, "max"))
	tb.add(notMeasured("R", "×", "Rscript is not installed"))
	lines := strings.Split(strings.TrimSpace(js.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines, want 2:\n%s", len(lines), js.String())
	}
	var over, absent map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &over); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &absent); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"name", "value", "unit", "ceiling", "ratio", "errors"} {
		if _, ok := over[key]; !ok {
			t.Errorf("no %q in %s", key, lines[0])
		}
	}
	if over["ratio"] != 1.5 || absent["value"] != nil || absent["ceiling"] != nil {
		t.Errorf("got %s and %s", lines[0], lines[1])
	}
	if !strings.Contains(out.String(), "OVER THE CEILING") || !strings.Contains(out.String(), "not measured") {
		t.Errorf("the table hides what the lines say:\n%s", out.String())
	}
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		l    Line
		want bool
	}{
		{against("t", 1, "s", 2, "max"), true},
		{against("t", 3, "s", 2, "max"), false},
		{against("r", 7.5, "×", 20, "min"), false},
		{against("r", 25, "×", 20, "min"), true},
		{against("rate", 300, "/s", 200, "limit"), true},
		{notMeasured("x", "s", "why"), true},
	} {
		if got := tc.l.Within(); got != tc.want {
			t.Errorf("%+v: Within = %v, want %v", tc.l, got, tc.want)
		}
	}
}
