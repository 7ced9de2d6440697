package diff

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/pgtest"
)

// statesGrown is online3Tables(true) with users.nickname, an optional column.
func statesGrown() []*entschema.Table {
	tables := online3Tables(true)
	for _, t := range tables {
		if t.Name == "users" {
			t.AddColumn(&entschema.Column{Name: "nickname", Type: field.TypeString, Nullable: true})
		}
	}
	return tables
}

// statesBio is statesRenamed with users.bio2, an optional column.
func statesBio() []*entschema.Table {
	tables := statesRenamed()
	for _, t := range tables {
		if t.Name == "users" {
			t.AddColumn(&entschema.Column{Name: "bio2", Type: field.TypeString, Nullable: true})
		}
	}
	return tables
}

// statesRenamed is statesGrown after renaming orgs to organizations and users.email to
// users.email_address, with one more optional column.
func statesRenamed() []*entschema.Table {
	tables := statesGrown()
	for _, t := range tables {
		switch t.Name {
		case "orgs":
			t.Name = "organizations"
		case "users":
			for _, c := range t.Columns {
				if c.Name == "email" {
					c.Name = "email_address"
				}
			}
			t.AddColumn(&entschema.Column{Name: "bio", Type: field.TypeString, Nullable: true})
		}
	}
	return tables
}

// TestStates_SplitEqualsEntSequential builds a PostgreSQL directory step by step (new tables and
// a hand-written function with a dollar-quoted body; a column and a hand-written concurrent
// index build without txmode directive; columns, foreign keys and indexes on existing tables,
// which take a transactional file and a `-- atlas:txmode none` file of online DDL; renames;
// a VACUUM file, which cannot run in a transaction, so that the last step falls back to Ent's
// differ) and checks at every step that the states Diff computes are the states Ent's
// sequential differ computes on the same dev database: each pair has no difference, and the
// changes from current to desired are the same statements.
func TestStates_SplitEqualsEntSequential(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "postgres")
	dev, err := OpenDev(ctx, kernia.Postgres, pgtest.NewDatabase(t), "")
	assert.NilError(t, err)
	defer dev.Close()
	at := func(s string) func() time.Time {
		return func() time.Time { v, _ := time.Parse(VersionFormat, s); return v }
	}
	withNickname := func() []*entschema.Table {
		tables := online3Tables(false)
		tables[1].AddColumn(&entschema.Column{Name: "nickname", Type: field.TypeString, Nullable: true})
		return tables
	}
	steps := []struct {
		name      string
		tables    func() []*entschema.Table
		renames   Renames
		after     string // a hand-written file to add after the step
		outsideTx bool   // the directory replayed at this step needs a statement outside a transaction
		online    bool   // the step's migration takes a txmode none file
	}{
		{name: "empty directory, new tables", tables: func() []*entschema.Table { return online3Tables(false) },
			after: "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := lower(NEW.name); RETURN NEW; END; $$; -- a comment\nCREATE TRIGGER orgs_touch BEFORE INSERT ON orgs FOR EACH ROW EXECUTE FUNCTION touch();\n"},
		{name: "a column", tables: withNickname, after: "CREATE INDEX CONCURRENTLY users_email_lower ON users (lower(email));\n"},
		{name: "online DDL after a concurrent build without txmode directive", tables: statesGrown, online: true},
		{name: "renames after a txmode none file", tables: statesRenamed,
			renames: Renames{Tables: map[string]string{"orgs": "organizations"}, Columns: map[string]map[string]string{"users": {"email": "email_address"}}}},
		{name: "nothing left", tables: statesRenamed, after: TxModeNone + "\n\nVACUUM users;\n"},
		{name: "a column after a statement that runs outside transactions only", tables: statesBio, outsideTx: true},
	}
	for i, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			opts := Options{Dev: dev, Dir: dir, Tables: step.tables(), Name: "kernia", Now: at(fmt.Sprintf("202601020304%02d", 10*i)), Renames: step.renames}
			ld, files, err := readDir(dir)
			assert.NilError(t, err)
			_, err = replayCurrent(ctx, dev, ld)
			if step.outsideTx {
				assert.ErrorContains(t, err, "cannot run inside a transaction block")
			} else {
				assert.NilError(t, err)
			}

			splitCur, splitDes, err := states(ctx, opts, ld)
			assert.NilError(t, err)
			seqCur, seqDes, err := sequentialStates(ctx, opts, ld)
			assert.NilError(t, err)
			assert.Equal(t, splitCur.Name, seqCur.Name)
			assert.Equal(t, splitDes.Name, seqDes.Name)
			assert.DeepEqual(t, splitDes.Attrs, seqDes.Attrs)
			assert.Equal(t, len(splitCur.Tables), len(seqCur.Tables))
			assert.Equal(t, len(splitDes.Tables), len(seqDes.Tables))
			assert.Equal(t, len(splitDes.Tables), len(opts.Tables))
			assert.Equal(t, statesPlan(t, dev, splitCur, seqCur), "", "current states differ")
			assert.Equal(t, statesPlan(t, dev, seqCur, splitCur), "", "current states differ")
			assert.Equal(t, statesPlan(t, dev, splitDes, seqDes), "", "desired states differ")
			assert.Equal(t, statesPlan(t, dev, seqDes, splitDes), "", "desired states differ")
			want := statesPlan(t, dev, seqCur, seqDes)
			assert.Equal(t, statesPlan(t, dev, splitCur, splitDes), want)
			assertDevClean(t, dev.DB)

			res, err := Diff(ctx, opts)
			assert.NilError(t, err)
			assert.Equal(t, len(res.Files) == 0, want == "", "%s", want)
			online := false
			for _, f := range res.Files {
				online = online || strings.HasPrefix(string(f.SQL), TxModeNone)
			}
			assert.Equal(t, online, step.online)
			assert.NilError(t, os.MkdirAll(dir, 0o755))
			all := []migrate.File{}
			for _, f := range files {
				all = append(all, f)
			}
			for _, f := range res.Files {
				assert.NilError(t, os.WriteFile(filepath.Join(dir, f.Name), f.SQL, 0o644))
				all = append(all, migrate.NewLocalFile(f.Name, f.SQL))
			}
			if step.after != "" {
				name := fmt.Sprintf("202601020304%02d_hand_written.sql", 10*i+5)
				assert.NilError(t, os.WriteFile(filepath.Join(dir, name), []byte(step.after), 0o644))
				all = append(all, migrate.NewLocalFile(name, []byte(step.after)))
			}
			if len(res.Files) > 0 || step.after != "" {
				sum, err := migrate.NewHashFile(all)
				assert.NilError(t, err)
				b, err := sum.MarshalText()
				assert.NilError(t, err)
				assert.NilError(t, os.WriteFile(filepath.Join(dir, migrate.HashFileName), b, 0o644))
			}
			assertDevClean(t, dev.DB)
		})
	}
}

// statesPlan returns the statements that move from to to, one per line.
func statesPlan(t *testing.T, dev *DevDB, from, to *atlas.Schema) string {
	t.Helper()
	drv, err := postgres.Open(dev.DB)
	assert.NilError(t, err)
	changes, err := drv.SchemaDiff(from, to)
	assert.NilError(t, err)
	plan, err := drv.PlanChanges(context.Background(), "states", changes, func(o *migrate.PlanOptions) {
		noQualifier := ""
		o.SchemaQualifier = &noQualifier
	})
	assert.NilError(t, err)
	var out []string
	for _, c := range plan.Changes {
		out = append(out, c.Cmd)
	}
	return strings.Join(out, "\n")
}

// assertDevClean checks that the dev database holds no relation outside PostgreSQL's schemas and
// exactly the public schema, as created.
func assertDevClean(t *testing.T, db *sql.DB) {
	t.Helper()
	assert.DeepEqual(t, devObjects(t, db), []string{"schema public"})
}

// devObjects lists the dev database's schemas and relations outside PostgreSQL's own schemas.
func devObjects(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT 'schema ' || nspname FROM pg_namespace
			WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
		UNION ALL
		SELECT 'relation ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
		ORDER BY 1`)
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

// TestStates_PlainIndexDDL: only the CONCURRENTLY of an index build or drop is removed.
func TestStates_PlainIndexDDL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`CREATE INDEX CONCURRENTLY "a" ON "t" ("c")`, `CREATE INDEX "a" ON "t" ("c")`},
		{`CREATE UNIQUE INDEX CONCURRENTLY "a" ON "t" ("c")`, `CREATE UNIQUE INDEX "a" ON "t" ("c")`},
		{"create unique index\n  concurrently if not exists a on t (c)", "create unique index if not exists a on t (c)"},
		{`CREATE INDEX concurrently ON t (c)`, `CREATE INDEX ON t (c)`},
		{`DROP INDEX CONCURRENTLY "a"`, `DROP INDEX "a"`},
		{`DROP INDEX CONCURRENTLY IF EXISTS "a"`, `DROP INDEX IF EXISTS "a"`},
		{`CREATE INDEX concurrently_built ON t (c)`, `CREATE INDEX concurrently_built ON t (c)`},
		{`CREATE INDEX "CONCURRENTLY" ON t (c)`, `CREATE INDEX "CONCURRENTLY" ON t (c)`},
		{`REINDEX INDEX CONCURRENTLY a`, `REINDEX INDEX CONCURRENTLY a`},
		{`ALTER TABLE "t" ADD CONSTRAINT "u" UNIQUE USING INDEX "a"`, `ALTER TABLE "t" ADD CONSTRAINT "u" UNIQUE USING INDEX "a"`},
		{`ALTER TABLE "t" VALIDATE CONSTRAINT "f"`, `ALTER TABLE "t" VALIDATE CONSTRAINT "f"`},
	} {
		t.Run(c.in, func(t *testing.T) { assert.Equal(t, concurrently.ReplaceAllString(c.in, "$1"), c.want) })
	}
}

// TestStates_FailureLeavesNothing makes each half fail, and cancels a replay midway, on a dev
// database given by URL and on a temporary one, and checks that nothing Kernia created is
// left: the dev database holds only its public schema, and no temporary database remains.
func TestStates_FailureLeavesNothing(t *testing.T) {
	server := pgtest.Server(t)
	good := "CREATE TABLE users (id bigint NOT NULL, PRIMARY KEY (id));\n"
	cases := []struct {
		name      string
		files     map[string]string
		tables    []*entschema.Table
		cancel    bool
		outsideTx bool // the replay needs a statement outside a transaction: Ent's differ replays
		want      string
	}{
		{name: "current half: a file fails", files: map[string]string{"1_a.sql": good, "2_b.sql": "CREATE TABLE orgs (id bigint REFERENCES nowhere (id));\n"},
			tables: online3Tables(false), want: `relation "nowhere" does not exist`},
		{name: "desired half: a table fails", files: map[string]string{"1_a.sql": good},
			tables: []*entschema.Table{entschema.NewTable("users").AddPrimary(&entschema.Column{Name: "id", Type: field.TypeInt64, SchemaType: map[string]string{"postgres": "no_such_type"}})},
			want:   `type "no_such_type" does not exist`},
		{name: "cancelled during the replay", files: map[string]string{"1_a.sql": good, "2_b.sql": "SELECT pg_sleep(30);\n"},
			tables: online3Tables(false), cancel: true, want: "cancel"},
		{name: "cancelled during a replay outside a transaction", files: map[string]string{"1_a.sql": good, "2_b.sql": TxModeNone + "\n\nVACUUM users;\nSELECT pg_sleep(30);\n"},
			tables: online3Tables(false), cancel: true, outsideTx: true, want: "cancel"},
		{name: "current half: a file fails outside a transaction", files: map[string]string{"1_a.sql": good, "2_b.sql": TxModeNone + "\n\nVACUUM users;\nCREATE INDEX CONCURRENTLY a ON nowhere (id);\n"},
			tables: online3Tables(false), outsideTx: true, want: `relation "nowhere" does not exist`},
	}
	for _, c := range cases {
		for _, mode := range []string{"KERNIA_DEV_URL", "temporary database"} {
			t.Run(c.name+", "+mode, func(t *testing.T) {
				dir := t.TempDir()
				var all []migrate.File
				for _, name := range []string{"1_a.sql", "2_b.sql"} {
					if body, ok := c.files[name]; ok {
						assert.NilError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
						all = append(all, migrate.NewLocalFile(name, []byte(body)))
					}
				}
				sum, err := migrate.NewHashFile(all)
				assert.NilError(t, err)
				b, err := sum.MarshalText()
				assert.NilError(t, err)
				assert.NilError(t, os.WriteFile(filepath.Join(dir, migrate.HashFileName), b, 0o644))

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				devURL, target := pgtest.NewDatabase(t), ""
				if mode != "KERNIA_DEV_URL" {
					devURL, target = "", pgtest.NewDatabase(t)
				}
				before := tempDatabases(t, server)
				dev, err := OpenDev(ctx, kernia.Postgres, devURL, target)
				assert.NilError(t, err)
				assert.Equal(t, len(tempDatabases(t, server)), len(before)+btoi(devURL == ""))
				if c.cancel {
					go func() {
						// Cancel once the replay sleeps.
						for ctx.Err() == nil {
							var n int
							_ = server.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%SELECT pg_sleep(30)%' AND pid <> pg_backend_pid()`).Scan(&n)
							if n > 0 {
								cancel()
								return
							}
							time.Sleep(20 * time.Millisecond)
						}
					}()
				}
				_, err = Diff(ctx, Options{Dev: dev, Dir: dir, Tables: c.tables, Name: "kernia"})
				assert.ErrorContains(t, err, c.want)
				if devURL != "" && !c.outsideTx {
					waitIdle(t, server, dev.DB)
					// The transactions left nothing, even before Close's own clean-up.
					assertDevClean(t, dev.DB)
				}
				assert.NilError(t, dev.Close())
				assert.DeepEqual(t, tempDatabases(t, server), before)
				if devURL != "" {
					db, err := sql.Open("pgx", devURL)
					assert.NilError(t, err)
					defer db.Close()
					assertDevClean(t, db)
				}
			})
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tempDatabases lists the temporary dev databases this process created.
func tempDatabases(t *testing.T, server *sql.DB) []string {
	t.Helper()
	rows, err := server.Query(`SELECT datname FROM pg_database WHERE datname LIKE 'kernia\_dev\_%\_' || $1 || '\_' || $2 || '\_%' ORDER BY 1`, hostTag(), fmt.Sprint(os.Getpid()))
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

// waitIdle waits until no session of db's database runs a statement or holds a transaction
// open (a cancelled statement's rollback may still be on its way), at most 30 seconds.
func waitIdle(t *testing.T, server, db *sql.DB) {
	t.Helper()
	var name string
	assert.NilError(t, db.QueryRow(`SELECT current_database()`).Scan(&name))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var n int
		assert.NilError(t, server.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle'`, name).Scan(&n))
		if n == 0 {
			return
		}
	}
	t.Fatalf("sessions of %s still busy after 30 s", name)
}

// TestStates_DogfoodSplitEqualsEntSequential compares the split states with Ent's sequential
// ones on the repository's own PostgreSQL directory and the dogfood tables plus one column, and
// checks that Diff plans exactly that column.
func TestStates_DogfoodSplitEqualsEntSequential(t *testing.T) {
	ctx := context.Background()
	dev, err := OpenDev(ctx, kernia.Postgres, pgtest.NewDatabase(t), "")
	assert.NilError(t, err)
	defer dev.Close()
	dir, files, err := readDir(dogfoodDir)
	assert.NilError(t, err)
	online := 0
	for _, f := range files {
		if strings.HasPrefix(string(f.Bytes()), TxModeNone) {
			online++
		}
	}
	t.Logf("%d files, %d of them txmode none", len(files), online)
	opts := Options{Dev: dev, Dir: dogfoodDir, Tables: dogfoodTables(t), Name: "kernia"}
	_, err = replayCurrent(ctx, dev, dir)
	assert.NilError(t, err, "the dogfood directory replays inside a transaction")
	splitCur, splitDes, err := states(ctx, opts, dir)
	assert.NilError(t, err)
	seqCur, seqDes, err := sequentialStates(ctx, opts, dir)
	assert.NilError(t, err)
	assert.Equal(t, statesPlan(t, dev, splitCur, seqCur), "")
	assert.Equal(t, statesPlan(t, dev, seqCur, splitCur), "")
	assert.Equal(t, statesPlan(t, dev, splitDes, seqDes), "")
	assert.Equal(t, statesPlan(t, dev, seqDes, splitDes), "")
	assert.Equal(t, statesPlan(t, dev, splitCur, splitDes), statesPlan(t, dev, seqCur, seqDes))
	assert.Equal(t, statesPlan(t, dev, splitCur, splitDes), `ALTER TABLE "users" ADD COLUMN "nickname_bench" character varying NULL`)
	assertDevClean(t, dev.DB)
}
