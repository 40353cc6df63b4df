package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/canvass-survey/canvass/analysis/dataset"
	"github.com/canvass-survey/canvass/analysis/report"
)

const alphaSynopsis = `--csv FILE --cols a,b,... [--reverse c,d] [--na LIST] [--json]

Reliability of a scale as R's psych::alpha reports it: raw and standardized
alpha, Guttman's lambda 6 (G6, from squared multiple correlations), the
average inter-item correlation, alpha if each item is dropped and each item's
correlation with the rest of the scale (psych's r.drop), from pairwise-complete
covariances; and McDonald's omega total from a one-factor minres solution
(psych::omega with nfactors = 1). n counts the rows answering at least one item.
` + missingNote

func runAlpha(args []string, stdout io.Writer) error {
	fs := newFlagSet("alpha", alphaSynopsis, stdout)
	csvPath := fs.String("csv", "", "CSV file with a header row (required)")
	cols := fs.String("cols", "", "comma-separated items of the scale (required, at least 2)")
	reverse := fs.String("reverse", "", "comma-separated reverse-keyed items, a subset of --cols (default: none)")
	na := naFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON document instead of tables")
	if done, err := parseFlags(fs, args); done || err != nil {
		return err
	}
	items, reversed := splitList(*cols), splitList(*reverse)
	if *csvPath == "" || len(items) == 0 {
		return fmt.Errorf("--csv FILE and --cols a,b,... are required")
	}
	table, err := readTable(*csvPath, na.option())
	if err != nil {
		return err
	}
	rows, err := table.Numeric(items)
	if err != nil {
		return fmt.Errorf("%s: %w", *csvPath, err)
	}
	out, err := report.Reliability(items, rows, reversed)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	return printAlpha(stdout, out)
}

// readTable reads a whole CSV file; errors name the file.
func readTable(path string, opts ...dataset.Option) (*dataset.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	table, err := dataset.Read(f, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return table, nil
}

// printAlpha prints the reliability in the layout of psych's print.alpha:
// reverse-keyed items carry a "-" after their name.
func printAlpha(w io.Writer, out *report.Alpha) error {
	fmt.Fprintf(w, "Reliability analysis, n = %d, %d items\n\n", out.N, len(out.Items))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "raw_alpha\tstd.alpha\tG6(smc)\taverage_r\tomega_tot\t")
	omega := "NA"
	if out.OmegaTotal != nil {
		omega = fixed(float64(*out.OmegaTotal), 2)
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", fixed(float64(out.RawAlpha), 2), fixed(float64(out.StdAlpha), 2),
		fixed(float64(out.G6), 2), fixed(float64(out.AverageR), 2), omega)
	tw.Flush()

	fmt.Fprintln(w, "\nReliability if an item is dropped, and item-rest correlations:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\traw_alpha\tr.drop\t")
	for i, item := range out.Items {
		if slices.Contains(out.Reverse, item) {
			item += "-"
		}
		dropped := "NA"
		if len(out.AlphaIfDropped) == len(out.Items) {
			dropped = fixed(float64(out.AlphaIfDropped[i]), 2)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", item, dropped, fixed(float64(out.ItemRestR[i]), 2))
	}
	tw.Flush()
	printWarnings(w, out.Warnings)
	return nil
}

func printWarnings(w io.Writer, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintln(w, "\nWarnings:")
	for _, msg := range warnings {
		fmt.Fprintf(w, "  - %s\n", strings.TrimSpace(msg))
	}
}
