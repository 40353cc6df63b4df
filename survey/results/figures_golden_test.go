package results_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/figure*.svg from the pipeline")

// The README shows the brief's three figures as the pipeline draws them
// from a simulated field period of the mission's survey (2,500 managers,
// 30% responding). They are kept in testdata and compared here, so the
// README's figures are what the code draws today — and the same data
// draw the same figures, byte for byte. After a deliberate change to the
// charts: go test ./survey/results -run Golden -update.
func TestFiguresGolden(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	fill(t, st, simulate.Cases(in, 2500, .3, 1))
	r := runOK(t, newService(t, st, in))
	figures := results.Figures(in, r)
	if len(figures) != 3 {
		t.Fatalf("%d figures", len(figures))
	}
	for _, f := range figures {
		path := filepath.Join("testdata", f.ID+".svg")
		if *update {
			if err := os.WriteFile(path, []byte(f.SVG+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(want) != f.SVG+"\n" {
			t.Errorf("%s differs from %s: run go test ./survey/results -run Golden -update after a deliberate change", f.ID, path)
		}
	}
}
