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
	atlas "ariga.io/atlas/sql/schema"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/sqldb"
)

// reviewStep is one generate run of the reviewable-files scenario: its desired tables, who
// contributes them, and the file it must produce.
type reviewStep struct {
	name, version string
	tables        func() []*entschema.Table
	owners        Owners
	destructive   []string
}

// reviewTables builds a users table (with extra optional columns) and a sessions table that
// references it.
func reviewTables(extra ...*entschema.Column) []*entschema.Table {
	users := entschema.NewTable("users").
		AddPrimary(&entschema.Column{Name: "id", Type: field.TypeString}).
		AddColumn(&entschema.Column{Name: "name", Type: field.TypeString}).
		AddColumn(&entschema.Column{Name: "email", Type: field.TypeString, Unique: true})
	for _, c := range extra {
		users.AddColumn(c)
	}
	sessions := entschema.NewTable("sessions").
		AddPrimary(&entschema.Column{Name: "id", Type: field.TypeString}).
		AddColumn(&entschema.Column{Name: "token", Type: field.TypeString, Unique: true}).
		AddColumn(&entschema.Column{Name: "user_id", Type: field.TypeString})
	sessions.AddForeignKey(&entschema.ForeignKey{
		Symbol:     "sessions_users_sessions",
		Columns:    []*entschema.Column{sessions.Columns[2]},
		RefTable:   users,
		RefColumns: []*entschema.Column{users.Columns[0]},
		OnDelete:   entschema.Cascade,
	})
	return []*entschema.Table{users, sessions}
}

var core = map[string]string{"users": kernia.Core, "sessions": kernia.Core}

func coreColumns(extra map[string]string) map[string]map[string]string {
	users := map[string]string{"id": kernia.Core, "name": kernia.Core, "email": kernia.Core}
	for c, o := range extra {
		users[c] = o
	}
	return map[string]map[string]string{"users": users, "sessions": {"id": kernia.Core, "token": kernia.Core, "user_id": kernia.Core}}
}

var reviewSteps = []reviewStep{
	{
		name: "create", version: "20260102030405",
		tables: func() []*entschema.Table { return reviewTables() },
		owners: Owners{Tables: core, Columns: coreColumns(nil)},
	},
	{
		name: "add-columns", version: "20260102030406",
		tables: func() []*entschema.Table {
			return reviewTables(
				&entschema.Column{Name: "nickname", Type: field.TypeString, Nullable: true},
				&entschema.Column{Name: "bio", Type: field.TypeString, Nullable: true, Default: "it's, (me)"},
				&entschema.Column{Name: "karma", Type: field.TypeInt, Nullable: true},
			)
		},
		owners: Owners{Tables: core, Columns: coreColumns(map[string]string{"nickname": "username", "bio": "username", "karma": "options"}), Plugins: []string{"username"}},
	},
	{
		name: "drop-columns", version: "20260102030407",
		tables: func() []*entschema.Table {
			return reviewTables(&entschema.Column{Name: "karma", Type: field.TypeInt, Nullable: true})
		},
		owners:      Owners{Tables: core, Columns: coreColumns(map[string]string{"karma": "options"})},
		destructive: []string{"drops column users.nickname", "drops column users.bio"},
	},
}

// TestReviewable4_GoldenFilesReplayAndKeepRows plans three runs (create tables, add columns with a
// plugin, drop them again) on SQLite and PostgreSQL and checks each formatted file against its
// golden file; that the directory still reads as Atlas reads it (atlas.sum validates, every file
// parses into statements, no header line is taken for a directive); that the files replay on the
// dev database so that the next diff finds nothing; and that applying them to a database holding
// rows keeps every row.
func TestReviewable4_GoldenFilesReplayAndKeepRows(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range []string{kernia.SQLite, kernia.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), dialect)
			target := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
			devURL := ""
			if dialect == kernia.Postgres {
				target, devURL = pgtest.NewDatabase(t), pgtest.NewDatabase(t)
			}
			for i, step := range reviewSteps {
				opts := Options{Dir: dir, Tables: step.tables(), Name: "kernia", Version: step.version,
					Kernia: "Kernia v1.2.3", Owners: step.owners, AllowDestructive: step.destructive != nil}
				res := diffOnDev(t, dialect, devURL, opts)
				files := res.Files
				assert.Assert(t, len(files) > 0)
				assert.Equal(t, files[0].Name, step.version+"_kernia.sql")
				assert.DeepEqual(t, res.Destructive, step.destructive)
				assert.NilError(t, os.MkdirAll(dir, 0o755))
				for j, f := range files {
					suffix := ""
					if j > 0 {
						suffix = fmt.Sprintf(".%d", j+1)
					}
					golden.Assert(t, string(f.SQL), filepath.Join("reviewable", step.name+"."+dialect+suffix+".sql.golden"))
					assert.NilError(t, os.WriteFile(filepath.Join(dir, f.Name), f.SQL, 0o644))
				}
				assert.NilError(t, os.WriteFile(filepath.Join(dir, migrate.HashFileName), res.Sum, 0o644))

				checkReadsAsAtlasDoes(t, dir, res)
				for _, f := range files {
					for _, d := range step.destructive {
						assert.Assert(t, strings.Contains(string(f.SQL), "\n-- destructive: "+d+"\n"), "no destructive line for %s in\n%s", d, f.SQL)
					}
					if step.destructive == nil {
						assert.Assert(t, !strings.Contains(string(f.SQL), "-- destructive:"), "%s", f.SQL)
					}
				}

				// The next diff, which replays the formatted files on the dev database, finds nothing.
				again := diffOnDev(t, dialect, devURL, opts)
				assert.Equal(t, len(again.Files), 0, "the replayed files differ from the schema: %v", again.Files)

				_, err := migration.Apply(ctx, target, dir, migration.ApplyOptions{})
				assert.NilError(t, err, "apply %v", files)
				if i == 0 {
					insertRows(t, target)
				}
				assert.DeepEqual(t, readRows(t, target), wantRows)
			}
		})
	}
}

func diffOnDev(t *testing.T, dialect, devURL string, opts Options) *Result {
	t.Helper()
	dev, err := OpenDev(context.Background(), dialect, devURL, "")
	assert.NilError(t, err)
	defer dev.Close()
	opts.Dev = dev
	res, err := Diff(context.Background(), opts)
	assert.NilError(t, err)
	return res
}

// checkReadsAsAtlasDoes reads the directory with Atlas's own code, as the Atlas CLI does.
func checkReadsAsAtlasDoes(t *testing.T, dir string, res *Result) {
	t.Helper()
	files := res.Files
	ld, err := migrate.NewLocalDir(dir)
	assert.NilError(t, err)
	assert.NilError(t, migrate.Validate(ld), "atlas.sum does not validate")
	all, err := ld.Files()
	assert.NilError(t, err)
	for _, f := range all {
		stmts, err := f.StmtDecls()
		assert.NilError(t, err, f.Name())
		assert.Assert(t, len(stmts) > 0, f.Name())
		assert.Assert(t, !strings.Contains(stmts[0].Text, "Generated by"), "the header became part of a statement: %q", stmts[0].Text)
	}
	for _, f := range files {
		lf := migrate.NewLocalFile(f.Name, f.SQL)
		txmode := lf.Directive("txmode")
		if len(txmode) == 0 {
			assert.Assert(t, strings.HasPrefix(string(f.SQL), HeaderPrefix), "%s", f.SQL)
		} else {
			// Online DDL's file: the directive stays its first line, the header follows.
			assert.DeepEqual(t, txmode, []string{"none"})
			assert.Assert(t, strings.HasPrefix(string(f.SQL), "-- atlas:txmode none\n"+HeaderPrefix), "%s", f.SQL)
		}
		for _, name := range []string{"delimiter", "nolint", "checkpoint", "sum"} {
			assert.Assert(t, lf.Directive(name) == nil, "a header line reads as directive %s", name)
		}
		for _, l := range strings.Split(string(f.SQL), "\n") {
			if strings.HasPrefix(l, "CREATE TABLE ") {
				assert.Assert(t, strings.HasSuffix(l, " ("), "CREATE TABLE is not one column per line: %s", l)
			}
		}
		if len(txmode) == 0 {
			// A directive added to the file afterwards is read too.
			lf.AddDirective("txmode", "none")
			assert.DeepEqual(t, lf.Directive("txmode"), []string{"none"})
		}
	}
}

var wantRows = [][2]string{{"s1", "u1 Ada ada@example.com"}, {"s2", "u2 Grace grace@example.com"}}

func insertRows(t *testing.T, url string) {
	t.Helper()
	db := openTarget(t, url)
	for _, q := range []string{
		`INSERT INTO users (id, name, email) VALUES ('u1', 'Ada', 'ada@example.com'), ('u2', 'Grace', 'grace@example.com')`,
		`INSERT INTO sessions (id, token, user_id) VALUES ('s1', 't1', 'u1'), ('s2', 't2', 'u2')`,
	} {
		_, err := db.Exec(q)
		assert.NilError(t, err, q)
	}
}

func readRows(t *testing.T, url string) [][2]string {
	t.Helper()
	db := openTarget(t, url)
	rows, err := db.Query(`SELECT s.id, u.id, u.name, u.email FROM sessions s JOIN users u ON u.id = s.user_id ORDER BY s.id`)
	assert.NilError(t, err)
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var s, id, name, email string
		assert.NilError(t, rows.Scan(&s, &id, &name, &email))
		out = append(out, [2]string{s, id + " " + name + " " + email})
	}
	assert.NilError(t, rows.Err())
	return out
}

func openTarget(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, _, err := sqldb.Open(context.Background(), url)
	assert.NilError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestReviewable4_DirectivesStayDirectives puts the header into files that start with Atlas
// directives, or with a statement's comment, and checks what migrate.LocalFile.Directive reads.
func TestReviewable4_DirectivesStayDirectives(t *testing.T) {
	h := Header{Kernia: "Kernia v1.2.3", Plugins: []string{"username"}, Changes: []string{"adds index users_username_key on users"}}
	for _, c := range []struct {
		name       string
		directives []string
		txmode     []string
	}{
		{"no directive", nil, nil},
		{"txmode none", []string{"-- atlas:txmode none"}, []string{"none"}},
		{"txmode none and nolint", []string{"-- atlas:txmode none", "-- atlas:nolint"}, []string{"none"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan := &migrate.Plan{Version: "20260102030405", Name: "kernia", Directives: c.directives, Changes: []*migrate.Change{
				{Comment: `Create index "users_username_key" to table: "users"`, Cmd: `CREATE UNIQUE INDEX CONCURRENTLY "users_username_key" ON "users" ("username")`},
			}}
			files, err := migrate.DefaultFormatter.Format(plan)
			assert.NilError(t, err)
			content := WithHeader(files[0].Bytes(), h)
			lf := migrate.NewLocalFile(files[0].Name(), content)
			assert.DeepEqual(t, lf.Directive("txmode"), c.txmode)
			lines := strings.Split(string(content), "\n")
			// The directives stay the file's first lines; the header follows them.
			for i, d := range c.directives {
				assert.Equal(t, lines[i], d)
			}
			assert.Assert(t, strings.HasPrefix(lines[len(c.directives)], HeaderPrefix), "%s", content)
			stmts, err := lf.StmtDecls()
			assert.NilError(t, err)
			assert.Equal(t, len(stmts), 1)
			assert.Equal(t, stmts[0].Text, plan.Changes[0].Cmd+";")
			assert.DeepEqual(t, stmts[0].Comments, []string{"-- " + plan.Changes[0].Comment + "\n"})
		})
	}
}

// TestReviewable4_HeaderDescribesChanges: each kind of Atlas change, renames included, gets its
// line; plugins whose contributions are all new are enabled; no line reads as a directive.
func TestReviewable4_HeaderDescribesChanges(t *testing.T) {
	users := atlas.NewTable("users")
	col := func(n string) *atlas.Column { return atlas.NewColumn(n) }
	for _, c := range []struct {
		name        string
		changes     []atlas.Change
		owners      Owners
		lines       []string
		enabled     []string
		destructive []string
	}{
		{
			name:    "plugin with a table and a column",
			changes: []atlas.Change{&atlas.AddTable{T: atlas.NewTable("two_factors")}, &atlas.ModifyTable{T: users, Changes: []atlas.Change{&atlas.AddColumn{C: col("two_factor_enabled")}}}},
			owners: Owners{Tables: map[string]string{"users": kernia.Core, "two_factors": "two-factor"},
				Columns: map[string]map[string]string{"users": {"id": kernia.Core, "two_factor_enabled": "two-factor"}, "two_factors": {"id": "two-factor"}}, Plugins: []string{"two-factor"}},
			lines:   []string{"adds table two_factors (two-factor)", "adds column users.two_factor_enabled (two-factor)"},
			enabled: []string{"two-factor"},
		},
		{
			name:    "plugin column of a new core table",
			changes: []atlas.Change{&atlas.AddTable{T: atlas.NewTable("users").AddColumns(col("id"), col("username"))}},
			owners: Owners{Tables: map[string]string{"users": kernia.Core},
				Columns: map[string]map[string]string{"users": {"id": kernia.Core, "username": "username"}}, Plugins: []string{"username"}},
			lines:   []string{"adds table users (core)"},
			enabled: []string{"username"},
		},
		{
			name:    "plugin partly there already is not enabled by this change",
			changes: []atlas.Change{&atlas.ModifyTable{T: users, Changes: []atlas.Change{&atlas.AddColumn{C: col("display_username")}}}},
			owners:  Owners{Columns: map[string]map[string]string{"users": {"username": "username", "display_username": "username"}}, Plugins: []string{"username"}},
			lines:   []string{"adds column users.display_username (username)"},
		},
		{
			name: "renames",
			changes: []atlas.Change{&atlas.RenameTable{From: atlas.NewTable("user"), To: atlas.NewTable("members")},
				&atlas.ModifyTable{T: users, Changes: []atlas.Change{&atlas.RenameColumn{From: col("email"), To: col("email_address")}, &atlas.RenameIndex{From: atlas.NewIndex("a"), To: atlas.NewIndex("b")}}}},
			lines: []string{"renames table user to members", "renames column users.email to users.email_address", "renames index a to b on users"},
		},
		{
			name: "drops",
			changes: []atlas.Change{&atlas.DropTable{T: atlas.NewTable("passkeys")},
				&atlas.ModifyTable{T: users, Changes: []atlas.Change{&atlas.DropColumn{C: col("atlas:txmode")}, &atlas.DropIndex{I: atlas.NewIndex("users_x")}}}},
			lines:       []string{"drops index users_x on users"},
			destructive: []string{"drops table passkeys", "drops column users.atlas:txmode"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines, enabled := describe(c.changes, c.owners)
			assert.DeepEqual(t, lines, c.lines)
			assert.DeepEqual(t, enabled, c.enabled)
			assert.DeepEqual(t, destructive(c.changes), c.destructive)
			h := Header{Kernia: "Kernia v1.2.3", Changes: lines, Destructive: destructive(c.changes)}
			content := WithHeader([]byte("-- Create \"x\" table\nCREATE TABLE x (id int);\n"), h)
			lf := migrate.NewLocalFile("1_x.sql", content)
			assert.Assert(t, lf.Directive("txmode") == nil, "a header line reads as a directive:\n%s", content)
			for _, d := range h.Destructive {
				assert.Assert(t, strings.Contains(string(content), "-- destructive: "+strings.ReplaceAll(d, "atlas:", "atlas ")+"\n"), "%s", content)
			}
		})
	}
}

// TestReviewable4_PluginsDisabledSinceTheLastFile: the plugins line of the newest file tells
// which plugins a later change disables.
func TestReviewable4_PluginsDisabledSinceTheLastFile(t *testing.T) {
	prev := WithHeader([]byte("-- c\nSELECT 1;\n"), Header{Kernia: "Kernia v1", Plugins: []string{"passkey", "username"}})
	for _, c := range []struct {
		name     string
		files    []migrate.File
		plugins  []string
		disabled []string
	}{
		{"no earlier file", nil, []string{"username"}, nil},
		{"file without a header", []migrate.File{migrate.NewLocalFile("1_a.sql", []byte("SELECT 1;\n"))}, nil, nil},
		{"one disabled", []migrate.File{migrate.NewLocalFile("1_a.sql", prev)}, []string{"username"}, []string{"passkey"}},
		{"none disabled", []migrate.File{migrate.NewLocalFile("1_a.sql", prev)}, []string{"passkey", "username", "jwt"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := header(Options{Kernia: "Kernia v1", Owners: Owners{Plugins: c.plugins}}, nil, c.files, nil)
			assert.DeepEqual(t, h.Disabled, c.disabled)
		})
	}
}

// TestReviewable4_AlterTableOneClausePerLine splits PostgreSQL's ALTER TABLE lists at the
// top-level commas only.
func TestReviewable4_AlterTableOneClausePerLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`ALTER TABLE "users" ADD COLUMN "a" text NULL`, `ALTER TABLE "users" ADD COLUMN "a" text NULL`},
		{`ALTER TABLE "users" ADD COLUMN "a" text NULL, ADD COLUMN "b" numeric(10, 2) NOT NULL DEFAULT 'x, y'`,
			"ALTER TABLE \"users\"\n  ADD COLUMN \"a\" text NULL,\n  ADD COLUMN \"b\" numeric(10, 2) NOT NULL DEFAULT 'x, y'"},
		{`ALTER TABLE "my, table" DROP COLUMN "a", DROP COLUMN "it's"`, "ALTER TABLE \"my, table\"\n  DROP COLUMN \"a\",\n  DROP COLUMN \"it's\""},
		{`ALTER TABLE "t" ADD COLUMN "a" text DEFAULT 'it''s, ok', ADD COLUMN "b" text`, "ALTER TABLE \"t\"\n  ADD COLUMN \"a\" text DEFAULT 'it''s, ok',\n  ADD COLUMN \"b\" text"},
		{`INSERT INTO "t" ("a", "b") SELECT "a", "b" FROM "u"`, `INSERT INTO "t" ("a", "b") SELECT "a", "b" FROM "u"`},
	} {
		t.Run(c.in, func(t *testing.T) {
			assert.Equal(t, splitClauses(c.in), c.want)
		})
	}
}

// TestReviewable4_OneVersionForEveryDialect: NextVersion moves the clock past the newest file of
// every directory, and Diff refuses a version that does not come after its directory's files.
func TestReviewable4_OneVersionForEveryDialect(t *testing.T) {
	root := t.TempDir()
	clock := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	write := func(dialect, file string) string {
		d := filepath.Join(root, dialect)
		assert.NilError(t, os.MkdirAll(d, 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(d, file), []byte("SELECT 1;\n"), 0o644))
		return d
	}
	sqlite := write("sqlite", "20260102030410_kernia.sql")
	postgres := write("postgres", "20260102030420_kernia.sql")
	missing := filepath.Join(root, "mysql")
	for _, c := range []struct {
		name string
		dirs []string
		want string
	}{
		{"no directory yet", []string{missing}, "20260102030405"},
		{"past the one directory", []string{sqlite}, "20260102030411"},
		{"past the newest of both", []string{sqlite, postgres, missing}, "20260102030421"},
		{"order of the directories does not matter", []string{postgres, sqlite}, "20260102030421"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := NextVersion(clock, c.dirs...)
			assert.NilError(t, err)
			assert.Equal(t, v, c.want)
		})
	}
	// A generate in the same second as the newest file, past its start: the clock's fraction
	// of a second must not make the version the newest file's own.
	for _, c := range []struct {
		name  string
		clock time.Time
		want  string
	}{
		{"later in the newest file's second", time.Date(2026, 1, 2, 3, 4, 20, 700_000_000, time.UTC), "20260102030421"},
		{"the next second", time.Date(2026, 1, 2, 3, 4, 21, 300_000_000, time.UTC), "20260102030421"},
		{"later", time.Date(2026, 1, 2, 3, 4, 25, 999_999_999, time.UTC), "20260102030425"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := NextVersion(func() time.Time { return c.clock }, postgres)
			assert.NilError(t, err)
			assert.Equal(t, v, c.want)
		})
	}
	files := []migrate.File{migrate.NewLocalFile("20260102030420_kernia.sql", nil)}
	for _, c := range []struct{ version, err string }{
		{"20260102030420", "does not come after 20260102030420_kernia.sql"},
		{"2026-01-02", "is not a UTC timestamp"},
	} {
		_, err := fileVersion(Options{Version: c.version, Dir: postgres}, files)
		assert.ErrorContains(t, err, c.err)
	}
	v, err := fileVersion(Options{Version: "20260102030421"}, files)
	assert.NilError(t, err)
	assert.Equal(t, v, "20260102030421")
}
