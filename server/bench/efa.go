package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	items "github.com/canvass-survey/canvass/analysis/bench"
)

// efaSpeedUp is the speed-up over R that canvass analyze efa must reach on
// a million rows.
const efaSpeedUp = 20

// efa times `canvass analyze efa --factors 5` on rows × 50 generated items
// (analysis/bench, as bench_vs_r.sh makes them) and R on the same file.
func (b *bench) efa(ctx context.Context, rows int) []Line {
	name := fmt.Sprintf("analyze efa: %s rows × 50 items", number(float64(rows)))
	path := filepath.Join(b.tmp, "items.csv")
	defer os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		return []Line{failed(name, err)}
	}
	err = items.WriteItems(f, items.Items{Rows: rows, Items: 50, Factors: 5, Missing: .005, Seed: 1})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return []Line{failed(name, err)}
	}
	c, err := timed(ctx, nil, nil, b.Exe, "analyze", "efa", "--csv", path, "--factors", "5", "--json")
	if err != nil {
		return []Line{failed(name+", canvass analyze efa", err)}
	}
	l := measured(name+", canvass analyze efa", c.Wall.Seconds(), "s")
	l.Note = number(c.PeakMiB) + " MiB at most"
	return []Line{l, b.againstR(ctx, name+", R (read.csv + psych::fa) / canvass", efaInR, path, c.Wall, efaSpeedUp)}
}
