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

// rScripts are the R sides of the comparisons: each takes the data file,
// a file to append the seconds of its parts to, and its own arguments.
//
//go:embed efa.R nightly.R
var rScripts embed.FS

// rRun is one R script run on a data file: its arguments after the data
// and split files, and the names of the parts whose seconds it writes.
type rRun struct {
	script string
	args   []string
	parts  []string
}

var (
	efaInR     = rRun{script: "efa.R", args: []string{"raw"}, parts: []string{"read.csv", "fa"}}
	nightlyInR = rRun{script: "nightly.R", parts: []string{"read.csv", "fa", "polr"}}
)

// againstR runs R on data and returns the line of R's time over canvass's
// on the same data; a target above 0 is the speed-up canvass must reach.
func (b *bench) againstR(ctx context.Context, name string, r rRun, data string, canvass time.Duration, target float64) Line {
	if b.Rscript == "" {
		return notMeasured(name, "×", "Rscript is not installed")
	}
	src, _ := rScripts.ReadFile(r.script) // embedded: cannot fail
	path, split := filepath.Join(b.tmp, r.script), filepath.Join(b.tmp, r.script+".split")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return failed(name, err)
	}
	_ = os.Remove(split)
	c, err := timed(ctx, nil, nil, b.Rscript, append([]string{path, data, split}, r.args...)...)
	if err != nil {
		return failed(name, err)
	}
	ratio := c.Wall.Seconds() / canvass.Seconds()
	l := measured(name, ratio, "×")
	if target > 0 {
		l = against(name, ratio, "×", target, "min")
	}
	l.Note = fmt.Sprintf("R %.1f s, %s MiB (%s); canvass %.2f s", c.Wall.Seconds(), number(c.PeakMiB), r.split(split), canvass.Seconds())
	return l
}

// split names the seconds the script wrote: "read.csv 8.2 s + fa 26.1 s".
func (r rRun) split(path string) string {
	b, _ := os.ReadFile(path)
	secs := strings.Fields(string(b))
	var parts []string
	for i, name := range r.parts {
		if i < len(secs) {
			parts = append(parts, name+" "+secs[i]+" s")
		}
	}
	return strings.Join(parts, " + ")
}
