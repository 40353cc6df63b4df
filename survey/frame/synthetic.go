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
	// cityPrefixes tell apart cities of one state that the pool would name alike.
	cityPrefixes = strings.Fields("North South East West New Port Mount Lake")
)

// Synthetic makes a plausible frame of n persons for tests and demos, the
// same for the same seed: the first n rows of Cities(seed, in).
func Synthetic(n int, seed int64, in *instrument.Instrument) []survey.Frame {
	g := NewCities(seed, in)
	rows := make([]survey.Frame, 0, n+len(in.Frame.Departments))
	for len(rows) < n {
		rows = append(rows, g.Next()...)
	}
	return rows[:n]
}

// Cities makes a plausible frame city by city, so that a frame of any size
// can be written without holding it: cities of 25,000–250,000 people
// (log-uniform, as city sizes are), each with one person per department of
// the instrument, so that 500 cities make the mission's 2,500 managers;
// states and forms of government are drawn with roughly their real
// frequencies. A city's name is unique within its state, since the
// analysis takes a city within its state for a cluster; emails are unique,
// under example.org.
type Cities struct {
	rng         *rand.Rand
	depts       []string
	forms       []string
	formWeight  []int
	states      []string
	stateWeight []int
	named       map[string]int   // state → cities named so far
	names       map[string][]int // state → its order of the name pool
	rows        int
}

// NewCities starts the cities of seed.
func NewCities(seed int64, in *instrument.Instrument) *Cities {
	g := &Cities{rng: rand.New(rand.NewPCG(uint64(seed), 0x5eed)), depts: in.Frame.Departments, forms: in.Frame.FormsOfGovernment,
		states: States[:50], named: map[string]int{}, names: map[string][]int{}} // the states, no DC or territories
	for _, f := range g.forms {
		g.formWeight = append(g.formWeight, max(formWeights[fold(f)], 1))
	}
	for _, s := range g.states {
		g.stateWeight = append(g.stateWeight, stateWeights[s])
	}
	return g
}

// Next returns the next city's rows, one per department in the
// instrument's order.
func (g *Cities) Next() []survey.Frame {
	city := survey.Frame{
		State:            g.states[weighted(g.rng, g.stateWeight)],
		Population:       int(25_000 * math.Pow(10, g.rng.Float64())),
		FormOfGovernment: g.forms[weighted(g.rng, g.formWeight)],
	}
	city.City = g.name(city.State)
	rows := make([]survey.Frame, len(g.depts))
	for d, dept := range g.depts {
		first, last := firstNames[g.rng.IntN(len(firstNames))], lastNames[g.rng.IntN(len(lastNames))]
		title, ok := titles[dept]
		if !ok {
			title = "Director of " + dept
		}
		g.rows++
		f := city
		f.Name, f.Title, f.Department = first+" "+last, title, dept
		f.Email = fmt.Sprintf("%s.%s.%d@%s-%s.example.org", ascii(first), ascii(last), g.rows, ascii(city.City), strings.ToLower(city.State))
		rows[d] = f
	}
	return rows
}

// name gives the state's next city a name no earlier city of the state
// has: the pool of made-up names in an order of the state's own, then the
// pool again with "North", "South", ... before each name, then numbered.
func (g *Cities) name(state string) string {
	pool := len(cityStarts) * len(cityEnds)
	order, ok := g.names[state]
	if !ok {
		order = g.rng.Perm(pool)
		g.names[state] = order
	}
	k := g.named[state]
	g.named[state]++
	i := order[k%pool]
	name := cityStarts[i/len(cityEnds)] + cityEnds[i%len(cityEnds)]
	switch round := k / pool; {
	case round == 0:
		return name
	case round <= len(cityPrefixes):
		return cityPrefixes[round-1] + " " + name
	default:
		return fmt.Sprintf("%s %d", name, round-len(cityPrefixes)+1)
	}
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
