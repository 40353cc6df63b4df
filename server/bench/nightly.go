package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/export"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/simulate"
)

// responseShare is the share of simulated cases that answered, as in the
// survey the design is for.
const responseShare = .3

// fillBatch is how many simulated cases one InsertCases carries, so that
// a million never sit in memory at once.
const fillBatch = 10_000

// fill stores n simulated cases of the default questionnaire in a fresh
// embedded store in dir and writes their export, as GET
// /api/v1/responses.csv would, to csvPath in the same pass.
func fill(ctx context.Context, dir, csvPath string, in *instrument.Instrument, n int) (err error) {
	st, err := openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	buf := bufio.NewWriterSize(f, 1<<20)
	w, err := export.NewWriter(buf, in, nil, export.Options{Thresholds: aapor.DefaultThresholds})
	if err != nil {
		return err
	}
	batch := make([]*survey.Case, 0, fillBatch)
	flush := func() {
		if err == nil && len(batch) > 0 {
			err = st.InsertCases(ctx, "bench-"+strconv.Itoa(len(batch))+"-"+batch[0].ID, batch)
		}
		batch = batch[:0]
	}
	simulate.Each(in, n, responseShare, 1, func(c *survey.Case) {
		if err == nil {
			err = w.Write(c)
		}
		if batch = append(batch, c); len(batch) == cap(batch) {
			flush()
		}
	})
	flush()
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return buf.Flush()
}

// scanTime is how long the driver alone takes to read every case of the
// store in dir, undecoded: the floor under the nightly run.
func scanTime(ctx context.Context, dir string, in *instrument.Instrument, n int) (time.Duration, error) {
	st, err := openStore(ctx, dir)
	if err != nil {
		return 0, err
	}
	defer st.Close(context.WithoutCancel(ctx))
	start := time.Now()
	got, err := st.ScanCases(ctx, in.ID)
	if err == nil && got != n {
		err = fmt.Errorf("read %d of %d cases", got, n)
	}
	return time.Since(start), err
}

// nightlyOnce runs `canvass nightly --once` on the store in dir, as an
// operator would, and measures the process.
func nightlyOnce(ctx context.Context, exe, dir string) (cost, error) {
	var out bytes.Buffer
	c, err := timed(ctx, ownStore(dir), &out, exe, "nightly", "--once")
	if err == nil && !strings.Contains(out.String(), ": ok,") {
		err = fmt.Errorf("canvass nightly --once: %s", strings.TrimSpace(out.String()))
	}
	return c, err
}

// nightlyBudget is what the nightly run may take at 2,500 cases, and the
// multiple of the driver's own read it may take beyond; and the resident
// memory it may hold.
const (
	nightlyBudget    = 2 * time.Second
	nightlyOverRead  = 1.5
	nightlyMemoryMiB = 300
)

// nightly fills a store with n simulated cases, times the driver alone
// reading them (up to scanUpTo cases; beyond, the rate read last stands in
// for it), then `canvass nightly --once` on them, and R on their export.
func (b *bench) nightly(ctx context.Context, n int) []Line {
	name := fmt.Sprintf("nightly: %s cases", number(float64(n)))
	dir := filepath.Join(b.tmp, "nightly-"+strconv.Itoa(n))
	defer os.RemoveAll(dir) // a million cases fill gigabytes
	csv := filepath.Join(dir, "responses.csv")
	start := time.Now()
	if err := fill(ctx, dir, csv, b.in, n); err != nil {
		return []Line{failed(name+", filling the store", err)}
	}
	filled := measured(name+", filling the store", time.Since(start).Seconds(), "s")
	filled.Note = fmt.Sprintf("%s cases/s: simulate.Each into InsertCases, the export written alongside", number(float64(n)/time.Since(start).Seconds()))
	lines := []Line{filled}
	ceiling, why := nightlyBudget.Seconds(), "ceiling: 2 s"
	if n > 2500 && n <= b.sizes.scanUpTo {
		scan, err := scanTime(ctx, dir, b.in, n)
		if err != nil {
			return append(lines, failed(name+", driver alone reading every case", err))
		}
		lines = append(lines, measured(name+", driver alone reading every case", scan.Seconds(), "s"))
		b.scanRate = float64(n) / scan.Seconds()
		ceiling, why = nightlyOverRead*scan.Seconds(), "ceiling: 1.5× the driver alone"
	} else if n > 2500 {
		ceiling = nightlyOverRead * float64(n) / b.scanRate
		why = fmt.Sprintf("ceiling: 1.5× the driver alone at the %s cases/s it read before", number(b.scanRate))
	}
	c, err := nightlyOnce(ctx, b.Exe, dir)
	if err != nil {
		return append(lines, failed(name+", canvass nightly --once", err))
	}
	wall := against(name+", canvass nightly --once", c.Wall.Seconds(), "s", ceiling, "max")
	wall.Note = why
	return append(lines, wall, against(name+", its peak resident memory", c.PeakMiB, "MiB", nightlyMemoryMiB, "max"),
		b.againstR(ctx, name+", R (psych::fa + MASS::polr) / canvass", nightlyInR, csv, c.Wall, 0))
}
