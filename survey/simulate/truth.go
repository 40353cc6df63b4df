package simulate

import (
	"maps"
	"math"
	"slices"
	"time"
)

// Response is the planted field period: who is out of reach, who answers,
// when, and how far. Shares are of the whole sample unless they say
// otherwise.
type Response struct {
	// The response propensity is a logit: logit(ResponseRate), plus the
	// department's effect, plus LogPopulation per unit of log population
	// from the middle of the range (log 79,057), plus a city's own effect
	// with standard deviation CitySD. So the respondents are not a random
	// subset: Police and large cities answer less, Finance and Parks more.
	Department    map[string]float64 `json:"department"`
	LogPopulation float64            `json:"log_population"`
	CitySD        float64            `json:"city_sd"`
	// AfterWave is, for those who answer, the share who start after the
	// invitation, the first reminder and the second; DelayHours the mean of
	// the exponential delay after that message, MinDelay added to it.
	AfterWave  []float64     `json:"after_wave"`
	DelayHours float64       `json:"delay_hours"`
	MinDelay   time.Duration `json:"min_delay_ns"`
	// Of those who start: Complete go through every page and submit,
	// Partial stop in the second half, the rest break off in the first
	// third. TwoSittings of the completes leave halfway and come back
	// ResumeHours later on average (if the field period still runs).
	Complete    float64 `json:"complete"`
	Partial     float64 `json:"partial"`
	TwoSittings float64 `json:"two_sittings"`
	ResumeHours float64 `json:"resume_hours"`
	// OptOut is the share of those who do not answer who opt out instead.
	OptOut float64 `json:"opt_out"`
	// Out of reach: the invitation bounces at once (Bounce), or a
	// delivery failure notice comes later and staff mark the case bounced
	// (LateBounce); the person has left the position and staff mark the
	// case ineligible (Ineligible); an out-of-office reply for the whole
	// field period, marked unavailable (Unavailable). Staff mark a case
	// MarkHours after the invitation on average.
	Bounce      float64 `json:"bounce"`
	LateBounce  float64 `json:"late_bounce"`
	Ineligible  float64 `json:"ineligible"`
	Unavailable float64 `json:"unavailable"`
	MarkHours   float64 `json:"mark_hours"`
	// Mobile is the share answering on a phone.
	Mobile float64 `json:"mobile"`
	// After the last reminder, staff phone Phone of the persons who have
	// not started by the time of the call (and whom nothing else put out
	// of reach), on a weekday in office hours in the questionnaire's time
	// zone, within the week. PhoneOutcome are the shares of the call's
	// outcomes: reached, left a message, no answer, wrong number; a call
	// nobody answered is made again, with the first three outcomes, two or
	// three weekdays later by PhoneAgain of them. Of the persons reached
	// who then neither answer nor opt out, Refuse decline on the phone and
	// staff mark the case refused; DoNotContact of those ask to be put on
	// the do-not-contact list. The person's own story is drawn first and
	// the calls do not change it: a person reached who answers later was
	// going to.
	Phone        float64   `json:"phone"`
	PhoneOutcome []float64 `json:"phone_outcome"`
	PhoneAgain   float64   `json:"phone_again"`
	Refuse       float64   `json:"refuse"`
	DoNotContact float64   `json:"do_not_contact"`
}

// Planted is the response model of the simulated field period.
var Planted = Response{
	Department: map[string]float64{"Mayor's Office": -.15, "Community Development": .1, "Parks and Recreation": .2,
		"Police": -.45, "Finance": .3},
	LogPopulation: -.35, CitySD: .5,
	AfterWave: []float64{.5, .3, .2}, DelayHours: 30, MinDelay: 10 * time.Minute,
	Complete: .86, Partial: .05, TwoSittings: .2, ResumeHours: 36,
	OptOut: .05, Bounce: .03, LateBounce: .01, Ineligible: .02, Unavailable: .01, MarkHours: 48,
	Mobile: .35,
	Phone:  .15, PhoneOutcome: []float64{.25, .35, .3, .1}, PhoneAgain: .5, Refuse: .3, DoNotContact: .15,
}

// midLogPopulation is the middle of log population over 25,000–250,000,
// where the response model's size effect is zero.
var midLogPopulation = (math.Log(25_000) + math.Log(250_000)) / 2

// Truth is every planted parameter of a simulated field period: truth.json.
type Truth struct {
	Seed          uint64      `json:"seed"`
	Cities        int         `json:"cities"`
	Cases         int         `json:"cases"`
	Questionnaire string      `json:"questionnaire"`
	ResponseRate  float64     `json:"response_rate"`
	Start         time.Time   `json:"start"`
	End           time.Time   `json:"end"`
	Waves         []WaveTruth `json:"waves"`
	Population    struct {
		Min          int    `json:"min"`
		Max          int    `json:"max"`
		Distribution string `json:"distribution"`
	} `json:"population"`
	Factors   []FactorTruth `json:"factors"`
	Structure struct {
		CityWeight    float64   `json:"city_weight"`
		OwnWeight     float64   `json:"own_weight"`
		CommonWeight  float64   `json:"common_weight"`
		UniqueWeight  float64   `json:"unique_weight"`
		TechItems     []string  `json:"tech_items"`
		TechLoading   float64   `json:"tech_loading"`
		TechUnique    float64   `json:"tech_unique"`
		LikertCuts    []float64 `json:"likert_cuts"`
		DontKnowShare float64   `json:"dont_know_share"`
	} `json:"structure"`
	Models struct {
		Beta         map[string]float64 `json:"beta"`
		Outcomes     []string           `json:"outcomes"`
		OutcomeShift map[string]float64 `json:"outcome_shift"`
		Cuts         []float64          `json:"cuts"`
		MeanEta      float64            `json:"mean_eta"`
		ReceiveShift float64            `json:"receive_shift"`
		Note         string             `json:"note"`
	} `json:"models"`
	Response Response `json:"response"`
}

// FactorTruth is one factor's items and planted loadings.
type FactorTruth struct {
	Factor string    `json:"factor"`
	Items  []string  `json:"items"`
	Values []float64 `json:"loadings"`
}

// WaveTruth is one wave of the field period.
type WaveTruth struct {
	ID   string    `json:"id"`
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
}

// truth collects the planted parameters of the plan.
func (p *plan) truth() *Truth {
	t := &Truth{Seed: p.o.Seed, Cities: p.o.Cities, Cases: p.cases(), Questionnaire: p.in.ID, ResponseRate: p.o.ResponseRate,
		Start: p.o.Start, End: p.o.End(), Response: Planted}
	for _, w := range p.waves {
		t.Waves = append(t.Waves, WaveTruth{ID: w.ID, Kind: w.Kind, At: w.At})
	}
	t.Population.Min, t.Population.Max, t.Population.Distribution = 25_000, 250_000, "log-uniform"
	for _, f := range Loadings {
		t.Factors = append(t.Factors, FactorTruth{Factor: f.Factor, Items: f.Items, Values: f.Values})
	}
	s := &t.Structure
	s.CityWeight, s.OwnWeight, s.CommonWeight, s.UniqueWeight = cityWeight, ownWeight, commonWeight, uniqueWeight
	s.TechItems, s.TechLoading, s.TechUnique, s.LikertCuts, s.DontKnowShare = techItems, techLoading, techUnique, likertCuts, dontKnowShare
	m := &t.Models
	m.Beta, m.Outcomes, m.OutcomeShift, m.Cuts, m.MeanEta, m.ReceiveShift = Beta, outcomes(), plantedShift, plantedCuts, plantedMeanEta, receiveShift
	m.Note = "ordered logits on the observed scale scores (items' means, a don't-know left out): logit P(Y<=k) = cuts[k] + outcome_shift - eta, " +
		"eta = sum of beta times its term - mean_eta; the receiving outcomes add receive_shift to eta; " +
		"the reference department is Mayor's Office and the reference form of government mayor-council"
	return t
}

// outcomes are the items the planted ordered logits draw.
func outcomes() []string {
	var out []string
	for _, o := range slices.Sorted(maps.Keys(plantedShift)) {
		out = append(out, o, "receive"+o[len("provide"):])
	}
	return out
}

// departments are those the planted models know.
func departments() []string {
	return slices.Sorted(maps.Keys(Planted.Department))
}
