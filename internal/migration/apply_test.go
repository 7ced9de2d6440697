package migration_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
)

func TestApplyFromEmptyThenNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		rawURL := d.newURL(t)
		dir := writeDir(t, fileA, fileB)

		var out bytes.Buffer
		res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{Out: &out})
		assert.NilError(t, err)
		assert.Equal(t, res.From, "")
		assert.Equal(t, res.To, "20250101000002")
		assert.Equal(t, len(res.Applied), 2)
		assert.DeepEqual(t, []string{res.Applied[0].Name, res.Applied[1].Name}, []string{fileA.name, fileB.name})
		assert.Equal(t, res.Applied[0].Version, "20250101000001")
		assert.Equal(t, res.Applied[0].Description, "create_a")
		assert.Equal(t, res.Applied[0].Statements, 2)
		assert.Equal(t, res.Applied[1].Statements, 1)
		assert.Check(t, is.Contains(out.String(), "applied "+fileA.name+": 2 statements in "))
		assert.Check(t, is.Contains(out.String(), "applied "+fileB.name+": 1 statement in "))
		assert.Check(t, is.Contains(out.String(), "2 files applied in "))

		db := openDB(t, rawURL)
		assert.Check(t, tableExists(t, db, d, "a"))
		assert.Check(t, tableExists(t, db, d, "b"))

		// A second run applies nothing and succeeds.
		out.Reset()
		res, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{Out: &out})
		assert.NilError(t, err)
		assert.Equal(t, len(res.Applied), 0)
		assert.Equal(t, res.From, "20250101000002")
		assert.Equal(t, res.To, "20250101000002")
		assert.Check(t, is.Contains(out.String(), "nothing to apply"))

		// The rows carry Atlas's values.
		revs := revisions(t, db)
		assert.Equal(t, len(revs), 2)
		for i, f := range []mfile{fileA, fileB} {
			r := revs[i]
			assert.Check(t, is.Equal(r.version, strings.SplitN(f.name, "_", 2)[0]))
			assert.Check(t, is.Equal(r.description, strings.TrimSuffix(strings.SplitN(f.name, "_", 2)[1], ".sql")))
			assert.Check(t, is.Equal(r.typ, int64(2)))
			assert.Check(t, is.Equal(r.applied, r.total))
			assert.Check(t, is.Equal(r.total, map[string]int64{fileA.name: 2, fileB.name: 1}[f.name]))
			assert.Check(t, r.executedAtNotNull)
			assert.Check(t, r.executionTime > 0)
			assert.Check(t, !r.errText.Valid && !r.errStmt.Valid && !r.partial.Valid)
			assert.Check(t, is.Equal(r.hash, sumEntry(t, dir, f.name)))
			assert.Check(t, strings.HasPrefix(r.operator, "Kernia "), r.operator)
		}
	})
}

func TestRevisionsTableHasAtlasColumns(t *testing.T) {
	want := map[string][]string{
		"postgres": {
			"version character varying NO ",
			"description character varying NO ",
			"type bigint NO 2",
			"applied bigint NO 0",
			"total bigint NO 0",
			"executed_at timestamp with time zone NO ",
			"execution_time bigint NO ",
			"error text YES ",
			"error_stmt text YES ",
			"hash character varying NO ",
			"partial_hashes jsonb YES ",
			"operator_version character varying NO ",
		},
		"sqlite": {
			"version text NO ",
			"description text NO ",
			"type integer NO 2",
			"applied integer NO 0",
			"total integer NO 0",
			"executed_at datetime NO ",
			"execution_time integer NO ",
			"error text YES ",
			"error_stmt text YES ",
			"hash text NO ",
			"partial_hashes json YES ",
			"operator_version text NO ",
		},
	}
	forEachDialect(t, func(t *testing.T, d dialect) {
		rawURL := d.newURL(t)
		_, err := migration.Apply(context.Background(), rawURL, writeDir(t, fileA), migration.ApplyOptions{})
		assert.NilError(t, err)
		db := openDB(t, rawURL)
		query := `SELECT name || ' ' || lower(type) || ' ' || CASE WHEN "notnull" = 1 THEN 'NO' ELSE 'YES' END || ' ' || coalesce(trim(dflt_value, '()'), '') FROM pragma_table_info('atlas_schema_revisions') ORDER BY cid`
		pk := `SELECT group_concat(name) FROM pragma_table_info('atlas_schema_revisions') WHERE pk > 0`
		if d.name == "postgres" {
			query = `SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'atlas_schema_revisions' ORDER BY ordinal_position`
			pk = `SELECT string_agg(a.attname, ',') FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'atlas_schema_revisions'::regclass AND i.indisprimary`
		}
		assert.DeepEqual(t, queryStrings(t, db, query), want[d.name])
		assert.DeepEqual(t, queryStrings(t, db, pk), []string{"version"})
	})
}

func queryStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	assert.NilError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		assert.NilError(t, rows.Scan(&s))
		out = append(out, s)
	}
	assert.NilError(t, rows.Err())
	return out
}

func TestFailingFileLeavesNothingAndIsRecorded(t *testing.T) {
	broken := mfile{"20250101000002_broken.sql", "CREATE TABLE b (id integer PRIMARY KEY);\nINSERT INTO missing_table (id) VALUES (1);\n"}
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		rawURL := d.newURL(t)
		dir := writeDir(t, fileA, broken, fileC)

		res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, "migrate: "+broken.name+" failed at statement 2 of 2 (INSERT INTO missing_table (id) VALUES (1);)")
		assert.ErrorContains(t, err, "missing_table")
		assert.ErrorContains(t, err, "rolled back")
		assertNoSecret(t, err)
		assert.Assert(t, res != nil)
		assert.Equal(t, len(res.Applied), 1)
		assert.Equal(t, res.Applied[0].Name, fileA.name)

		db := openDB(t, rawURL)
		assert.Check(t, tableExists(t, db, d, "a"), "the earlier file stays applied")
		assert.Check(t, !tableExists(t, db, d, "b"), "nothing of the failing file stays")
		assert.Check(t, !tableExists(t, db, d, "c"), "later files do not run")
		revs := revisions(t, db)
		assert.Equal(t, len(revs), 2)
		fail := revs[1]
		assert.Check(t, is.Equal(fail.version, "20250101000002"))
		assert.Check(t, is.Equal(fail.applied, int64(0)))
		assert.Check(t, is.Equal(fail.total, int64(2)))
		assert.Check(t, is.Equal(fail.typ, int64(2)))
		assert.Check(t, fail.errText.Valid && strings.Contains(fail.errText.String, "missing_table"), fail.errText.String)
		assert.Check(t, is.Equal(fail.errStmt.String, "INSERT INTO missing_table (id) VALUES (1);"))

		st, err := migration.Status(ctx, rawURL, dir)
		assert.NilError(t, err)
		assert.Equal(t, st.Current, "20250101000001")
		assert.Equal(t, len(st.Applied), 1)
		assert.DeepEqual(t, names(st.Pending), []string{broken.name, fileC.name})
		assert.Assert(t, st.LastFailure != nil)
		assert.Equal(t, st.LastFailure.Version, "20250101000002")
		assert.Equal(t, st.LastFailure.Name, broken.name)
		assert.Equal(t, st.LastFailure.Statement, "INSERT INTO missing_table (id) VALUES (1);")
		assert.Check(t, is.Contains(st.LastFailure.Error, "missing_table"))
		assert.Check(t, is.Len(st.Problems, 0))

		// Fix the file, rehash, apply again: the whole file runs and replaces the failure.
		addFiles(t, dir, mfile{broken.name, "CREATE TABLE b (id integer PRIMARY KEY);\n"})
		res, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.DeepEqual(t, appliedNames(res), []string{broken.name, fileC.name})
		assert.Check(t, tableExists(t, db, d, "b"))
		revs = revisions(t, db)
		assert.Equal(t, len(revs), 3)
		assert.Check(t, is.Equal(revs[1].applied, int64(1)))
		assert.Check(t, !revs[1].errText.Valid && !revs[1].errStmt.Valid)
		assert.Check(t, is.Equal(revs[1].hash, sumEntry(t, dir, broken.name)))
		st, err = migration.Status(ctx, rawURL, dir)
		assert.NilError(t, err)
		assert.Check(t, st.LastFailure == nil)
		assert.Check(t, is.Len(st.Pending, 0))
		assert.Equal(t, st.Current, "20250101000003")
	})
}

func names(fs []migration.FileStatus) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func appliedNames(res *migration.ApplyResult) []string {
	out := []string{}
	for _, f := range res.Applied {
		out = append(out, f.Name)
	}
	return out
}

func TestHistoryRefusals(t *testing.T) {
	tests := []struct {
		name string
		// change alters the directory after fileA, fileB and fileC were applied.
		change  func(t *testing.T, dir string)
		wantErr []string
	}{
		{
			name: "applied file edited and rehashed",
			change: func(t *testing.T, dir string) {
				addFiles(t, dir, mfile{fileB.name, fileB.body + "CREATE TABLE b2 (id integer);\n"})
			},
			wantErr: []string{"migrate: applied file ", fileB.name, "was edited after it was applied", "restore the file"},
		},
		{
			name: "first applied file edited and rehashed",
			change: func(t *testing.T, dir string) {
				addFiles(t, dir, mfile{fileA.name, "-- a comment\n" + fileA.body})
			},
			wantErr: []string{"applied file ", fileA.name, "was edited"},
		},
		{
			name: "applied file removed and rehashed",
			change: func(t *testing.T, dir string) {
				assert.NilError(t, os.Remove(filepath.Join(dir, fileB.name)))
				rehash(t, dir)
			},
			wantErr: []string{"migrate: version 20250101000002 (create_b) is recorded as applied", "no file of that version", "restore it"},
		},
		{
			name: "file added out of order",
			change: func(t *testing.T, dir string) {
				addFiles(t, dir, mfile{"20250101000000_early.sql", "CREATE TABLE early (id integer);\n"})
			},
			wantErr: []string{"migrate: file 20250101000000_early.sql is older than version 20250101000003", "out of order"},
		},
	}
	forEachDialect(t, func(t *testing.T, d dialect) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				rawURL := d.newURL(t)
				dir := writeDir(t, fileA, fileB, fileC)
				_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
				assert.NilError(t, err)
				tc.change(t, dir)
				res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
				for _, w := range tc.wantErr {
					assert.ErrorContains(t, err, w)
				}
				assertNoSecret(t, err)
				assert.Equal(t, len(res.Applied), 0)
				// Status reports the same problem without failing.
				st, err := migration.Status(ctx, rawURL, dir)
				assert.NilError(t, err)
				assert.Assert(t, is.Len(st.Problems, 1))
				assert.Check(t, is.Contains(st.Problems[0], tc.wantErr[len(tc.wantErr)-1]))
			})
		}
	})
}

func TestOutOfOrderAllowed(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		rawURL := d.newURL(t)
		dir := writeDir(t, fileA, fileC)
		_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		addFiles(t, dir, fileB)

		_, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, "file "+fileB.name+" is older than version 20250101000003")

		res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{AllowOutOfOrder: true})
		assert.NilError(t, err)
		assert.DeepEqual(t, appliedNames(res), []string{fileB.name})

		// The later file's recorded hash predates fileB: the history still validates.
		res, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.NilError(t, err)
		assert.Equal(t, len(res.Applied), 0)
		st, err := migration.Status(ctx, rawURL, dir)
		assert.NilError(t, err)
		assert.Check(t, is.Len(st.Problems, 0))
		assert.Check(t, is.Len(st.Applied, 3))

		// An edit of the out-of-order file is still caught.
		addFiles(t, dir, mfile{fileB.name, fileB.body + "-- edited\nSELECT 1;\n"})
		_, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, "applied file ")
		assert.ErrorContains(t, err, fileB.name)
	})
}

func TestBaseline(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		rawURL := d.newURL(t)
		dir := writeDir(t, fileA, fileB, fileC)
		// The database already has fileA's schema, created without Kernia.
		db := openDB(t, rawURL)
		_, err := db.Exec("CREATE TABLE a (id integer PRIMARY KEY, name text NOT NULL)")
		assert.NilError(t, err)

		_, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, "is not empty (tables a) but has no migration history")
		assert.ErrorContains(t, err, "--baseline VERSION")
		assertNoSecret(t, err)

		_, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{Baseline: "20240101000000"})
		assert.ErrorContains(t, err, "baseline version 20240101000000 matches no file")

		var out bytes.Buffer
		res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{Baseline: "20250101000001", Out: &out})
		assert.NilError(t, err)
		assert.Equal(t, res.Baseline, "20250101000001")
		assert.DeepEqual(t, appliedNames(res), []string{fileB.name, fileC.name})
		assert.Check(t, is.Contains(out.String(), "baseline: recorded version 20250101000001"))
		revs := revisions(t, db)
		assert.Equal(t, len(revs), 3)
		assert.Check(t, is.Equal(revs[0].version, "20250101000001"))
		assert.Check(t, is.Equal(revs[0].typ, int64(1)))
		assert.Check(t, is.Equal(revs[1].typ, int64(2)))

		// The same baseline again (an idempotent pipeline) is ignored; a newer one is refused.
		res, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{Baseline: "20250101000001"})
		assert.NilError(t, err)
		assert.Equal(t, len(res.Applied), 0)
		_, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{Baseline: "20250101000009"})
		assert.ErrorContains(t, err, "already has a migration history")

		st, err := migration.Status(ctx, rawURL, dir)
		assert.NilError(t, err)
		assert.Equal(t, st.Applied[0].Type, "baseline")
		assert.Equal(t, st.Applied[1].Type, "applied")
		assert.Equal(t, st.Current, "20250101000003")
		assert.Check(t, is.Len(st.Problems, 0))
	})
}

func TestDryRunChangesNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		rawURL := d.newURL(t)
		dir := writeDir(t, fileA, fileB)

		var out bytes.Buffer
		res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{DryRun: true, Out: &out})
		assert.NilError(t, err)
		assert.Check(t, res.DryRun)
		assert.Equal(t, len(res.Applied), 0)
		assert.Equal(t, len(res.Pending), 2)
		assert.Check(t, is.Contains(out.String(), "CREATE TABLE a (id integer PRIMARY KEY, name text NOT NULL);"))
		assert.Check(t, is.Contains(out.String(), "-- "+fileB.name+" (1 statement)"))
		if d.name == "sqlite" {
			_, err := os.Stat(strings.TrimPrefix(rawURL, "sqlite://"))
			assert.Check(t, os.IsNotExist(err), "a dry run does not create the SQLite file")
		}
		db := openDB(t, rawURL)
		assert.Check(t, !tableExists(t, db, d, "a"))
		assert.Check(t, !tableExists(t, db, d, "atlas_schema_revisions"), "a dry run creates no revisions table")

		// With history: only the pending file is printed, and nothing changes.
		_, err = migration.Apply(ctx, rawURL, writeDir(t, fileA), migration.ApplyOptions{})
		assert.NilError(t, err)
		out.Reset()
		res, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{DryRun: true, Out: &out})
		assert.NilError(t, err)
		assert.DeepEqual(t, len(res.Pending), 1)
		assert.Check(t, !strings.Contains(out.String(), "CREATE TABLE a "))
		assert.Check(t, is.Contains(out.String(), "CREATE TABLE b "))
		assert.Check(t, !tableExists(t, db, d, "b"))
		assert.Equal(t, len(revisions(t, db)), 1)
	})
}

func TestStatusOfFreshDatabase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d dialect) {
		rawURL := d.newURL(t)
		dir := writeDir(t, fileA, fileB)
		st, err := migration.Status(context.Background(), rawURL, dir)
		assert.NilError(t, err)
		assert.Equal(t, st.Current, "")
		assert.Equal(t, st.Dialect, d.name)
		assert.Check(t, !strings.Contains(st.Database, secret))
		assert.DeepEqual(t, names(st.Pending), []string{fileA.name, fileB.name})
		assert.Equal(t, st.Pending[0].Statements, 2)
		assert.Check(t, is.Len(st.Applied, 0))
		assert.Check(t, st.LastFailure == nil)
		if d.name == "sqlite" {
			_, err := os.Stat(strings.TrimPrefix(rawURL, "sqlite://"))
			assert.Check(t, os.IsNotExist(err), "status does not create the SQLite file")
		}
	})
}

func TestEmptyDirectory(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d dialect) {
		var out bytes.Buffer
		res, err := migration.Apply(context.Background(), d.newURL(t), writeDir(t), migration.ApplyOptions{Out: &out})
		assert.NilError(t, err)
		assert.Equal(t, len(res.Applied), 0)
		assert.Check(t, is.Contains(out.String(), "nothing to apply"))
	})
}

func TestFailedFileRemovedClearsItsRecord(t *testing.T) {
	broken := mfile{"20250101000002_broken.sql", "INSERT INTO missing_table (id) VALUES (1);\n"}
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		rawURL := d.newURL(t)
		dir := writeDir(t, fileA, broken)
		_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
		assert.ErrorContains(t, err, broken.name)

		assert.NilError(t, os.Remove(filepath.Join(dir, broken.name)))
		rehash(t, dir)
		var out bytes.Buffer
		_, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{Out: &out})
		assert.NilError(t, err)
		assert.Check(t, is.Contains(out.String(), "removing the record of the failed attempt of version 20250101000002"))
		assert.Equal(t, len(revisions(t, openDB(t, rawURL))), 1)
		st, err := migration.Status(ctx, rawURL, dir)
		assert.NilError(t, err)
		assert.Check(t, st.LastFailure == nil)
	})
}

func TestStatusJSON(t *testing.T) {
	rawURL := dialects[0].newURL(t)
	dir := writeDir(t, fileA, fileB)
	_, err := migration.Apply(context.Background(), rawURL, writeDir(t, fileA), migration.ApplyOptions{})
	assert.NilError(t, err)
	st, err := migration.Status(context.Background(), rawURL, dir)
	assert.NilError(t, err)
	b, err := json.Marshal(st)
	assert.NilError(t, err)
	var m map[string]any
	assert.NilError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"database", "dialect", "dir", "current_version", "applied", "pending"} {
		assert.Check(t, m[k] != nil, k)
	}
	applied := m["applied"].([]any)[0].(map[string]any)
	assert.Equal(t, applied["version"], "20250101000001")
	assert.Equal(t, applied["type"], "applied")
	assert.Check(t, applied["applied_at"] != nil)
	assert.Equal(t, m["pending"].([]any)[0].(map[string]any)["name"], fileB.name)
}
