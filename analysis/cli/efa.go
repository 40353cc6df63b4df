package cli

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/canvass-survey/canvass/analysis/cor"
	"github.com/canvass-survey/canvass/analysis/dataset"
	"github.com/canvass-survey/canvass/analysis/efa"
	"github.com/canvass-survey/canvass/analysis/report"
	"gonum.org/v1/gonum/mat"
)

const efaSynopsis = `(--csv FILE [--cols a,b,...] [--missing pairwise|listwise] [--correlation pearson|polychoric] [--na LIST] | --cor FILE --n N)
       --factors K [--fm minres|ml|pa] [--rotate none|varimax|quartimax|promax|oblimin] [--json]

Exploratory factor analysis as R's psych::fa computes it. With --csv the
correlations are Pearson's, computed while the file streams (any number of
rows in memory proportional to the number of items); n is the number of rows
(psych's n.obs), or the complete rows with --missing listwise. With --cor the
file holds a header of item names and a square correlation matrix.
` + missingNote

func runEFA(args []string, stdout io.Writer) error {
	fs := newFlagSet("efa", efaSynopsis, stdout)
	csvPath := fs.String("csv", "", "CSV file of raw data, one column per item")
	corPath := fs.String("cor", "", "CSV file holding a correlation matrix (header = item names)")
	n := fs.Int("n", 0, "number of observations behind --cor")
	cols := fs.String("cols", "", "comma-separated items to analyze (default: every column)")
	na := naFlag(fs)
	factors := fs.Int("factors", 0, "number of factors (required)")
	fm := fs.String("fm", string(efa.MinRes), "fitting method: minres, ml or pa")
	rotation := fs.String("rotate", string(efa.Oblimin), "rotation: none, varimax, quartimax, promax or oblimin")
	missing := fs.String("missing", cor.Pairwise.String(), "missing values: pairwise or listwise deletion (--csv)")
	correlation := fs.String("correlation", "pearson", "pearson, or polychoric for ordinal items with whole-number categories (--csv; reads the file into memory)")
	parallel := fs.Int("parallel", 0, "also run parallel analysis with this many simulated data sets (psych uses 20; 0 = off)")
	seed := fs.Uint64("seed", 1, "random seed for --parallel")
	asJSON := fs.Bool("json", false, "print one JSON document instead of tables")
	if done, err := parseFlags(fs, args); done || err != nil {
		return err
	}
	method, err := efa.ParseMethod(*fm)
	if err != nil {
		return err
	}
	rot, err := efa.ParseRotation(*rotation)
	if err != nil {
		return err
	}
	miss, err := cor.ParseMissing(*missing)
	if err != nil {
		return err
	}
	if *factors < 1 {
		return fmt.Errorf("--factors K is required (K ≥ 1)")
	}

	var in *report.Correlations
	switch {
	case (*csvPath == "") == (*corPath == ""):
		return fmt.Errorf("give exactly one of --csv and --cor")
	case *csvPath != "":
		if *n != 0 {
			return fmt.Errorf("--n goes with --cor; with --csv n is the number of rows")
		}
		switch *correlation {
		case "pearson":
			in, err = correlateCSV(*csvPath, splitList(*cols), miss, na.option())
		case "polychoric":
			if miss != cor.Pairwise {
				return fmt.Errorf("--correlation polychoric uses pairwise-complete rows, as psych does")
			}
			in, err = polychoricCSV(*csvPath, splitList(*cols), na.option())
		default:
			return fmt.Errorf("correlation: %q is neither pearson nor polychoric", *correlation)
		}
	default:
		if *n <= 0 {
			return fmt.Errorf("--cor needs --n, the number of observations")
		}
		if len(*na) > 0 {
			return fmt.Errorf("--na goes with --csv; a correlation matrix has no missing cells")
		}
		in, err = readCorrelationMatrix(*corPath, splitList(*cols), *n)
	}
	if err != nil {
		return err
	}

	out, res, err := report.RunEFA(*in, report.EFAOptions{Factors: *factors, Method: method, Rotation: rot, Parallel: *parallel, Seed: *seed})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	return printEFA(stdout, res, out)
}

// correlateCSV streams the file into a Pearson accumulator: chunks of whole
// blocks are parsed and summed on every core and merged in the order of the
// file, which gives the bits of adding the rows one by one, as the nightly
// run does, whatever the number of cores.
func correlateCSV(path string, cols []string, miss cor.Missing, na dataset.Option) (*report.Correlations, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := dataset.NewChunkScanner(f, cols, na)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	acc := cor.NewAccumulator(sc.Names(), miss)
	if err := dataset.ScanChunks(sc, cor.BlockRows, runtime.GOMAXPROCS(0), acc.Sum, acc.Merge); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	res, err := acc.Result()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	in := &report.Correlations{Items: res.Names, R: res.R, N: res.Rows, PairN: res.PairN}
	if miss == cor.Listwise {
		in.N, in.PairN = res.Complete, nil
	}
	return in, nil
}

// polychoricCSV reads a whole file (polychoric correlations need each
// pair's contingency table) and correlates its columns, n being the rows.
func polychoricCSV(path string, cols []string, na dataset.Option) (*report.Correlations, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := dataset.Read(bufio.NewReaderSize(f, 1<<20), na)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	x, err := t.Numeric(cols)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	names := cols
	if len(names) == 0 {
		names = t.Header
	}
	res, err := cor.Polychoric(names, x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &report.Correlations{Items: names, R: res.R, N: len(x), PairN: res.PairN}, nil
}

// readCorrelationMatrix reads a square, symmetric matrix with a unit
// diagonal whose header names the items; cols selects a sub-matrix.
func readCorrelationMatrix(path string, cols []string, n int) (*report.Correlations, error) {
	t, err := readTable(path)
	if err != nil {
		return nil, err
	}
	x, err := t.Numeric(nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := len(t.Header)
	if len(x) != p {
		return nil, fmt.Errorf("%s: %d items in the header but %d rows: not a square correlation matrix", path, p, len(x))
	}
	full := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		if x[i][i] != 1 {
			return nil, fmt.Errorf("%s: diagonal entry %d (%s) is %v, not 1", path, i+1, t.Header[i], x[i][i])
		}
		for j := i; j < p; j++ {
			a, b := x[i][j], x[j][i]
			if math.IsNaN(a) || math.IsNaN(b) || math.Abs(a-b) > 1e-8 || math.Abs(a) > 1 {
				return nil, fmt.Errorf("%s: entries (%s, %s) = %v and %v: a correlation matrix is symmetric, complete and within [-1, 1]", path, t.Header[i], t.Header[j], a, b)
			}
			full.SetSym(i, j, a)
		}
	}
	if len(cols) == 0 {
		return &report.Correlations{Items: t.Header, R: full, N: n}, nil
	}
	pos := make(map[string]int, p)
	for i, h := range t.Header {
		pos[h] = i
	}
	idx := make([]int, len(cols))
	for k, c := range cols {
		i, ok := pos[c]
		if !ok {
			return nil, fmt.Errorf("%s: no item %q in the header", path, c)
		}
		idx[k] = i
	}
	sub := mat.NewSymDense(len(cols), nil)
	for a, i := range idx {
		for b := a; b < len(idx); b++ {
			sub.SetSym(a, b, full.At(i, idx[b]))
		}
	}
	return &report.Correlations{Items: cols, R: sub, N: n}, nil
}

// factorNames are psych's column names: MR1, ML1, PA1, ...
func factorNames(m efa.Method, k int) []string {
	prefix := map[efa.Method]string{efa.MinRes: "MR", efa.ML: "ML", efa.PA: "PA"}[m]
	names := make([]string, k)
	for j := range names {
		names[j] = fmt.Sprintf("%s%d", prefix, j+1)
	}
	return names
}

// printEFA prints the solution in the layout of psych's print.psych.
func printEFA(w io.Writer, res *efa.Result, out *report.EFA) error {
	_, k := res.Loadings.Dims()
	names := factorNames(res.Method, k)
	fmt.Fprintf(w, "Factor Analysis using method = %s, rotation = %s\n", res.Method, res.Rotation)
	fmt.Fprintf(w, "n = %d, %d items, %d factors\n\n", res.N, len(res.Items), k)
	fmt.Fprintln(w, "Standardized loadings (pattern matrix)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t%s\th2\tu2\tcom\t\n", strings.Join(names, "\t"))
	for i, item := range res.Items {
		fmt.Fprintf(tw, "%s\t", item)
		for j := 0; j < k; j++ {
			fmt.Fprintf(tw, "%s\t", fixed(res.Loadings.At(i, j), 2))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", fixed(res.Communalities[i], 2), fixed(res.Uniquenesses[i], 2), fixed(res.Complexity[i], 1))
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t%s\t\n", strings.Join(names, "\t"))
	var cum float64
	rows := [][]string{{"SS loadings"}, {"Proportion Var"}, {"Cumulative Var"}}
	for j := 0; j < k; j++ {
		cum += res.ProportionVar[j]
		rows[0] = append(rows[0], fixed(res.SSLoadings[j], 2))
		rows[1] = append(rows[1], fixed(res.ProportionVar[j], 2))
		rows[2] = append(rows[2], fixed(cum, 2))
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t\n", strings.Join(r, "\t"))
	}
	tw.Flush()

	if res.Phi != nil {
		fmt.Fprintln(w, "\nWith factor correlations of")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\t%s\t\n", strings.Join(names, "\t"))
		for i := 0; i < k; i++ {
			fmt.Fprintf(tw, "%s\t", names[i])
			for j := 0; j < k; j++ {
				fmt.Fprintf(tw, "%s\t", fixed(res.Phi.At(i, j), 2))
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}

	f := res.Fit
	fmt.Fprintf(w, "\nChi square = %s on %s df, p = %s (Bartlett-corrected, n = %d)\n", fixed(f.Chi2, 2), fixed(f.DF, 0), general(f.P), res.N)
	fmt.Fprintf(w, "RMSEA = %s, 90%% CI [%s, %s]\n", fixed(f.RMSEA, 3), fixed(f.RMSEALo, 3), fixed(f.RMSEAHi, 3))
	fmt.Fprintf(w, "Tucker Lewis Index = %s, BIC = %s, RMSR = %s\n", fixed(f.TLI, 3), fixed(f.BIC, 2), fixed(f.RMSR, 3))
	fmt.Fprintf(w, "Factor score adequacy (R² of regression scores):")
	for j := 0; j < k; j++ {
		fmt.Fprintf(w, " %s %s", names[j], fixed(res.ScoreR2[j], 2))
	}
	fmt.Fprintf(w, "\n\nKMO = %s; Bartlett's test of sphericity: chi square = %s on %s df, p = %s\n",
		fixed(float64(out.KMO.Overall), 2), fixed(float64(out.Bartlett.Chi2), 2), fixed(float64(out.Bartlett.DF), 0), general(float64(out.Bartlett.P)))
	fmt.Fprintf(w, "Velicer MAP by number of components:")
	for _, v := range out.MAP {
		fmt.Fprintf(w, " %s", fixed(float64(v), 4))
	}
	fmt.Fprintln(w)
	if pa := out.Parallel; pa != nil {
		fmt.Fprintf(w, "Parallel analysis (%d simulations, seed %d) suggests %d factors and %d components\n", pa.Iterations, pa.Seed, pa.NFactors, pa.NComponents)
	}
	if len(res.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, msg := range res.Warnings {
			fmt.Fprintf(w, "  - %s\n", msg)
		}
	}
	return nil
}

// fixed formats with d decimals, NA where undefined (as R prints it).
func fixed(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "NA"
	}
	return fmt.Sprintf("%.*f", d, v)
}

func general(v float64) string {
	if math.IsNaN(v) {
		return "NA"
	}
	return fmt.Sprintf("%.3g", v)
}
