package store

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// FerretDB 1.24 on PostgreSQL finds a document by _id with
// WHERE _jsonb->$1 @> $2 ($1 = '_id'), but the unique index it makes for
// _id is a btree on (_jsonb->'_id'), which cannot answer @>; so every
// lookup, update and delete by _id scanned the table, and a save grew
// slower with the sample and with every dead row an update leaves until
// vacuum — the drill saw the store stop keeping up twenty minutes into a
// 2,500-respondent load. Two changes make it a search:
//
//   - a GIN index on exactly FerretDB's expression, which answers @>
//     (indexPostgreSQLIDs, beside FerretDB's tables as on SQLite), and
//   - plan_cache_mode=force_custom_plan on FerretDB's connections: FerretDB
//     prepares its statements, and a generic plan, made without knowing
//     that $1 is '_id', cannot use an index on (_jsonb->'_id').
//
// TestPostgreSQLIDLookupsUseIndex reads the plans through FerretDB.

// customPlans adds plan_cache_mode=force_custom_plan to a PostgreSQL URL
// that sets no plan_cache_mode (pgx passes it as a run-time parameter).
func customPlans(pgURL string) (string, error) {
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", fmt.Errorf("embedded store: PostgreSQL URL: %w", err)
	}
	q := u.Query()
	if !q.Has("plan_cache_mode") {
		q.Set("plan_cache_mode", "force_custom_plan")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// indexPostgreSQLIDs gives every collection of the database (a schema of
// the same name to FerretDB) the GIN index its _id lookups can use.
func indexPostgreSQLIDs(ctx context.Context, pgURL, database string) error {
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return fmt.Errorf("embedded store: PostgreSQL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	schema := pgx.Identifier{database}.Sanitize()
	rows, err := conn.Query(ctx, `SELECT _jsonb->>'table' FROM `+schema+`."_ferretdb_database_metadata"`)
	if err != nil {
		return fmt.Errorf("embedded store: list tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("embedded store: list tables: %w", err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s.%s USING gin ((_jsonb->'_id') jsonb_path_ops)`,
			pgx.Identifier{idIndexPrefix + t}.Sanitize(), schema, pgx.Identifier{t}.Sanitize())
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("embedded store: index %s: %w", t, err)
		}
	}
	return nil
}
