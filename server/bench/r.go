package bench

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// rScripts are the R sides of the comparisons: each takes the data file
// and a file to write how its time split.
//
//go:embed efa.R nightly.R
var rScripts embed.FS

// againstR runs an R script on data and returns the line of R's time over
// canvass's on the same data; a target above 0 is the speed-up canvass
// must reach.
func (b *bench) againstR(ctx context.Context, name, script, data string, canvass time.Duration, target float64) Line {
	if b.Rscript == "" {
		return notMeasured(name, "×", "Rscript is not installed")
	}
	src, _ := rScripts.ReadFile(script) // embedded: cannot fail
	path, split := filepath.Join(b.tmp, script), filepath.Join(b.tmp, script+".split")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return failed(name, err)
	}
	c, err := timed(ctx, nil, nil, b.Rscript, path, data, split)
	if err != nil {
		return failed(name, err)
	}
	ratio := c.Wall.Seconds() / canvass.Seconds()
	l := measured(name, ratio, "×")
	if target > 0 {
		l = against(name, ratio, "×", target, "min")
	}
	detail, _ := os.ReadFile(split)
	l.Note = fmt.Sprintf("R %.1f s, %s MiB (%s); canvass %.2f s", c.Wall.Seconds(), number(c.PeakMiB), strings.TrimSpace(string(detail)), canvass.Seconds())
	return l
}
