package results

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/canvass-survey/canvass/analysis/report"
	"github.com/canvass-survey/canvass/survey"
)

// Tables are the names `?format=csv&table=NAME` takes.
var Tables = []string{"loadings", "reliability", "models", "descriptives", "frequencies", "means", "scores"}

// WriteTable writes one table of an ok result as CSV: for R's read.csv,
// pandas and spreadsheets alike, empty where a number is undefined.
func (s *Service) WriteTable(ctx context.Context, r *Result, name string, w io.Writer) error {
	if !slices.Contains(Tables, name) {
		return &survey.Error{Code: survey.EINVALID, Message: fmt.Sprintf("unknown table %q: want one of %s", name, strings.Join(Tables, ", ")),
			Fields: map[string]string{"table": "want one of " + strings.Join(Tables, ", ")}}
	}
	if r.Status != StatusOK {
		return survey.Errorf(survey.ECONFLICT, "result %s is %s: it has no tables", r.ID, r.Status)
	}
	if name == "scores" {
		return s.writeScores(ctx, r, w)
	}
	cw := csv.NewWriter(w)
	for _, row := range tableRows(r, name) {
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func tableRows(r *Result, name string) [][]string {
	switch name {
	case "loadings":
		return loadingRows(r)
	case "reliability":
		return reliabilityRows(r)
	case "models":
		return modelRows(r)
	case "frequencies":
		return frequencyRows(r)
	case "means":
		return meanRows(r)
	}
	return variableRows(r)
}

func num(n report.Number) string { return FormatNumber(float64(n)) }

func numPtr(n *report.Number) string {
	if n == nil {
		return ""
	}
	return num(*n)
}

// loadingRows: one row per item, one column per named factor (turned by
// its sign), then communality and uniqueness.
func loadingRows(r *Result) [][]string {
	if r.EFA == nil {
		return [][]string{{"item"}}
	}
	header := []string{"item"}
	for _, f := range r.Factors {
		header = append(header, f.Name)
	}
	rows := [][]string{append(header, "communality", "uniqueness")}
	for i, item := range r.EFA.Items {
		row := []string{item}
		for _, f := range r.Factors {
			row = append(row, num(report.Number(f.Sign)*r.EFA.Loadings[i][f.Column]))
		}
		rows = append(rows, append(row, num(r.EFA.Communalities[i]), num(r.EFA.Uniquenesses[i])))
	}
	return rows
}

func reliabilityRows(r *Result) [][]string {
	rows := [][]string{{"scale", "n", "raw_alpha", "std_alpha", "g6", "average_r", "omega_total", "items", "reverse"}}
	for _, name := range sortedKeys(r.Reliability) {
		a := r.Reliability[name]
		rows = append(rows, []string{name, strconv.Itoa(a.N), num(a.RawAlpha), num(a.StdAlpha), num(a.G6), num(a.AverageR),
			numPtr(a.OmegaTotal), strings.Join(a.Items, " "), strings.Join(a.Reverse, " ")})
	}
	return rows
}

func modelRows(r *Result) [][]string {
	rows := [][]string{{"model", "type", "outcome", "kind", "term", "estimate", "se", "cluster_se", "statistic", "p", "n", "clusters"}}
	for _, m := range r.Models {
		common := func(kind, term string) []string { return []string{m.ID, m.Model.Model, m.Outcome, kind, term} }
		n, clusters := strconv.Itoa(m.N), strconv.Itoa(m.Clusters)
		for _, c := range m.Coefficients {
			stat := c.Z
			if stat == nil {
				stat = c.T
			}
			rows = append(rows, append(common("coefficient", c.Term), num(c.Estimate), num(c.SE), numPtr(c.ClusterSE), numPtr(stat), num(c.P), n, clusters))
		}
		for _, t := range m.Thresholds {
			rows = append(rows, append(common("threshold", t.Term), num(t.Estimate), num(t.SE), numPtr(t.ClusterSE), "", "", n, clusters))
		}
	}
	return rows
}

func frequencyRows(r *Result) [][]string {
	rows := [][]string{{"set", "item", "value", "label", "count", "percent", "n", "missing"}}
	for _, set := range r.Descriptives.Frequencies {
		for _, it := range set.Items {
			for _, c := range it.Counts {
				rows = append(rows, []string{set.ID, it.Item, strconv.Itoa(c.Value), c.Label, strconv.Itoa(c.Count), num(c.Percent),
					strconv.Itoa(it.N), strconv.Itoa(it.Missing)})
			}
		}
	}
	return rows
}

func meanRows(r *Result) [][]string {
	rows := [][]string{{"set", "variable", "by", "group", "n", "mean", "sd", "se", "lo", "hi", "level"}}
	for _, set := range r.Descriptives.Means {
		for _, g := range set.Groups {
			rows = append(rows, []string{set.ID, set.Variable, set.By, g.Group, strconv.Itoa(g.N), num(g.Mean),
				numPtr(g.SD), numPtr(g.SE), numPtr(g.Lo), numPtr(g.Hi), FormatNumber(set.Level)})
		}
	}
	return rows
}

func variableRows(r *Result) [][]string {
	rows := [][]string{{"variable", "kind", "n", "missing", "mean", "sd", "min", "max"}}
	for _, v := range r.Descriptives.Variables {
		rows = append(rows, []string{v.Name, v.Kind, strconv.Itoa(v.N), strconv.Itoa(v.Missing), num(v.Mean), num(v.SD), num(v.Min), num(v.Max)})
	}
	return rows
}
