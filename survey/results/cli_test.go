package results_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/analysis/cli"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/export"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

// The nightly run's EFA is `canvass analyze efa` on the exported CSV of
// the same cases — the completes and partials, with the export's -8 and
// -9 read as missing — number for number.
func TestEFAEqualsAnalyzeOnTheExport(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	cases := simulate.Cases(in, 1000, .4, 17)
	fill(t, st, cases)
	r := runOK(t, newService(t, st, in))

	var used []survey.Case
	for _, c := range cases {
		if code := aapor.DefaultThresholds.Code(aapor.FactsOf(c, in)); code == aapor.I || code == aapor.P {
			used = append(used, *c)
		}
	}
	var csv bytes.Buffer
	if _, err := export.WriteCSV(&csv, in, used, export.Options{Thresholds: aapor.DefaultThresholds}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "responses.csv")
	if err := os.WriteFile(file, csv.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := in.Analysis.EFA
	var out bytes.Buffer
	args := []string{"efa", "--csv", file, "--cols", strings.Join(spec.Items, ","), "--factors", "3", "--na=-9,-8,-7,-6,-5",
		"--parallel", "20", "--seed", "1", "--json"}
	if err := cli.Run(args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	nightly, err := json.Marshal(r.EFA)
	if err != nil {
		t.Fatal(err)
	}
	var analyze bytes.Buffer
	if err := json.Compact(&analyze, out.Bytes()); err != nil {
		t.Fatal(err)
	}
	if got := analyze.String(); got != string(nightly) {
		t.Errorf("canvass analyze efa on the export differs from the nightly EFA:\nanalyze %.600s\nnightly %.600s", got, nightly)
	}
	if !slices.Equal(r.EFA.Items, spec.Items) || r.EFA.N != len(used) {
		t.Errorf("items %v, n %d of %d used", r.EFA.Items, r.EFA.N, len(used))
	}
}
