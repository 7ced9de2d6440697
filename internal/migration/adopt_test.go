package migration_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	atlas "ariga.io/atlas/sql/schema"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
)

// TestAdopt: Adopt records the directory's last version as the baseline row Atlas's `migrate
// apply --baseline` writes, after the check's statements, all in one transaction; a refused
// check, a failing statement, a check that still differs afterwards, a held migration lock and
// a database with history each leave the database exactly as it was.
func TestAdopt(t *testing.T) {
	const closeStmt = "CREATE INDEX a_name ON a (name)"
	// fixed is a check that wants the index until it exists.
	fixed := func(ctx context.Context, q atlas.ExecQuerier) ([]string, error) {
		rows, err := q.QueryContext(ctx, "SELECT 1 FROM a WHERE 1 = 0")
		if err != nil {
			return nil, err
		}
		rows.Close()
		var n int
		query := `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'a_name'`
		if _, ok := q.(*sql.Tx); ok {
			query = `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'a_name'`
		}
		if err := queryRow(ctx, q, query, &n); err != nil {
			return nil, err
		}
		if n == 0 {
			return []string{closeStmt}, nil
		}
		return nil, nil
	}
	forEachDialect(t, func(t *testing.T, d dialect) {
		ctx := context.Background()
		for _, c := range []struct {
			name  string
			check migration.AdoptCheck
			hold  bool // another run holds the migration lock
			want  string
		}{
			{name: "refused", check: func(context.Context, atlas.ExecQuerier) ([]string, error) {
				return nil, errors.New("adopt: a.x: missing column")
			}, want: "a.x: missing column"},
			{name: "failing statement", check: func(context.Context, atlas.ExecQuerier) ([]string, error) {
				return []string{closeStmt, "CREATE INDEX nope ON missing (id)"}, nil
			}, want: "statement 2 of 2 (CREATE INDEX nope ON missing (id)) failed"},
			{name: "still differs", check: func(context.Context, atlas.ExecQuerier) ([]string, error) { return []string{"SELECT 1"}, nil }, want: "still differs"},
			{name: "locked", check: fixed, hold: true, want: "locked by another migrat"},
		} {
			t.Run(c.name, func(t *testing.T) {
				rawURL := d.newURL(t)
				db := openDB(t, rawURL)
				_, err := db.Exec("CREATE TABLE a (id integer PRIMARY KEY, name text NOT NULL)")
				assert.NilError(t, err)
				if c.hold {
					release := holdLock(t, d, db)
					defer release()
				}
				_, err = migration.Adopt(ctx, rawURL, writeDir(t, fileA), migration.AdoptOptions{Check: c.check, LockTimeout: 200 * time.Millisecond})
				assert.ErrorContains(t, err, c.want)
				if c.hold && d.name == "postgres" {
					assert.ErrorContains(t, err, "is locked by another migration run")
				}
				assertNoSecret(t, err)
				assert.Check(t, !tableExists(t, db, d, "atlas_schema_revisions"), "a refused adoption created the revisions table")
				assert.Check(t, !indexExists(t, db, d, "a_name"), "a refused adoption kept its statements")
			})
		}

		t.Run("adopted", func(t *testing.T) {
			rawURL := d.newURL(t)
			db := openDB(t, rawURL)
			_, err := db.Exec("CREATE TABLE a (id integer PRIMARY KEY, name text NOT NULL)")
			assert.NilError(t, err)
			dir := writeDir(t, fileA, fileB)
			_, err = db.Exec("CREATE TABLE b (id integer PRIMARY KEY, a_id integer NOT NULL REFERENCES a (id) ON DELETE CASCADE)")
			assert.NilError(t, err)

			dry, err := migration.Adopt(ctx, rawURL, dir, migration.AdoptOptions{Check: fixed, DryRun: true})
			assert.NilError(t, err)
			assert.DeepEqual(t, dry.Statements, []string{closeStmt})
			assert.Check(t, !dry.Recorded)
			assert.Check(t, !tableExists(t, db, d, "atlas_schema_revisions"), "a dry run created the revisions table")
			assert.Check(t, !indexExists(t, db, d, "a_name"), "a dry run ran its statements")

			res, err := migration.Adopt(ctx, rawURL, dir, migration.AdoptOptions{Check: fixed})
			assert.NilError(t, err)
			assert.Check(t, res.Recorded)
			assert.DeepEqual(t, res.Statements, []string{closeStmt})
			assert.Equal(t, res.Baseline, "20250101000002")
			assert.Check(t, indexExists(t, db, d, "a_name"))
			// The row `atlas migrate apply --baseline 20250101000002` writes (sql/migrate's
			// Executor: Version, Description, Type baseline, then ExecutedAt and
			// OperatorVersion; every other column its zero value).
			revs := revisions(t, db)
			assert.Equal(t, len(revs), 1)
			assert.Equal(t, revs[0], revision{version: "20250101000002", description: "create_b", typ: 1, hash: "",
				operator: migration.OperatorVersion(), executedAtNotNull: true})

			st, err := migration.Status(ctx, rawURL, dir)
			assert.NilError(t, err)
			assert.Check(t, is.Len(st.Pending, 0))
			assert.Check(t, is.Len(st.Problems, 0))
			assert.Equal(t, st.Current, "20250101000002")
			assert.Equal(t, st.Applied[0].Type, "baseline")

			_, err = migration.Adopt(ctx, rawURL, dir, migration.AdoptOptions{Check: fixed})
			assert.ErrorContains(t, err, "already has a migration history in atlas_schema_revisions (1 revision, at version 20250101000002), so there is nothing to adopt")
			assert.Equal(t, len(revisions(t, db)), 1)

			// From now on migrate applies only later files.
			addFiles(t, dir, fileC)
			ap, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
			assert.NilError(t, err)
			assert.DeepEqual(t, appliedNames(ap), []string{fileC.name})
		})
	})
}

func queryRow(ctx context.Context, q atlas.ExecQuerier, query string, dest any) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest); err != nil {
		return err
	}
	return rows.Err()
}

func indexExists(t *testing.T, db *sql.DB, d dialect, name string) bool {
	t.Helper()
	var n int
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`
	if d.name == "postgres" {
		q = `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`
	}
	assert.NilError(t, db.QueryRow(q, name).Scan(&n))
	return n > 0
}
