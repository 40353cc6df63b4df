package cli

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// exportLike writes the same data twice and returns the two files: as the
// survey export writes it, some cells -8 ("don't know") or -9 ("prefer not
// to say"), and with those cells empty. y is ordinal (1–4), a to d answers
// on a 1–5 scale to one factor, x a number, city a cluster.
func exportLike(t *testing.T) (coded, blank string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(12, 8))
	var c, b strings.Builder
	c.WriteString("y,x,a,b,c,d,city\n")
	b.WriteString("y,x,a,b,c,d,city\n")
	for i := range 120 {
		f := rng.NormFloat64()
		likert := func(lo, hi float64) string {
			return strconv.Itoa(int(math.Max(lo, math.Min(hi, math.Round(3+f+rng.NormFloat64()*0.7)))))
		}
		cells := []string{likert(1, 4), fmt.Sprintf("%.3f", f+rng.NormFloat64()), likert(1, 5), likert(1, 5), likert(1, 5), likert(1, 5), "c" + strconv.Itoa(i%12)}
		blanked := slices.Clone(cells)
		if i%5 == 0 { // a special answer in a different column each time
			j := (i / 5) % 6
			cells[j], blanked[j] = []string{"-8", "-9"}[i%2], ""
		}
		c.WriteString(strings.Join(cells, ",") + "\n")
		b.WriteString(strings.Join(blanked, ",") + "\n")
	}
	dir := t.TempDir()
	return writeFile(t, dir, "coded.csv", c.String()), writeFile(t, dir, "blank.csv", b.String())
}

// With --na=-8,-9 every subcommand reads the export as if those cells were
// empty; without it they are numbers, and the results differ.
func TestNAFlag(t *testing.T) {
	coded, blank := exportLike(t)
	for _, args := range [][]string{
		{"efa", "--cols", "a,b,c,d", "--factors", "1"},
		{"efa", "--cols", "a,b,c,d", "--factors", "1", "--correlation", "polychoric"},
		{"efa", "--cols", "a,b,c,d", "--factors", "1", "--missing", "listwise"},
		{"alpha", "--cols", "a,b,c,d", "--reverse", "d"},
		{"ologit", "--y", "y", "--x", "x,a", "--cluster", "city"},
		{"ols", "--y", "x", "--x", "a,b", "--factor", "y", "--cluster", "city"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			want := runJSON(t, slices.Concat(args, []string{"--csv", blank})...)
			if got := runJSON(t, slices.Concat(args, []string{"--csv", coded, "--na=-8,-9"})...); !reflect.DeepEqual(got, want) {
				t.Errorf("with --na=-8,-9:\n%v\nwant, as with empty cells:\n%v", got, want)
			}
			if got := runJSON(t, slices.Concat(args, []string{"--csv", coded, "--na", "-8", "--na", "-9"})...); !reflect.DeepEqual(got, want) {
				t.Error("--na given twice must add up to --na=-8,-9")
			}
			// Without --na they are numbers: the results change, or the
			// run fails (polychoric: "15 categories (-9 to 5)").
			out, err := run(t, slices.Concat(args, []string{"--csv", coded, "--json"})...)
			var got map[string]any
			if err == nil {
				decodeOne(t, out, &got)
			}
			if reflect.DeepEqual(got, want) {
				t.Error("without --na, -8 and -9 must be numbers, and change the results")
			}
		})
	}
	// The number of cases says it plainly: 24 rows carry a code, 12 of them
	// in x, a or b.
	for _, tt := range []struct {
		file string
		na   []string
		n    float64
	}{{coded, nil, 120}, {coded, []string{"--na=-8,-9"}, 120 - 12}, {blank, nil, 120 - 12}} {
		doc := runJSON(t, slices.Concat([]string{"ols", "--csv", tt.file, "--y", "x", "--x", "a,b"}, tt.na)...)
		if doc["n"] != tt.n {
			t.Errorf("ols %v on %s: n = %v, want %v", tt.na, tt.file, doc["n"], tt.n)
		}
	}
}

func TestNAFlagNotWithCor(t *testing.T) {
	path := writeFile(t, t.TempDir(), "r.csv", "a,b,c\n1,0.5,0.4\n0.5,1,0.3\n0.4,0.3,1\n")
	_, err := run(t, "efa", "--cor", path, "--n", "100", "--factors", "1", "--na=-8")
	if err == nil || !strings.Contains(err.Error(), "--na goes with --csv") {
		t.Errorf("err = %v, want --na refused with --cor", err)
	}
}
