package chart

import (
	"encoding/xml"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// element is one element of a parsed chart, with its text content and,
// for a mark, its tooltip (the text of its <title>).
type element struct {
	name  string
	attrs map[string]string
	text  string
	tip   string
}

// parse reads the whole chart with encoding/xml, failing the test on
// anything that is not well-formed, and returns its elements in order.
func parse(t *testing.T, svg string) []element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	var out []element
	var open []int
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			open = append(open, len(out))
			out = append(out, e)
		case xml.EndElement:
			if e := out[open[len(open)-1]]; e.name == "title" && len(open) > 1 {
				out[open[len(open)-2]].tip = e.text
			}
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				out[open[len(open)-1]].text += string(tok)
			}
		}
	}
	if len(out) == 0 || out[0].name != "svg" {
		t.Fatalf("the chart is not one <svg>: %.200s", svg)
	}
	return out
}

// byClass returns the elements of the class.
func byClass(es []element, class string) []element {
	var out []element
	for _, e := range es {
		if e.attrs["class"] == class {
			out = append(out, e)
		}
	}
	return out
}

var nan = math.NaN()

var frequency = []Series{{"Never", "#d9d9d9"}, {"Less than monthly", "#a6a6a6"}, {"Monthly", "#737373"}, {"Weekly", "#FFC627"}, {"Daily", "#8C1D40"}}

func figure1() Stacked {
	return Stacked{Meta: Meta{ID: "figure1", Title: "Frequency of sharing", Desc: "Stacked bars."}, Categories: frequency,
		Groups: []StackGroup{
			{"Providing data", []StackBar{{"other departments in the city?", []float64{4.1, 12.3, 20.5, 33.2, 29.9}},
				{"governmental organizations outside the city?", []float64{10, 30, 30, 20, 10}}}},
			{"Receiving data", []StackBar{{"private for-profit and nonprofit organizations?", []float64{0, 0, 50, 0.4, 49.6}}}},
		}}
}

func figure2() Means {
	return Means{Meta: Meta{ID: "figure2", Title: "Mean frequency by department", Desc: "Means."}, Min: 0, Max: 4, Color: "#8C1D40",
		Ticks: []Tick{{0, "Never"}, {1, "Less than monthly"}, {2, "Monthly"}, {3, "Weekly"}, {4, "Daily"}},
		Rows: []MeanRow{{"Police", Estimate{2.84, 2.61, 3.07}}, {"Mayor's Office", Estimate{2.7, 2.4, 3.0}},
			{"Finance", Estimate{1.9, nan, nan}}, {"Parks and Recreation", Estimate{nan, nan, nan}}}}
}

func figure3() Coefficients {
	return Coefficients{Meta: Meta{ID: "figure3", Title: "Social factors", Desc: "Coefficients."},
		Models: []Series{{"Other departments", "#8A8A8A"}, {"Other governments", "#8C1D40"}, {"Private organizations", "#FFC627"}},
		Terms: []TermGroup{
			{"Participation in decision-making", []Estimate{{0.41, 0.2, 0.62}, {0.55, 0.3, 0.8}, {0.83, 0.51, 1.15}}},
			{"Trust from political actors", []Estimate{{-0.12, -0.4, 0.16}, {0.31, nan, nan}, {0.29, 0.02, 0.56}}},
		}}
}

// geometry are the attributes that hold numbers.
var geometry = []string{"viewBox", "x", "y", "width", "height", "x1", "y1", "x2", "y2", "cx", "cy", "r", "font-size", "stroke-width"}

// Each chart is one well-formed <svg> that scales (a viewBox, no fixed
// size), is an image named by its <title> and described by its <desc>,
// and has no coordinate that is not a number.
func TestChartsAreAccessibleSVG(t *testing.T) {
	for name, svg := range map[string]string{"stacked": StackedBars(figure1()), "means": MeanIntervals(figure2()),
		"coefficients": CoefficientBars(figure3()), "no id": MeanIntervals(Means{Meta: Meta{Title: "T", Desc: "D"}})} {
		t.Run(name, func(t *testing.T) {
			es := parse(t, svg)
			root := es[0]
			if root.attrs["role"] != "img" || root.attrs["viewBox"] == "" || root.attrs["width"] != "" || root.attrs["height"] != "" {
				t.Errorf("root %v: want role img, a viewBox and no fixed size", root.attrs)
			}
			ids := strings.Fields(root.attrs["aria-labelledby"])
			if len(ids) != 2 || es[1].name != "title" || es[1].attrs["id"] != ids[0] || es[2].name != "desc" || es[2].attrs["id"] != ids[1] {
				t.Errorf("aria-labelledby %q does not name the <title> and <desc> that open the chart", ids)
			}
			if es[1].text == "" || es[2].text == "" {
				t.Error("empty title or description")
			}
			for _, e := range es {
				for _, name := range geometry {
					for _, v := range strings.Fields(e.attrs[name]) {
						if f, err := strconv.ParseFloat(v, 64); err != nil || !finite(f) {
							t.Errorf("<%s %s=%q>: not a finite number", e.name, name, e.attrs[name])
						}
					}
				}
			}
		})
	}
}

// One segment per positive share, in the category's colour and order, and
// the share written on the segments wide enough for it.
func TestStackedBars(t *testing.T) {
	es := parse(t, StackedBars(figure1()))
	segs := byClass(es, "segment")
	fills := []string{"#d9d9d9", "#a6a6a6", "#737373", "#FFC627", "#8C1D40", "#d9d9d9", "#a6a6a6", "#737373", "#FFC627", "#8C1D40", "#737373", "#FFC627", "#8C1D40"}
	var got []string
	for _, s := range segs {
		got = append(got, s.attrs["fill"])
	}
	if !slices.Equal(got, fills) {
		t.Errorf("segment colours %v, want %v", got, fills)
	}
	var texts []string
	for _, e := range es {
		if e.name == "text" {
			texts = append(texts, e.text)
		}
	}
	for _, want := range []string{"33%", "30%", "50%", "Providing data", "Receiving data", "Daily", "other departments in the city?"} {
		if !slices.Contains(texts, want) {
			t.Errorf("no text %q in %q", want, texts)
		}
	}
	if slices.Contains(texts, "0%") {
		t.Error("a 0.4% segment is too narrow for its label, but has one")
	}
	if tip := segs[3].tip; tip != "Weekly: 33.2%" {
		t.Errorf("tooltip %q", tip)
	}
}

// One dot per finite mean, in the colour asked for; a whisker (a line and
// two caps) only where the interval is known.
func TestMeanIntervals(t *testing.T) {
	es := parse(t, MeanIntervals(figure2()))
	dots := byClass(es, "mean")
	if len(dots) != 3 {
		t.Fatalf("%d dots, want 3 (one mean is missing)", len(dots))
	}
	for _, d := range dots {
		if d.attrs["fill"] != "#8C1D40" {
			t.Errorf("dot fill %q", d.attrs["fill"])
		}
	}
	if n, caps := len(byClass(es, "whisker")), len(byClass(es, "cap")); n != 2 || caps != 4 {
		t.Errorf("%d whiskers and %d caps, want 2 and 4", n, caps)
	}
	if tip := dots[0].tip; tip != "Police: 2.84 [2.61, 3.07]" {
		t.Errorf("tooltip %q", tip)
	}
	var texts []string
	for _, e := range es {
		if e.name == "text" {
			texts = append(texts, e.text)
		}
	}
	for _, want := range []string{"Police", "2.84", "Never", "Daily", "Parks and Recreation"} {
		if !slices.Contains(texts, want) {
			t.Errorf("no text %q in %q", want, texts)
		}
	}
	// The dots sit on the 0–4 axis: 2.84 is right of 1.9.
	if x := func(i int) float64 { f, _ := strconv.ParseFloat(dots[i].attrs["cx"], 64); return f }; x(0) <= x(2) {
		t.Errorf("the dot of 2.84 is at %g, left of 1.9's at %g", x(0), x(2))
	}
}

// One bar per model and term in the model's colour, light colours outlined
// so that they stand out from the page, a zero line, and a legend naming
// the models.
func TestCoefficientBars(t *testing.T) {
	c := figure3()
	es := parse(t, CoefficientBars(c))
	bars := byClass(es, "coefficient")
	if len(bars) != 6 {
		t.Fatalf("%d bars, want 6", len(bars))
	}
	for i, b := range bars {
		if want := c.Models[i%3].Color; b.attrs["fill"] != want {
			t.Errorf("bar %d: fill %q, want %q", i, b.attrs["fill"], want)
		}
		if light := b.attrs["fill"] == "#FFC627"; light != (b.attrs["stroke"] != "") {
			t.Errorf("bar %d (%s): stroke %q", i, b.attrs["fill"], b.attrs["stroke"])
		}
	}
	if n := len(byClass(es, "whisker")); n != 5 {
		t.Errorf("%d whiskers, want 5 (one interval is missing)", n)
	}
	if len(byClass(es, "zero")) != 1 {
		t.Error("no zero line")
	}
	keys := byClass(es, "legend-key")
	if len(keys) != 3 || keys[1].tip != "Other governments" {
		t.Errorf("legend %v", keys)
	}
	// A negative estimate's bar ends at zero, where a positive one starts.
	x := func(e element, name string) float64 { f, _ := strconv.ParseFloat(e.attrs[name], 64); return f }
	if neg, pos := bars[3], bars[0]; math.Abs(x(neg, "x")+x(neg, "width")-x(pos, "x")) > 0.01 {
		t.Errorf("the negative bar ends at %g, the positive starts at %g", x(neg, "x")+x(neg, "width"), x(pos, "x"))
	}
}

// Labels from the questionnaire are text, never markup.
func TestLabelsEscaped(t *testing.T) {
	const label = `R&D <dept> "x"`
	for name, svg := range map[string]string{
		"stacked": StackedBars(Stacked{Meta: Meta{ID: `a"b`, Title: label, Desc: label}, Categories: []Series{{label, "#8C1D40"}},
			Groups: []StackGroup{{label, []StackBar{{label, []float64{100}}}}}}),
		"means":        MeanIntervals(Means{Meta: Meta{Title: label}, Max: 4, Rows: []MeanRow{{label, Estimate{1, 0, 2}}}}),
		"coefficients": CoefficientBars(Coefficients{Models: []Series{{label, "#8C1D40"}}, Terms: []TermGroup{{label, []Estimate{{1, 0, 2}}}}}),
	} {
		es := parse(t, svg)
		if strings.Contains(svg, "<dept>") || !strings.Contains(svg, "R&amp;D &lt;dept&gt;") {
			t.Errorf("%s: the label is not escaped: %s", name, svg)
		}
		found := false
		for _, e := range es {
			found = found || e.text == label || e.tip == label
		}
		if !found {
			t.Errorf("%s: no element reads %q once parsed", name, label)
		}
	}
}

// Data with nothing to draw — no rows, shares of zero, an axis of no
// width, intervals that are not numbers — still make a valid chart.
func TestZeroWidthData(t *testing.T) {
	inf := math.Inf(1)
	for name, svg := range map[string]string{
		"empty stacked":  StackedBars(Stacked{}),
		"zero shares":    StackedBars(Stacked{Categories: frequency, Groups: []StackGroup{{"", []StackBar{{"x", []float64{0, 0, 0, 0, 0}}, {"y", []float64{nan, -5, inf}}, {"z", nil}}}}}),
		"more shares":    StackedBars(Stacked{Categories: frequency[:1], Groups: []StackGroup{{"", []StackBar{{"x", []float64{60, 70}}}}}}),
		"empty means":    MeanIntervals(Means{}),
		"flat axis":      MeanIntervals(Means{Min: 2, Max: 2, Rows: []MeanRow{{"a", Estimate{2, 2, 2}}, {"b", Estimate{inf, nan, inf}}}}),
		"nan axis":       MeanIntervals(Means{Min: nan, Max: inf, Rows: []MeanRow{{"a", Estimate{1, 0, 9}}}}),
		"empty coefs":    CoefficientBars(Coefficients{}),
		"zero coefs":     CoefficientBars(Coefficients{Models: frequency[:2], Terms: []TermGroup{{"t", []Estimate{{0, 0, 0}, {nan, nan, nan}, {1, 2, 3}}}}}),
		"infinite coefs": CoefficientBars(Coefficients{Models: frequency[:1], Terms: []TermGroup{{"t", []Estimate{{inf, -inf, inf}}}}}),
	} {
		t.Run(name, func(t *testing.T) {
			for _, e := range parse(t, svg) {
				for _, name := range geometry {
					for _, v := range strings.Fields(e.attrs[name]) {
						if f, err := strconv.ParseFloat(v, 64); err != nil || !finite(f) {
							t.Errorf("<%s %s=%q>", e.name, name, e.attrs[name])
						}
					}
				}
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []string
	}{
		{-0.4, 1.15, []string{"-0.5", "0.0", "0.5", "1.0", "1.5"}},
		{0, 100, []string{"0", "20", "40", "60", "80", "100"}},
		{0, 0, []string{"-1.0", "-0.5", "0.0", "0.5", "1.0"}},
		{-0.12, 0.03, []string{"-0.125", "-0.100", "-0.075", "-0.050", "-0.025", "0.000", "0.025", "0.050"}},
	} {
		ticks, _, _ := niceTicks(tc.lo, tc.hi, "")
		var got []string
		for _, tk := range ticks {
			got = append(got, tk.Label)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("niceTicks(%g, %g) = %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		s    string
		max  float64
		want []string
	}{
		{"Less than monthly", 70, []string{"Less than", "monthly"}},
		{"Never", 10, []string{"Never"}},
		{"", 100, []string{""}},
		{"1\nLess than monthly", 70, []string{"1", "Less than", "monthly"}},
		{"governmental organizations outside the city?", 1000, []string{"governmental organizations outside the city?"}},
	} {
		if got := wrap(tc.s, 14, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("wrap(%q, %g) = %q, want %q", tc.s, tc.max, got, tc.want)
		}
	}
}
