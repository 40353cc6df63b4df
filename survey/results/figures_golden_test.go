package results_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/figure*.svg from the pipeline")

// The README shows the brief's three figures as the pipeline draws them
// from a simulated field period of the mission's survey (2,500 managers,
// 30% responding), and figures 1 and 2 again weighted to the frame. They are kept in testdata and compared here, so the
// README's figures are what the code draws today — and the same data
// draw the same figures, byte for byte. After a deliberate change to the
// charts: go test ./survey/results -run Golden -update.
func TestFiguresGolden(t *testing.T) {
	st := storetest.MustOpen(t)
	in := instrument.Default()
	fill(t, st, simulate.Cases(in, 2500, .3, 1))
	r := runOK(t, newService(t, st, in))
	figures := results.Figures(in, r)
	var ids []string
	for _, f := range figures {
		ids = append(ids, f.ID)
	}
	if want := []string{"figure1", "figure1_weighted", "figure2", "figure2_weighted", "figure3"}; !slices.Equal(ids, want) {
		t.Fatalf("figures %v, want %v: the brief's three, and figures 1 and 2 weighted beside theirs", ids, want)
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
