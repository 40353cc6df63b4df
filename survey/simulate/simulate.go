// Package simulate makes survey data from a planted truth, for tests,
// benchmarks and demonstrations: a pipeline that works recovers what was
// planted. The truth is for the default questionnaire: three correlated
// factors (participation, shared goals, political trust) that share a
// city-level part, items made from planted loadings, and data-sharing
// frequencies drawn from planted ordered logits on the observed scale
// scores and the frame.
package simulate

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Loadings are each factor's items and planted loadings.
var Loadings = []struct {
	Factor string
	Items  []string
	Values []float64
}{
	{"participation", []string{"participation_1", "participation_2", "participation_3", "participation_4"}, []float64{.8, .7, .75, .65}},
	{"shared_goals", []string{"shared_goals_1", "shared_goals_2", "shared_goals_3", "shared_goals_4"}, []float64{.75, .7, .8, .6}},
	{"political_trust", []string{"political_trust_1", "political_trust_2", "political_trust_3"}, []float64{.85, .75, .7}},
}

// Beta are the ordered logits' coefficients, the same for the three
// providing outcomes, on the observed scale scores (items' means);
// plantedShift moves each outcome's thresholds.
var (
	Beta = map[string]float64{
		"participation_scale": .45, "shared_goals_scale": .3, "political_trust_scale": .35,
		"log(population)": .25, "tech_capacity": .2,
		"department=Community Development": -.4, "department=Parks and Recreation": -.5,
		"department=Police": .3, "department=Finance": -.3,
		"form_of_government=council-manager": .2,
	}
	plantedShift = map[string]float64{"provide_city_depts": -.6, "provide_other_govs": 0, "provide_private": .8}
	plantedCuts  = []float64{-1.8, -.6, .5, 1.7} // relative to the mean linear predictor
)

var forms = []string{"mayor-council", "council-manager"}

var states = []string{"AZ", "CA", "TX", "OH", "NY", "FL", "WA", "IL", "GA", "CO"}

// Cases makes n cases of the default questionnaire in, share of which
// answered and submitted, the rest never started: five departments per
// city, cities' populations log-uniform over 25,000–250,000. The same seed
// gives the same cases.
func Cases(in *instrument.Instrument, n int, share float64, seed uint64) []*survey.Case {
	cases := make([]*survey.Case, 0, n)
	Each(in, n, share, seed, func(c *survey.Case) { cases = append(cases, c) })
	return cases
}

// Each makes the cases Cases makes, handing them to fn one at a time, so
// that a million of them need not fit in memory at once.
func Each(in *instrument.Instrument, n int, share float64, seed uint64, fn func(*survey.Case)) {
	rng := rand.New(rand.NewPCG(seed, 1))
	cities := max(1, n/5)
	cityEffect := make([]float64, cities)
	population := make([]int, cities)
	for c := range cityEffect {
		cityEffect[c] = rng.NormFloat64()
		population[c] = int(math.Exp(math.Log(25000) + rng.Float64()*(math.Log(250000)-math.Log(25000))))
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		city := i / 5 % cities
		c := &survey.Case{ID: fmt.Sprintf("case%07d", i), Survey: in.ID, Status: survey.StatusNew, CreatedAt: now, UpdatedAt: now,
			Frame: survey.Frame{Email: fmt.Sprintf("m%d@city%d.example", i, city), Name: fmt.Sprintf("Manager %d", i),
				Department: in.Frame.Departments[i%5], City: fmt.Sprintf("City %d", city), State: states[city%len(states)],
				Population: population[city], FormOfGovernment: forms[city%2]}}
		// What the field period leaves on a case, so that the documents
		// are as large as real ones: the sealed link, an invitation and a
		// reminder, and the respondents' page timings.
		c.SealedToken = fmt.Sprintf("%080x", rng.Uint64())
		c.Contacts = []survey.Contact{{Wave: "invitation", Kind: "invitation", Status: survey.ContactSent, At: now},
			{Wave: "reminder-1", Kind: "reminder", Status: survey.ContactSent, At: now.AddDate(0, 0, 7)}}
		if rng.Float64() < share {
			c.Status, c.SubmittedAt, c.StartedAt = survey.StatusSubmitted, &now, &now
			c.Answers = plantedAnswers(rng, c.Frame, cityEffect[city])
			c.Paradata = survey.Paradata{Device: "desktop", PageSeconds: map[string]float64{}}
			for _, p := range in.Pages {
				c.Paradata.PageSeconds[p.ID] = 20 + 60*rng.Float64()
			}
		}
		fn(c)
	}
}

// The planted structure of the latent variables: a respondent's common
// part is the city's (cityWeight) and their own (ownWeight); each factor
// is the common part (commonWeight) and its own (uniqueWeight), so the
// factors correlate .55² ≈ .30 and colleagues in a city share a quarter of
// each factor's common variance. Technology capacity is a fourth factor,
// independent of the three, with the same loading on each of its items.
const (
	cityWeight, ownWeight      = .5, .866
	commonWeight, uniqueWeight = .55, .835
	techLoading, techUnique    = .7, .714
	dontKnowShare              = .02
	receiveShift               = .8 // departments receive more often than they provide
)

// techItems are the technology capacity scale's items.
var techItems = []string{"tech_capacity_1", "tech_capacity_2", "tech_capacity_3", "tech_capacity_4", "tech_capacity_5"}

// plantedAnswers draws one respondent's answers.
func plantedAnswers(rng *rand.Rand, f survey.Frame, city float64) map[string]any {
	g := cityWeight*city + ownWeight*rng.NormFloat64()
	a := map[string]any{"years_in_position": 5}
	scale := func(items []string) float64 { return observedMean(a, items) }
	for _, p := range Loadings {
		factor := commonWeight*g + uniqueWeight*rng.NormFloat64()
		for j, id := range p.Items {
			a[id] = likert(rng, p.Values[j]*factor+math.Sqrt(1-p.Values[j]*p.Values[j])*rng.NormFloat64())
		}
	}
	tech := rng.NormFloat64()
	for _, id := range techItems {
		a[id] = likert(rng, techLoading*tech+techUnique*rng.NormFloat64())
	}
	for _, id := range slices.Sorted(maps.Keys(a)) {
		if id != "years_in_position" && rng.Float64() < dontKnowShare {
			a[id] = instrument.DontKnow
		}
	}
	terms := map[string]float64{
		"participation_scale": scale(Loadings[0].Items), "shared_goals_scale": scale(Loadings[1].Items),
		"political_trust_scale": scale(Loadings[2].Items), "log(population)": math.Log(float64(f.Population)),
		"tech_capacity": scale(techItems), "department=" + f.Department: 1, "form_of_government=" + f.FormOfGovernment: 1,
	}
	eta := -plantedMeanEta
	for term, x := range terms {
		eta += Beta[term] * x
	}
	for _, outcome := range slices.Sorted(maps.Keys(plantedShift)) {
		a[outcome] = ordinal(rng, eta, plantedShift[outcome])
		a["receive"+outcome[len("provide"):]] = ordinal(rng, eta+receiveShift, plantedShift[outcome])
	}
	return a
}

// plantedMeanEta centres the linear predictor near its mean (scale scores
// near 3, log population near 11.3), so the cuts fall in the data.
const plantedMeanEta = .45*3 + .3*3 + .35*3 + .25*11.3 + .2*3

// likertCuts cut a standard normal value into the five answers of agree5.
var likertCuts = []float64{-1.3, -.4, .4, 1.3}

// likert cuts a standard normal value into 1..5.
func likert(rng *rand.Rand, z float64) int {
	v := 1
	for _, cut := range likertCuts {
		if z > cut {
			v++
		}
	}
	return v
}

// ordinal draws 0..4 from an ordered logit with linear predictor eta.
func ordinal(rng *rand.Rand, eta, shift float64) int {
	u := rng.Float64()
	latent := eta + math.Log(u/(1-u))
	y := 0
	for _, cut := range plantedCuts {
		if latent > cut+shift {
			y++
		}
	}
	return y
}

// observedMean is the mean of the items a answers with a number, as the
// pipeline scores a scale: a "don't know" is left out.
func observedMean(a map[string]any, items []string) float64 {
	sum, n := 0.0, 0
	for _, id := range items {
		if v, ok := a[id].(int); ok {
			sum += float64(v)
			n++
		}
	}
	return sum / float64(n)
}
