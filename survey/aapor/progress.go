package aapor

import (
	"slices"
	"time"
)

// Strata are the frame fields that progress is broken down by.
type Strata struct {
	Department       string
	State            string
	Population       int
	FormOfGovernment string
}

// Step says that a case had Code from At on.
type Step struct {
	At   time.Time
	Code Code
}

// Case is one case as the progress report sees it. Code and At make its
// last step; Earlier lists the codes it had before, where the caller knows
// them. The daily series counts a case under UO before its first step.
//
// Deriving them from a case document: a case that was started has the
// earlier step {started_at, R} (a break-off until it reaches 50%); a
// submitted one reached its code at submitted_at, an opted-out one at
// opted_out_at, a started one at started_at (or at its last save, once it
// is a partial); a marked one at the time of the mark, after its
// respondent steps; a case nobody has touched has a zero At, so it counts
// under its code from the start.
type Case struct {
	Strata
	Code    Code
	At      time.Time
	Earlier []Step
}

// CodeBefore is the code the case had just before t: that of its last step
// before t (of the later listed, where two are at one time), UO before its
// first step. Steps with a zero time count from the start.
func (c Case) CodeBefore(t time.Time) Code {
	code, latest := UO, time.Time{}
	for _, s := range append(slices.Clip(c.Earlier), Step{c.At, c.Code}) {
		if s.At.Before(t) && !s.At.Before(latest) {
			code, latest = s.Code, s.At
		}
	}
	return code
}

// Stratum is the progress of one group of cases.
type Stratum struct {
	Sampled int    `json:"sampled"`
	Counts  Counts `json:"counts"`
	Rates   Rates  `json:"rates"`
}

// Breakdowns group the cases by each stratum variable, keyed by its value
// (Unknown where the frame has none) or, for population, by its band.
type Breakdowns struct {
	Department       map[string]Stratum `json:"department"`
	State            map[string]Stratum `json:"state"`
	PopulationBand   map[string]Stratum `json:"population_band"`
	FormOfGovernment map[string]Stratum `json:"form_of_government"`
}

// Day is the number of cases under each code at the end of one day.
type Day struct {
	Date string `json:"date"` // YYYY-MM-DD in the survey's time zone
	Counts
}

// Progress is the body of GET /api/v1/progress without the waves, which
// the server adds by embedding it.
type Progress struct {
	Sampled int        `json:"sampled"`
	Counts  Counts     `json:"counts"`
	E       float64    `json:"e"`
	Rates   Rates      `json:"rates"`
	By      Breakdowns `json:"by"`
	Daily   []Day      `json:"daily"`
}

// Unknown is the stratum of cases whose frame leaves the variable empty.
const Unknown = "unknown"

// Band is a range of city populations, Min ≤ population < Max (no upper
// bound when Max is 0).
type Band struct {
	Label    string
	Min, Max int
}

// PopulationBands cover the sampled range (25,000–250,000) in roughly
// doubling steps, with a band on either side for frames that stray out of it.
var PopulationBands = []Band{
	{"under 25,000", 1, 25_000},
	{"25,000-49,999", 25_000, 50_000},
	{"50,000-99,999", 50_000, 100_000},
	{"100,000-249,999", 100_000, 250_000},
	{"250,000 and over", 250_000, 0},
}

// PopulationBand is the label of the band of pop; Unknown for pop ≤ 0.
func PopulationBand(pop int) string {
	for _, b := range PopulationBands {
		if pop >= b.Min && (b.Max == 0 || pop < b.Max) {
			return b.Label
		}
	}
	return Unknown
}

// BuildProgress computes the progress report of cases. The rates use e
// where it is given, else DefaultE of the overall counts; every stratum
// uses the same e, since a stratum has too few cases of known
// eligibility for an estimate of its own. The daily series runs, in loc,
// from the day of the earliest step to the day of now.
func BuildProgress(cases []Case, e *float64, now time.Time, loc *time.Location) Progress {
	var total Counts
	for _, c := range cases {
		total.Add(c.Code, 1)
	}
	p := Progress{Sampled: total.Total(), Counts: total, E: DefaultE(total)}
	if e != nil {
		p.E = *e
	}
	p.Rates = total.Rates(p.E)
	p.By = Breakdowns{
		Department:       breakdown(cases, p.E, func(s Strata) string { return s.Department }),
		State:            breakdown(cases, p.E, func(s Strata) string { return s.State }),
		PopulationBand:   breakdown(cases, p.E, func(s Strata) string { return PopulationBand(s.Population) }),
		FormOfGovernment: breakdown(cases, p.E, func(s Strata) string { return s.FormOfGovernment }),
	}
	p.Daily = daily(cases, now, loc)
	return p
}

// WithE returns the report with every rate worked out for e instead: the
// counts stay, so no case needs reading again. p is not changed.
func (p Progress) WithE(e float64) Progress {
	p.E, p.Rates = e, p.Counts.Rates(e)
	p.By = Breakdowns{
		Department:       withE(p.By.Department, e),
		State:            withE(p.By.State, e),
		PopulationBand:   withE(p.By.PopulationBand, e),
		FormOfGovernment: withE(p.By.FormOfGovernment, e),
	}
	return p
}

func withE(strata map[string]Stratum, e float64) map[string]Stratum {
	out := make(map[string]Stratum, len(strata))
	for k, st := range strata {
		st.Rates = st.Counts.Rates(e)
		out[k] = st
	}
	return out
}

// breakdown groups cases by key and computes each group's rates with e.
func breakdown(cases []Case, e float64, key func(Strata) string) map[string]Stratum {
	counts := map[string]Counts{}
	for _, c := range cases {
		k := key(c.Strata)
		if k == "" {
			k = Unknown
		}
		n := counts[k]
		n.Add(c.Code, 1)
		counts[k] = n
	}
	strata := make(map[string]Stratum, len(counts))
	for k, n := range counts {
		strata[k] = Stratum{Sampled: n.Total(), Counts: n, Rates: n.Rates(e)}
	}
	return strata
}

// daily counts the cases under each code at the end of every day. Each
// dated step moves one case from its previous code to the step's code on
// the step's day, so the series is a running sum of those moves.
func daily(cases []Case, now time.Time, loc *time.Location) []Day {
	var running Counts // the codes before any dated step
	moves := map[string]*Counts{}
	first, last := now.In(loc), now.In(loc)
	for _, c := range cases {
		steps := append(slices.Clone(c.Earlier), Step{c.At, c.Code})
		slices.SortStableFunc(steps, func(a, b Step) int { return a.At.Compare(b.At) })
		prev := UO
		for len(steps) > 0 && steps[0].At.IsZero() {
			prev, steps = steps[0].Code, steps[1:] // had this code from the start
		}
		running.Add(prev, 1)
		for _, s := range steps {
			at := s.At.In(loc)
			if at.Before(first) {
				first = at
			}
			if at.After(last) {
				last = at
			}
			date := at.Format(time.DateOnly)
			if moves[date] == nil {
				moves[date] = &Counts{}
			}
			moves[date].Add(prev, -1)
			moves[date].Add(s.Code, 1)
			prev = s.Code
		}
	}
	var days []Day
	y, m, d := first.Date()
	end := last.Format(time.DateOnly)
	// Noon: every day has one, even where a daylight-saving change skips midnight.
	for day := time.Date(y, m, d, 12, 0, 0, 0, loc); day.Format(time.DateOnly) <= end; day = day.AddDate(0, 0, 1) {
		date := day.Format(time.DateOnly)
		if mv := moves[date]; mv != nil {
			running = running.plus(*mv)
		}
		days = append(days, Day{Date: date, Counts: running})
	}
	return days
}
