// Package drill is `canvass drill`: the fault drill, on loopback. On each
// store it can run — FerretDB on SQLite files, and on PostgreSQL where one
// can be started — it runs the store alone (`canvass store`), three
// `canvass serve` instances sharing it behind a round-robin proxy, and a
// local SMTP sink; sends virtual respondents through the proxy while an
// invitation wave goes out and the nightly run falls due; kills an
// instance and stops the store mid-load, and restarts them; then reads the
// store to check that every acknowledged answer is there, no message went
// out twice, the night has one result, and every instance is ready again.
// Like server/bench it drives the binary under test from outside, and
// imports nothing of package server.
package drill

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/canvass-survey/canvass/server/mailer/smtpsink"
	"github.com/canvass-survey/canvass/server/virtual"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store/pgserver"
)

// Options say what to drill.
type Options struct {
	Exe         string // the canvass binary under test
	Respondents int
	// Pace is how many page saves a second the respondents offer together:
	// each spends Respondents/Pace seconds on a page on average.
	Pace float64
	// WaveWait is how long the drill waits after the load for the wave to
	// finish: a wave whose sender was killed resumes only once its lease
	// has run out, a minute later.
	WaveWait time.Duration
	// Stores are the stores to drill on, in turn: "sqlite" (FerretDB on
	// SQLite files), "postgresql" (FerretDB on a PostgreSQL the drill
	// starts, where one is installed).
	Stores []string
	Out    io.Writer
}

const (
	database  = "canvass"
	instances = 3
	// patience is how long a respondent keeps reloading a page the service
	// cannot take: longer than any outage the drill makes, and than the
	// 30 s after which a claim left by a killed writer is rolled forward.
	patience = 2 * time.Minute
	// instanceDown and storeDown are how long a killed instance and a
	// stopped store stay down before they are started again.
	instanceDown = 2 * time.Second
	storeDown    = 5 * time.Second
)

// Run drills on every store it can run and prints, last, the line
// `acknowledged writes lost: N`; it fails unless N is 0 and every check
// passed.
func Run(ctx context.Context, o Options) error {
	// The stores' data and the logs; kept when a check fails.
	tmp, err := os.MkdirTemp("", "canvass-drill-")
	if err != nil {
		return err
	}
	lost, failed := 0, 0
	for _, name := range o.Stores {
		b, err := newBackend(ctx, name, filepath.Join(tmp, name))
		if errors.Is(err, errNotInstalled) {
			fmt.Fprintf(o.Out, "== %s: not drilled: %v\n", name, err)
			continue
		}
		n, f := 0, 0
		if err == nil {
			d := &drill{Options: o, in: instrument.Default(), dir: b.dir}
			n, f, err = d.run(ctx, b)
			b.stop()
		}
		if err != nil {
			fmt.Fprintf(o.Out, "  FAIL  the drill on %s stopped: %v\n", name, err)
			f++
		}
		lost, failed = lost+n, failed+f
	}
	fmt.Fprintf(o.Out, "acknowledged writes lost: %d\n", lost)
	if lost > 0 || failed > 0 {
		return fmt.Errorf("drill: %d acknowledged writes lost, %d checks failed; the logs are in %s", lost, failed, tmp)
	}
	return os.RemoveAll(tmp)
}

// backend is a store the drill runs on: canvass store's flags besides
// --addr, a folder for its data and the logs, and what ends it.
type backend struct {
	name  string
	flags []string
	dir   string
	stop  func()
}

var errNotInstalled = errors.New("not installed")

func newBackend(ctx context.Context, name, dir string) (backend, error) {
	switch name {
	case "sqlite":
		return backend{name: "FerretDB on SQLite", flags: []string{"--data", filepath.Join(dir, "store")}, dir: dir, stop: func() {}}, nil
	case "postgresql":
		if _, err := pgserver.BinDir(); err != nil {
			return backend{}, fmt.Errorf("%w: %v", errNotInstalled, err)
		}
		pg, err := pgserver.Start(ctx)
		if err != nil {
			return backend{}, err
		}
		return backend{name: "FerretDB on PostgreSQL", flags: []string{"--postgresql", pg.URL}, dir: dir, stop: pg.Stop}, nil
	}
	return backend{}, fmt.Errorf("unknown store %q: say sqlite or postgresql", name)
}

// drill is one run on one store.
type drill struct {
	Options
	in        *instrument.Instrument
	dir       string
	start     time.Time
	store     *member
	storeURI  string
	instances []*member
	proxy     *proxy
	sink      *smtpsink.Sink
	checks    []check
}

// member is a child process of the drill that it may kill and start again
// alike: the store or an instance.
type member struct {
	name, addr, ready string
	args, env         []string
	log               string
	proc              *virtual.Process
}

func (m *member) run(exe string) error {
	p, _, err := virtual.Start(exe, m.args, m.env, m.log, m.ready)
	if err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	m.proc = p
	return nil
}

// stop ends the member if it runs, gracefully.
func (m *member) stop(sig os.Signal) {
	if m.proc != nil {
		_ = m.proc.Stop(sig)
		m.proc = nil
	}
}

// why is a reason to append to a check's line, if there is one.
func why(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}

// check is one verdict of the drill.
type check struct {
	ok   bool
	text string
}

// run drills on b and returns the acknowledged writes lost and how many
// checks failed.
func (d *drill) run(ctx context.Context, b backend) (lost, failed int, err error) {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return 0, 0, err
	}
	d.start = time.Now()
	steps := len(d.in.Pages) + 2 // consent, each page, submit: the saves of a completion
	think := time.Duration(float64(d.Respondents) / d.Pace * float64(time.Second))
	expected := time.Duration(steps) * think
	due := d.start.Add(15*time.Second + expected/4).UTC().Truncate(time.Minute).Add(time.Minute)
	mailRate := max(1, float64(d.Respondents)/(expected/2).Seconds())
	fmt.Fprintf(d.Out, "== canvass drill on %s: %d respondents, %d instances behind a round-robin proxy, %s a page each (%.0f saves/s offered), about %s\n",
		b.name, d.Respondents, instances, think.Round(100*time.Millisecond), d.Pace, expected.Round(time.Second))

	if d.sink, err = smtpsink.Start("127.0.0.1:0", nil); err != nil {
		return 0, 0, err
	}
	defer d.sink.Stop()
	if err := d.startStore(b); err != nil {
		return 0, 0, err
	}
	defer d.store.stop(syscall.SIGTERM)
	proxyURL, stopProxy, err := d.startProxy()
	if err != nil {
		return 0, 0, err
	}
	defer stopProxy()
	email, password := "drill@canvass.example", rand.Text()
	if err := d.startInstances(proxyURL, email, password, due, mailRate); err != nil {
		return 0, 0, err
	}
	defer func() {
		for _, m := range d.instances {
			m.stop(os.Interrupt)
		}
	}()
	fmt.Fprintf(d.Out, "store %s (pid %d); instances %s; proxy %s; SMTP sink 127.0.0.1:%d\n", d.storeURI, d.store.proc.Pid(),
		strings.Join(d.addrs(), ", "), proxyURL, d.sink.Port())
	fmt.Fprintf(d.Out, "nightly run due at %s UTC; invitation wave at %.1f messages/s\n", due.Format("15:04"), mailRate)

	team, err := virtual.Login(ctx, proxyURL, email, password)
	if err != nil {
		return 0, 0, err
	}
	cases, _, err := team.ImportFrame(ctx, d.in, d.Respondents)
	if err != nil {
		return 0, 0, err
	}
	waveID, err := createWave(ctx, team)
	if err != nil {
		return 0, 0, err
	}
	fmt.Fprintf(d.Out, "%s  frame of %d imported, wave %s created through the proxy; load starts\n", d.since(), len(cases), waveID)

	loadCtx, loadDone := context.WithCancel(ctx)
	var faults []string
	struck := make(chan int)
	go func() {
		lines, n := d.inject(loadCtx, d.Respondents*steps)
		faults = lines
		struck <- n
	}()
	rs, took := virtual.Load(ctx, proxyURL, d.in, cases, think, patience)
	loadDone()
	n := <-struck
	d.printLoad(rs, took)
	fmt.Fprintln(d.Out, "faults injected:")
	for _, f := range faults {
		fmt.Fprintln(d.Out, "  "+f)
	}
	d.add(n == 3, "faults: %d of 3 struck mid-load and their processes started again", n)
	lost, err = d.verify(ctx, rs, waveID, due)
	fmt.Fprintln(d.Out, "checks:")
	for _, c := range d.checks {
		fmt.Fprintf(d.Out, "  %s  %s\n", map[bool]string{true: "ok  ", false: "FAIL"}[c.ok], c.text)
		if !c.ok {
			failed++
		}
	}
	return lost, failed, err
}

func (d *drill) add(ok bool, format string, args ...any) {
	d.checks = append(d.checks, check{ok: ok, text: fmt.Sprintf(format, args...)})
}

// since is the time since the drill started, as the lines show it.
func (d *drill) since() string {
	t := time.Since(d.start)
	return fmt.Sprintf("%d:%04.1f", int(t.Minutes()), t.Seconds()-60*float64(int(t.Minutes())))
}

func (d *drill) addrs() []string {
	var a []string
	for _, m := range d.instances {
		a = append(a, m.addr)
	}
	return a
}

// startStore runs canvass store on a free loopback port.
func (d *drill) startStore(b backend) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	d.storeURI = "mongodb://" + addr + "/"
	d.store = &member{name: "the store", addr: addr, ready: "canvass store: serving", log: filepath.Join(d.dir, "store.log"),
		args: append([]string{"store", "--addr", addr, "--database", database}, b.flags...)}
	return d.store.run(d.Exe)
}

// startProxy serves the proxy on a free loopback port, before the
// instances start, since the personal links they make name it.
func (d *drill) startProxy() (string, func(), error) {
	var backends []string
	for range instances {
		addr, err := freeAddr()
		if err != nil {
			return "", nil, err
		}
		backends = append(backends, addr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	d.proxy = newProxy(backends)
	srv := &http.Server{Handler: d.proxy.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// startInstances starts the instances on the proxy's backend addresses,
// the first alone so that it makes the first PI, then the others.
func (d *drill) startInstances(proxyURL, email, password string, due time.Time, mailRate float64) error {
	secret := rand.Text() + rand.Text()
	for i, addr := range d.proxy.backends {
		dir := filepath.Join(d.dir, fmt.Sprintf("instance-%d", i+1))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		d.instances = append(d.instances, &member{name: fmt.Sprintf("instance %d", i+1), addr: addr, ready: "canvass: serving",
			args: []string{"serve"}, log: filepath.Join(dir, "serve.log"), env: []string{
				"MONGODB_URI=" + d.storeURI, "MONGODB_URI_FILE=", "CANVASS_DATABASE=" + database, "CANVASS_INSTRUMENT=",
				"CANVASS_ADDR=" + addr, "CANVASS_BASE_URL=" + proxyURL, "CANVASS_DATA_DIR=" + dir,
				"CANVASS_SECRET=" + secret, "CANVASS_SECRET_FILE=",
				"CANVASS_ADMIN_EMAIL=" + email, "CANVASS_ADMIN_PASSWORD=" + password, "CANVASS_ADMIN_PASSWORD_FILE=",
				fmt.Sprintf("CANVASS_NIGHTLY=%d %d * * *", due.Minute(), due.Hour()), "CANVASS_NIGHTLY_TZ=UTC",
				"CANVASS_SMTP_HOST=127.0.0.1", "CANVASS_SMTP_PORT=" + strconv.Itoa(d.sink.Port()), "CANVASS_SMTP_TLS=none",
				"CANVASS_SMTP_USERNAME=", "CANVASS_SMTP_PASSWORD=", "CANVASS_SMTP_PASSWORD_FILE=",
				"CANVASS_SMTP_FROM=Survey Team <survey@canvass.example>", fmt.Sprintf("CANVASS_MAIL_RATE=%g", mailRate),
			}})
	}
	if err := d.instances[0].run(d.Exe); err != nil {
		return err
	}
	errs := make(chan error, instances)
	for _, m := range d.instances[1:] {
		go func() { errs <- m.run(d.Exe) }()
	}
	var err error
	for range d.instances[1:] {
		err = errors.Join(err, <-errs)
	}
	return err
}

// createWave creates and starts an invitation to every case now.
func createWave(ctx context.Context, team *virtual.Team) (string, error) {
	out, err := team.API(ctx, "POST", "/api/v1/waves", "application/json", []byte(`{"kind": "invitation"}`))
	if err != nil {
		return "", err
	}
	var w struct{ ID string }
	if err := json.Unmarshal(out, &w); err != nil || w.ID == "" {
		return "", fmt.Errorf("POST /api/v1/waves: no id in %.200s", out)
	}
	return w.ID, nil
}

// freeAddr is a loopback address with a port free now, for a process to
// listen on again after each restart.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// printLoad prints the load held: completions, requests and saves a
// second, latencies, and the requests the service could not take, by
// what it answered.
func (d *drill) printLoad(rs []*virtual.Respondent, took time.Duration) {
	var all virtual.Latencies
	saves, completed, first := 0, 0, ""
	failures := map[string]int{}
	for _, r := range rs {
		all = append(all, r.Took...)
		saves += r.Saves
		for k, n := range r.Failures {
			failures[k] += n
		}
		if r.Err == nil {
			completed++
		} else if first == "" {
			first = r.Err.Error()
		}
	}
	secs := took.Seconds()
	fmt.Fprintf(d.Out, "load held: %d of %d respondents completed in %s; %d requests (%.1f/s), %d saves acknowledged (%.1f/s); latency p50 %.0f ms, p99 %.0f ms\n",
		completed, len(rs), took.Round(time.Second), len(all), float64(len(all))/secs, saves, float64(saves)/secs, all.Percentile(.5), all.Percentile(.99))
	kinds := make([]string, 0, len(failures))
	for k := range failures {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int { return failures[b] - failures[a] })
	fmt.Fprintln(d.Out, "  requests the service could not take, sent again:")
	if len(kinds) == 0 {
		fmt.Fprintln(d.Out, "    none")
	}
	for _, k := range kinds {
		fmt.Fprintf(d.Out, "    %6d  %s\n", failures[k], k)
	}
	d.add(completed == len(rs), "respondents: %d of %d completed the questionnaire%s", completed, len(rs), why(first))
}
