package migration_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/sqlite"
	entdialect "entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
	_ "github.com/jackc/pgx/v5/stdlib"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/migration"
)

// atlasOperator is what the Atlas CLI v1.2.3 records as operator_version ("Atlas CLI " + version,
// cmd/atlas/internal/cmdapi/migrate.go: operatorVersion).
const atlasOperator = "Atlas CLI v1.2.3"

// atlasRevisions is the Atlas CLI's revision store (cmd/atlas/internal/migrate.EntRevisions),
// which is internal to the CLI's module: WriteRevision is Ent's
// `Revision.Create().SetRevision(rev).OnConflict(version).UpdateNewValues()`, an upsert of every
// column except the immutable version, description and executed_at; an empty error is stored as
// ” (field.Text Optional, always set) and nil partial hashes as JSON null (field.Strings).
type atlasRevisions struct {
	db      *sql.DB
	dialect string
	table   string // the qualified table
}

func (a *atlasRevisions) q(s string) string {
	s = strings.ReplaceAll(s, "$T", a.table)
	if a.dialect != "postgres" {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (a *atlasRevisions) Ident() *migrate.TableIdent {
	// As EntRevisions.Ident: the revisions schema, if the table is qualified.
	if strings.Contains(a.table, ".") {
		return &migrate.TableIdent{Name: "atlas_schema_revisions", Schema: "atlas_schema_revisions"}
	}
	return &migrate.TableIdent{Name: "atlas_schema_revisions"}
}

func (a *atlasRevisions) ReadRevisions(ctx context.Context) ([]*migrate.Revision, error) {
	rows, err := a.db.QueryContext(ctx, a.q(`SELECT version, description, type, applied, total, executed_at, execution_time, coalesce(error, ''), coalesce(error_stmt, ''), hash, partial_hashes, operator_version FROM $T WHERE version <> '.atlas_cloud_identifier' ORDER BY version`))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*migrate.Revision
	for rows.Next() {
		var (
			r       migrate.Revision
			typ     int64
			exec    int64
			partial sql.NullString
			at      any
		)
		if err := rows.Scan(&r.Version, &r.Description, &typ, &r.Applied, &r.Total, &at, &exec, &r.Error, &r.ErrorStmt, &r.Hash, &partial, &r.OperatorVersion); err != nil {
			return nil, err
		}
		r.Type, r.ExecutionTime = migrate.RevisionType(typ), time.Duration(exec)
		if partial.Valid {
			if err := json.Unmarshal([]byte(partial.String), &r.PartialHashes); err != nil {
				return nil, err
			}
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

func (a *atlasRevisions) ReadRevision(ctx context.Context, v string) (*migrate.Revision, error) {
	revs, err := a.ReadRevisions(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range revs {
		if r.Version == v {
			return r, nil
		}
	}
	return nil, migrate.ErrRevisionNotExist
}

func (a *atlasRevisions) WriteRevision(ctx context.Context, r *migrate.Revision) error {
	partial, err := json.Marshal(r.PartialHashes)
	if err != nil {
		return err
	}
	_, err = a.db.ExecContext(ctx, a.q(`INSERT INTO $T (version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) `+
		`ON CONFLICT (version) DO UPDATE SET type = excluded.type, applied = excluded.applied, total = excluded.total, execution_time = excluded.execution_time, `+
		`error = excluded.error, error_stmt = excluded.error_stmt, hash = excluded.hash, partial_hashes = excluded.partial_hashes, operator_version = excluded.operator_version`),
		r.Version, r.Description, int64(r.Type), r.Applied, r.Total, r.ExecutedAt, int64(r.ExecutionTime), r.Error, r.ErrorStmt, r.Hash, string(partial), r.OperatorVersion)
	return err
}

func (a *atlasRevisions) DeleteRevision(ctx context.Context, v string) error {
	_, err := a.db.ExecContext(ctx, a.q(`DELETE FROM $T WHERE version = ?`), v)
	return err
}

// atlasApply runs what `atlas migrate apply` runs: Atlas's own migrate.Executor over the
// directory, with the CLI's operator version, writing to the revisions table.
func atlasApply(t *testing.T, db *sql.DB, dialectName, dir, table string) {
	t.Helper()
	ctx := context.Background()
	var drv migrate.Driver
	var err error
	if dialectName == "postgres" {
		drv, err = postgres.Open(db)
	} else {
		drv, err = sqlite.Open(db)
	}
	assert.NilError(t, err)
	ld, err := migrate.NewLocalDir(dir)
	assert.NilError(t, err)
	ex, err := migrate.NewExecutor(drv, ld, &atlasRevisions{db: db, dialect: dialectName, table: table}, migrate.WithOperatorVersion(atlasOperator))
	assert.NilError(t, err)
	assert.NilError(t, ex.ExecuteN(ctx, 0))
}

// TestRevisionFinishedByAtlas: a file fails under Kernia (its row records the error and the
// hash of the failing version), is fixed and rehashed, and is finished by Atlas's Executor,
// which completes the existing row without updating its hash or total. Kernia's migrate and
// status accept that history; a later edit of the file is still refused.
func TestRevisionFinishedByAtlas(t *testing.T) {
	type tcase struct {
		name    string
		dialect string
		failing string // the file as first written
		fixed   string // the file after the fix
		edited  string // a later edit, to be refused
		applied int64  // statements Kernia's failed attempt left applied
	}
	cases := []tcase{
		{name: "sqlite transactional", dialect: "sqlite",
			failing: "CREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO missing (id) VALUES (1);\n",
			fixed:   "CREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO t1 (id) VALUES (1);\n",
			edited:  "CREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO t1 (id) VALUES (1);\nINSERT INTO t1 (id) VALUES (2);\n"},
		{name: "postgres transactional", dialect: "postgres",
			failing: "CREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO missing (id) VALUES (1);\n",
			fixed:   "CREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO t1 (id) VALUES (1);\n",
			edited:  "CREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO t1 (id) VALUES (1);\nINSERT INTO t1 (id) VALUES (2);\n"},
		{name: "postgres txmode none", dialect: "postgres", applied: 1,
			failing: "-- atlas:txmode none\n\nCREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO missing (id) VALUES (1);\nCREATE INDEX CONCURRENTLY t1_id ON t1 (id);\n",
			fixed:   "-- atlas:txmode none\n\nCREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO t1 (id) VALUES (1);\nCREATE INDEX CONCURRENTLY t1_id ON t1 (id);\n",
			edited:  "-- atlas:txmode none\n\nCREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO t1 (id) VALUES (1);\nCREATE INDEX CONCURRENTLY t1_id ON t1 (id);\nCREATE TABLE t2 (id integer);\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d dialect
			for _, x := range dialects {
				if x.name == tc.dialect {
					d = x
				}
			}
			ctx := context.Background()
			url := d.newURL(t)
			const name = "20250101000002_t1.sql"
			dir := writeDir(t, fileA, mfile{name, tc.failing})
			_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
			assert.ErrorContains(t, err, "missing")
			db := openDB(t, url)
			failed := revisions(t, db)[1]
			assert.Equal(t, failed.applied, tc.applied)
			assert.Assert(t, failed.errText.Valid && failed.errText.String != "")
			failedHash := failed.hash

			addFiles(t, dir, mfile{name, tc.fixed}) // fixed and rehashed
			atlasApply(t, db, d.name, dir, "atlas_schema_revisions")
			// The row as Atlas leaves it: its own operator, no error, no partial hashes, every
			// statement applied, and the hash (and total) of the version that failed.
			done := revisions(t, db)[1]
			assert.Equal(t, done.operator, atlasOperator)
			assert.Equal(t, done.hash, failedHash)
			assert.Assert(t, done.hash != sumEntry(t, dir, name))
			assert.Equal(t, done.errText.String, "")
			assert.Equal(t, done.partial.String, "null")
			assert.Equal(t, done.applied, done.total)

			// Kernia accepts the history: the readiness check finds no edit, status has no
			// problem and migrate applies what follows.
			ld, err := migrate.NewLocalDir(dir)
			assert.NilError(t, err)
			files, err := ld.Files()
			assert.NilError(t, err)
			sum, err := ld.Checksum()
			assert.NilError(t, err)
			ready, err := migration.CheckReadiness(ctx, db, d.name, files, sum)
			assert.NilError(t, err)
			assert.DeepEqual(t, ready.Edited, []string{})
			rep, err := migration.Status(ctx, url, dir)
			assert.NilError(t, err)
			assert.DeepEqual(t, rep.Problems, []string(nil))
			assert.Equal(t, rep.Current, "20250101000002")
			assert.Assert(t, rep.LastFailure == nil)
			addFiles(t, dir, fileC)
			res, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
			assert.NilError(t, err)
			assert.Equal(t, res.To, "20250101000003")

			// An edit keeping the statement count is caught through the hash of the later file
			// Kernia applied, which chains this one.
			sameCount := strings.Replace(tc.fixed, "VALUES (1)", "VALUES (7)", 1)
			addFiles(t, dir, mfile{name, sameCount})
			_, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
			assert.ErrorContains(t, err, fileC.name+" was edited after it was applied")

			// A later edit of the file that changes its statements is refused, by migrate and by
			// status, naming it.
			addFiles(t, dir, mfile{name, tc.edited})
			_, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
			assert.ErrorContains(t, err, name+" was edited after it was applied")
			rep, err = migration.Status(ctx, url, dir)
			assert.NilError(t, err)
			assert.Assert(t, len(rep.Problems) == 1 && strings.Contains(rep.Problems[0], "was edited after it was applied"), "%v", rep.Problems)
		})
	}
}

// TestAtlasAppliedWholeFileEditStillRefused: a file Atlas applied whole from the start records
// its own hash; an edit of it (rehashed) is refused as for a file Kernia applied.
func TestAtlasAppliedWholeFileEditStillRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		url := d.newURL(t)
		dir := writeDir(t, fileA)
		_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		addFiles(t, dir, fileB)
		db := openDB(t, url)
		atlasApply(t, db, d.name, dir, "atlas_schema_revisions")
		assert.Equal(t, revisions(t, db)[1].operator, atlasOperator)
		_, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		addFiles(t, dir, mfile{fileB.name, fileB.body + "CREATE TABLE b2 (id integer);\n"})
		_, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, "was edited after it was applied")
	})
}

// createAtlasRevisionsSchema creates the Atlas CLI's default revisions schema and table on the
// PostgreSQL database at rawURL as the CLI does when its URL names no schema
// (cmd/atlas/internal/migrate.NewEntRevisions and Migrate): CREATE SCHEMA
// "atlas_schema_revisions", then Ent's migration of the CLI's generated revision table
// (cmd/atlas/internal/migrate/ent/migrate/schema.go), on a connection bound to that schema
// with WithSchemaName.
func createAtlasRevisionsSchema(t *testing.T, rawURL string) {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, rawURL)
	_, err := db.ExecContext(ctx, `CREATE SCHEMA "atlas_schema_revisions"`)
	assert.NilError(t, err)
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	bound, err := sql.Open("pgx", rawURL+sep+"search_path=atlas_schema_revisions")
	assert.NilError(t, err)
	defer bound.Close()
	cols := []*entschema.Column{
		{Name: "version", Type: field.TypeString},
		{Name: "description", Type: field.TypeString},
		{Name: "type", Type: field.TypeUint, Default: 2},
		{Name: "applied", Type: field.TypeInt, Default: 0},
		{Name: "total", Type: field.TypeInt, Default: 0},
		{Name: "executed_at", Type: field.TypeTime},
		{Name: "execution_time", Type: field.TypeInt64},
		{Name: "error", Type: field.TypeString, Nullable: true, Size: 2147483647},
		{Name: "error_stmt", Type: field.TypeString, Nullable: true, Size: 2147483647},
		{Name: "hash", Type: field.TypeString},
		{Name: "partial_hashes", Type: field.TypeJSON, Nullable: true},
		{Name: "operator_version", Type: field.TypeString},
	}
	table := &entschema.Table{Name: "atlas_schema_revisions", Columns: cols, PrimaryKey: cols[:1]}
	m, err := entschema.NewMigrate(entsql.OpenDB(entdialect.Postgres, bound), entschema.WithDropColumn(true), entschema.WithSchemaName("atlas_schema_revisions"))
	assert.NilError(t, err)
	assert.NilError(t, m.Create(ctx, table))
}

// TestAtlasDefaultRevisionsSchema: a PostgreSQL database the Atlas CLI migrated with its default
// settings keeps its history in atlas_schema_revisions.atlas_schema_revisions. Status reads it
// (and says so), migrate writes to it (so both tools keep one history, and Atlas continues
// after Kernia), Kernia never creates that schema, and a database with a revisions table in both
// schemas is refused, naming both.
func TestAtlasDefaultRevisionsSchema(t *testing.T) {
	const atlasTable = `"atlas_schema_revisions"."atlas_schema_revisions"`
	ctx := context.Background()
	d := dialects[1]
	assert.Equal(t, d.name, "postgres")

	t.Run("shared history", func(t *testing.T) {
		url := d.newURL(t)
		createAtlasRevisionsSchema(t, url)
		db := openDB(t, url)
		dir := writeDir(t, fileA)
		atlasApply(t, db, "postgres", dir, atlasTable)
		assert.Assert(t, !tableExists(t, db, d, "atlas_schema_revisions"))

		rep, err := migration.Status(ctx, url, dir)
		assert.NilError(t, err)
		assert.DeepEqual(t, rep.Problems, []string(nil))
		assert.Equal(t, rep.Current, "20250101000001")
		assert.Equal(t, rep.History, "atlas_schema_revisions.atlas_schema_revisions")

		addFiles(t, dir, fileB)
		res, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Equal(t, res.From, "20250101000001")
		assert.Equal(t, res.To, "20250101000002")
		assert.Assert(t, !tableExists(t, db, d, "atlas_schema_revisions"), "migrate created a second history in the connected schema")
		var n int
		assert.NilError(t, db.QueryRow(`SELECT count(*) FROM `+atlasTable+` WHERE version = '20250101000002' AND operator_version LIKE 'Kernia%'`).Scan(&n))
		assert.Equal(t, n, 1)

		// Atlas goes on from Kernia's record in the same table.
		addFiles(t, dir, fileC)
		atlasApply(t, db, "postgres", dir, atlasTable)
		rep, err = migration.Status(ctx, url, dir)
		assert.NilError(t, err)
		assert.DeepEqual(t, rep.Problems, []string(nil))
		assert.Equal(t, rep.Current, "20250101000003")
		assert.Equal(t, len(rep.Applied), 3)
		res, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Equal(t, len(res.Applied), 0)

		// An empty revisions table in the connected schema too is no history: still Atlas's.
		_, err = db.Exec(`CREATE TABLE atlas_schema_revisions (version character varying PRIMARY KEY)`)
		assert.NilError(t, err)
		rep, err = migration.Status(ctx, url, dir)
		assert.NilError(t, err)
		assert.DeepEqual(t, rep.Problems, []string(nil))
		assert.Equal(t, rep.History, "atlas_schema_revisions.atlas_schema_revisions")
		// Both holding revisions: refused, naming both.
		_, err = db.Exec(`INSERT INTO atlas_schema_revisions (version) VALUES ('20250101000001')`)
		assert.NilError(t, err)
		_, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, "two migration histories, public.atlas_schema_revisions (in the connected schema, 1 revisions) and atlas_schema_revisions.atlas_schema_revisions (the Atlas CLI's default revisions schema, 3 revisions)")
		_, err = migration.Status(ctx, url, dir)
		assert.ErrorContains(t, err, "two migration histories")
	})

	t.Run("empty Atlas table beside Kernia's history", func(t *testing.T) {
		// `atlas migrate apply` with its default URL on a database Kernia migrated creates its
		// schema and table, then refuses the database as not clean: Kernia keeps its history.
		url := d.newURL(t)
		dir := writeDir(t, fileA)
		_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		createAtlasRevisionsSchema(t, url)
		addFiles(t, dir, fileB)
		res, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Equal(t, res.From, "20250101000001")
		rep, err := migration.Status(ctx, url, dir)
		assert.NilError(t, err)
		assert.DeepEqual(t, rep.Problems, []string(nil))
		assert.Equal(t, rep.History, "")
		assert.Equal(t, len(revisions(t, openDB(t, url))), 2)
	})

	t.Run("never created", func(t *testing.T) {
		url := d.newURL(t)
		dir := writeDir(t, fileA)
		_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		db := openDB(t, url)
		assert.Assert(t, tableExists(t, db, d, "atlas_schema_revisions"))
		var n int
		assert.NilError(t, db.QueryRow(`SELECT count(*) FROM pg_namespace WHERE nspname = 'atlas_schema_revisions'`).Scan(&n))
		assert.Equal(t, n, 0)
		rep, err := migration.Status(ctx, url, dir)
		assert.NilError(t, err)
		assert.Equal(t, rep.History, "")
	})
}

// TestAtlasFinishedWithFewerStatements: the fixed file Atlas finished has fewer statements than
// the failed version Kernia recorded, so Atlas leaves applied < total and no partial hashes: a row
// neither tool can resume. Status and migrate refuse it with the fix; after it, Kernia goes on.
func TestAtlasFinishedWithFewerStatements(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		url := d.newURL(t)
		const name = "20250101000002_t1.sql"
		dir := writeDir(t, fileA, mfile{name, "CREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO missing (id) VALUES (1);\nINSERT INTO t1 (id) VALUES (2);\n"})
		_, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, "missing")
		addFiles(t, dir, mfile{name, "CREATE TABLE t1 (id integer PRIMARY KEY);\nINSERT INTO t1 (id) VALUES (2);\n"})
		db := openDB(t, url)
		atlasApply(t, db, d.name, dir, "atlas_schema_revisions")
		row := revisions(t, db)[1]
		assert.Equal(t, row.applied, int64(2))
		assert.Equal(t, row.total, int64(3))

		want := "was finished by Atlas CLI v1.2.3, which ran 2 statements of the fixed file but kept the total of 3"
		rep, err := migration.Status(ctx, url, dir)
		assert.NilError(t, err)
		assert.Assert(t, len(rep.Problems) == 1 && strings.Contains(rep.Problems[0], want), "%v", rep.Problems)
		_, err = migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, want)

		_, err = db.Exec(`UPDATE atlas_schema_revisions SET total = applied WHERE version = '20250101000002'`)
		assert.NilError(t, err)
		addFiles(t, dir, fileC)
		res, err := migration.Apply(ctx, url, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Equal(t, res.From, "20250101000002")
		assert.Equal(t, res.To, "20250101000003")
	})
}
