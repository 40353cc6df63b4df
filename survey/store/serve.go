package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// ServeConfig says what `canvass store` serves: FerretDB on SQLite files in
// DataDir, or on a PostgreSQL database, listening on Addr.
type ServeConfig struct {
	Addr          string
	DataDir       string
	PostgreSQLURL string
	Database      string // whose collections and indexes are made at start
	Logger        *slog.Logger
}

// Server is the embedded store run alone, for several instances to share.
type Server struct {
	URI string // mongodb://host:port/ for the instances' MONGODB_URI

	e        *embedded
	database string
	logger   *slog.Logger
}

// StartServer starts FerretDB on cfg's backend and makes the schema there
// as Open does, including the embedded store's _id index (embedded.indexIDs).
func StartServer(ctx context.Context, cfg ServeConfig) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e, err := startEmbedded(backend{Addr: cfg.Addr, DataDir: cfg.DataDir, PostgreSQLURL: cfg.PostgreSQLURL, Shared: true}, cfg.Logger)
	if err != nil {
		return nil, err
	}
	srv := &Server{URI: e.uri, e: e, database: cfg.Database, logger: cfg.Logger}
	if err := srv.makeSchema(ctx); err != nil {
		e.close()
		return nil, err
	}
	return srv, nil
}

// makeSchema creates the collections and indexes through a client of the
// server, as an instance would, then the _id indexes FerretDB lacks.
func (srv *Server) makeSchema(ctx context.Context) error {
	s, err := Open(ctx, Config{URI: srv.URI, Database: srv.database, Logger: srv.logger})
	if err != nil {
		return err
	}
	defer s.Close(context.WithoutCancel(ctx))
	return srv.e.indexIDs(ctx, srv.database)
}

// Serve keeps the server running until ctx ends, then stops it once every
// acknowledged write is on disk. Every minute it makes the _id indexes
// again, for collections that a restore or an operator dropped and an
// instance created anew.
func (srv *Server) Serve(ctx context.Context) error {
	defer srv.e.close()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := srv.e.indexIDs(ctx, srv.database); err != nil && ctx.Err() == nil {
				srv.logger.Warn("store: index _id", "err", err)
			}
		}
	}
}

// Close stops the server at once, for tests.
func (srv *Server) Close() { srv.e.close() }

func (srv *Server) String() string {
	on := "PostgreSQL"
	if srv.e.dir != "" {
		on = "SQLite in " + srv.e.dir
	}
	return fmt.Sprintf("%s on %s, %d commands at a time (gateway.go)", srv.URI, on, srv.e.slots)
}
