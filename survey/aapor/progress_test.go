package aapor

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPopulationBand(t *testing.T) {
	tests := []struct {
		pop  int
		want string
	}{
		{0, Unknown},
		{-5, Unknown},
		{1, "under 25,000"},
		{24_999, "under 25,000"},
		{25_000, "25,000-49,999"},
		{49_999, "25,000-49,999"},
		{50_000, "50,000-99,999"},
		{100_000, "100,000-249,999"},
		{249_999, "100,000-249,999"},
		{250_000, "250,000 and over"},
		{8_000_000, "250,000 and over"},
	}
	for _, tc := range tests {
		if got := PopulationBand(tc.pop); got != tc.want {
			t.Errorf("PopulationBand(%d): got %q, want %q", tc.pop, got, tc.want)
		}
	}
}

// randomCases draws n cases over a few strata, some with empty fields.
func randomCases(n int, seed uint64) []Case {
	rng := rand.New(rand.NewPCG(seed, 1))
	codes := []Code{I, P, R, NC, O, UO, NE}
	departments := []string{"Police", "Finance", "Parks and Recreation", ""}
	states := []string{"TX", "CA", "OH", ""}
	forms := []string{"mayor-council", "council-manager", ""}
	cases := make([]Case, n)
	for i := range cases {
		cases[i] = Case{
			Strata: Strata{
				Department:       departments[rng.IntN(len(departments))],
				State:            states[rng.IntN(len(states))],
				Population:       rng.IntN(300_000),
				FormOfGovernment: forms[rng.IntN(len(forms))],
			},
			Code: codes[rng.IntN(len(codes))],
		}
	}
	return cases
}

// tally counts codes by a key computed here, not by the package.
func tally(cases []Case, key func(Case) string) map[string]map[Code]int {
	out := map[string]map[Code]int{}
	for _, c := range cases {
		k := key(c)
		if out[k] == nil {
			out[k] = map[Code]int{}
		}
		out[k][c.Code]++
	}
	return out
}

func codeMap(c Counts) map[Code]int {
	m := map[Code]int{}
	for code, n := range map[Code]int{I: c.I, P: c.P, R: c.R, NC: c.NC, O: c.O, UH: c.UH, UO: c.UO, NE: c.NE} {
		if n != 0 {
			m[code] = n
		}
	}
	return m
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func TestBreakdowns(t *testing.T) {
	cases := randomCases(3000, 7)
	p := BuildProgress(cases, nil, time.Now(), time.UTC)
	band := func(pop int) string {
		switch {
		case pop == 0:
			return "unknown"
		case pop < 25000:
			return "under 25,000"
		case pop < 50000:
			return "25,000-49,999"
		case pop < 100000:
			return "50,000-99,999"
		case pop < 250000:
			return "100,000-249,999"
		}
		return "250,000 and over"
	}
	dims := []struct {
		name string
		got  map[string]Stratum
		key  func(Case) string
	}{
		{"department", p.By.Department, func(c Case) string { return orUnknown(c.Department) }},
		{"state", p.By.State, func(c Case) string { return orUnknown(c.State) }},
		{"population_band", p.By.PopulationBand, func(c Case) string { return band(c.Population) }},
		{"form_of_government", p.By.FormOfGovernment, func(c Case) string { return orUnknown(c.FormOfGovernment) }},
	}
	for _, d := range dims {
		t.Run(d.name, func(t *testing.T) {
			want := tally(cases, d.key)
			if len(d.got) != len(want) {
				t.Errorf("got %d strata, want %d", len(d.got), len(want))
			}
			var sum Counts
			sampled := 0
			for k, w := range want {
				s := d.got[k]
				if got := codeMap(s.Counts); !reflect.DeepEqual(got, w) {
					t.Errorf("%s: got %v, want %v", k, got, w)
				}
				if got, want := s.Rates, s.Counts.Rates(p.E); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: rates not computed with the overall e", k)
				}
				sum = sum.plus(s.Counts)
				sampled += s.Sampled
			}
			// The strata partition the cases.
			if sum != p.Counts || sampled != p.Sampled {
				t.Errorf("strata sum to %+v (%d), overall is %+v (%d)", sum, sampled, p.Counts, p.Sampled)
			}
		})
	}
	if got, want := codeMap(p.Counts), tally(cases, func(Case) string { return "" })[""]; !reflect.DeepEqual(got, want) {
		t.Errorf("overall: got %v, want %v", got, want)
	}
	if got, want := p.Sampled, len(cases); got != want {
		t.Errorf("sampled: got %d, want %d", got, want)
	}
}

// Whatever the cases, every breakdown sums to the overall counts.
func TestBreakdownsSumProperty(t *testing.T) {
	for seed := range uint64(50) {
		cases := randomCases(int(seed*13), seed)
		p := BuildProgress(cases, nil, time.Now(), time.UTC)
		for name, by := range map[string]map[string]Stratum{
			"department": p.By.Department, "state": p.By.State,
			"population_band": p.By.PopulationBand, "form_of_government": p.By.FormOfGovernment,
		} {
			var sum Counts
			for _, s := range by {
				sum = sum.plus(s.Counts)
			}
			if sum != p.Counts {
				t.Fatalf("seed %d, %s: strata sum to %+v, overall %+v", seed, name, sum, p.Counts)
			}
		}
	}
}

func TestBuildProgressE(t *testing.T) {
	cases := []Case{{Code: I}, {Code: NE}, {Code: UO}, {Code: UO}}
	if got, want := BuildProgress(cases, nil, time.Now(), time.UTC).E, 0.5; got != want {
		t.Errorf("default e: got %v, want %v", got, want)
	}
	e := 0.8
	p := BuildProgress(cases, &e, time.Now(), time.UTC)
	if got, want := p.E, 0.8; got != want {
		t.Errorf("override: got %v, want %v", got, want)
	}
	// RR3 = I/(I + e·UO) = 1/(1 + 0.8·2)
	if got, want := *p.Rates.RR3, 1/2.6; math.Abs(got-want) > 1e-15 {
		t.Errorf("RR3: got %v, want %v", got, want)
	}
}

func TestDaily(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []Case{
		// Started on the 7th, submitted a complete on the 9th, after the
		// switch to daylight saving time (8 March 2026).
		{Code: I, At: at("2026-03-09T15:00:00Z"), Earlier: []Step{{at("2026-03-07T15:00:00Z"), R}}},
		// Opted out at 02:00 UTC on the 8th: still the 7th in Chicago.
		{Code: R, At: at("2026-03-08T02:00:00Z")},
		// Marked ineligible on the 9th after a partial on the 7th; steps
		// given out of order.
		{Code: NE, At: at("2026-03-09T20:00:00Z"), Earlier: []Step{{at("2026-03-07T18:00:00Z"), P}}},
		// Untouched, and bounced before the series begins: UO throughout.
		{Code: UO},
		// Marked unavailable without a date: NC from the start.
		{Code: NC},
	}
	now := at("2026-03-10T23:30:00-05:00") // the 11th in UTC
	want := []Day{
		{"2026-03-07", Counts{R: 2, P: 1, UO: 1, NC: 1}},
		{"2026-03-08", Counts{R: 2, P: 1, UO: 1, NC: 1}},
		{"2026-03-09", Counts{I: 1, R: 1, NE: 1, UO: 1, NC: 1}},
		{"2026-03-10", Counts{I: 1, R: 1, NE: 1, UO: 1, NC: 1}},
	}
	p := BuildProgress(cases, nil, now, chicago)
	if !reflect.DeepEqual(p.Daily, want) {
		t.Errorf("got  %+v\nwant %+v", p.Daily, want)
	}
	if got, want := p.Daily[len(p.Daily)-1].Counts, p.Counts; got != want {
		t.Errorf("the last day %+v differs from the counts %+v", got, want)
	}
	// Each case's code at the end of a day, one by one, adds up to the
	// day's counts: the representativeness by day refits on those codes.
	for _, d := range p.Daily {
		day, _ := time.ParseInLocation(time.DateOnly, d.Date, chicago)
		var got Counts
		for _, c := range cases {
			got.Add(c.CodeBefore(day.AddDate(0, 0, 1)), 1)
		}
		if got != d.Counts {
			t.Errorf("%s: CodeBefore gives %+v, the series %+v", d.Date, got, d.Counts)
		}
	}
}

func TestDailyNoSteps(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	got := BuildProgress([]Case{{Code: UO}, {Code: UO}}, nil, now, time.UTC).Daily
	want := []Day{{"2026-05-01", Counts{UO: 2}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestProgressJSON(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	p := BuildProgress([]Case{{Strata: Strata{Department: "Police", Population: 30000}, Code: UO}}, nil, now, time.UTC)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"sampled", "counts", "e", "rates", "by", "daily"} {
		if _, ok := got[key]; !ok {
			t.Errorf("no %q in %s", key, b)
		}
	}
	for _, want := range []string{
		`"daily":[{"date":"2026-05-01","I":0,"P":0,"R":0,"NC":0,"O":0,"UH":0,"UO":1,"NE":0}]`,
		`"department":{"Police":{"sampled":1,"counts":{`,
		`"population_band":{"25,000-49,999":`,
		`"state":{"unknown":`,
		`"RR5":null`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("got %s\nwant it to contain %s", b, want)
		}
	}
}
