// Package report runs the analyses that `canvass analyze` and the nightly
// pipeline share — an EFA with its adequacy tests, a scale's reliability, a
// model — and holds their JSON documents. It does no I/O: callers read the
// data and print or store what it returns. The JSON field names are a
// public contract: extend them, never rename them.
package report

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// Number is a float64 that encodes as JSON null when it is NaN or infinite,
// so that an undefined statistic is explicit and the document stays valid.
type Number float64

// MarshalJSON implements json.Marshaler.
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler: null reads back as NaN, so a
// stored document decodes to the numbers it was made from.
func (n *Number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Number(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*n = Number(f)
	return nil
}

// Numbers converts a slice.
func Numbers(x []float64) []Number {
	out := make([]Number, len(x))
	for i, v := range x {
		out[i] = Number(v)
	}
	return out
}

// Matrix converts a gonum matrix to rows of Numbers; nil stays nil (null).
func Matrix(m *mat.Dense) [][]Number {
	if m == nil {
		return nil
	}
	r, c := m.Dims()
	out := make([][]Number, r)
	for i := range out {
		out[i] = make([]Number, c)
		for j := range out[i] {
			out[i][j] = Number(m.At(i, j))
		}
	}
	return out
}
