package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite" // FerretDB's own SQLite driver, for indexIDs
)

// embedded is a FerretDB server running inside this process, reachable over
// TCP with the ordinary MongoDB driver: on SQLite files in a directory it makes
// `canvass serve` a single binary with a real store and no set-up; on either
// backend it is what `canvass store` serves to several instances.
type embedded struct {
	uri   string
	dir   string // where FerretDB keeps one SQLite file per database; empty on PostgreSQL
	pgURL string // the PostgreSQL database FerretDB keeps its data in instead
	// slots is how many commands may reach the backend at once
	// (commandSlots): the gateway's for a shared store, the driver's pool
	// for the one process that runs it.
	slots int
	gw    *gateway // nil: not shared
	stop  context.CancelFunc
	done  chan struct{}
}

// backend says where an embedded FerretDB keeps its data and where it
// listens.
type backend struct {
	Addr          string // host:port; "127.0.0.1:0" picks a free port
	DataDir       string // SQLite files, one per database
	PostgreSQLURL string // instead of DataDir: a PostgreSQL database
	// Shared puts the gateway in front, for clients in other processes.
	Shared bool
}

// sqliteDurability is added to FerretDB's SQLite URL. FerretDB keeps
// SQLite in WAL mode; with synchronous FULL (the default of the SQLite
// build FerretDB uses, pinned here so that no other default weakens it)
// every commit syncs the WAL to disk before FerretDB acknowledges the
// write, so an acknowledged write survives a process kill
// (TestKilledStoreKeepsAcknowledgedWrites) and a power cut, as far as the
// disk honours fsync. NORMAL, the usual WAL companion, would survive a
// kill but could lose the last commits to a power cut.
const sqliteDurability = "?_pragma=synchronous(full)"

// The backends' connection pools: FerretDB's default for PostgreSQL (a
// pool_max_conns in the URL overrides it), its fixed size for SQLite.
const (
	postgreSQLPool = 50
	sqlitePool     = 100
)

// commandSlots is how many commands may reach a backend with pool
// connections at once: a third of them, as the gateway explains.
func commandSlots(pool int) int { return max(1, pool/3) }

// startEmbedded starts FerretDB on the backend, listening on b.Addr, or,
// shared, on a loopback port of its own behind the gateway on b.Addr.
// The one process that runs an unshared store bounds its commands with
// its driver's pool instead (Open): as effective, without the gateway's
// extra hop on every call. FerretDB's own log lines reach ours only at
// warning level and above: at info it narrates every connection.
func startEmbedded(b backend, logger *slog.Logger) (*embedded, error) {
	listen := b.Addr
	if b.Shared {
		listen = "127.0.0.1:0"
	}
	cfg := &ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: listen}, Logger: slog.New(levelFloor{next: logger.Handler(), min: slog.LevelWarn}).With("component", "ferretdb")}
	e := &embedded{done: make(chan struct{})}
	pool := sqlitePool
	if b.PostgreSQLURL != "" {
		pgURL, err := customPlans(b.PostgreSQLURL)
		if err != nil {
			return nil, err
		}
		cfg.Handler, cfg.PostgreSQLURL, e.pgURL = "postgresql", pgURL, b.PostgreSQLURL
		pool = postgreSQLPoolSize(b.PostgreSQLURL)
	} else {
		dir, err := filepath.Abs(b.DataDir)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("embedded store: create %s: %w", dir, err)
		}
		cfg.Handler, cfg.SQLiteURL, e.dir = "sqlite", "file:"+dir+"/"+sqliteDurability, dir
	}
	f, err := ferretdb.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	go func() {
		defer close(e.done)
		_ = f.Run(ctx) // returns only after ctx is cancelled; closes its backend cleanly
	}()
	// MongoDBURI waits for the listener Run has started.
	e.uri, e.slots = f.MongoDBURI(), commandSlots(pool)
	if !b.Shared {
		return e, nil
	}
	ferret, err := url.Parse(e.uri)
	if err == nil {
		e.gw, err = startGateway(b.Addr, ferret.Host, e.slots, logger)
	}
	if err != nil {
		cancel()
		<-e.done
		return nil, err
	}
	e.uri = "mongodb://" + e.gw.ln.Addr().String() + "/"
	return e, nil
}

// postgreSQLPoolSize is the pool FerretDB makes for a PostgreSQL URL.
func postgreSQLPoolSize(pgURL string) int {
	u, err := url.Parse(pgURL)
	if err != nil {
		return postgreSQLPool
	}
	n, err := strconv.Atoi(u.Query().Get("pool_max_conns"))
	if err != nil || n < 1 {
		return postgreSQLPool
	}
	return n
}

// idIndexPrefix names the indexes indexIDs makes; FerretDB names its own
// "<table>_<index name>", so none of its names starts with this.
const idIndexPrefix = "canvass_id_"

// indexIDs gives every collection of the database the index FerretDB's own
// _id lookups need. FerretDB 1.24's SQLite backend (the last line with that
// backend, so the one we build on) finds a document with
// WHERE _ferretdb_sjson->'$._id' = ?, but the unique index it creates for
// _id is on _ferretdb_sjson->"_id": another expression, so SQLite's planner
// ignores it and scans the table on every lookup, update and delete by _id —
// a respondent's save cost time in proportion to the sample. An index on
// exactly FerretDB's expression turns the scan into a search. It is an
// ordinary SQLite index beside FerretDB's tables: FerretDB's metadata does
// not list it, and dropping a collection drops it with the table.
// TestIDLookupsUseIndex checks, through FerretDB's own explain, that the
// plan uses it and that without it the plan scans (so the trick is needed).
func (e *embedded) indexIDs(ctx context.Context, database string) error {
	if e.pgURL != "" {
		return indexPostgreSQLIDs(ctx, e.pgURL, database)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, database+".sqlite")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM "_ferretdb_collections"`)
	if err != nil {
		return fmt.Errorf("embedded store: list tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("embedded store: list tables: %w", err)
		}
		tables = append(tables, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("embedded store: list tables: %w", err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, idIndexPrefix+t, t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("embedded store: index %s: %w", t, err)
		}
	}
	return nil
}

// close stops the listeners and waits until the SQLite files are closed.
func (e *embedded) close() {
	if e.gw != nil {
		e.gw.close()
	}
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
	if duplicateKey(r) {
		return nil
	}
	next := h.next
	for _, apply := range h.pending {
		next = apply(next)
	}
	return next.Handle(ctx, r)
}

// duplicateKey reports FerretDB's PostgreSQL backend logging, as an error,
// an insert that a unique index refused: for Canvass that is how one of
// several writers wins (revision.go), the expected outcome, not a fault.
func duplicateKey(r slog.Record) bool {
	dup := false
	r.Attrs(func(a slog.Attr) bool {
		dup = a.Key == "err" && strings.Contains(a.Value.String(), "duplicate key value violates unique constraint")
		return !dup
	})
	return dup
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
