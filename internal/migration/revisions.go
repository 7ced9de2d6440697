package migration

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5/pgconn"
)

// RevisionsTable is the table holding the migration history, in the connected schema. Its
// columns and values are the Atlas CLI's.
const RevisionsTable = "atlas_schema_revisions"

// atlasIdentifierRow is the row the Atlas CLI keeps in the revisions table to identify it; it is
// not a migration.
const atlasIdentifierRow = ".atlas_cloud_identifier"

// The revisions table as the Atlas CLI (through Ent) creates it.
const (
	createRevisionsPostgres = `CREATE TABLE IF NOT EXISTS "atlas_schema_revisions" (` +
		`"version" character varying NOT NULL, "description" character varying NOT NULL, ` +
		`"type" bigint NOT NULL DEFAULT 2, "applied" bigint NOT NULL DEFAULT 0, "total" bigint NOT NULL DEFAULT 0, ` +
		`"executed_at" timestamptz NOT NULL, "execution_time" bigint NOT NULL, "error" text NULL, "error_stmt" text NULL, ` +
		`"hash" character varying NOT NULL, "partial_hashes" jsonb NULL, "operator_version" character varying NOT NULL, ` +
		`PRIMARY KEY ("version"))`
	createRevisionsSQLite = "CREATE TABLE IF NOT EXISTS `atlas_schema_revisions` (" +
		"`version` text NOT NULL, `description` text NOT NULL, " +
		"`type` integer NOT NULL DEFAULT (2), `applied` integer NOT NULL DEFAULT (0), `total` integer NOT NULL DEFAULT (0), " +
		"`executed_at` datetime NOT NULL, `execution_time` integer NOT NULL, `error` text NULL, `error_stmt` text NULL, " +
		"`hash` text NOT NULL, `partial_hashes` json NULL, `operator_version` text NOT NULL, " +
		"PRIMARY KEY (`version`))"
	// As the Atlas CLI creates it on MySQL (its Ent schema: strings are varchar(255), texts
	// longtext, times timestamp, the type an unsigned bigint); partial_hashes is json, which
	// MariaDB stores as longtext with a JSON_VALID check.
	createRevisionsMySQL = "CREATE TABLE IF NOT EXISTS `atlas_schema_revisions` (" +
		"`version` varchar(255) NOT NULL, `description` varchar(255) NOT NULL, " +
		"`type` bigint unsigned NOT NULL DEFAULT 2, `applied` bigint NOT NULL DEFAULT 0, `total` bigint NOT NULL DEFAULT 0, " +
		"`executed_at` timestamp NOT NULL, `execution_time` bigint NOT NULL, `error` longtext NULL, `error_stmt` longtext NULL, " +
		"`hash` varchar(255) NOT NULL, `partial_hashes` json NULL, `operator_version` varchar(255) NOT NULL, " +
		"PRIMARY KEY (`version`)) CHARSET utf8mb4 COLLATE utf8mb4_bin"
)

const revisionColumns = `"version", "description", "type", "applied", "total", "executed_at", "execution_time", "error", "error_stmt", "hash", "partial_hashes", "operator_version"`

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rebind turns ? placeholders into $n for PostgreSQL, and on MySQL the double-quoted
// identifiers of Kernia's history queries into backquoted ones (none of them holds a double
// quote otherwise).
func rebind(dialect, query string) string {
	if dialect == "mysql" {
		return strings.ReplaceAll(query, `"`, "`")
	}
	if dialect != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// AtlasRevisionsSchema is the schema the Atlas CLI keeps its revisions table in on PostgreSQL
// when the URL names no schema (cmd/atlas/internal/cmdapi: defaultRevisionSchema): a database
// the Atlas CLI migrated with its default settings has its history in
// atlas_schema_revisions.atlas_schema_revisions.
const AtlasRevisionsSchema = "atlas_schema_revisions"

// revTable is where a database's history lives: the revisions table of the connected schema,
// or (PostgreSQL) the one in AtlasRevisionsSchema.
type revTable struct {
	dialect string
	// atlas is set for atlas_schema_revisions.atlas_schema_revisions.
	atlas bool
}

// ident is the table in SQL.
func (t revTable) ident() string {
	if t.atlas {
		return `"atlas_schema_revisions"."atlas_schema_revisions"`
	}
	if t.dialect == "mysql" {
		return "`atlas_schema_revisions`"
	}
	return `"atlas_schema_revisions"`
}

// String names the table in messages.
func (t revTable) String() string {
	if t.atlas {
		return AtlasRevisionsSchema + "." + RevisionsTable
	}
	return RevisionsTable
}

// findRevisionsTable looks up the revisions table: in the connected schema, else (PostgreSQL)
// in the Atlas CLI's default schema AtlasRevisionsSchema. exists is false when neither has
// one (the history is then created in the connected schema; Kernia never creates
// AtlasRevisionsSchema). Tables in both that both hold revisions are refused: which one holds
// the history is unknown; when only one holds revisions, that one is used.
func findRevisionsTable(ctx context.Context, q querier, dialect string) (t revTable, exists bool, err error) {
	t.dialect = dialect
	if dialect == "postgres" {
		// The simple protocol: one round trip instead of a prepare and an execute. The oids tell
		// the same table (the connected schema is atlas_schema_revisions) from two tables.
		var here, there string
		err = q.QueryRowContext(ctx, `SELECT coalesce(to_regclass('atlas_schema_revisions')::oid::text, ''), `+
			`coalesce(to_regclass('"atlas_schema_revisions"."atlas_schema_revisions"')::oid::text, '')`, simple).Scan(&here, &there)
		if err != nil {
			return t, false, fmt.Errorf("migrate: look up the %s table: %w%s", RevisionsTable, err, poolerHint(err))
		}
		if here != "" && there != "" && here != there {
			// Two tables: an empty one is no history (the Atlas CLI run with its default URL on a
			// database Kernia migrated creates its table, then refuses the database as not clean).
			hereRows, err := historyRows(ctx, q, revTable{dialect: dialect})
			if err != nil {
				return t, false, err
			}
			thereRows, err := historyRows(ctx, q, revTable{dialect: dialect, atlas: true})
			if err != nil {
				return t, false, err
			}
			switch {
			case hereRows > 0 && thereRows > 0:
				var schema sql.NullString
				_ = q.QueryRowContext(ctx, `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::oid`, simple, here).Scan(&schema)
				return t, false, fmt.Errorf("migrate: the database has two migration histories, %s.%s (in the connected schema, %d revisions) and %s.%s (the Atlas CLI's default revisions schema, %d revisions), and which one is this database's is unknown: keep the one that records the migrations applied and drop the other (DROP TABLE), or point the URL at the schema you mean (search_path)",
					schema.String, RevisionsTable, hereRows, AtlasRevisionsSchema, RevisionsTable, thereRows)
			case hereRows == 0 && thereRows > 0:
				here = ""
			}
		}
		switch {
		case here != "":
			return t, true, nil
		case there != "":
			t.atlas = true
			return t, true, nil
		}
		return t, false, nil
	}
	var n int
	query := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'atlas_schema_revisions'`
	if dialect == "mysql" {
		query = `SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'atlas_schema_revisions'`
	}
	err = q.QueryRowContext(ctx, query).Scan(&n)
	if err != nil {
		return t, false, fmt.Errorf("migrate: look up the %s table: %w%s", RevisionsTable, err, poolerHint(err))
	}
	return t, n > 0, nil
}

// historyRows counts the revisions of a table, without the Atlas CLI's identifier row.
func historyRows(ctx context.Context, q querier, t revTable) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM `+t.ident()+` WHERE "version" <> '`+atlasIdentifierRow+`'`, simple).Scan(&n); err != nil {
		return 0, fmt.Errorf("migrate: read %s: %w%s", t, err, poolerHint(err))
	}
	return n, nil
}

// createRevisionsTable creates the revisions table in the connected schema; call it only while
// holding the lock.
func createRevisionsTable(ctx context.Context, q querier, dialect string) error {
	ddl := createRevisionsSQLite
	switch dialect {
	case "postgres":
		ddl = createRevisionsPostgres
	case "mysql":
		ddl = createRevisionsMySQL
	}
	if _, err := q.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("migrate: create the %s table: %w", RevisionsTable, err)
	}
	return nil
}

// readRevisions returns the recorded revisions ordered by version, without the Atlas CLI's
// identifier row, and the table they were read from. A missing table is an empty history.
func readRevisions(ctx context.Context, q querier, dialect string) ([]*migrate.Revision, revTable, error) {
	revs, t, _, err := readHistory(ctx, q, dialect)
	return revs, t, err
}

// readHistory is readRevisions, also reporting whether the table exists.
func readHistory(ctx context.Context, q querier, dialect string) (revs []*migrate.Revision, t revTable, exists bool, err error) {
	t, exists, err = findRevisionsTable(ctx, q, dialect)
	if err != nil || !exists {
		return nil, t, exists, err
	}
	revs, err = scanRevisions(ctx, q, t)
	return revs, t, true, err
}

// scanRevisions reads the rows of the revisions table.
func scanRevisions(ctx context.Context, q querier, t revTable) ([]*migrate.Revision, error) {
	rows, err := q.QueryContext(ctx, rebind(t.dialect, `SELECT `+revisionColumns+` FROM `+t.ident()+` ORDER BY "version"`))
	if err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w%s", t, err, poolerHint(err))
	}
	defer rows.Close()
	var revs []*migrate.Revision
	for rows.Next() {
		var (
			r                      migrate.Revision
			typ                    int64
			executedAt, partial    any
			execNanos              int64
			errText, errStmt, hash sql.NullString
		)
		if err := rows.Scan(&r.Version, &r.Description, &typ, &r.Applied, &r.Total, &executedAt, &execNanos,
			&errText, &errStmt, &hash, &partial, &r.OperatorVersion); err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", RevisionsTable, err)
		}
		if r.Version == atlasIdentifierRow {
			continue
		}
		r.Type = migrate.RevisionType(typ)
		r.ExecutionTime = time.Duration(execNanos)
		r.Error, r.ErrorStmt, r.Hash = errText.String, errStmt.String, hash.String
		if r.ExecutedAt, err = asTime(executedAt); err != nil {
			return nil, fmt.Errorf("migrate: read %s: version %s: executed_at: %w", RevisionsTable, r.Version, err)
		}
		if r.PartialHashes, err = asHashes(partial); err != nil {
			return nil, fmt.Errorf("migrate: read %s: version %s: partial_hashes: %w", RevisionsTable, r.Version, err)
		}
		revs = append(revs, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", RevisionsTable, err)
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].Version < revs[j].Version })
	return revs, nil
}

// unfinished is the condition under which writeRevision replaces a version's row: the row is
// not a completed revision (a baseline, a revision marked resolved, or a file whose statements
// all ran). So no write of a run, whether a failure, a progress record or a success, ever
// overwrites a revision another run completed, even one that lost the migration lock.
const unfinished = `WHERE NOT ("atlas_schema_revisions"."type" = 1 OR ("atlas_schema_revisions"."type" & 4) <> 0 ` +
	`OR "atlas_schema_revisions"."applied" >= "atlas_schema_revisions"."total")`

// writeRevision inserts r, or replaces the row of its version unless that row records a
// completed revision. written is false when it left a completed revision in place.
func writeRevision(ctx context.Context, q querier, t revTable, r *migrate.Revision) (written bool, err error) {
	dialect := t.dialect
	if dialect == "mysql" {
		return writeRevisionMySQL(ctx, q, t, r)
	}
	return upsertRevision(ctx, q, t, r, "", "", false)
}

// upsertRevision runs writeRevision's INSERT (SQLite, PostgreSQL) and reports whether it wrote
// the row. On PostgreSQL, before and what name statements sent with it in one simple-protocol
// round trip, ahead of it (the INSERT's own row count is the one read). fresh is for a version
// that had no row when the run read the history under its lock: then a plain INSERT (without
// ON CONFLICT … DO UPDATE, about half its cost on the server), and a row of the version found
// there, whatever it records, is left as it is: written is false, as for a completed one (only
// a run that lost its lock can meet one).
func upsertRevision(ctx context.Context, q querier, t revTable, r *migrate.Revision, before, what string, fresh bool) (written bool, err error) {
	dialect := t.dialect
	args, err := revisionArgs(r, r.ExecutedAt.UTC())
	if err != nil {
		return false, err
	}
	query := `INSERT INTO ` + t.ident() + ` (` + revisionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if !fresh {
		query += ` ON CONFLICT ("version") DO UPDATE SET "description" = excluded."description", "type" = excluded."type", ` +
			`"applied" = excluded."applied", "total" = excluded."total", "executed_at" = excluded."executed_at", ` +
			`"execution_time" = excluded."execution_time", "error" = excluded."error", "error_stmt" = excluded."error_stmt", ` +
			`"hash" = excluded."hash", "partial_hashes" = excluded."partial_hashes", "operator_version" = excluded."operator_version" ` + unfinished
	}
	query = before + rebind(dialect, query)
	if dialect == "postgres" {
		// The simple protocol: on the work connection, DISCARD ALL after each file would drop a
		// statement pgx prepared and cached.
		args = append([]any{simple}, args...)
	}
	res, err := q.ExecContext(ctx, query, args...)
	var pe *pgconn.PgError
	if fresh && errors.As(err, &pe) && pe.Code == "23505" && pe.TableName == RevisionsTable {
		return false, nil // unique_violation: the version has a row
	}
	if err != nil {
		return false, fmt.Errorf("migrate: %srecord version %s in %s: %w", what, r.Version, t, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("migrate: record version %s in %s: %w", r.Version, t, err)
	}
	return n > 0, nil
}

// revisionArgs are the values of revisionColumns for r, in order, with executedAt for its
// execution time (each dialect stores it in its own precision): the partial hashes as JSON,
// an empty error or statement as NULL.
func revisionArgs(r *migrate.Revision, executedAt time.Time) ([]any, error) {
	var partial any
	if len(r.PartialHashes) > 0 {
		b, err := json.Marshal(r.PartialHashes)
		if err != nil {
			return nil, err
		}
		partial = string(b)
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	return []any{r.Version, r.Description, int64(r.Type), r.Applied, r.Total,
		executedAt, int64(r.ExecutionTime), nullable(r.Error), nullable(r.ErrorStmt), r.Hash, partial, r.OperatorVersion}, nil
}

// deleteRevision removes the row of a version.
func deleteRevision(ctx context.Context, q querier, t revTable, version string) error {
	if _, err := q.ExecContext(ctx, rebind(t.dialect, `DELETE FROM `+t.ident()+` WHERE "version" = ?`), version); err != nil {
		return fmt.Errorf("migrate: delete version %s from %s: %w", version, t, err)
	}
	return nil
}

// done reports whether a revision counts as applied: a baseline, a revision marked resolved,
// or a file whose statements all ran.
func done(r *migrate.Revision) bool {
	return r.Type == migrate.RevisionTypeBaseline || r.Type.Has(migrate.RevisionTypeResolved) || r.Applied >= r.Total
}

// sqliteTimeLayouts are the forms SQLite drivers store datetime values in.
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
}

func asTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v, nil
	case string:
		return parseTime(v)
	case []byte:
		return parseTime(string(v))
	case int64:
		return time.Unix(v, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("unexpected value %T", v)
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range sqliteTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse time %q", s)
}

func asHashes(v any) ([]string, error) {
	var b []byte
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return nil, fmt.Errorf("unexpected value %T", v)
	}
	var hs []string
	if err := json.Unmarshal(b, &hs); err != nil {
		return nil, err
	}
	return hs, nil
}
