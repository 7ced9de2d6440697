package e2e_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"ariga.io/atlas/sql/migrate"
	_ "github.com/jackc/pgx/v5/stdlib"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/icmd"

	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
)

// TestAtlasDefaultRevisionsSchemaCommand: on a PostgreSQL database whose history the Atlas CLI
// keeps in its default schema (atlas_schema_revisions.atlas_schema_revisions), `kernia status`
// reads it and says where it lives, and `kernia migrate` applies the next file and records it
// there, creating no second history in the connected schema. (The rows Atlas's Executor writes
// are built by Atlas itself in internal/migration's TestAtlasDefaultRevisionsSchema; here the
// row is the one it writes for a file applied whole.)
func TestAtlasDefaultRevisionsSchemaCommand(t *testing.T) {
	target := pgtest.NewDatabase(t)
	dir := moduletest.New(t, "example.com/shop", map[string]string{"auth/auth.go": authGo})
	mig := filepath.Join(dir, "db", "migrations")
	assert.NilError(t, os.MkdirAll(mig, 0o755))
	ld, err := migrate.NewLocalDir(mig)
	assert.NilError(t, err)
	const first = "CREATE TABLE orders (id integer PRIMARY KEY);\n"
	assert.NilError(t, ld.WriteFile("20250101000001_orders.sql", []byte(first)))
	sum, err := ld.Checksum()
	assert.NilError(t, err)
	assert.NilError(t, migrate.WriteSumFile(ld, sum))
	hash, err := sum.SumByName("20250101000001_orders.sql")
	assert.NilError(t, err)

	db, err := sql.Open("pgx", target)
	assert.NilError(t, err)
	defer db.Close()
	for _, q := range []string{
		`CREATE SCHEMA "atlas_schema_revisions"`,
		`CREATE TABLE "atlas_schema_revisions"."atlas_schema_revisions" ("version" character varying NOT NULL, "description" character varying NOT NULL, "type" bigint NOT NULL DEFAULT 2, "applied" bigint NOT NULL DEFAULT 0, "total" bigint NOT NULL DEFAULT 0, "executed_at" timestamptz NOT NULL, "execution_time" bigint NOT NULL, "error" text NULL, "error_stmt" text NULL, "hash" character varying NOT NULL, "partial_hashes" jsonb NULL, "operator_version" character varying NOT NULL, PRIMARY KEY ("version"))`,
		first,
	} {
		_, err := db.Exec(q)
		assert.NilError(t, err)
	}
	_, err = db.Exec(`INSERT INTO "atlas_schema_revisions"."atlas_schema_revisions" VALUES ('20250101000001', 'orders', 2, 1, 1, now(), 1000, '', '', $1, 'null', 'Atlas CLI v1.2.3')`, hash)
	assert.NilError(t, err)

	env := userEnv("KERNIA_DATABASE_URL=" + target)
	res := kerniaAt(dir, env, "status", "--dir", "db/migrations")
	res.Assert(t, icmd.Success)
	assert.Check(t, is.Contains(res.Stdout(), "history:   atlas_schema_revisions.atlas_schema_revisions"))
	assert.Check(t, is.Contains(res.Stdout(), "current:   20250101000001"))

	assert.NilError(t, ld.WriteFile("20250101000002_lines.sql", []byte("CREATE TABLE lines (id integer PRIMARY KEY, order_id integer REFERENCES orders (id));\n")))
	sum, err = ld.Checksum()
	assert.NilError(t, err)
	assert.NilError(t, migrate.WriteSumFile(ld, sum))
	res = kerniaAt(dir, env, "migrate", "--dir", "db/migrations")
	res.Assert(t, icmd.Success)
	var n int
	assert.NilError(t, db.QueryRow(`SELECT count(*) FROM "atlas_schema_revisions"."atlas_schema_revisions" WHERE version = '20250101000002'`).Scan(&n))
	assert.Equal(t, n, 1)
	assert.NilError(t, db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'atlas_schema_revisions'`).Scan(&n))
	assert.Equal(t, n, 0)
}
