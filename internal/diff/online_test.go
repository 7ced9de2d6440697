package diff

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/pgtest"
)

// TestOnline3_SplitPlan plans hand-built PostgreSQL changes and checks each file's statements:
// a table that exists gets its indexes CONCURRENTLY in a txmode none file, a unique constraint
// through a concurrent unique index taken over with UNIQUE USING INDEX, its foreign keys NOT
// VALID and then validated; a new table keeps the plain form in one file; each transactional
// file locks one table that exists, but a rename keeps everything in one.
func TestOnline3_SplitPlan(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", pgtest.NewDatabase(t))
	assert.NilError(t, err)
	defer db.Close()
	drv, err := postgres.Open(db)
	assert.NilError(t, err)
	users := func() *atlas.Table {
		return atlas.NewTable("users").AddColumns(atlas.NewIntColumn("id", "bigint"), atlas.NewStringColumn("email", "text"), atlas.NewIntColumn("org_id", "bigint"))
	}
	orgs := atlas.NewTable("orgs").AddColumns(atlas.NewIntColumn("id", "bigint"))
	orgs.SetPrimaryKey(atlas.NewPrimaryKey(orgs.Columns[0]))
	tests := []struct {
		name    string
		changes func() []atlas.Change
		want    [][]string // each file's statements
	}{
		{
			name: "index on an existing table",
			changes: func() []atlas.Change {
				u := users()
				return []atlas.Change{&atlas.ModifyTable{T: u, Changes: []atlas.Change{&atlas.AddIndex{I: atlas.NewIndex("users_email").AddColumns(u.Columns[1])}}}}
			},
			want: [][]string{{`CREATE INDEX CONCURRENTLY "users_email" ON "users" ("email")`}},
		},
		{
			name: "unique constraint on an existing table",
			changes: func() []atlas.Change {
				u := users()
				idx := atlas.NewUniqueIndex("users_email_key").AddColumns(u.Columns[1]).AddAttrs(postgres.UniqueConstraint("users_email_key"))
				return []atlas.Change{&atlas.ModifyTable{T: u, Changes: []atlas.Change{&atlas.AddIndex{I: idx}}}}
			},
			want: [][]string{{
				`CREATE UNIQUE INDEX CONCURRENTLY "users_email_key" ON "users" ("email")`,
				`ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_key"`,
			}},
		},
		{
			name: "column and foreign key on an existing table",
			changes: func() []atlas.Change {
				u := users()
				fk := atlas.NewForeignKey("users_orgs").AddColumns(u.Columns[2]).SetRefTable(orgs).AddRefColumns(orgs.Columns[0])
				fk.Table = u
				return []atlas.Change{&atlas.ModifyTable{T: u, Changes: []atlas.Change{&atlas.AddColumn{C: atlas.NewNullStringColumn("nick", "text")}, &atlas.AddForeignKey{F: fk}}}}
			},
			want: [][]string{
				{`ALTER TABLE "users" ADD COLUMN "nick" text NULL, ADD CONSTRAINT "users_orgs" FOREIGN KEY ("org_id") REFERENCES "orgs" ("id") NOT VALID`},
				{`ALTER TABLE "users" VALIDATE CONSTRAINT "users_orgs"`},
			},
		},
		{
			name: "index dropped on an existing table",
			changes: func() []atlas.Change {
				u := users()
				return []atlas.Change{&atlas.ModifyTable{T: u, Changes: []atlas.Change{&atlas.DropIndex{I: atlas.NewIndex("users_email").AddColumns(u.Columns[1])}}}}
			},
			want: [][]string{{`DROP INDEX CONCURRENTLY "users_email"`}},
		},
		{
			name: "index rebuilt on an existing table (now unique): dropped, then built, both concurrently",
			changes: func() []atlas.Change {
				u := users()
				from := atlas.NewIndex("users_email").AddColumns(u.Columns[1])
				to := atlas.NewUniqueIndex("users_email").AddColumns(u.Columns[1])
				return []atlas.Change{&atlas.ModifyTable{T: u, Changes: []atlas.Change{&atlas.AddColumn{C: atlas.NewNullStringColumn("nick", "text")}, &atlas.ModifyIndex{From: from, To: to, Change: atlas.ChangeUnique}}}}
			},
			want: [][]string{
				{`ALTER TABLE "users" ADD COLUMN "nick" text NULL`},
				{`DROP INDEX CONCURRENTLY "users_email"`, `CREATE UNIQUE INDEX CONCURRENTLY "users_email" ON "users" ("email")`},
			},
		},
		{
			name: "unique constraint dropped: a catalog change, in the transaction",
			changes: func() []atlas.Change {
				u := users()
				idx := atlas.NewUniqueIndex("users_email_key").AddColumns(u.Columns[1]).AddAttrs(postgres.UniqueConstraint("users_email_key"))
				return []atlas.Change{&atlas.ModifyTable{T: u, Changes: []atlas.Change{&atlas.DropIndex{I: idx}}}}
			},
			want: [][]string{{`ALTER TABLE "users" DROP CONSTRAINT "users_email_key"`}},
		},
		{
			name: "index dropped with its column: the column's drop takes it, in the transaction",
			changes: func() []atlas.Change {
				u := users()
				return []atlas.Change{&atlas.ModifyTable{T: u, Changes: []atlas.Change{&atlas.DropIndex{I: atlas.NewIndex("users_email").AddColumns(u.Columns[1])}, &atlas.DropColumn{C: u.Columns[1]}}}}
			},
			want: [][]string{{`ALTER TABLE "users" DROP COLUMN "email"`}},
		},
		{
			name: "columns on two tables: a transaction each, one table locked at a time",
			changes: func() []atlas.Change {
				return []atlas.Change{
					&atlas.ModifyTable{T: users(), Changes: []atlas.Change{&atlas.AddColumn{C: atlas.NewNullStringColumn("nick", "text")}}},
					&atlas.ModifyTable{T: atlas.NewTable("sessions"), Changes: []atlas.Change{&atlas.AddColumn{C: atlas.NewNullStringColumn("via", "text")}}},
				}
			},
			want: [][]string{
				{`ALTER TABLE "users" ADD COLUMN "nick" text NULL`},
				{`ALTER TABLE "sessions" ADD COLUMN "via" text NULL`},
			},
		},
		{
			name: "a new table referencing users locks users: apart from sessions' change, in Atlas's order",
			changes: func() []atlas.Change {
				u := users()
				u.SetPrimaryKey(atlas.NewPrimaryKey(u.Columns[0]))
				members := atlas.NewTable("members").AddColumns(atlas.NewIntColumn("user_id", "bigint"))
				members.AddForeignKeys(atlas.NewForeignKey("members_users").AddColumns(members.Columns[0]).SetRefTable(u).AddRefColumns(u.Columns[0]))
				return []atlas.Change{
					&atlas.AddTable{T: members},
					&atlas.ModifyTable{T: u, Changes: []atlas.Change{&atlas.AddColumn{C: atlas.NewNullStringColumn("nick", "text")}}},
					&atlas.ModifyTable{T: atlas.NewTable("sessions"), Changes: []atlas.Change{&atlas.AddColumn{C: atlas.NewNullStringColumn("via", "text")}}},
				}
			},
			want: [][]string{
				{`ALTER TABLE "users" ADD COLUMN "nick" text NULL`},
				{`ALTER TABLE "sessions" ADD COLUMN "via" text NULL`},
				{`CREATE TABLE "members" ("user_id" bigint NOT NULL, CONSTRAINT "members_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id"))`},
			},
		},
		{
			name: "a rename with other tables' changes: one transaction, all or nothing",
			changes: func() []atlas.Change {
				return []atlas.Change{
					&atlas.RenameTable{From: atlas.NewTable("accounts"), To: atlas.NewTable("account")},
					&atlas.ModifyTable{T: users(), Changes: []atlas.Change{&atlas.AddColumn{C: atlas.NewNullStringColumn("nick", "text")}}},
					&atlas.ModifyTable{T: atlas.NewTable("sessions"), Changes: []atlas.Change{&atlas.AddColumn{C: atlas.NewNullStringColumn("via", "text")}}},
				}
			},
			want: [][]string{{
				`ALTER TABLE "accounts" RENAME TO "account"`,
				`ALTER TABLE "users" ADD COLUMN "nick" text NULL`,
				`ALTER TABLE "sessions" ADD COLUMN "via" text NULL`,
			}},
		},
		{
			name: "new table keeps the plain form",
			changes: func() []atlas.Change {
				u := users()
				u.AddIndexes(atlas.NewUniqueIndex("users_email_key").AddColumns(u.Columns[1]))
				u.AddForeignKeys(atlas.NewForeignKey("users_orgs").AddColumns(u.Columns[2]).SetRefTable(orgs).AddRefColumns(orgs.Columns[0]))
				return []atlas.Change{&atlas.AddTable{T: u}}
			},
			want: [][]string{{
				`CREATE TABLE "users" ("id" bigint NOT NULL, "email" text NOT NULL, "org_id" bigint NOT NULL, CONSTRAINT "users_orgs" FOREIGN KEY ("org_id") REFERENCES "orgs" ("id"))`,
				`CREATE UNIQUE INDEX "users_email_key" ON "users" ("email")`,
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := planOnline(ctx, drv, kernia.Postgres, "kernia", tc.changes(), func(o *migrate.PlanOptions) {
				noQualifier := ""
				o.SchemaQualifier = &noQualifier
			})
			assert.NilError(t, err)
			var got [][]string
			for i, f := range files {
				assert.Equal(t, f.online, strings.Contains(tc.name, "existing") && i == len(files)-1, "file %d runs without a transaction", i+1)
				var stmts []string
				for _, c := range f.plan.Changes {
					stmts = append(stmts, c.Cmd)
				}
				got = append(got, stmts)
			}
			assert.DeepEqual(t, got, tc.want)
		})
	}
}
