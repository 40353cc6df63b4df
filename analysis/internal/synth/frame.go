package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// The frame variables of a Frame, each in its levels' order.
var (
	Departments = []string{"Mayor's Office", "Community Development", "Parks and Recreation", "Police", "Finance"}
	Bands       = []string{"25,000-49,999", "50,000-99,999", "100,000-249,999"}
	Forms       = []string{"mayor-council", "council-manager", "commission", "town meeting"}
)

// Frame is a sample shaped like the first survey's: five departments in each
// city, the city's population band and form of government, and whether each
// case responded, about 30% of them, less in large cities and some departments.
type Frame struct {
	City, Department, Band, Form []string
	Responded                    []bool
}

// SampleFrame simulates a frame of cases cases (five per city). The same
// seed gives the same frame.
func SampleFrame(cases int, seed uint64) Frame {
	rng := rand.New(rand.NewPCG(seed, 3))
	f := Frame{
		City: make([]string, cases), Department: make([]string, cases), Band: make([]string, cases),
		Form: make([]string, cases), Responded: make([]bool, cases),
	}
	var band, form int
	for i := range cases {
		department := i % len(Departments)
		if department == 0 {
			band, form = rng.IntN(len(Bands)), rng.IntN(len(Forms))
		}
		f.City[i] = "city " + strconv.Itoa(i/len(Departments))
		f.Department[i], f.Band[i], f.Form[i] = Departments[department], Bands[band], Forms[form]
		logit := -0.85 + 0.2*float64(department%3) - 0.15*float64(band) + 0.1*float64(form)
		f.Responded[i] = rng.Float64() < 1/(1+math.Exp(-logit))
	}
	return f
}
