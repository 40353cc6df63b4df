package cli

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/canvass-survey/canvass/analysis/cor"
	"github.com/canvass-survey/canvass/analysis/dataset"
	"github.com/canvass-survey/canvass/analysis/efa"
	"gonum.org/v1/gonum/mat"
)

// efaOutput is the JSON document of `analyze efa`; the field names are a
// public contract (issue 5): extend, do not rename.
type efaOutput struct {
	N             int        `json:"n"`
	Items         []string   `json:"items"`
	Method        string     `json:"method"`
	Rotation      string     `json:"rotation"`
	Loadings      [][]Number `json:"loadings"`
	Communalities []Number   `json:"communalities"`
	Uniquenesses  []Number   `json:"uniquenesses"`
	Eigenvalues   []Number   `json:"eigenvalues"`
	SSLoadings    []Number   `json:"ss_loadings"`
	Phi           [][]Number `json:"phi"`
	Fit           struct {
		Chi2    Number    `json:"chi2"`
		DF      Number    `json:"df"`
		P       Number    `json:"p"`
		RMSEA   Number    `json:"rmsea"`
		RMSEACI [2]Number `json:"rmsea_ci"`
		TLI     Number    `json:"tli"`
		BIC     Number    `json:"bic"`
		RMSR    Number    `json:"rmsr"`
	} `json:"fit"`
	KMO struct {
		Overall Number   `json:"overall"`
		Items   []Number `json:"items"`
	} `json:"kmo"`
	Bartlett struct {
		Chi2 Number `json:"chi2"`
		DF   Number `json:"df"`
		P    Number `json:"p"`
	} `json:"bartlett"`
	// Beyond issue 5's list:
	Complexity    []Number        `json:"complexity"`     // Hofmann's item complexity
	ProportionVar []Number        `json:"proportion_var"` // SS loadings / items
	ScoreR2       []Number        `json:"score_r2"`       // factor score adequacy (regression scores)
	MAP           []Number        `json:"map"`            // Velicer's MAP for 1..8 components
	Parallel      *parallelOutput `json:"parallel,omitempty"`
	Warnings      []string        `json:"warnings"`
}

// parallelOutput is parallel analysis with --parallel: the simulated
// eigenvalues and how many factors and components exceed them.
type parallelOutput struct {
	Iterations  int      `json:"iterations"`
	Seed        uint64   `json:"seed"`
	NFactors    int      `json:"nfactors"`
	NComponents int      `json:"ncomponents"`
	SimFactors  []Number `json:"sim_factors"`
	SimComps    []Number `json:"sim_components"`
}

const efaSynopsis = `(--csv FILE [--cols a,b,...] [--missing pairwise|listwise] [--correlation pearson|polychoric] | --cor FILE --n N)
       --factors K [--fm minres|ml|pa] [--rotate none|varimax|quartimax|promax|oblimin] [--json]

Exploratory factor analysis as R's psych::fa computes it. With --csv the
correlations are Pearson's, computed while the file streams (any number of
rows in memory proportional to the number of items); n is the number of rows
(psych's n.obs), or the complete rows with --missing listwise. With --cor the
file holds a header of item names and a square correlation matrix.
A cell that is empty, NA or . is missing.`

// mapFactors is how many MAP values are reported, psych vss's default n.
const mapFactors = 8

func runEFA(args []string, stdout io.Writer) error {
	fs := newFlagSet("efa", efaSynopsis, stdout)
	csvPath := fs.String("csv", "", "CSV file of raw data, one column per item")
	corPath := fs.String("cor", "", "CSV file holding a correlation matrix (header = item names)")
	n := fs.Int("n", 0, "number of observations behind --cor")
	cols := fs.String("cols", "", "comma-separated items to analyze (default: every column)")
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

	var in *efaInput
	switch {
	case (*csvPath == "") == (*corPath == ""):
		return fmt.Errorf("give exactly one of --csv and --cor")
	case *csvPath != "":
		if *n != 0 {
			return fmt.Errorf("--n goes with --cor; with --csv n is the number of rows")
		}
		switch *correlation {
		case "pearson":
			in, err = correlateCSV(*csvPath, splitList(*cols), miss)
		case "polychoric":
			if miss != cor.Pairwise {
				return fmt.Errorf("--correlation polychoric uses pairwise-complete rows, as psych does")
			}
			in, err = polychoricCSV(*csvPath, splitList(*cols))
		default:
			return fmt.Errorf("correlation: %q is neither pearson nor polychoric", *correlation)
		}
	default:
		if *n <= 0 {
			return fmt.Errorf("--cor needs --n, the number of observations")
		}
		in, err = readCorrelationMatrix(*corPath, splitList(*cols), *n)
	}
	if err != nil {
		return err
	}

	res, err := efa.Analyze(in.items, in.r, efa.Options{Factors: *factors, Method: method, Rotation: rot, N: in.n, PairN: in.pairN})
	if err != nil {
		return err
	}
	kmo, err := efa.SamplingAdequacy(in.r)
	if err != nil {
		return err
	}
	bartlett, err := efa.Sphericity(in.r, in.n)
	if err != nil {
		return err
	}
	mapValues, err := efa.MAP(in.r, mapFactors)
	if err != nil {
		return err
	}
	out := newEFAOutput(res, kmo, bartlett, mapValues)
	if *parallel > 0 {
		pa, err := efa.Parallel(in.r, in.n, *parallel, *seed)
		if err != nil {
			return err
		}
		out.Parallel = &parallelOutput{Iterations: *parallel, Seed: *seed, NFactors: pa.NFactors, NComponents: pa.NComponents,
			SimFactors: numbers(pa.SimFactors), SimComps: numbers(pa.SimComponents)}
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	return printEFA(stdout, res, out)
}

// efaInput is a correlation matrix with what the fit statistics need.
type efaInput struct {
	items []string
	r     *mat.SymDense
	n     int
	pairN *mat.SymDense // nil unless computed pairwise from raw data
}

func correlateCSV(path string, cols []string, miss cor.Missing) (*efaInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := dataset.NewScanner(bufio.NewReaderSize(f, 1<<20), cols)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	acc := cor.NewAccumulator(sc.Names(), miss)
	if err := scanInto(sc, acc.Add); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	res, err := acc.Result()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	in := &efaInput{items: res.Names, r: res.R, n: res.Rows, pairN: res.PairN}
	if miss == cor.Listwise {
		in.n, in.pairN = res.Complete, nil
	}
	return in, nil
}

// polychoricCSV reads a whole file (polychoric correlations need each
// pair's contingency table) and correlates its columns, n being the rows.
func polychoricCSV(path string, cols []string) (*efaInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := dataset.Read(bufio.NewReaderSize(f, 1<<20))
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
	return &efaInput{items: names, r: res.R, n: len(x), pairN: res.PairN}, nil
}

// scanBatchRows is how many rows the parsing goroutine hands over at once.
const scanBatchRows = 4096

// scanInto feeds every row of sc to add, parsing on one goroutine while add
// runs on another: on large files parsing and accumulating each take about
// half the time, so two cores nearly halve it.
func scanInto(sc *dataset.Scanner, add func(row []float64)) error {
	p := len(sc.Names())
	full := make(chan []float64, 2)
	free := make(chan []float64, 3)
	for i := 0; i < cap(free); i++ {
		free <- make([]float64, 0, scanBatchRows*p)
	}
	go func() {
		defer close(full)
		for batch := <-free; ; batch = <-free {
			for len(batch) < cap(batch) && sc.Scan() {
				batch = append(batch, sc.Row()...)
			}
			if len(batch) > 0 {
				full <- batch
			}
			if len(batch) < cap(batch) {
				return // end of file or error
			}
		}
	}()
	for batch := range full {
		for i := 0; i < len(batch); i += p {
			add(batch[i : i+p])
		}
		free <- batch[:0]
	}
	return sc.Err()
}

// readCorrelationMatrix reads a square, symmetric matrix with a unit
// diagonal whose header names the items; cols selects a sub-matrix.
func readCorrelationMatrix(path string, cols []string, n int) (*efaInput, error) {
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
		return &efaInput{items: t.Header, r: full, n: n}, nil
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
	return &efaInput{items: cols, r: sub, n: n}, nil
}

func newEFAOutput(res *efa.Result, kmo efa.KMO, b efa.Bartlett, mapValues []float64) *efaOutput {
	out := &efaOutput{
		N: res.N, Items: res.Items, Method: string(res.Method), Rotation: string(res.Rotation),
		Loadings:      matrix(res.Loadings),
		Communalities: numbers(res.Communalities),
		Uniquenesses:  numbers(res.Uniquenesses),
		Eigenvalues:   numbers(res.Eigenvalues),
		SSLoadings:    numbers(res.SSLoadings),
		Complexity:    numbers(res.Complexity),
		ProportionVar: numbers(res.ProportionVar),
		ScoreR2:       numbers(res.ScoreR2),
		MAP:           numbers(mapValues),
		Warnings:      append([]string{}, res.Warnings...),
	}
	if res.Phi != nil {
		out.Phi = matrix(res.Phi)
	}
	f := res.Fit
	out.Fit.Chi2, out.Fit.DF, out.Fit.P = Number(f.Chi2), Number(f.DF), Number(f.P)
	out.Fit.RMSEA, out.Fit.RMSEACI = Number(f.RMSEA), [2]Number{Number(f.RMSEALo), Number(f.RMSEAHi)}
	out.Fit.TLI, out.Fit.BIC, out.Fit.RMSR = Number(f.TLI), Number(f.BIC), Number(f.RMSR)
	out.KMO.Overall, out.KMO.Items = Number(kmo.Overall), numbers(kmo.Items)
	out.Bartlett.Chi2, out.Bartlett.DF, out.Bartlett.P = Number(b.Chi2), Number(b.DF), Number(b.P)
	return out
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
func printEFA(w io.Writer, res *efa.Result, out *efaOutput) error {
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
