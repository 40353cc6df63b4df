// Package bench is `canvass bench`: one table of what Canvass does on this
// machine, measured in one run, each figure beside its ceiling. It drives
// the binary under test as its users do — `canvass serve` over loopback
// HTTP with the requests a browser and the team's scripts make, `canvass
// nightly --once`, `canvass analyze efa` — and R on the same data, and it
// measures the store alone just before, so each figure comes with what
// bounds it here and now. Like server/pull it is a client of the service,
// and imports nothing of package server.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/server/mailer/smtpsink"
	"github.com/canvass-survey/canvass/server/virtual"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Options say what to run and where to write.
type Options struct {
	Exe     string    // the canvass binary under test
	Quick   bool      // the same table at reduced sizes
	Rscript string    // R's Rscript; empty: the lines against R say they were not measured
	Out     io.Writer // the table
	JSON    io.Writer // the same lines, one JSON object each
	TempDir string    // where the stores and data files go; removed after
	// Progress says which part runs, for a run that takes minutes.
	Progress io.Writer
}

// sizes are what a run measures.
type sizes struct {
	respondents  int   // at once, on a service holding as many cases; also the mail wave
	imports      []int // frame imports into fresh services, whose progress is timed
	nightlyCases []int // cases the nightly run reads
	scanUpTo     int   // the driver alone reads stores up to this size
	updates      int   // driver updates that measure the store's write rate
	efaRows      int
}

var (
	full  = sizes{respondents: 2500, imports: []int{2500, 100_000}, nightlyCases: []int{2500, 100_000, 1_000_000}, scanUpTo: 100_000, updates: 2000, efaRows: 1_000_000}
	quick = sizes{respondents: 250, imports: []int{250, 20_000}, nightlyCases: []int{2500, 20_000}, scanUpTo: 20_000, updates: 500, efaRows: 100_000}
)

// bench is one run.
type bench struct {
	Options
	sizes
	tmp      string
	in       *instrument.Instrument
	table    *table
	scanRate float64 // cases/s the driver alone read last
}

// Run measures the table and returns an error when any line found errors.
func Run(ctx context.Context, o Options) error {
	tmp, err := os.MkdirTemp(o.TempDir, "canvass-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b := &bench{Options: o, sizes: full, tmp: tmp, in: instrument.Default(), table: &table{out: o.Out, jsonOut: o.JSON}}
	if o.Quick {
		b.sizes = quick
	}
	if b.Progress == nil {
		b.Progress = io.Discard
	}
	start := time.Now()
	fmt.Fprintf(o.Out, "canvass bench on %d cores, %s\n\n", runtime.NumCPU(), time.Now().UTC().Format("2006-01-02 15:04 MST"))
	b.table.header()
	b.table.add(machineLoad("machine: load average (1 min) at the start"))
	b.step("services", func() { b.services(ctx) })
	for _, n := range b.nightlyCases {
		b.step("nightly "+strconv.Itoa(n), func() { b.addAll(b.nightly(ctx, n)) })
	}
	b.step("efa", func() { b.addAll(b.efa(ctx, b.efaRows)) })
	b.table.add(machineLoad("machine: load average (1 min) at the end"))
	fmt.Fprintf(o.Out, "\n%d lines in %s; ", len(b.table.lines), time.Since(start).Round(time.Second))
	if n := b.table.errors(); n > 0 {
		fmt.Fprintf(o.Out, "%d errors\n", n)
		return fmt.Errorf("bench: %d errors", n)
	}
	fmt.Fprintln(o.Out, "no errors")
	return nil
}

func (b *bench) step(what string, run func()) {
	fmt.Fprintf(b.Progress, "bench: %s…\n", what)
	run()
}

func (b *bench) addAll(lines []Line) {
	for _, l := range lines {
		b.table.add(l)
	}
}

// machineLoad reads the one-minute load average: on a shared machine it
// says how much the figures beside it were crowded.
func machineLoad(name string) Line {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return notMeasured(name, "", "no /proc/loadavg")
	}
	v, err := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	if err != nil {
		return notMeasured(name, "", err.Error())
	}
	l := measured(name, v, "")
	l.Note = fmt.Sprintf("runnable processes per core: %.1f", v/float64(runtime.NumCPU()))
	return l
}

// services measures the service: a fresh one holding as many cases as
// there are respondents takes the frame import, the dashboard, a mail wave
// and the respondents; a fresh one per larger frame takes the import and
// the dashboard. Before each, the store alone on a fresh store.
func (b *bench) services(ctx context.Context) {
	for i, n := range b.imports {
		dir := filepath.Join(b.tmp, "service-"+strconv.Itoa(n))
		updates := 0
		if i == 0 {
			updates = b.updates
		}
		floor, err := measureStore(ctx, dir+"-floor", b.in, n, updates)
		if err != nil {
			b.table.add(failed("store alone: fresh store of "+number(float64(n))+" cases", err))
			continue
		}
		os.RemoveAll(dir + "-floor")
		if i == 0 {
			b.respondentService(ctx, dir, floor)
		} else {
			b.importService(ctx, dir, n, floor)
		}
		os.RemoveAll(dir)
	}
}

// storeLines are the store alone's figures, the ceilings of those after.
func storeLines(n int, floor storeRates) []Line {
	lines := []Line{measured("store alone: InsertCases of "+number(float64(n))+" cases, fresh store", floor.InsertsPerSec, "cases/s")}
	if floor.UpdatesPerSec > 0 {
		l := measured(fmt.Sprintf("store alone: updateOne({_id}), %d driver connection", updateClients), floor.UpdatesPerSec, "/s")
		l.Note = "the driver on a connection of its own, nothing of Canvass between"
		lines = append(lines, l)
	}
	return lines
}

// respondentService runs the respondents' service: import, dashboard,
// mail, then every respondent at once; then it stops the service and
// checks the answers in its store.
func (b *bench) respondentService(ctx context.Context, dir string, floor storeRates) {
	n := b.respondents
	b.addAll(storeLines(n, floor))
	sink, err := smtpsink.Start("127.0.0.1:0", nil)
	if err != nil {
		b.table.add(failed("mail: a local SMTP sink", err))
		return
	}
	defer sink.Stop()
	svc, err := startService(ctx, b.Exe, dir, "CANVASS_SMTP_HOST=127.0.0.1", "CANVASS_SMTP_PORT="+strconv.Itoa(sink.Port()),
		"CANVASS_SMTP_TLS=none", "CANVASS_SMTP_FROM=Survey Team <survey@canvass.example>", "CANVASS_MAIL_RATE=1000000")
	if err != nil {
		b.table.add(failed("canvass serve", err))
		return
	}
	imported, cases := importFrame(ctx, svc, b.in, n, floor)
	b.table.add(imported)
	if cases == nil {
		b.stopService(svc)
		return
	}
	b.addAll(progressLatency(ctx, svc, n))
	b.table.add(mailWave(ctx, svc, sink, n, floor))
	think := time.Duration(float64(n) / offeredSaves * float64(time.Second))
	fmt.Fprintf(b.Progress, "bench: %d respondents at once, %s a page each…\n", n, think)
	rs, took := virtual.Load(ctx, svc.Base, b.in, cases, think, 0)
	b.addAll(loadLines(rs, took, floor, think))
	if b.stopService(svc) {
		b.table.add(checkAnswers(ctx, dir, b.in, rs))
	}
}

// offeredSaves is the pace of the respondents together, in page saves a
// second: each spends n/offeredSaves seconds on a page on average (100 s
// for 2,500), so that the load is the same in a quick run. It is about
// two thirds of what the service sustained on this machine while others
// loaded it (36 saves/s and as many page views). At 50 saves/s, 2,500
// respondents pushed it past that, and saves refused as busy and sent
// again took the rest of its time (18 saves/s, 1,669 respondents gave
// up); without any pause, 2,500 browsers posting at once wait for the
// embedded store's one write slot longer than a save may wait, and most
// are refused.
const offeredSaves = 25

// importService runs a service that takes a large frame, and the
// dashboard over it.
func (b *bench) importService(ctx context.Context, dir string, n int, floor storeRates) {
	b.addAll(storeLines(n, floor))
	svc, err := startService(ctx, b.Exe, dir)
	if err != nil {
		b.table.add(failed("canvass serve", err))
		return
	}
	imported, cases := importFrame(ctx, svc, b.in, n, floor)
	b.table.add(imported)
	if cases != nil {
		b.addAll(progressLatency(ctx, svc, n))
	}
	b.stopService(svc)
}

// stopService stops svc and reports whether it stopped cleanly.
func (b *bench) stopService(svc *service) bool {
	if err := svc.stop(); err != nil {
		b.table.add(failed("canvass serve: stopping on SIGINT", err))
		return false
	}
	return true
}
