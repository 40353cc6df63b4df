package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/store/pgserver"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// idPlan asks FerretDB to explain a find by _id in coll and returns SQLite's
// plan for the very query FerretDB runs for it.
func idPlan(t *testing.T, db *mongo.Database, coll string) string {
	t.Helper()
	var res bson.M
	cmd := bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: coll}, {Key: "filter", Value: bson.D{{Key: "_id", Value: "x"}}}}}}
	if err := db.RunCommand(context.Background(), cmd).Decode(&res); err != nil {
		t.Fatalf("explain %s: %v", coll, err)
	}
	return fmt.Sprint(res["queryPlanner"])
}

func openAt(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{DataDir: dir, Database: "t", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIDLookupsUseIndex(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	for _, c := range schema {
		if plan := idPlan(t, s.db, c.name); !strings.Contains(plan, "SEARCH") || !strings.Contains(plan, idIndexPrefix) {
			t.Errorf("%s: a find by _id is not answered by the index: %s", c.name, plan)
		}
	}
	_ = s.Close(context.Background())

	// An index lost while the service was down comes back at the next start.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "t.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	var table string
	if err := db.QueryRow(`SELECT table_name FROM "_ferretdb_collections" WHERE name = ?`, collCases).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("DROP INDEX %q", idIndexPrefix+table)); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	s = openAt(t, dir)
	defer s.Close(context.Background())
	if plan := idPlan(t, s.db, collCases); !strings.Contains(plan, idIndexPrefix) {
		t.Errorf("not indexed again at the next start: %s", plan)
	}
}

// On PostgreSQL too every collection's lookups by _id search an index
// (pgindex.go); without it FerretDB's plan is a sequential scan.
func TestPostgreSQLIDLookupsUseIndex(t *testing.T) {
	ctx := context.Background()
	pg, err := pgserver.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	srv, err := StartServer(ctx, ServeConfig{Addr: "127.0.0.1:0", PostgreSQLURL: pg.URL, Database: "t", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	s, err := Open(ctx, Config{URI: srv.URI, Database: "t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	for _, c := range schema {
		if plan := idPlan(t, s.db, c.name); !strings.Contains(plan, "Index Scan") || !strings.Contains(plan, idIndexPrefix) {
			t.Errorf("%s: a find by _id is not answered by the index: %s", c.name, plan)
		}
	}
}

// Without the extra index, FerretDB scans a collection to find one _id. The
// day this fails, FerretDB's own _id index serves its queries, and
// embedded.indexIDs can go.
func TestFerretDBAloneScansForID(t *testing.T) {
	e, err := startEmbedded(backend{Addr: "127.0.0.1:0", DataDir: t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	client, err := mongo.Connect(options.Client().ApplyURI(e.uri))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	db := client.Database("t")
	if _, err := db.Collection("c").InsertOne(context.Background(), bson.D{{Key: "_id", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	if plan := idPlan(t, db, "c"); !strings.Contains(plan, "SCAN") {
		t.Errorf("FerretDB no longer scans for an _id, so indexIDs is not needed any more: %s", plan)
	}
}

func TestCollOutsideSchemaPanics(t *testing.T) {
	s := &Store{}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a collection outside the schema")
		}
	}()
	s.coll("nonesuch")
}
