// Command canvass is the survey service and its tools. main stays thin: it
// parses the subcommand and calls the packages that do the work.
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/canvass-survey/canvass/analysis/cli"
	"github.com/canvass-survey/canvass/server"
	"github.com/canvass-survey/canvass/server/bench"
	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/server/drill"
	"github.com/canvass-survey/canvass/server/pull"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/backup"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: canvass <command> [flags]

commands:
  serve     run the web service (see README for configuration)
  analyze   run the analysis engine on a CSV file (canvass analyze --help)
  backup    copy the configured store into one verified file: canvass backup --out FILE
  bench     measure this binary on this machine: one table (make bench runs it)
  drill     the fault drill: three instances on a shared store, faults mid-load, then checks (make drill runs it)
  nightly   run the nightly analysis now on the configured store: canvass nightly --once
  restore   restore the configured store from a backup: canvass restore --in FILE [--wipe]
  results   pull the latest result from a service: canvass results pull --server URL --out DIR
  simulate  simulate a field period from a planted model: canvass simulate --out DIR, or --into-store
  store     run the embedded store alone, for several instances to share: canvass store --addr ADDR --data DIR
  user      manage the team's accounts in the store: add, passwd, disable
  version   print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "canvass:", err)
		os.Exit(1)
	}
}

// run is main without the process: tests call it with their own arguments,
// environment and output streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "user":
		return userCmd(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	case "analyze":
		return cli.Run(args[1:], stdout, stderr)
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "drill":
		return drillCmd(ctx, args[1:], stdout, stderr)
	case "nightly":
		return nightlyCmd(ctx, args[1:], getenv, stdout, stderr)
	case "results":
		return resultsCmd(ctx, args[1:], getenv, stdout, stderr)
	case "simulate":
		return simulateCmd(ctx, args[1:], getenv, stdout, stderr)
	case "store":
		return storeCmd(ctx, args[1:], getenv, stdout, stderr)
	case "backup":
		return backupCmd(ctx, args[1:], getenv, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// serve is `canvass serve [--demo]`; the environment holds the configuration.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "on a new data directory, simulate four weeks of fieldwork; print a login and links still to answer")
	demoCities := fs.Int("demo-cities", server.DefaultDemoCities, "cities in the demo's frame, five cases each (500: the mission's 2,500 cases)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: canvass serve [--demo]\n\nflags:")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nenvironment:")
		config.PrintHelp(stderr)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *demoCities < 1 {
		return fmt.Errorf("serve: --demo-cities %d: give at least 1", *demoCities)
	}
	cfg, warning, err := config.Load(getenv)
	if err != nil {
		return err
	}
	return server.Run(ctx, cfg, warning, server.RunOptions{Demo: *demo, DemoCities: *demoCities, Stdout: stdout, Stderr: stderr, Version: version})
}

const storeUsage = `usage: canvass store [--addr 127.0.0.1:27017] [--data DIR | --postgresql URL] [--database NAME]

Runs the embedded store — FerretDB on SQLite files in DIR, or on a
PostgreSQL database — alone, as a MongoDB-wire server that several canvass
serve instances (MONGODB_URI=mongodb://ADDR/), mongosh or R's mongolite
share. It makes the database's collections and indexes as canvass serve
does. It has no authentication, so it listens on loopback only. At most a
third of the backend's connections go to commands at once (16 for
PostgreSQL's default pool_max_conns of 50, 33 on SQLite); the others wait
their turn, so that a burst cannot deadlock FerretDB.
`

// storeCmd is `canvass store`: the embedded store as its own process, so it
// can be shared, stopped and restarted apart from the instances.
func storeCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("store", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, storeUsage, "\nflags:\n"); fs.PrintDefaults() }
	addr := fs.String("addr", "127.0.0.1:27017", "loopback host:port to listen on")
	data := fs.String("data", cmp.Or(getenv("CANVASS_DATA_DIR"), "./data"), "directory of the SQLite files")
	pg := fs.String("postgresql", "", "a PostgreSQL URL to keep the data in instead of SQLite files")
	database := fs.String("database", cmp.Or(getenv("CANVASS_DATABASE"), "canvass"), "the database whose schema to make")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopback(*addr); err != nil {
		return fmt.Errorf("store: --addr %s: %w", *addr, err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := store.StartServer(ctx, store.ServeConfig{Addr: *addr, DataDir: *data, PostgreSQLURL: *pg, Database: *database, Logger: logger})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "canvass store: serving %s, database %s\n", srv, *database)
	err = srv.Serve(ctx)
	fmt.Fprintln(stdout, "canvass store: stopped")
	return err
}

// loopback refuses an address other machines could reach.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return errors.New("the store has no authentication: listen on a loopback address (127.0.0.1, ::1)")
	}
	return nil
}

const userUsage = `usage:
  canvass user add --email EMAIL --role pi|staff   (password: first line of stdin)
  canvass user passwd --email EMAIL                (new password: first line of stdin)
  canvass user disable --email EMAIL

It works on the store the service is configured with (the same environment
variables as canvass serve). With the embedded store, stop the service first.
`

// userCmd is `canvass user add|passwd|disable`: account changes from the
// command line, recorded in the audit log like those made in the admin UI.
func userCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, userUsage)
		return fmt.Errorf("user: say add, passwd or disable")
	}
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the user's email")
	role := fs.String("role", account.RoleStaff, "pi or staff (add only)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("user %s: --email is required", args[0])
	}
	readPassword := func() (string, error) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("user %s: give the password on the first line of standard input", args[0])
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	cfg, _, err := config.Load(getenv)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Store(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		return err
	}
	defer st.Close(context.Background())

	users := &account.Service{Store: st}
	by := account.Actor{Email: "command line", IP: "local"}
	var u *account.User
	switch args[0] {
	case "add":
		password, err := readPassword()
		if err != nil {
			return err
		}
		if u, err = users.Create(ctx, by, *email, password, *role); err != nil {
			return describe(err)
		}
	case "passwd":
		password, err := readPassword()
		if err != nil {
			return err
		}
		if u, err = users.UpdateByEmail(ctx, by, *email, account.Change{Password: &password}); err != nil {
			return describe(err)
		}
	case "disable":
		disabled := true
		if u, err = users.UpdateByEmail(ctx, by, *email, account.Change{Disabled: &disabled}); err != nil {
			return describe(err)
		}
	default:
		fmt.Fprint(stderr, userUsage)
		return fmt.Errorf("user: unknown action %q", args[0])
	}
	fmt.Fprintf(stdout, "%s: done (%s, %s)\n", u.Email, u.Role, map[bool]string{true: "disabled", false: "active"}[u.Disabled])
	return nil
}

// describe turns a domain error into a message that names the fields.
func describe(err error) error {
	var e *survey.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		var parts []string
		for f, m := range e.Fields {
			parts = append(parts, f+" "+m)
		}
		return fmt.Errorf("%s: %s", e.Message, strings.Join(parts, "; "))
	}
	if errors.As(err, &e) {
		return errors.New(e.Message)
	}
	return err
}

// nightlyCmd is `canvass nightly --once`: one run of the nightly analysis
// on the configured store, under the same lease as the schedule, printing
// how it ended. It fails when the run does not end ok.
func nightlyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("nightly", flag.ContinueOnError)
	fs.SetOutput(stderr)
	once := fs.Bool("once", false, "run the analysis once, now, and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*once {
		return errors.New("nightly: say --once; the schedule itself runs inside canvass serve (CANVASS_NIGHTLY)")
	}
	cfg, _, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := server.RunNightlyOnce(ctx, cfg, version, logger)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "result %s: %s, %d cases used of %d, %d warnings\n", r.ID, r.Status, r.N, r.Cases, len(r.Warnings))
	for _, w := range r.Warnings {
		fmt.Fprintln(stdout, "  warning: "+w)
	}
	switch r.Status {
	case results.StatusOK:
		return nil
	case results.StatusInsufficient:
		return errors.New("insufficient data: " + r.Reason)
	}
	return errors.New("the run failed: " + r.Error)
}

const resultsUsage = `usage: canvass results pull --server URL --out DIR [--id ID] [--key KEY] [--insecure]

Pulls a result of the nightly analysis — result.json, every table as CSV
(loadings, reliability, models, descriptives, frequencies, means, scores)
and report.html — into DIR. The key is a PI's API key: prefer the
environment variable CANVASS_API_KEY to --key, which other users of the
machine can see in the process list. Plain http is refused except to this
machine: the key would cross the network in clear.
`

// resultsCmd is `canvass results pull`.
func resultsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "pull" {
		fmt.Fprint(stderr, resultsUsage)
		return errors.New("results: say pull")
	}
	fs := flag.NewFlagSet("results pull", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, resultsUsage) }
	o := pull.Options{Progress: stderr}
	fs.StringVar(&o.Server, "server", "", "the service's base URL")
	fs.StringVar(&o.Out, "out", "", "folder to write into")
	fs.StringVar(&o.ID, "id", "", "a result's id (default: the latest ok result)")
	fs.StringVar(&o.Key, "key", getenv("CANVASS_API_KEY"), "a PI's API key (default: $CANVASS_API_KEY)")
	fs.BoolVar(&o.Insecure, "insecure", false, "allow plain http to another machine (the key crosses the network in clear)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if o.Server == "" || o.Out == "" {
		fs.Usage()
		return errors.New("results pull: --server and --out are required")
	}
	id, err := pull.Pull(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pulled result %s into %s\n", id, o.Out)
	return nil
}

const simulateUsage = `usage: canvass simulate (--out DIR | --into-store) [flags]

Simulates a four-week field period of the questionnaire from a planted
model: a frame of cities across the states, five departments each; an
invitation and two reminders; respondents whose answers follow planted
factor loadings and ordered-logit coefficients, answering, breaking off
or opting out with a propensity that varies by department and city size;
bounces, ineligibles and absences that staff mark; after the last reminder,
staff's phone calls to some of those who have not started (reached, a
message left, no answer, a wrong number), a few of whom refuse and one or
two ask not to be contacted again. The same flags give the same data.

--out DIR writes frame.csv (a sample frame, as an import reads it),
responses.csv (every case at the end, as the export writes it) and
truth.json (every planted parameter) into DIR. --into-store writes into the
store canvass serve is configured with (the same environment), through the
code paths staff and respondents use, with the field period ending now
unless --start says otherwise; with the embedded store, stop the service
first.

flags:
`

// simulateCmd is `canvass simulate`.
func simulateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, simulateUsage); fs.PrintDefaults() }
	o := simulate.Options{Progress: stderr}
	fs.IntVar(&o.Cities, "cities", simulate.DefaultCities, "cities in the frame; each has one person per department (500: 2,500 cases)")
	fs.Uint64Var(&o.Seed, "seed", 1, "the seed: the same seed gives the same data")
	fs.Float64Var(&o.ResponseRate, "response-rate", simulate.DefaultResponseRate, "mean response propensity, between 0 and 1")
	start := fs.String("start", "", "the day the frame is imported, YYYY-MM-DD (default: the questionnaire's first day with --out, four weeks ago with --into-store)")
	out := fs.String("out", "", "write frame.csv, responses.csv and truth.json into this folder")
	into := fs.Bool("into-store", false, "write into the configured store")
	file := fs.String("instrument", getenv("CANVASS_INSTRUMENT"), "questionnaire YAML file (default: $CANVASS_INSTRUMENT, else the embedded default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*out != "") == *into {
		fs.Usage()
		return errors.New("simulate: say either --out DIR or --into-store")
	}
	var err error
	if o.Instrument, err = server.LoadInstrument(*file); err != nil {
		return err
	}
	if o.Start, err = simulate.ParseStart(o.Instrument, *start); err != nil {
		return err
	}
	var sum *simulate.Summary
	if *out != "" {
		sum, err = simulate.WriteDir(o, *out)
	} else {
		sum, err = simulateIntoStore(ctx, o.Live(time.Now()), getenv, stderr)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, sum)
	return nil
}

// simulateIntoStore checks the options, then opens the configured store
// and simulates into it: a mistake in the flags writes nothing.
func simulateIntoStore(ctx context.Context, o simulate.Options, getenv func(string) string, stderr io.Writer) (*simulate.Summary, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	cfg, _, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(ctx, cfg.Store(logger))
	if err != nil {
		return nil, err
	}
	defer st.Close(context.WithoutCancel(ctx))
	return simulate.IntoStore(ctx, o, simulate.Target{Store: st, Secret: cfg.Secret, Logger: logger})
}

// benchCmd is `canvass bench [--quick] [--json FILE]`: the benchmark table
// of this binary on this machine. It starts its own services on stores
// in temporary directories and touches no configured store.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "the same table at reduced sizes: 250 respondents, up to 20,000 cases")
	jsonPath := fs.String("json", "bin/bench.json", "also write each line as a JSON object to this file")
	rscript := fs.String("rscript", "", "R's Rscript for the lines against R (default: Rscript on the PATH, if any)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if *rscript == "" {
		*rscript, _ = exec.LookPath("Rscript") // none: those lines say so
	}
	out, err := os.Create(*jsonPath)
	if err != nil {
		return err
	}
	err = bench.Run(ctx, bench.Options{Exe: exe, Quick: *quick, Rscript: *rscript, Out: stdout, JSON: out, Progress: stderr})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

const backupUsage = `usage: canvass backup --out FILE
       canvass restore --in FILE [--wipe] [--other-secret]

backup copies every collection of the configured store (the same
environment as canvass serve) into FILE, one gzip file with a manifest of
each collection's count and content hash, read back before it is kept.
restore reads the whole file and writes nothing unless it verifies; it
refuses a database that holds documents unless --wipe, and checks the store
against the manifest at the end. With the embedded store, stop the service
first. The file holds the respondents' personal data but not the secret
(CANVASS_SECRET): keep the secret too, apart from the backups.

flags:
`

// backupCmd is `canvass backup --out FILE`.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage); fs.PrintDefaults() }
	out := fs.String("out", "", "the file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errors.New("backup: --out FILE is required")
	}
	cfg, st, err := openConfigured(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	m, err := backup.WriteFile(ctx, st, *out, backup.Header{CodeVersion: version, Created: time.Now().UTC(), Database: cfg.Database})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up database %s into %s, read back and verified:\n", cfg.Database, *out)
	printManifest(stdout, m)
	return nil
}

// restoreCmd is `canvass restore --in FILE [--wipe] [--other-secret]`.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage); fs.PrintDefaults() }
	in := fs.String("in", "", "the backup file to restore")
	var o backup.RestoreOptions
	fs.BoolVar(&o.Wipe, "wipe", false, "replace a database that holds documents: drop its collections first")
	fs.BoolVar(&o.OtherSecret, "other-secret", false, "restore although the configured secret does not open the backup's links (they will not work)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		fs.Usage()
		return errors.New("restore: --in FILE is required")
	}
	cfg, st, err := openConfigured(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	o.Secret = cfg.Secret
	h, m, err := backup.Restore(ctx, st, *in, o)
	if errors.Is(err, backup.ErrOtherSecret) {
		return fmt.Errorf("restore: %w; configure the secret the backed-up service used (CANVASS_SECRET or CANVASS_SECRET_FILE), or say --other-secret", err)
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s (database %s, %s, canvass %s) into database %s, verified:\n",
		*in, h.Database, h.Created.Format(time.RFC3339), h.CodeVersion, cfg.Database)
	printManifest(stdout, m)
	return nil
}

// openConfigured opens the store canvass serve is configured with, saying
// on stderr when the secret was not configured.
func openConfigured(ctx context.Context, getenv func(string) string, stderr io.Writer) (config.Config, *store.Store, error) {
	cfg, warning, err := config.Load(getenv)
	if err != nil {
		return cfg, nil, err
	}
	if warning != "" {
		fmt.Fprintln(stderr, "canvass: "+warning)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(ctx, cfg.Store(logger))
	return cfg, st, err
}

func printManifest(w io.Writer, m backup.Manifest) {
	for _, e := range m.Collections {
		fmt.Fprintf(w, "  %-14s %9d documents  sha256 %s\n", e.Name, e.Count, e.SHA256)
	}
}

// drillCmd is `canvass drill`: the fault drill, on stores and services of
// its own in a temporary directory; it touches no configured store.
func drillCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := drill.Options{Out: stdout}
	fs.IntVar(&o.Respondents, "respondents", 2500, "virtual respondents completing the questionnaire")
	fs.Float64Var(&o.Pace, "pace", 20, "page saves a second the respondents offer together: below what the store sustains, so that outages drain")
	fs.DurationVar(&o.WaveWait, "wave-wait", 3*time.Minute, "how long to wait after the load for the wave to finish")
	stores := fs.String("stores", "sqlite,postgresql", "the stores to drill on, in turn: sqlite, postgresql (where installed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Stores = strings.Split(*stores, ",")
	if o.Respondents < 1 || !(o.Pace > 0) {
		return errors.New("drill: --respondents and --pace must be positive")
	}
	var err error
	if o.Exe, err = os.Executable(); err != nil {
		return err
	}
	return drill.Run(ctx, o)
}
