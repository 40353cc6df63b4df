package aapor

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// checkRates compares got with want; a name missing from want must be nil.
func checkRates(t *testing.T, got Rates, want map[string]float64) {
	t.Helper()
	for _, info := range slices.Concat(MainRates, OtherRates) {
		name, g := info.Name, got.Named(info.Name)
		w, present := want[name]
		switch {
		case !present && g != nil:
			t.Errorf("%s: got %v, want null", name, *g)
		case present && g == nil:
			t.Errorf("%s: got null, want %v", name, w)
		case present && math.Abs(*g-w) > 1e-12:
			t.Errorf("%s: got %.15f, want %.15f", name, *g, w)
		}
	}
}

// A worked example in the manner of the Standard Definitions' tables:
//
//	I=400 P=50 R=100 NC=80 O=20 UH=0 UO=150 NE=50   (850 sampled)
//
// Eligible (I+P+R+NC+O) = 650, known eligibility adds NE: 700, so
// e = 650/700 = 13/14. Unknown (UH+UO) = 150, so e(UH+UO) = 1950/14 and
// the e-denominator is 650 + 1950/14 = 11050/14. The other denominators:
// all eligible and unknown 650+150 = 800; eligible 650; contacted
// I+P+R+O = 570; I+P+R = 550.
func TestRatesWorkedExample(t *testing.T) {
	c := Counts{I: 400, P: 50, R: 100, NC: 80, O: 20, UH: 0, UO: 150, NE: 50}
	e := DefaultE(c)
	if got, want := e, 13.0/14; math.Abs(got-want) > 1e-15 {
		t.Fatalf("DefaultE: got %v, want %v", got, want)
	}
	checkRates(t, c.Rates(e), map[string]float64{
		"RR1":   400.0 / 800,        // 0.5
		"RR2":   450.0 / 800,        // 0.5625
		"RR3":   400 * 14.0 / 11050, // 112/221 ≈ 0.506787
		"RR4":   450 * 14.0 / 11050, // 126/221 ≈ 0.570136
		"RR5":   400.0 / 650,        // 8/13 ≈ 0.615385
		"RR6":   450.0 / 650,        // 9/13 ≈ 0.692308
		"COOP1": 400.0 / 570,        // 40/57 ≈ 0.701754
		"COOP2": 450.0 / 570,        // 15/19 ≈ 0.789474
		"COOP3": 400.0 / 550,        // 8/11 ≈ 0.727273
		"COOP4": 450.0 / 550,        // 9/11 ≈ 0.818182
		"REF1":  100.0 / 800,        // 0.125
		"REF2":  100 * 14.0 / 11050, // 28/221 ≈ 0.126697
		"REF3":  100.0 / 650,        // 2/13 ≈ 0.153846
		"CON1":  570.0 / 800,        // 0.7125
		"CON2":  570 * 14.0 / 11050, // 798/1105 ≈ 0.722172
		"CON3":  570.0 / 650,        // 57/65 ≈ 0.876923
	})
}

func TestRates(t *testing.T) {
	tests := []struct {
		name string
		c    Counts
		e    float64
		want map[string]float64 // a rate left out must be null
	}{
		{
			// e = 1 makes the e-rates equal their all-unknown twins (3 = 1,
			// 4 = 2); UH counts with UO. Eligible 10+5+20+3+2 = 40, unknown
			// 40+20 = 60, all 100, contacted 37, I+P+R 35.
			name: "e=1 with UH",
			c:    Counts{I: 10, P: 5, R: 20, NC: 3, O: 2, UH: 20, UO: 40, NE: 7},
			e:    1,
			want: map[string]float64{
				"RR1": 0.10, "RR2": 0.15, "RR3": 0.10, "RR4": 0.15, "RR5": 10.0 / 40, "RR6": 15.0 / 40,
				"COOP1": 10.0 / 37, "COOP2": 15.0 / 37, "COOP3": 10.0 / 35, "COOP4": 15.0 / 35,
				"REF1": 0.20, "REF2": 0.20, "REF3": 20.0 / 40,
				"CON1": 0.37, "CON2": 0.37, "CON3": 37.0 / 40,
			},
		},
		{
			// e = 0 makes the e-rates equal the known-eligible ones (3 = 5).
			name: "e=0",
			c:    Counts{I: 10, P: 5, R: 20, NC: 3, O: 2, UO: 60},
			e:    0,
			want: map[string]float64{
				"RR1": 0.10, "RR2": 0.15, "RR3": 10.0 / 40, "RR4": 15.0 / 40, "RR5": 10.0 / 40, "RR6": 15.0 / 40,
				"COOP1": 10.0 / 37, "COOP2": 15.0 / 37, "COOP3": 10.0 / 35, "COOP4": 15.0 / 35,
				"REF1": 0.20, "REF2": 20.0 / 40, "REF3": 20.0 / 40,
				"CON1": 0.37, "CON2": 37.0 / 40, "CON3": 37.0 / 40,
			},
		},
		{name: "nothing sampled", c: Counts{}, e: 1, want: map[string]float64{}},
		{name: "only ineligibles", c: Counts{NE: 12}, e: 1, want: map[string]float64{}},
		{
			// Nobody reached yet: the rates over unknown cases are 0, the
			// ones over eligible or contacted cases have no denominator.
			name: "only unknown",
			c:    Counts{UO: 2500},
			e:    0.5,
			want: map[string]float64{"RR1": 0, "RR2": 0, "RR3": 0, "RR4": 0, "REF1": 0, "REF2": 0, "CON1": 0, "CON2": 0},
		},
		{name: "only unknown, e=0", c: Counts{UO: 2500}, e: 0, want: map[string]float64{"RR1": 0, "RR2": 0, "REF1": 0, "CON1": 0}},
		{
			// Only non-contacts: nobody was reached, so no cooperation rate.
			name: "only non-contacts",
			c:    Counts{NC: 4},
			e:    1,
			want: map[string]float64{
				"RR1": 0, "RR2": 0, "RR3": 0, "RR4": 0, "RR5": 0, "RR6": 0,
				"REF1": 0, "REF2": 0, "REF3": 0, "CON1": 0, "CON2": 0, "CON3": 0,
			},
		},
		{
			// Only O: COOP1/2 count O, COOP3/4 leave it out (0/0).
			name: "only other",
			c:    Counts{O: 4},
			e:    1,
			want: map[string]float64{
				"RR1": 0, "RR2": 0, "RR3": 0, "RR4": 0, "RR5": 0, "RR6": 0, "COOP1": 0, "COOP2": 0,
				"REF1": 0, "REF2": 0, "REF3": 0, "CON1": 1, "CON2": 1, "CON3": 1,
			},
		},
		{name: "e not a number", c: Counts{I: 1, UO: 1}, e: math.NaN(), want: map[string]float64{
			"RR1": 0.5, "RR2": 0.5, "RR5": 1, "RR6": 1, "COOP1": 1, "COOP2": 1, "COOP3": 1, "COOP4": 1,
			"REF1": 0, "REF3": 0, "CON1": 0.5, "CON3": 1,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkRates(t, tc.c.Rates(tc.e), tc.want)
		})
	}
}

func TestDefaultE(t *testing.T) {
	tests := []struct {
		name string
		c    Counts
		want float64
	}{
		{"no known eligibility: every unknown counts as eligible", Counts{UO: 100}, 1},
		{"nothing at all", Counts{}, 1},
		{"all known eligible", Counts{I: 3, NC: 1, UO: 10}, 1},
		{"all known ineligible", Counts{NE: 4, UO: 10}, 0},
		{"UO and UH do not count", Counts{I: 1, R: 2, NE: 1, UH: 5, UO: 9}, 0.75},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultE(tc.c); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRatesJSON(t *testing.T) {
	b, err := json.Marshal(Counts{UO: 3}.Rates(1))
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{`"RR1":0`, `"RR5":null`, `"COOP4":null`, `"CON3":null`} {
		if !strings.Contains(got, want) {
			t.Errorf("got %s, want it to contain %s", got, want)
		}
	}
}

func TestCountsAdd(t *testing.T) {
	var c Counts
	for _, code := range []Code{I, P, R, NC, O, UH, UO, NE, I, UO} {
		c.Add(code, 1)
	}
	c.Add(UO, -1)
	if got, want := c, (Counts{I: 2, P: 1, R: 1, NC: 1, O: 1, UH: 1, UO: 1, NE: 1}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got, want := c.Total(), 9; got != want {
		t.Errorf("Total: got %d, want %d", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("Add of an unknown code did not panic")
		}
	}()
	c.Add("X", 1)
}
