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
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/pgtest"
)

// online3Users is how many users the online-DDL scenario inserts before the second diff.
const online3Users = 10000

// online3Tables is the scenario's schema: users and orgs, and with grown set, what enabling
// username and organizations adds to them: users.username (unique) and users.org_id (a foreign
// key to orgs), orgs.owner_username (a foreign key to the new unique users.username), and a
// new sessions table with its own index and a foreign key to users.
func online3Tables(grown bool) []*entschema.Table {
	users := entschema.NewTable("users").
		AddPrimary(&entschema.Column{Name: "id", Type: field.TypeInt64, Increment: true}).
		AddColumn(&entschema.Column{Name: "email", Type: field.TypeString, Unique: true})
	orgs := entschema.NewTable("orgs").
		AddPrimary(&entschema.Column{Name: "id", Type: field.TypeInt64, Increment: true}).
		AddColumn(&entschema.Column{Name: "name", Type: field.TypeString})
	if !grown {
		return []*entschema.Table{orgs, users}
	}
	username := &entschema.Column{Name: "username", Type: field.TypeString, Nullable: true, Unique: true}
	orgID := &entschema.Column{Name: "org_id", Type: field.TypeInt64, Nullable: true}
	users.AddColumn(username).AddColumn(orgID)
	users.AddForeignKey(&entschema.ForeignKey{Symbol: "users_orgs_members", Columns: []*entschema.Column{orgID},
		RefTable: orgs, RefColumns: []*entschema.Column{orgs.Columns[0]}, OnDelete: entschema.SetNull})
	owner := &entschema.Column{Name: "owner_username", Type: field.TypeString, Nullable: true}
	orgs.AddColumn(owner)
	orgs.AddForeignKey(&entschema.ForeignKey{Symbol: "orgs_users_owner", Columns: []*entschema.Column{owner},
		RefTable: users, RefColumns: []*entschema.Column{username}, OnDelete: entschema.SetNull})
	orgs.AddIndex("orgs_name", false, []string{"name"})
	sessions := entschema.NewTable("sessions").
		AddPrimary(&entschema.Column{Name: "id", Type: field.TypeInt64, Increment: true}).
		AddColumn(&entschema.Column{Name: "token", Type: field.TypeString, Unique: true}).
		AddColumn(&entschema.Column{Name: "user_id", Type: field.TypeInt64})
	sessions.AddForeignKey(&entschema.ForeignKey{Symbol: "sessions_users_sessions", Columns: []*entschema.Column{sessions.Columns[2]},
		RefTable: users, RefColumns: []*entschema.Column{users.Columns[0]}, OnDelete: entschema.Cascade})
	sessions.AddIndex("session_user_id", false, []string{"user_id"})
	return []*entschema.Table{orgs, sessions, users}
}

// TestOnline3_ExistingTablesWithRows diffs the scenario's second schema against a directory
// whose first file created users and orgs, on PostgreSQL and SQLite, and checks the files
// (logged): on PostgreSQL the existing tables are altered one per transactional file, the
// indexes on them built CONCURRENTLY in a last, `-- atlas:txmode none` file a second after the
// previous one; their foreign keys are added NOT VALID before and validated there, the one referencing the new unique
// users.username only after that index; the new sessions table keeps the plain transactional
// form; SQLite keeps its single transactional file. It then applies the files to a database
// holding 10,000 users and orgs, compares every row, checks that every constraint is valid
// and no index INVALID, and that the next diff (which replays both files on the dev database)
// finds nothing.
func TestOnline3_ExistingTablesWithRows(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range []string{kernia.Postgres, kernia.SQLite} {
		t.Run(dialect, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), dialect)
			target := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
			devURL := ""
			if dialect == kernia.Postgres {
				target, devURL = pgtest.NewDatabase(t), pgtest.NewDatabase(t)
			}
			write := func(res *Result) {
				t.Helper()
				assert.NilError(t, os.MkdirAll(dir, 0o755))
				for _, f := range res.Files {
					assert.NilError(t, os.WriteFile(filepath.Join(dir, f.Name), f.SQL, 0o644))
				}
				assert.NilError(t, os.WriteFile(filepath.Join(dir, migrate.HashFileName), res.Sum, 0o644))
			}
			at := func(s string) func() time.Time {
				return func() time.Time { t, _ := time.Parse(VersionFormat, s); return t }
			}
			opts := Options{Dir: dir, Tables: online3Tables(false), Name: "kernia", Now: at("20260102030405")}
			first := online3Diff(t, dialect, devURL, opts)
			assert.Equal(t, len(first.Files), 1, "new tables take one plain file")
			assert.Check(t, !strings.Contains(string(first.Files[0].SQL), "CONCURRENTLY"))
			write(first)
			_, err := migration.Apply(ctx, target, dir, migration.ApplyOptions{})
			assert.NilError(t, err)
			db := online3Open(t, target)
			online3Insert(t, db)
			before := online3Rows(t, db)

			opts.Tables, opts.Now = online3Tables(true), at("20260102030410")
			second := online3Diff(t, dialect, devURL, opts)
			names := []string{}
			for _, f := range second.Files {
				names = append(names, f.Name)
				t.Logf("%s:\n%s", f.Name, f.SQL)
			}
			if dialect == kernia.Postgres {
				// orgs alone, then users (its new foreign key locks orgs too) with the new
				// sessions table (whose foreign key locks users): one existing table's change
				// at a time, in Atlas's order; then the concurrent builds.
				assert.DeepEqual(t, names, []string{"20260102030410_kernia.sql", "20260102030411_kernia.sql", "20260102030412_kernia.sql"})
				assert.Check(t, is.Contains(string(second.Files[0].SQL), `ALTER TABLE "orgs" ADD COLUMN "owner_username"`))
				assert.Check(t, !strings.Contains(string(second.Files[0].SQL), `ALTER TABLE "users"`))
				tx, online := string(second.Files[0].SQL)+string(second.Files[1].SQL), string(second.Files[2].SQL)
				assert.Check(t, !strings.Contains(tx, "CONCURRENTLY") && !strings.Contains(tx, "atlas:txmode"), tx)
				assert.Check(t, is.Contains(tx, `ADD CONSTRAINT "users_orgs_members" FOREIGN KEY ("org_id") REFERENCES "orgs" ("id") ON UPDATE NO ACTION ON DELETE SET NULL NOT VALID`))
				assert.Check(t, is.Contains(tx, `CREATE UNIQUE INDEX "sessions_token_key" ON "sessions" ("token")`), "a new table's index is plain")
				assert.Check(t, strings.HasPrefix(online, TxModeNone+"\n"), online)
				for _, want := range []string{
					`CREATE UNIQUE INDEX CONCURRENTLY "users_username_key" ON "users" ("username")`,
					`CREATE INDEX CONCURRENTLY "orgs_name" ON "orgs" ("name")`,
					`ALTER TABLE "users" VALIDATE CONSTRAINT "users_orgs_members"`,
					`ALTER TABLE "orgs" VALIDATE CONSTRAINT "orgs_users_owner"`,
				} {
					assert.Check(t, is.Contains(online, want))
				}
				// The foreign key to users.username comes after its unique index.
				idx, fk := strings.Index(online, `"users_username_key" ON`), strings.Index(online, `ADD CONSTRAINT "orgs_users_owner" FOREIGN KEY`)
				assert.Check(t, idx >= 0 && fk > idx, "the foreign key to users.username is added after its index:\n%s", online)
				assert.Check(t, !strings.Contains(tx, `CONSTRAINT "orgs_users_owner" FOREIGN KEY`), tx)
			} else {
				assert.DeepEqual(t, names, []string{"20260102030410_kernia.sql"})
				assert.Check(t, !strings.Contains(string(second.Files[0].SQL), "CONCURRENTLY"))
			}
			write(second)
			// Atlas reads the directory: atlas.sum validates, and the second file's directive.
			ld, err := migrate.NewLocalDir(dir)
			assert.NilError(t, err)
			assert.NilError(t, migrate.Validate(ld))
			for i, f := range second.Files {
				want := []string(nil)
				if dialect == kernia.Postgres && i == len(second.Files)-1 {
					want = []string{"none"}
				}
				assert.DeepEqual(t, migrate.NewLocalFile(f.Name, f.SQL).Directive("txmode"), want)
			}

			_, err = migration.Apply(ctx, target, dir, migration.ApplyOptions{})
			assert.NilError(t, err)
			assert.DeepEqual(t, online3Rows(t, db), before)
			if dialect == kernia.Postgres {
				var n int
				assert.NilError(t, db.QueryRow(`SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated`).Scan(&n))
				assert.Equal(t, n, 0, "every foreign key is validated")
				assert.NilError(t, db.QueryRow(`SELECT count(*) FROM pg_index WHERE NOT indisvalid`).Scan(&n))
				assert.Equal(t, n, 0, "no index is INVALID")
				// The unique index holds.
				_, err := db.Exec(`UPDATE users SET username = 'same' WHERE id IN (1, 2)`)
				assert.ErrorContains(t, err, "users_username_key")
			}

			again := online3Diff(t, dialect, devURL, opts)
			assert.Equal(t, len(again.Files), 0, "the replayed files differ from the schema: %s", again.Files)
		})
	}
}

func online3Diff(t *testing.T, dialect, devURL string, opts Options) *Result {
	t.Helper()
	dev, err := OpenDev(context.Background(), dialect, devURL, "")
	assert.NilError(t, err)
	defer dev.Close()
	opts.Dev = dev
	res, err := Diff(context.Background(), opts)
	assert.NilError(t, err)
	return res
}

func online3Open(t *testing.T, target string) *sql.DB {
	t.Helper()
	u, err := database.Parse(target)
	assert.NilError(t, err)
	db, err := database.Open(context.Background(), u)
	assert.NilError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func online3Insert(t *testing.T, db *sql.DB) {
	t.Helper()
	tx, err := db.Begin()
	assert.NilError(t, err)
	for i := 1; i <= online3Users; i++ {
		_, err := tx.Exec(`INSERT INTO users (id, email) VALUES ($1, $2)`, i, fmt.Sprintf("u%d@example.com", i))
		assert.NilError(t, err)
		if i <= 10 {
			_, err = tx.Exec(`INSERT INTO orgs (id, name) VALUES ($1, $2)`, i, fmt.Sprintf("org %d", i))
			assert.NilError(t, err)
		}
	}
	assert.NilError(t, tx.Commit())
}

// online3Rows returns the rows of users and orgs as text, by id.
func online3Rows(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var out []string
	for _, q := range []string{`SELECT id, email FROM users ORDER BY id`, `SELECT id, name FROM orgs ORDER BY id`} {
		rows, err := db.Query(q)
		assert.NilError(t, err)
		for rows.Next() {
			var id int64
			var s string
			assert.NilError(t, rows.Scan(&id, &s))
			out = append(out, fmt.Sprintf("%d %s", id, s))
		}
		assert.NilError(t, rows.Err())
		rows.Close()
	}
	return out
}
