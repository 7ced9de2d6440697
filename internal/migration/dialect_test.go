package migration_test

import (
	"context"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
)

var parentChild = mfile{"20250101000001_parent_child.sql", "CREATE TABLE parent (id integer PRIMARY KEY);\n" +
	"CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent (id) ON DELETE CASCADE);\n" +
	"INSERT INTO parent (id) VALUES (1);\nINSERT INTO child (id, parent_id) VALUES (1, 1);\n"}

// Atlas rebuilds a SQLite table to change it: with foreign keys on, dropping the old parent
// would cascade to its children.
func TestSQLiteTableRebuildKeepsChildren(t *testing.T) {
	rebuild := mfile{"20250101000002_rebuild_parent.sql", "-- Disable the enforcement of foreign-keys constraints\nPRAGMA foreign_keys = off;\n" +
		"CREATE TABLE `new_parent` (`id` integer NOT NULL, `name` text NOT NULL DEFAULT '', PRIMARY KEY (`id`));\n" +
		"INSERT INTO `new_parent` (`id`) SELECT `id` FROM `parent`;\n" +
		"DROP TABLE `parent`;\n" +
		"ALTER TABLE `new_parent` RENAME TO `parent`;\n" +
		"-- Enable back the enforcement of foreign-keys constraints\nPRAGMA foreign_keys = on;\n"}
	d := dialects[0]
	rawURL := d.newURL(t)
	_, err := migration.Apply(context.Background(), rawURL, writeDir(t, parentChild, rebuild), migration.ApplyOptions{})
	assert.NilError(t, err)
	db := openDB(t, rawURL)
	var n int
	assert.NilError(t, db.QueryRow("SELECT count(*) FROM child").Scan(&n))
	assert.Equal(t, n, 1)
	assert.NilError(t, db.QueryRow("SELECT count(*) FROM parent WHERE name = ''").Scan(&n))
	assert.Equal(t, n, 1)
}

func TestSQLiteForeignKeyViolationFailsTheFile(t *testing.T) {
	orphan := mfile{"20250101000002_orphan.sql", "CREATE TABLE other (id integer);\nINSERT INTO child (id, parent_id) VALUES (2, 99);\n"}
	d := dialects[0]
	ctx := context.Background()
	rawURL := d.newURL(t)
	dir := writeDir(t, parentChild, orphan)
	res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
	assert.ErrorContains(t, err, orphan.name+" leaves 1 foreign-key violation (child rowid 2 references a missing row of parent)")
	assert.ErrorContains(t, err, "rolled back")
	assert.DeepEqual(t, appliedNames(res), []string{parentChild.name})
	db := openDB(t, rawURL)
	assert.Check(t, !tableExists(t, db, d, "other"))
	var n int
	assert.NilError(t, db.QueryRow("SELECT count(*) FROM child").Scan(&n))
	assert.Equal(t, n, 1)
	st, err := migration.Status(ctx, rawURL, dir)
	assert.NilError(t, err)
	assert.Assert(t, st.LastFailure != nil)
	assert.Equal(t, st.LastFailure.Statement, "PRAGMA foreign_key_check")
}

func TestPostgresTxModeNone(t *testing.T) {
	d := dialects[1]
	ctx := context.Background()
	rawURL := d.newURL(t)
	concurrently := mfile{"20250101000002_concurrently.sql", "-- atlas:txmode none\n\nCREATE TABLE e (id integer);\nCREATE INDEX CONCURRENTLY e_id ON e (id);\n"}
	dir := writeDir(t, fileA, concurrently)
	_, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
	assert.NilError(t, err, "CREATE INDEX CONCURRENTLY runs outside a transaction")

	// A failure keeps the statements before it, and the next run resumes after them.
	partial := mfile{"20250101000003_partial.sql", "-- atlas:txmode none\n\nCREATE TABLE f (id integer);\nINSERT INTO missing_table VALUES (1);\nCREATE TABLE g (id integer);\n"}
	addFiles(t, dir, partial)
	_, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
	assert.ErrorContains(t, err, partial.name+" failed at statement 2 of 3")
	assert.ErrorContains(t, err, "first 1 of 3 statements stay applied")
	db := openDB(t, rawURL)
	assert.Check(t, tableExists(t, db, d, "f"))
	revs := revisions(t, db)
	assert.Equal(t, len(revs), 3)
	assert.Check(t, is.Equal(revs[2].applied, int64(1)))
	assert.Check(t, revs[2].partial.Valid, "Atlas's partial hashes are recorded")
	st, err := migration.Status(ctx, rawURL, dir)
	assert.NilError(t, err)
	assert.Assert(t, st.LastFailure != nil)
	assert.Equal(t, st.LastFailure.Applied, 1)

	// Changing an applied statement is refused.
	addFiles(t, dir, mfile{partial.name, "-- atlas:txmode none\n\nCREATE TABLE f (id bigint);\nINSERT INTO f VALUES (1);\nCREATE TABLE g (id integer);\n"})
	_, err = migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
	assert.ErrorContains(t, err, "statement 1 of "+partial.name+" changed after it was applied")

	// Fixing the failed statement resumes at it: CREATE TABLE f does not run twice.
	addFiles(t, dir, mfile{partial.name, "-- atlas:txmode none\n\nCREATE TABLE f (id integer);\nINSERT INTO f VALUES (1);\nCREATE TABLE g (id integer);\n"})
	res, err := migration.Apply(ctx, rawURL, dir, migration.ApplyOptions{})
	assert.NilError(t, err)
	assert.Equal(t, res.Applied[0].Statements, 2)
	assert.Check(t, tableExists(t, db, d, "g"))
	revs = revisions(t, db)
	assert.Check(t, is.Equal(revs[2].applied, int64(3)))
	assert.Check(t, !revs[2].partial.Valid && !revs[2].errText.Valid)
}

func TestPostgresDollarQuotedBodyIsOneStatement(t *testing.T) {
	d := dialects[1]
	rawURL := d.newURL(t)
	fn := mfile{"20250101000001_fn.sql", "CREATE FUNCTION one() RETURNS integer AS $$ SELECT 1; $$ LANGUAGE sql;\nCREATE TABLE h (id integer DEFAULT one());\n"}
	res, err := migration.Apply(context.Background(), rawURL, writeDir(t, fn), migration.ApplyOptions{})
	assert.NilError(t, err)
	assert.Equal(t, res.Applied[0].Statements, 2)
}
