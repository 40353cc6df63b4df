package cli

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

// modelsReference reads what analysis/testdata/models_reference.R computed
// in R into generic JSON.
func modelsReference(t *testing.T) map[string][]map[string]any {
	t.Helper()
	var ref map[string]json.RawMessage
	reftest.LoadJSON(t, "models_reference.json", &ref)
	out := make(map[string][]map[string]any)
	for _, key := range []string{"alpha", "ologit", "ols"} {
		var cases []map[string]any
		if err := json.Unmarshal(ref[key], &cases); err != nil {
			t.Fatal(err)
		}
		out[key] = cases
	}
	return out
}

func referenceCase(t *testing.T, kind, name string) map[string]any {
	t.Helper()
	for _, c := range modelsReference(t)[kind] {
		if c["name"] == name {
			return c
		}
	}
	t.Fatalf("no %s reference named %s", kind, name)
	return nil
}

// runJSON runs a subcommand with --json and decodes its one JSON document.
func runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, err := run(t, append(args, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "NaN") {
		t.Fatalf("output contains NaN:\n%s", out)
	}
	var doc map[string]any
	decodeOne(t, out, &doc)
	return doc
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// compareTable checks a coefficient or threshold table against R's:
// estimates to 1e-4, standard errors to 1e-3 relative.
func compareTable(t *testing.T, got, want []any, stat string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i].(map[string]any), want[i].(map[string]any)
		if g["term"] != w["term"] {
			t.Errorf("row %d term = %v, want %v", i, g["term"], w["term"])
		}
		if d := math.Abs(g["estimate"].(float64) - w["estimate"].(float64)); d > 1e-4 {
			t.Errorf("%v estimate = %v, want %v", w["term"], g["estimate"], w["estimate"])
		}
		for _, se := range []string{"se", "cluster_se", "cluster_p"} {
			wv, ok := w[se].(float64)
			if !ok {
				if _, present := g[se]; present {
					t.Errorf("%v has %s without --cluster", w["term"], se)
				}
				continue
			}
			// p-values far in the tail differ in their last digits between
			// libraries, and nothing reads them beyond "< 0.001".
			if gv, _ := g[se].(float64); math.Abs(gv-wv) > max(1e-3*wv, 1e-12) {
				t.Errorf("%v %s = %v, want %v", w["term"], se, g[se], wv)
			}
		}
		if stat == "" {
			continue
		}
		wantKeys := []string{"estimate", "p", "se", stat, "term"}
		if _, clustered := w["cluster_se"]; clustered {
			wantKeys = append(wantKeys, "cluster_se", "cluster_p")
		}
		slices.Sort(wantKeys)
		if got := keys(g); !slices.Equal(got, wantKeys) {
			t.Errorf("%v fields = %v, want %v", w["term"], got, wantKeys)
		}
	}
}

func TestOrderedLogitJSONMatchesPolr(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"housing", []string{"ologit", "--csv", reftest.Path("housing.csv"), "--y", "Sat", "--factor", "Infl,Type,Cont"}},
		{"petersen", []string{"ologit", "--csv", reftest.Path("petersen.csv"), "--y", "y4", "--x", "x", "--cluster", "firm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runJSON(t, tt.args...)
			want := referenceCase(t, "ologit", tt.name)
			if got["model"] != "ologit" || got["n"] != want["n"] {
				t.Errorf("model, n = %v, %v; want ologit, %v", got["model"], got["n"], want["n"])
			}
			if d := math.Abs(got["loglik"].(float64) - want["loglik"].(float64)); d > 1e-4 {
				t.Errorf("loglik = %v, want %v", got["loglik"], want["loglik"])
			}
			compareTable(t, got["coefficients"].([]any), want["coefficients"].([]any), "z")
			compareTable(t, got["thresholds"].([]any), want["thresholds"].([]any), "")
			if w, ok := got["warnings"].([]any); !ok || len(w) != 0 {
				t.Errorf("warnings = %v, want []", got["warnings"])
			}
		})
	}
}

func TestOLSJSONMatchesLm(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"petersen", []string{"ols", "--csv", reftest.Path("petersen.csv"), "--y", "y", "--x", "x", "--cluster", "firm"}},
		{"bfi_uncluster", []string{"ols", "--csv", reftest.Path("bfi_models.csv"), "--y", "age", "--x", "A1,C1,E1", "--factor", "gender"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runJSON(t, tt.args...)
			want := referenceCase(t, "ols", tt.name)
			if got["model"] != "ols" || got["n"] != want["n"] {
				t.Errorf("model, n = %v, %v; want ols, %v", got["model"], got["n"], want["n"])
			}
			for _, stat := range []string{"r2", "adj_r2"} {
				if d := math.Abs(got[stat].(float64) - want[stat].(float64)); d > 1e-4 {
					t.Errorf("%s = %v, want %v", stat, got[stat], want[stat])
				}
			}
			compareTable(t, got["coefficients"].([]any), want["coefficients"].([]any), "t")
		})
	}
}

func TestAlphaJSONMatchesPsych(t *testing.T) {
	want := modelsReference(t)["alpha"][0] // agreeableness, A1 reverse-keyed
	got := runJSON(t, "alpha", "--csv", reftest.Path("bfi.csv"), "--cols", "A1,A2,A3,A4,A5", "--reverse", "A1")
	wantKeys := []string{"alpha_if_dropped", "average_r", "g6", "item_rest_r", "items", "n", "omega_total", "raw_alpha", "reverse", "std_alpha", "warnings"}
	if got := keys(got); !slices.Equal(got, wantKeys) {
		t.Errorf("fields = %v, want %v", got, wantKeys)
	}
	if got["n"] != 2800.0 {
		t.Errorf("n = %v, want 2800", got["n"])
	}
	for _, stat := range []string{"raw_alpha", "std_alpha", "g6", "average_r", "omega_total"} {
		if d := math.Abs(got[stat].(float64) - want[stat].(float64)); d > 1e-4 {
			t.Errorf("%s = %v, want %v", stat, got[stat], want[stat])
		}
	}
	for _, list := range []string{"alpha_if_dropped", "item_rest_r"} {
		g, w := got[list].([]any), want[list].([]any)
		for i := range w {
			if d := math.Abs(g[i].(float64) - w[i].(float64)); d > 1e-4 {
				t.Errorf("%s[%d] = %v, want %v", list, i, g[i], w[i])
			}
		}
	}
}

func TestReadableTables(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"alpha", "--csv", reftest.Path("bfi.csv"), "--cols", "A1,A2,A3,A4,A5", "--reverse", "A1"},
			[]string{"raw_alpha", "0.70", "omega_tot", "A1-", "r.drop"}},
		{[]string{"ologit", "--csv", reftest.Path("petersen.csv"), "--y", "y4", "--x", "x", "--cluster", "firm"},
			[]string{"500 clusters (firm)", "Pr(>|z|)", "Cluster SE", "0.8475", "1|2", "-0.8390", "Log-likelihood: -6228.99"}},
		{[]string{"ols", "--csv", reftest.Path("petersen.csv"), "--y", "y", "--x", "x"},
			[]string{"(Intercept)", "Pr(>|t|)", "1.0348", "Multiple R-squared: 0.2078"}},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			out, err := run(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestModelAndAlphaErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.csv", "y,a,b,g\n1,2,3,x\n2,4,oops,y\n3,1,2,x\n")
	flat := writeFile(t, dir, "flat.csv", "y,a,b\n1,5,1\n2,5,3\n3,5,2\n1,5,4\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"ols non-numeric cell", []string{"ols", "--csv", bad, "--y", "y", "--x", "a,b"}, `line 3, column "b": "oops" is not a number`},
		{"alpha non-numeric cell", []string{"alpha", "--csv", bad, "--cols", "a,b"}, `line 3, column "b": "oops" is not a number`},
		{"ologit constant predictor", []string{"ologit", "--csv", flat, "--y", "y", "--x", "a,b"}, `predictor "a" is constant`},
		{"unknown column", []string{"ols", "--csv", flat, "--y", "y", "--x", "z"}, `no column "z"`},
		{"no predictors", []string{"ols", "--csv", flat, "--y", "y"}, "at least one predictor"},
		{"column twice", []string{"ologit", "--csv", flat, "--y", "y", "--x", "a", "--factor", "a"}, `column "a" is given twice`},
		{"response as predictor", []string{"ols", "--csv", flat, "--y", "y", "--x", "y"}, `column "y" is given twice`},
		{"no csv", []string{"alpha", "--cols", "a,b"}, "--csv FILE and --cols"},
		{"no y", []string{"ologit", "--csv", flat, "--x", "a"}, "--csv FILE and --y Y are required"},
		{"reverse not an item", []string{"alpha", "--csv", flat, "--cols", "a,b", "--reverse", "y"}, "reverse-keyed item y is not one of the items"},
		{"stray argument", []string{"ols", "--csv", flat, "--y", "y", "--x", "b", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestModelHelpListsEveryFlag(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"alpha":  {"-csv", "-cols", "-reverse", "-json"},
		"ologit": {"-csv", "-y", "-x", "-factor", "-cluster", "-json", "MASS::polr"},
		"ols":    {"-csv", "-y", "-x", "-factor", "-cluster", "-json", "HC1"},
	} {
		out, err := run(t, cmd, "--help")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(out, "usage:") != 1 {
			t.Errorf("%s --help prints the usage %d times", cmd, strings.Count(out, "usage:"))
		}
		for _, flag := range flags {
			if !strings.Contains(out, flag) {
				t.Errorf("%s --help does not mention %s:\n%s", cmd, flag, out)
			}
		}
	}
}
