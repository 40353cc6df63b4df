package efa

import "testing"

func BenchmarkAnalyze(b *testing.B) {
	in := loadInput(b, "bfi")
	for _, m := range []Method{MinRes, ML, PA} {
		b.Run(string(m), func(b *testing.B) {
			for b.Loop() {
				if _, err := Analyze(in.items, in.r, Options{Factors: 5, N: in.n, Method: m, PairN: in.pairN}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
