package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/canvass-survey/canvass/analysis/dataset"
	"github.com/canvass-survey/canvass/analysis/model"
	"github.com/canvass-survey/canvass/analysis/report"
)

const modelFlags = `--csv FILE --y Y [--x a,b,...] [--factor c,...] [--cluster C] [--na LIST] [--json]`

const ologitSynopsis = modelFlags + `

Ordered logit (proportional odds) as R's MASS::polr parameterizes it:
logit P(Y <= k) = zeta_k - eta, eta = x'beta, no intercept. Y's levels are
ordered numerically when every level is a number, else lexicographically.
Standard errors from the observed information (vcov of polr); with --cluster,
cluster_se is sandwich::vcovCL(type = "HC0"), scaled by G/(G-1) as Stata's
vce(cluster). A --factor enters by treatment contrasts, its first level
(same order) the reference, one term "VAR=LEVEL" per other level. Rows
missing Y, any predictor or the cluster are left out; n counts the rest.
` + missingNote

const olsSynopsis = modelFlags + `

Least-squares regression with an intercept, as R's summary(lm(...)):
classical standard errors, t and p on n - k degrees of freedom, R-squared and
adjusted R-squared; with --cluster, cluster_se is the CR1 cluster-robust
standard error, G/(G-1) * (n-1)/(n-k) (Stata's vce(cluster),
sandwich::vcovCL(type = "HC1")). A --factor enters by treatment contrasts,
its first level (numeric order when every level is a number, else
lexicographic) the reference, one term "VAR=LEVEL" per other level. Rows
missing Y, any predictor or the cluster are left out; n counts the rest.
` + missingNote

// modelArgs are the flags ologit and ols share.
type modelArgs struct {
	csvPath, y, cluster string
	x, factors          []string
	na                  dataset.Option
	asJSON              bool
}

func parseModelArgs(name, synopsis string, args []string, stdout io.Writer) (*modelArgs, bool, error) {
	fs := newFlagSet(name, synopsis, stdout)
	csvPath := fs.String("csv", "", "CSV file with a header row (required)")
	y := fs.String("y", "", "response column (required)")
	x := fs.String("x", "", "comma-separated numeric predictors (default: none)")
	factors := fs.String("factor", "", "comma-separated categorical predictors, by treatment contrasts (default: none)")
	cluster := fs.String("cluster", "", "column whose values group the rows for cluster-robust standard errors (default: none)")
	na := naFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON document instead of tables")
	if done, err := parseFlags(fs, args); done || err != nil {
		return nil, done, err
	}
	a := &modelArgs{csvPath: *csvPath, y: *y, cluster: *cluster, x: splitList(*x), factors: splitList(*factors), na: na.option(), asJSON: *asJSON}
	if a.csvPath == "" || a.y == "" {
		return nil, true, fmt.Errorf("--csv FILE and --y Y are required")
	}
	if len(a.x)+len(a.factors) == 0 {
		return nil, true, fmt.Errorf("give at least one predictor with --x or --factor")
	}
	role := map[string]string{a.y: "--y"}
	for flag, names := range map[string][]string{"--x": a.x, "--factor": a.factors} {
		for _, name := range names {
			if other, ok := role[name]; ok {
				return nil, true, fmt.Errorf("column %q is given twice (%s and %s)", name, other, flag)
			}
			role[name] = flag
		}
	}
	return a, false, nil
}

// predictors reads the model's right-hand side from the table.
func (a *modelArgs) predictors(table *dataset.Table) (model.Predictors, error) {
	var p model.Predictors
	if len(a.x) > 0 {
		rows, err := table.Numeric(a.x)
		if err != nil {
			return p, fmt.Errorf("%s: %w", a.csvPath, err)
		}
		for j, name := range a.x {
			v := model.Variable{Name: name, Values: make([]float64, len(rows))}
			for i, row := range rows {
				v.Values[i] = row[j]
			}
			p.Numeric = append(p.Numeric, v)
		}
	}
	for _, name := range a.factors {
		labels, err := table.Strings(name)
		if err != nil {
			return p, fmt.Errorf("%s: %w", a.csvPath, err)
		}
		p.Factors = append(p.Factors, model.Factor{Name: name, Labels: labels})
	}
	if a.cluster != "" {
		labels, err := table.Strings(a.cluster)
		if err != nil {
			return p, fmt.Errorf("%s: %w", a.csvPath, err)
		}
		p.Cluster = &model.Factor{Name: a.cluster, Labels: labels}
	}
	return p, nil
}

func runOrderedLogit(args []string, stdout io.Writer) error {
	a, done, err := parseModelArgs("ologit", ologitSynopsis, args, stdout)
	if done || err != nil {
		return err
	}
	table, err := readTable(a.csvPath, a.na)
	if err != nil {
		return err
	}
	labels, err := table.Strings(a.y)
	if err != nil {
		return fmt.Errorf("%s: %w", a.csvPath, err)
	}
	p, err := a.predictors(table)
	if err != nil {
		return err
	}
	out, fit, err := report.OrderedLogit(model.Factor{Name: a.y, Labels: labels}, p)
	if err != nil {
		return err
	}
	if a.asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Ordered logit (proportional odds, as MASS::polr) of %s, n = %d%s\n\n", a.y, fit.N, clusterNote(a.cluster, fit.Clusters))
	printCoefficients(stdout, out.Coefficients, "z")
	fmt.Fprintln(stdout, "\nThresholds (logit P(Y <= k) = zeta_k - eta):")
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tValue\tStd. Error\t%s\t\n", clusterHeader(fit.Clusters))
	for _, t := range out.Thresholds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", t.Term, fixed(float64(t.Estimate), 4), fixed(float64(t.SE), 4), clusterCell(t.ClusterSE))
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\nLog-likelihood: %s, residual deviance: %s\n", fixed(fit.LogLik, 2), fixed(-2*fit.LogLik, 2))
	printWarnings(stdout, out.Warnings)
	return nil
}

func runOLS(args []string, stdout io.Writer) error {
	a, done, err := parseModelArgs("ols", olsSynopsis, args, stdout)
	if done || err != nil {
		return err
	}
	table, err := readTable(a.csvPath, a.na)
	if err != nil {
		return err
	}
	rows, err := table.Numeric([]string{a.y})
	if err != nil {
		return fmt.Errorf("%s: %w", a.csvPath, err)
	}
	y := model.Variable{Name: a.y, Values: make([]float64, len(rows))}
	for i, row := range rows {
		y.Values[i] = row[0]
	}
	p, err := a.predictors(table)
	if err != nil {
		return err
	}
	out, fit, err := report.OLS(y, p)
	if err != nil {
		return err
	}
	if a.asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Linear regression (OLS) of %s, n = %d%s\n\n", a.y, fit.N, clusterNote(a.cluster, fit.Clusters))
	printCoefficients(stdout, out.Coefficients, "t")
	fmt.Fprintf(stdout, "\nResidual standard error: %s on %d degrees of freedom\n", general(fit.Sigma), fit.DF)
	fmt.Fprintf(stdout, "Multiple R-squared: %s, Adjusted R-squared: %s\n", fixed(fit.R2, 4), fixed(fit.AdjR2, 4))
	printWarnings(stdout, out.Warnings)
	return nil
}

func clusterNote(name string, clusters int) string {
	if clusters == 0 {
		return ""
	}
	return fmt.Sprintf(", %d clusters (%s)", clusters, name)
}

func clusterHeader(clusters int) string {
	if clusters == 0 {
		return ""
	}
	return "Cluster SE"
}

func clusterCell(se *report.Number) string {
	if se == nil {
		return ""
	}
	return fixed(float64(*se), 4)
}

// printCoefficients prints the coefficient table of R's summary, with the
// cluster-robust standard error as a last column when there is one.
func printCoefficients(w io.Writer, coefficients []report.Coefficient, stat string) {
	fmt.Fprintln(w, "Coefficients:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := fmt.Sprintf("\tEstimate\tStd. Error\t%s value\tPr(>|%s|)\t", stat, stat)
	if len(coefficients) > 0 && coefficients[0].ClusterSE != nil {
		header += "Cluster SE\t"
	}
	fmt.Fprintln(tw, header)
	for _, c := range coefficients {
		value := c.Z
		if value == nil {
			value = c.T
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t", c.Term, fixed(float64(c.Estimate), 4), fixed(float64(c.SE), 4),
			fixed(float64(*value), 3), general(float64(c.P)))
		if c.ClusterSE != nil {
			fmt.Fprintf(tw, "%s\t", fixed(float64(*c.ClusterSE), 4))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
