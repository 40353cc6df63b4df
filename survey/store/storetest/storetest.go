// Package storetest opens a real store for tests: an embedded FerretDB in
// the test's temporary directory, closed when the test ends. No mocks.
package storetest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/canvass-survey/canvass/survey/store"
)

// Database is the name of the database the tests' stores use.
const Database = "canvass_test"

// MustOpen returns a fresh, empty store for tb.
func MustOpen(tb testing.TB) *store.Store {
	tb.Helper()
	return MustOpenDir(tb, tb.TempDir())
}

// MustOpenDir opens the embedded store in dir, so a test can close it and
// open the same files again, as a restart would.
func MustOpenDir(tb testing.TB, dir string) *store.Store {
	tb.Helper()
	return MustOpenDirDatabase(tb, dir, Database)
}

// MustOpenDirDatabase opens the named database of the embedded store in
// dir: the one a command under test is configured with.
func MustOpenDirDatabase(tb testing.TB, dir, database string) *store.Store {
	tb.Helper()
	return mustOpen(tb, store.Config{DataDir: dir, Database: database})
}

// MustOpenMonitored is MustOpen with the driver's command monitor mon, as
// the service opens its store for its metrics.
func MustOpenMonitored(tb testing.TB, mon *event.CommandMonitor) *store.Store {
	tb.Helper()
	return mustOpen(tb, store.Config{DataDir: tb.TempDir(), Database: Database, Monitor: mon})
}

func mustOpen(tb testing.TB, cfg store.Config) *store.Store {
	tb.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}
