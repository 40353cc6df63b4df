package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// embedded is a FerretDB server running inside this process on its SQLite
// backend, reachable over loopback TCP with the ordinary MongoDB driver. It
// makes `canvass serve` a single binary with a real store and no set-up.
type embedded struct {
	uri  string
	stop context.CancelFunc
	done chan struct{}
}

// startEmbedded starts FerretDB with its SQLite files under dir. Its own log
// lines reach ours only at warning level and above: at info it narrates every
// connection.
func startEmbedded(dir string, logger *slog.Logger) (*embedded, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: create %s: %w", dir, err)
	}
	quiet := slog.New(levelFloor{logger.Handler(), slog.LevelWarn}).With("component", "ferretdb")
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    quiet,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &embedded{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(ctx) // returns only after ctx is cancelled; closes SQLite cleanly
	}()
	// MongoDBURI waits for the listener Run has started.
	e.uri = f.MongoDBURI()
	return e, nil
}

// close stops the listener and waits until the SQLite files are closed.
func (e *embedded) close() {
	e.stop()
	<-e.done
}

// levelFloor is a slog.Handler that drops records below a minimum level,
// and FerretDB's dumps of wire messages: it logs them at warning level when
// a client sends a command it lacks, as the driver's endSessions on every
// disconnect.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "Response header") || strings.HasPrefix(r.Message, "Response message") ||
		strings.HasPrefix(r.Message, "Request header") || strings.HasPrefix(r.Message, "Request message") {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h levelFloor) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(attrs), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}
