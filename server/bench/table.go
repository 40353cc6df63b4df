package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// Line is one figure of the table: a value beside the ceiling it is judged
// against, and their ratio. Value is nil when the line was not measured
// (Note says why); Ceiling is nil when there is none.
type Line struct {
	Name    string   `json:"name"`
	Value   *float64 `json:"value"`
	Unit    string   `json:"unit"`
	Ceiling *float64 `json:"ceiling"`
	// Bound says how to read the ceiling: "max", a bound the value must
	// stay at or under (times, memory, latency); "min", a target the value
	// must reach (a speed-up over R); "limit", what the store alone does,
	// which the value can approach but not pass.
	Bound  string   `json:"bound,omitempty"`
	Ratio  *float64 `json:"ratio"`
	Errors int      `json:"errors"`
	Note   string   `json:"note,omitempty"`
}

// Within reports whether a measured value keeps to its bound; lines
// without a bound to keep are within it.
func (l Line) Within() bool {
	if l.Value == nil || l.Ceiling == nil {
		return true
	}
	switch l.Bound {
	case "max":
		return *l.Value <= *l.Ceiling
	case "min":
		return *l.Value >= *l.Ceiling
	}
	return true
}

// measured is a line with a value and no ceiling.
func measured(name string, value float64, unit string) Line {
	return Line{Name: name, Value: &value, Unit: unit}
}

// against is a line with a value, its ceiling and their ratio.
func against(name string, value float64, unit string, ceiling float64, bound string) Line {
	l := measured(name, value, unit)
	l.Ceiling, l.Bound = &ceiling, bound
	if ceiling != 0 {
		r := value / ceiling
		l.Ratio = &r
	}
	return l
}

// notMeasured is a line that could not be measured, and why.
func notMeasured(name, unit, why string) Line {
	return Line{Name: name, Unit: unit, Note: why}
}

// failed is a line whose measurement broke off with err: an error.
func failed(name string, err error) Line {
	return Line{Name: name, Errors: 1, Note: err.Error()}
}

// table prints lines as they are measured, and writes each as a JSON
// line too.
type table struct {
	out, jsonOut io.Writer
	lines        []Line
}

const lineFormat = "%-72s %14s  %-24s %6s %6s  %s\n"

func (t *table) header() {
	fmt.Fprintf(t.out, lineFormat, "line", "value", "ceiling", "ratio", "errors", "note")
	fmt.Fprintln(t.out, strings.Repeat("-", 150))
}

// add prints l and records it.
func (t *table) add(l Line) {
	t.lines = append(t.lines, l)
	value, ceiling, ratio := "not measured", "—", "—"
	if l.Value != nil {
		value = number(*l.Value) + " " + l.Unit
	}
	if l.Ceiling != nil {
		ceiling = map[string]string{"max": "≤ ", "min": "≥ ", "limit": "of "}[l.Bound] + number(*l.Ceiling) + " " + l.Unit
	}
	if l.Ratio != nil {
		ratio = fmt.Sprintf("%.2f", *l.Ratio)
	}
	note := l.Note
	if !l.Within() {
		note = strings.TrimSpace(map[string]string{"max": "OVER THE CEILING ", "min": "BELOW THE TARGET "}[l.Bound] + note)
	}
	fmt.Fprintf(t.out, lineFormat, l.Name, value, ceiling, ratio, fmt.Sprint(l.Errors), note)
	if t.jsonOut != nil {
		b, _ := json.Marshal(l) // plain data: cannot fail
		fmt.Fprintf(t.jsonOut, "%s\n", b)
	}
}

// errors is the sum of the lines' errors.
func (t *table) errors() int {
	n := 0
	for _, l := range t.lines {
		n += l.Errors
	}
	return n
}

// number shows a figure with three significant digits, and separators in
// large ones: 0.0123, 4.56, 78.9, 789, 12,345.
func number(v float64) string {
	switch a := math.Abs(v); {
	case a == 0 || math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case a < 10:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.*f", max(0, 2-int(math.Floor(math.Log10(a)))), v), "0"), ".")
	case a < 100:
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%.0f", math.Abs(v))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if v < 0 {
		s = "-" + s
	}
	return s
}
