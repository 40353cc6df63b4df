package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldperiod"
	"github.com/canvass-survey/canvass/survey/store/pgserver"
)

// The race tests run their writers as separate processes — this test
// binary started again with raceWorkerEnv set — so that nothing in one
// process (the per-document locks) can hide a write that the store does not
// make atomic. Each store several instances can share is raced: FerretDB
// on SQLite files and on PostgreSQL, both as `canvass store` serves them.

const (
	raceWorkerEnv = "CANVASS_RACE_WORKER" // the role a started copy plays
	raceURIEnv    = "CANVASS_RACE_URI"
	raceDatabase  = "race"
	raceProcesses = 4
	raceRounds    = 15
)

func TestMain(m *testing.M) {
	switch role := os.Getenv(raceWorkerEnv); role {
	case "":
		os.Exit(m.Run())
	case "store":
		os.Exit(serveStore(os.Getenv(raceURIEnv)))
	default:
		os.Exit(raceWorker(role, os.Getenv(raceURIEnv)))
	}
}

// raceOutcome is what one worker process did, as one JSON line on stdout.
type raceOutcome struct {
	Won        int `json:"won"`        // updates or roster changes that landed
	Refused    int `json:"refused"`    // refused by a rule (the last PI)
	Holds      int `json:"holds"`      // times a lease was held
	Violations int `json:"violations"` // times another holder was seen inside a held lease
}

func TestRacesAcrossProcesses(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		raceStore(t, ServeConfig{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Database: raceDatabase})
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		pg, err := pgserver.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pg.Stop)
		raceStore(t, ServeConfig{Addr: "127.0.0.1:0", PostgreSQLURL: pg.URL, Database: raceDatabase})
	})
}

// raceStore races raceProcesses processes in each role against one store
// and checks that every revision had exactly one winner.
func raceStore(t *testing.T, cfg ServeConfig) {
	ctx := context.Background()
	srv, err := StartServer(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	s, err := Open(ctx, Config{URI: srv.URI, Database: raceDatabase})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	if err := s.InsertCase(ctx, &survey.Case{ID: "c1", Survey: "s", Frame: survey.Frame{Email: "c1@example.org"}}); err != nil {
		t.Fatal(err)
	}
	accounts := &account.Service{Store: s}
	for i := range 3 {
		if _, err := accounts.Create(ctx, account.Actor{Email: "test"}, fmt.Sprintf("pi%d@example.org", i), "a long enough password", account.RolePI); err != nil {
			t.Fatal(err)
		}
	}

	out := map[string][]raceOutcome{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, role := range []string{"cases", "lease", "roster", "fieldperiod"} {
		for range raceProcesses {
			wg.Go(func() {
				o, err := startRaceWorker(t, role, srv.URI)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("%s worker: %v", role, err)
					return
				}
				out[role] = append(out[role], o)
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	checkCaseRace(t, s, out["cases"])
	checkLeaseRace(t, out["lease"])
	checkRosterRace(t, s, out["roster"])
	checkFieldPeriodRace(t, s, out["fieldperiod"])
}

func startRaceWorker(t *testing.T, role, uri string) (raceOutcome, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), raceWorkerEnv+"="+role, raceURIEnv+"="+uri)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.Output()
	if err != nil {
		return raceOutcome{}, err
	}
	var o raceOutcome
	err = json.Unmarshal(stdout, &o)
	return o, err
}

// Every update that a worker was told landed is in the case, once: the
// counter equals their number, and so do the revision and the history, one
// event per revision.
func checkCaseRace(t *testing.T, s *Store, outs []raceOutcome) {
	won := acknowledged(outs)
	c, err := s.Case(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	count, _ := c.Answers["count"].(int64)
	revs := map[string]bool{}
	for _, e := range c.History {
		revs[e.Note] = true
	}
	t.Logf("cases: %d updates acknowledged by %d processes, count %d, rev %d", won, len(outs), count, c.Rev)
	if won == 0 || count != int64(won) || c.Rev != int64(won) || len(c.History) != won || len(revs) != won {
		t.Errorf("acknowledged %d updates; the case has count %d, rev %d, %d history events for %d revisions", won, count, c.Rev, len(c.History), len(revs))
	}
}

// acknowledged counts the writes the workers were told landed.
func acknowledged(outs []raceOutcome) int {
	won := 0
	for _, o := range outs {
		won += o.Won
	}
	return won
}

// No worker ever saw another inside the lease it held.
func checkLeaseRace(t *testing.T, outs []raceOutcome) {
	holds, violations := 0, 0
	for _, o := range outs {
		holds += o.Holds
		violations += o.Violations
	}
	t.Logf("lease: held %d times by %d processes, %d times with another holder inside", holds, len(outs), violations)
	if holds == 0 || violations != 0 {
		t.Errorf("lease held %d times, two holders at once %d times", holds, violations)
	}
}

// At least one PI is left, and the users agree with the roster's last
// revision.
func checkRosterRace(t *testing.T, s *Store, outs []raceOutcome) {
	ctx := context.Background()
	won, refused := 0, 0
	for _, o := range outs {
		won += o.Won
		refused += o.Refused
	}
	latest, err := s.LatestRoster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	active := map[string]bool{}
	for _, u := range users {
		if u.Role == account.RolePI && !u.Disabled {
			active[u.ID] = true
		}
	}
	t.Logf("roster: %d role changes landed, %d refused as leaving no PI, %d revisions, %d active PIs", won, refused, latest.Rev, len(active))
	if len(active) == 0 || len(active) != len(latest.PIs) {
		t.Errorf("active PIs %v, the roster's revision %d says %v", active, latest.Rev, latest.PIs)
	}
	for _, id := range latest.PIs {
		if !active[id] {
			t.Errorf("the roster names %s, who is not an active PI", id)
		}
	}
}

// raceOpens is where the raced field period's close starts; each update
// moves it a minute later than it read.
var raceOpens = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Every extension a worker was told landed moved the close once: two PIs
// on two instances extending at once both count.
func checkFieldPeriodRace(t *testing.T, s *Store, outs []raceOutcome) {
	won := acknowledged(outs)
	f, err := s.FieldPeriod(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	moved := int(f.Closes.Sub(raceOpens) / time.Minute)
	t.Logf("field period: %d extensions acknowledged by %d processes, close moved %d minutes, rev %d", won, len(outs), moved, f.Rev)
	if won == 0 || moved != won || f.Rev != int64(won) {
		t.Errorf("acknowledged %d extensions; the close moved %d minutes at revision %d", won, moved, f.Rev)
	}
}

// serveStore is `canvass store` on the SQLite files in dir, in a process
// of its own that a test can kill; it prints its URI when ready.
func serveStore(dir string) int {
	srv, err := StartServer(context.Background(), ServeConfig{Addr: "127.0.0.1:0", DataDir: dir, Database: raceDatabase})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(srv.URI)
	_ = srv.Serve(context.Background()) // until killed
	return 0
}

// startStoreProcess runs serveStore in a new process and returns it and
// its URI.
func startStoreProcess(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), raceWorkerEnv+"=store", raceURIEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("store process: %v", err)
	}
	return cmd, strings.TrimSpace(line)
}

// Writes the store acknowledged are there after its process is killed in
// the middle of more: SQLite in WAL mode has them in its log, synced
// (synchronous=full) before FerretDB answered.
func TestKilledStoreKeepsAcknowledgedWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cmd, uri := startStoreProcess(t, dir)
	s, err := Open(ctx, Config{URI: uri, Database: raceDatabase, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var acked []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			id := fmt.Sprintf("k%04d", i)
			if err := s.InsertCase(ctx, &survey.Case{ID: id, Survey: "s", Frame: survey.Frame{Email: id + "@example.org"}}); err != nil {
				return // the store is gone
			}
			if _, err := s.UpdateCase(ctx, id, func(*survey.Case) (*survey.Change, error) {
				return &survey.Change{At: time.Now(), SetAnswers: map[string]any{"q": int64(i)}}, nil
			}); err != nil {
				return
			}
			acked = append(acked, id)
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	_ = s.Close(ctx)
	_ = cmd.Wait()

	_, uri = startStoreProcess(t, dir)
	s, err = Open(ctx, Config{URI: uri, Database: raceDatabase})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	t.Logf("%d cases inserted and answered before the kill", len(acked))
	if len(acked) < 10 {
		t.Fatalf("only %d writes before the kill", len(acked))
	}
	for i, id := range acked {
		c, err := s.Case(ctx, id)
		if err != nil || c.Answers["q"] != int64(i) || c.Rev != 1 {
			t.Fatalf("acknowledged case %s after the kill: %+v, %v", id, c, err)
		}
	}
}

// raceWorker plays role against the store at uri and prints its outcome.
func raceWorker(role, uri string) int {
	ctx := context.Background()
	s, err := Open(ctx, Config{URI: uri, Database: raceDatabase})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close(ctx)
	var o raceOutcome
	switch role {
	case "cases":
		err = raceCases(ctx, s, &o)
	case "lease":
		err = raceLease(ctx, s, &o)
	case "roster":
		err = raceRoster(ctx, s, &o)
	case "fieldperiod":
		err = raceFieldPeriod(ctx, s, &o)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, role, err)
		return 1
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	return map[bool]int{true: 0, false: 1}[json.NewEncoder(w).Encode(o) == nil]
}

// raceCases adds one to the case's counter, and one event naming the
// revision it makes, raceRounds times.
func raceCases(ctx context.Context, s *Store, o *raceOutcome) error {
	for range raceRounds {
		_, err := s.UpdateCase(ctx, "c1", func(c *survey.Case) (*survey.Change, error) {
			count, _ := c.Answers["count"].(int64)
			return &survey.Change{At: time.Now(), SetAnswers: map[string]any{"count": count + 1},
				Event: &survey.Event{Note: strconv.FormatInt(c.Rev+1, 10)}}, nil
		})
		switch survey.ErrorCode(err) {
		case "":
			o.Won++
		case survey.EUNAVAILABLE: // lost too often in a row: not acknowledged
		default:
			return err
		}
	}
	return nil
}

// raceLease takes the lease raceRounds times; while holding it, it marks a
// document as its own, checks that nobody else marked it, and clears it.
func raceLease(ctx context.Context, s *Store, o *raceOutcome) error {
	l := NewLease(s, "race", 5*time.Second)
	marks := s.coll(collOnce)
	for o.Holds < raceRounds {
		ok, err := l.Acquire(ctx, time.Now())
		if err != nil {
			return err
		}
		if !ok {
			time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
			continue
		}
		o.Holds++
		var mark struct{ Holder string }
		if err := marks.FindOne(ctx, byID("critical")).Decode(&mark); err == nil && mark.Holder != "" {
			o.Violations++
		}
		for _, holder := range []string{l.Holder, ""} {
			if _, err := marks.ReplaceOne(ctx, byID("critical"), bson.D{{Key: "holder", Value: holder}}, options.Replace().SetUpsert(true)); err != nil {
				return err
			}
			if holder != "" {
				time.Sleep(time.Millisecond)
				if err := marks.FindOne(ctx, byID("critical")).Decode(&mark); err != nil || mark.Holder != l.Holder {
					o.Violations++
				}
			}
		}
		if err := l.Release(ctx); err != nil {
			return err
		}
	}
	return nil
}

// raceFieldPeriod extends the survey's close by a minute, raceRounds times.
func raceFieldPeriod(ctx context.Context, s *Store, o *raceOutcome) error {
	for range raceRounds {
		_, err := s.UpdateFieldPeriod(ctx, "s", func(f *fieldperiod.Setting) error {
			closes := raceOpens
			if f.Closes != nil {
				closes = *f.Closes
			}
			closes = closes.Add(time.Minute)
			f.Closes = &closes
			return nil
		})
		switch survey.ErrorCode(err) {
		case "":
			o.Won++
		case survey.EUNAVAILABLE:
		default:
			return err
		}
	}
	return nil
}

// raceRoster makes a random one of the PIs staff or PI again, raceRounds
// times; the service refuses a change that would leave no active PI.
func raceRoster(ctx context.Context, s *Store, o *raceOutcome) error {
	accounts := &account.Service{Store: s}
	users, err := s.Users(ctx)
	if err != nil {
		return err
	}
	for range raceRounds {
		role := []string{account.RoleStaff, account.RolePI}[rand.IntN(2)]
		_, err := accounts.Update(ctx, account.Actor{Email: "race"}, users[rand.IntN(len(users))].ID, account.Change{Role: &role})
		switch survey.ErrorCode(err) {
		case "":
			o.Won++
		case survey.ECONFLICT:
			o.Refused++
		case survey.EUNAVAILABLE:
		default:
			return err
		}
	}
	return nil
}
