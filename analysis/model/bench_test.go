package model

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// surveySized simulates the first survey's analysis file: 2,500 managers in
// 500 cities, a five-point ordinal answer, four numeric predictors and the
// department (five levels) as a factor.
func surveySized() (Factor, Variable, Predictors) {
	const rows, cities = 2500, 500
	rng := rand.New(rand.NewPCG(5, 2500))
	departments := []string{"Community Development", "Finance", "Mayor", "Parks", "Police"}
	ordinal := Factor{Name: "provide", Labels: make([]string, rows)}
	continuous := Variable{Name: "provide", Values: make([]float64, rows)}
	var p Predictors
	for j := range 4 {
		p.Numeric = append(p.Numeric, Variable{Name: "x" + strconv.Itoa(j+1), Values: make([]float64, rows)})
	}
	department := Factor{Name: "department", Labels: make([]string, rows)}
	city := Factor{Name: "city", Labels: make([]string, rows)}
	for i := range rows {
		eta := 0.0
		for j, v := range p.Numeric {
			v.Values[i] = rng.NormFloat64()
			eta += 0.3 * float64(j-1) * v.Values[i]
		}
		d := rng.IntN(len(departments))
		department.Labels[i] = departments[d]
		city.Labels[i] = strconv.Itoa(i * cities / rows)
		u := rng.Float64()
		latent := eta + 0.2*float64(d) + math.Log(u/(1-u))
		level := 1
		for _, cut := range []float64{-1.5, -0.5, 0.5, 1.5} {
			if latent > cut {
				level++
			}
		}
		ordinal.Labels[i] = strconv.Itoa(level)
		continuous.Values[i] = latent
	}
	p.Factors = []Factor{department}
	p.Cluster = &city
	return ordinal, continuous, p
}

func BenchmarkOrderedLogit2500(b *testing.B) {
	y, _, p := surveySized()
	for b.Loop() {
		if _, err := OrderedLogit(y, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOLS2500(b *testing.B) {
	_, y, p := surveySized()
	for b.Loop() {
		if _, err := OLS(y, p); err != nil {
			b.Fatal(err)
		}
	}
}
