package cli

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/analysis/internal/reftest"
)

// psychCase is the part of analysis/testdata/efa_reference.json this test needs.
type psychCase struct {
	Dataset  string      `json:"dataset"`
	Factors  int         `json:"factors"`
	FM       string      `json:"fm"`
	Rotate   string      `json:"rotate"`
	Loadings [][]float64 `json:"loadings"`
	Chi2     float64     `json:"chi2"`
	RMSR     float64     `json:"rmsr"`
}

func psychReference(t *testing.T, dataset, fm, rotate string) psychCase {
	t.Helper()
	var ref struct {
		FA           []psychCase `json:"fa"`
		PolychoricFA psychCase   `json:"polychoric_fa"`
	}
	reftest.LoadJSON(t, "efa_reference.json", &ref)
	if dataset == "bfi polychoric" {
		return ref.PolychoricFA
	}
	for _, c := range ref.FA {
		if c.Dataset == dataset && c.FM == fm && c.Rotate == rotate {
			return c
		}
	}
	t.Fatalf("no reference for %s %s %s", dataset, fm, rotate)
	return psychCase{}
}

type efaJSON struct {
	N             int         `json:"n"`
	Items         []string    `json:"items"`
	Method        string      `json:"method"`
	Rotation      string      `json:"rotation"`
	Loadings      [][]float64 `json:"loadings"`
	Communalities []float64   `json:"communalities"`
	Phi           [][]float64 `json:"phi"`
	Fit           struct {
		Chi2    *float64   `json:"chi2"`
		P       *float64   `json:"p"`
		RMSEA   *float64   `json:"rmsea"`
		RMSEACI []*float64 `json:"rmsea_ci"`
		TLI     *float64   `json:"tli"`
		RMSR    *float64   `json:"rmsr"`
	} `json:"fit"`
	KMO struct {
		Overall float64   `json:"overall"`
		Items   []float64 `json:"items"`
	} `json:"kmo"`
	Bartlett struct{ Chi2, DF, P *float64 } `json:"bartlett"`
	Warnings []string                       `json:"warnings"`
}

func TestEFAJSONMatchesPsych(t *testing.T) {
	tests := []struct {
		name, dataset, fm, rotate string
		args                      []string
		n                         int
	}{
		{"csv defaults", "holzinger", "minres", "oblimin", []string{"--csv", reftest.Path("holzinger.csv"), "--factors", "3"}, 301},
		{"csv ml promax", "holzinger", "ml", "promax", []string{"--csv", reftest.Path("holzinger.csv"), "--factors", "3", "--fm", "ml", "--rotate", "promax"}, 301},
		{"csv with missing values", "bfi", "pa", "varimax", []string{"--csv", reftest.Path("bfi.csv"), "--factors", "5", "--fm", "pa", "--rotate", "varimax"}, 2800},
		{"polychoric", "bfi polychoric", "minres", "oblimin", []string{"--csv", reftest.Path("bfi.csv"), "--factors", "5", "--correlation", "polychoric"}, 2800},
		{"correlation matrix", "harman74", "minres", "quartimax", []string{"--cor", reftest.Path("harman74_cor.csv"), "--n", "145", "--factors", "4", "--rotate", "quartimax"}, 145},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, append([]string{"efa", "--json"}, tt.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			var got efaJSON
			decodeOne(t, out, &got)
			want := psychReference(t, tt.dataset, tt.fm, tt.rotate)
			if got.N != tt.n || got.Method != tt.fm || got.Rotation != tt.rotate {
				t.Errorf("n, method, rotation = %d, %s, %s; want %d, %s, %s", got.N, got.Method, got.Rotation, tt.n, tt.fm, tt.rotate)
			}
			for i := range want.Loadings {
				for j := range want.Loadings[i] {
					if d := math.Abs(got.Loadings[i][j] - want.Loadings[i][j]); d > 1e-3 {
						t.Errorf("loading [%d][%d] = %.5f, want %.5f", i, j, got.Loadings[i][j], want.Loadings[i][j])
					}
				}
			}
			if d := math.Abs(*got.Fit.Chi2 - want.Chi2); d > 1e-3*want.Chi2 {
				t.Errorf("chi2 = %v, want %v", *got.Fit.Chi2, want.Chi2)
			}
			if (got.Phi != nil) != (tt.rotate == "oblimin" || tt.rotate == "promax") {
				t.Errorf("phi = %v for rotation %s", got.Phi, tt.rotate)
			}
			if got.Warnings == nil {
				t.Error("warnings is null, want []")
			}
		})
	}
}

func TestEFAUndefinedStatisticsAreNull(t *testing.T) {
	out, err := run(t, "efa", "--json", "--csv", reftest.Path("holzinger.csv"), "--factors", "6", "--rotate", "varimax")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "NaN") {
		t.Fatalf("output contains NaN:\n%s", out)
	}
	var got efaJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Fit.P != nil || got.Fit.RMSEA != nil || got.Fit.TLI != nil {
		t.Errorf("p, rmsea, tli = %v, %v, %v with negative df, want null", got.Fit.P, got.Fit.RMSEA, got.Fit.TLI)
	}
	if len(got.Warnings) == 0 {
		t.Error("no warning about negative df")
	}
}

func TestEFAErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.csv", "a,b,c\n1,2,3\n2,x,4\n")
	constant := writeFile(t, dir, "constant.csv", "a,b,c\n1,2,3\n1,3,5\n1,5,4\n1,1,1\n")
	dup := writeFile(t, dir, "dup.csv", "a,b,c,d\n1,1,2,3\n2,2,1,5\n3,3,4,4\n4,4,3,1\n5,5,6,2\n6,6,5,7\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "no subcommand"},
		{"unknown subcommand", []string{"pca"}, `unknown subcommand "pca"`},
		{"no factors", []string{"efa", "--csv", bad}, "--factors"},
		{"both inputs", []string{"efa", "--csv", bad, "--cor", bad, "--factors", "1"}, "exactly one of --csv and --cor"},
		{"cor without n", []string{"efa", "--cor", bad, "--factors", "1"}, "--cor needs --n"},
		{"unknown method", []string{"efa", "--csv", bad, "--factors", "1", "--fm", "wls"}, `"wls" is not one of`},
		{"unknown rotation", []string{"efa", "--csv", bad, "--factors", "1", "--rotate", "geomin"}, `"geomin" is not one of`},
		{"non-numeric cell", []string{"efa", "--csv", bad, "--factors", "1"}, `line 3, column "b": "x" is not a number`},
		{"constant column", []string{"efa", "--csv", constant, "--factors", "1"}, `column "a" is constant`},
		{"duplicated column", []string{"efa", "--csv", dup, "--factors", "1"}, "singular"},
		{"fewer rows than items", []string{"efa", "--csv", bad, "--factors", "1", "--cols", "a,c"}, "more observations than items"},
		{"unknown column", []string{"efa", "--csv", dup, "--factors", "1", "--cols", "a,z"}, `no column "z"`},
		{"not square", []string{"efa", "--cor", dup, "--n", "10", "--factors", "1"}, "not a square correlation matrix"},
		{"missing file", []string{"efa", "--csv", filepath.Join(dir, "none.csv"), "--factors", "1"}, "no such file"},
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

func TestEFAHelpListsEveryFlag(t *testing.T) {
	out, err := run(t, "efa", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"-csv", "-cor", "-n", "-cols", "-factors", "-fm", "-rotate", "-missing", "-json", "-parallel", "-seed", "-correlation", `(default "minres")`, `(default "oblimin")`, `(default "pairwise")`} {
		if !strings.Contains(out, flag) {
			t.Errorf("--help does not mention %s:\n%s", flag, out)
		}
	}
}

func TestEFATables(t *testing.T) {
	out, err := run(t, "efa", "--csv", reftest.Path("holzinger.csv"), "--factors", "3", "--parallel", "3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"method = minres, rotation = oblimin", "MR1", "SS loadings", "With factor correlations", "RMSEA", "KMO", "Parallel analysis (3 simulations, seed 1)"} {
		if !strings.Contains(out, want) {
			t.Errorf("tables lack %q:\n%s", want, out)
		}
	}
}
