package frame

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// stateWeights are roughly how many US cities of 25,000–250,000 people
// each state has, so that a synthetic frame's states look like a real one's.
var stateWeights = map[string]int{
	"CA": 190, "TX": 95, "FL": 75, "IL": 55, "MI": 40, "NJ": 40, "OH": 35, "MA": 35, "NY": 30,
	"WA": 30, "NC": 30, "GA": 25, "MN": 25, "AZ": 20, "CO": 20, "PA": 20, "WI": 20, "IN": 20,
	"VA": 15, "MO": 15, "TN": 15, "UT": 15, "OR": 12, "CT": 12, "MD": 10, "SC": 10, "OK": 10,
	"AL": 10, "IA": 10, "LA": 8, "KS": 8, "NV": 6, "AR": 6, "ID": 6, "KY": 5, "NM": 5, "RI": 5,
	"MS": 4, "NE": 3, "NH": 3, "ND": 3, "MT": 3, "DE": 2, "SD": 2, "ME": 2, "WV": 2, "WY": 2,
	"HI": 1, "AK": 1, "VT": 1,
}

// formWeights are roughly the shares (%) of ICMA's forms of government
// among such cities; a form the instrument lists but this does not gets 1.
var formWeights = map[string]int{
	"council-manager": 48, "mayor-council": 44, "commission": 3, "town meeting": 3, "representative town meeting": 2,
}

var titles = map[string]string{"Mayor's Office": "Mayor", "Police": "Chief of Police", "Finance": "Finance Director"}

var (
	firstNames = strings.Fields("Mary James Patricia Robert Jennifer Michael Linda David Elizabeth William Maria José Susan Richard Karen Joseph Nancy Thomas Lisa Daniel Zoë Kevin Angela Luis")
	lastNames  = strings.Fields("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Nguyen Walker Okafor")
	cityStarts = strings.Fields("Oak Maple River Cedar Spring Fair Green Lake Pine Clear Rock Elm Bay Sun Silver Ash")
	cityEnds   = []string{"ville", "field", "wood", " Springs", "dale", "view", " Heights", "ton", "port", " Park", "brook", " City"}
)

// Synthetic makes a plausible frame of n persons for tests and demos, the
// same for the same seed: cities of 25,000–250,000 people (log-uniform, as
// city sizes are), each with one person per department of in, so that
// n = 2,500 gives 500 cities of 5 departments; states and forms of
// government are drawn with roughly their real frequencies. Emails are
// unique, under example.org.
func Synthetic(n int, seed int64, in *instrument.Instrument) []survey.Frame {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	depts := in.Frame.Departments
	forms := in.Frame.FormsOfGovernment
	formWeight := make([]int, len(forms))
	for i, f := range forms {
		formWeight[i] = max(formWeights[fold(f)], 1)
	}
	states := States[:50] // the states, no DC or territories
	stateWeight := make([]int, len(states))
	for i, s := range states {
		stateWeight[i] = stateWeights[s]
	}
	rows := make([]survey.Frame, n)
	var city survey.Frame // the fields its persons share
	for k := range rows {
		d := k % len(depts)
		if d == 0 {
			city = survey.Frame{
				City:             cityStarts[rng.IntN(len(cityStarts))] + cityEnds[rng.IntN(len(cityEnds))],
				State:            states[weighted(rng, stateWeight)],
				Population:       int(25_000 * math.Pow(10, rng.Float64())),
				FormOfGovernment: forms[weighted(rng, formWeight)],
			}
		}
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		title, ok := titles[depts[d]]
		if !ok {
			title = "Director of " + depts[d]
		}
		f := city
		f.Name = first + " " + last
		f.Title = title
		f.Department = depts[d]
		f.Email = fmt.Sprintf("%s.%s.%d@%s-%s.example.org", ascii(first), ascii(last), k+1, ascii(city.City), strings.ToLower(city.State))
		rows[k] = f
	}
	return rows
}

// weighted draws an index with probability proportional to its weight.
func weighted(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := rng.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	panic("unreachable")
}

// ascii keeps the lower-case ASCII letters of s, for email addresses.
func ascii(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, strings.ToLower(s))
}
