package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
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
	quiet := slog.New(levelFloor{next: logger.Handler(), min: slog.LevelWarn}).With("component", "ferretdb")
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

// levelFloor is a slog.Handler that passes on only records at or above a
// minimum level. FerretDB derives a logger per connection and per command;
// formatting their attributes for records that are then dropped cost 15% of
// a frame import, so attributes and groups wait until a record passes.
// It also drops FerretDB's dumps of wire messages, which it logs at warning
// level whenever a client sends a command it lacks, as the driver's
// endSessions on every disconnect.
type levelFloor struct {
	next    slog.Handler
	min     slog.Level
	pending []func(slog.Handler) slog.Handler // WithAttrs and WithGroup calls not yet applied
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.next.Enabled(ctx, l)
}

func (h levelFloor) Handle(ctx context.Context, r slog.Record) error {
	for _, prefix := range []string{"Response header", "Response message", "Request header", "Request message"} {
		if strings.HasPrefix(r.Message, prefix) {
			return nil
		}
	}
	next := h.next
	for _, apply := range h.pending {
		next = apply(next)
	}
	return next.Handle(ctx, r)
}

func (h levelFloor) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.with(func(n slog.Handler) slog.Handler { return n.WithAttrs(attrs) })
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return h.with(func(n slog.Handler) slog.Handler { return n.WithGroup(name) })
}

func (h levelFloor) with(apply func(slog.Handler) slog.Handler) slog.Handler {
	return levelFloor{next: h.next, min: h.min, pending: append(slices.Clip(h.pending), apply)}
}
