package diff

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/pgtest"
)

// TestAdoptCompare: Compare sorts every difference between a live database and the schema a
// migration directory builds into same, close and refuse, on PostgreSQL and SQLite; the
// statements of a database with only closable differences, run on it, leave nothing to close.
func TestAdoptCompare(t *testing.T) {
	const pgWant = `CREATE TABLE "users" ("id" character varying NOT NULL, "name" character varying NOT NULL, "email" character varying NOT NULL, "count" bigint NOT NULL DEFAULT 0, PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "users_email_key" ON "users" ("email");
CREATE TABLE "sessions" ("id" character varying NOT NULL, "token" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "sessions_users_sessions" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE);
CREATE UNIQUE INDEX "sessions_token_key" ON "sessions" ("token");
CREATE INDEX "session_user_id" ON "sessions" ("user_id");
CREATE INDEX "session_token_user" ON "sessions" ("token", "user_id");
`
	const sqliteWant = "CREATE TABLE `users` (`id` text NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `verified` bool NOT NULL DEFAULT (false), `created_at` datetime NOT NULL, PRIMARY KEY (`id`));\n" +
		"CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);\n" +
		"CREATE TABLE `sessions` (`id` text NOT NULL, `token` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sessions_users_sessions` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);\n" +
		"CREATE UNIQUE INDEX `sessions_token_key` ON `sessions` (`token`);\n" +
		"CREATE INDEX `session_user_id` ON `sessions` (`user_id`);\n" +
		"CREATE INDEX `session_token_user` ON `sessions` (`token`, `user_id`);\n"
	for _, c := range []struct {
		name, dialect, want, live string
		// diffs are the differences, "<action> <Difference.String()>".
		diffs []string
	}{
		{
			name: "closable", dialect: kernia.Postgres, want: pgWant,
			// Better Auth's way: text, integer, UNIQUE constraints, inline references, its own index names.
			live: `CREATE TABLE "users" ("id" text NOT NULL PRIMARY KEY, "name" text NOT NULL, "email" text NOT NULL UNIQUE, "count" integer NOT NULL);
CREATE INDEX "users_name_idx" ON "users" ("name");
CREATE TABLE "sessions" ("id" text NOT NULL PRIMARY KEY, "token" text NOT NULL, "user_id" text NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE);
CREATE UNIQUE INDEX "sessions_token_uidx" ON "sessions" ("token");
CREATE INDEX "sessions_userId_idx" ON "sessions" ("user_id");`,
			diffs: []string{
				"same sessions.id: column type (database: text; migrations: character varying)",
				"same sessions.token: column type (database: text; migrations: character varying)",
				"same sessions.user_id: column type (database: text; migrations: character varying)",
				"close sessions.sessions_users_sessions: foreign key name (database: sessions_user_id_fkey (user_id) → users(id) ON DELETE CASCADE; migrations: sessions_users_sessions (user_id) → users(id) ON DELETE CASCADE)",
				"close sessions.session_user_id: index name (database: sessions_userId_idx (user_id); migrations: session_user_id (user_id))",
				"close sessions.sessions_token_key: index name (database: sessions_token_uidx UNIQUE (token); migrations: sessions_token_key UNIQUE (token))",
				"close sessions.session_token_user: missing index (migrations: (token, user_id))",
				"close users.count: column type (database: integer; migrations: bigint)",
				"same users.email: column type (database: text; migrations: character varying)",
				"same users.id: column type (database: text; migrations: character varying)",
				"same users.name: column type (database: text; migrations: character varying)",
				"close users.count: default (database: no default; migrations: DEFAULT 0)",
				"close users.users_name_idx: extra index (database: (name))",
			},
		},
		{
			name: "refused", dialect: kernia.Postgres, want: pgWant,
			live: `CREATE TABLE "users" ("id" character varying NOT NULL PRIMARY KEY, "email" character varying NOT NULL, "count" text NOT NULL, "bio" text);
CREATE UNIQUE INDEX "users_email_key" ON "users" ("email");
CREATE TABLE "sessions" ("id" character varying NOT NULL PRIMARY KEY, "token" character varying NULL, "user_id" character varying NOT NULL REFERENCES "users" ("id") ON DELETE SET NULL);
CREATE INDEX "sessions_token_key" ON "sessions" ("token");
CREATE UNIQUE INDEX "session_user_id" ON "sessions" ("user_id");
CREATE INDEX "session_token_user" ON "sessions" ("token", "user_id");
CREATE TABLE "legacy" ("id" integer PRIMARY KEY);`,
			diffs: []string{
				"refuse legacy: extra table (database: table with columns id)",
				"refuse sessions.sessions_user_id_fkey: extra foreign key (database: (user_id) → users(id) ON DELETE SET NULL)",
				"refuse sessions.session_user_id: index (database: UNIQUE (user_id); migrations: (user_id))",
				"refuse sessions.sessions_token_key: index (database: (token); migrations: UNIQUE (token))",
				"refuse sessions.sessions_users_sessions: missing foreign key (migrations: (user_id) → users(id) ON DELETE CASCADE)",
				"refuse sessions.token: nullability (database: NULL; migrations: NOT NULL)",
				"refuse users.count: column type (database: text; migrations: bigint)",
				"refuse users.count: default (database: no default; migrations: DEFAULT 0)",
				"refuse users.bio: extra column (database: text NULL)",
				"refuse users.name: missing column (migrations: character varying NOT NULL)",
			},
		},
		{
			name: "closable", dialect: kernia.SQLite, want: sqliteWant,
			live: "CREATE TABLE `users` (`id` text NOT NULL PRIMARY KEY, `name` text NOT NULL, `email` text NOT NULL UNIQUE, `verified` integer NOT NULL, `created_at` date NOT NULL);\n" +
				"CREATE TABLE `sessions` (`id` text NOT NULL PRIMARY KEY, `token` text NOT NULL, `user_id` text NOT NULL REFERENCES `users` (`id`) ON DELETE CASCADE);\n" +
				"CREATE UNIQUE INDEX `sessions_token_uidx` ON `sessions` (`token`);\n" +
				"CREATE INDEX `sessions_userId_idx` ON `sessions` (`user_id`);\n",
			// date and datetime Atlas itself counts as one type.
			diffs: []string{
				"close sessions.session_user_id: index name (database: sessions_userId_idx (user_id); migrations: session_user_id (user_id))",
				"close sessions.sessions_token_key: index name (database: sessions_token_uidx UNIQUE (token); migrations: sessions_token_key UNIQUE (token))",
				"close sessions.session_token_user: missing index (migrations: (token, user_id))",
				"same users.verified: column type (database: integer; migrations: bool)",
				"same users.verified: default (database: no default; migrations: DEFAULT false)",
				"same users.users_email_key: index name (database: sqlite_autoindex_users_2 UNIQUE (email) (a unique constraint); migrations: users_email_key UNIQUE (email))",
			},
		},
	} {
		t.Run(c.dialect+"/"+c.name, func(t *testing.T) {
			ctx := context.Background()
			var url string
			if c.dialect == kernia.Postgres {
				url = pgtest.NewDatabase(t)
			} else {
				url = "sqlite://" + filepath.Join(t.TempDir(), "live.db")
			}
			dir := t.TempDir()
			writeDir(t, dir, c.want)
			dev, err := OpenDev(ctx, c.dialect, "", url)
			assert.NilError(t, err)
			want, err := Replay(ctx, dev, dir)
			assert.NilError(t, dev.Close())
			assert.NilError(t, err)

			u, err := database.Parse(url)
			assert.NilError(t, err)
			db, err := database.Open(ctx, u)
			assert.NilError(t, err)
			defer db.Close()
			for _, s := range strings.Split(strings.TrimSpace(c.live), ";\n") {
				_, err := db.ExecContext(ctx, s)
				assert.NilError(t, err, s)
			}
			live, drv, err := Inspect(ctx, c.dialect, db)
			assert.NilError(t, err)
			cmp, err := Compare(c.dialect, drv, live, want)
			assert.NilError(t, err)
			var got []string
			for _, d := range cmp.Differences {
				got = append(got, d.Action+" "+d.String())
			}
			assert.DeepEqual(t, got, c.diffs)
			if len(cmp.Refused()) > 0 {
				return
			}
			stmts, err := cmp.Statements(ctx)
			assert.NilError(t, err)
			for _, s := range stmts {
				t.Logf("%s", s)
				_, err := db.ExecContext(ctx, s)
				assert.NilError(t, err, s)
			}
			live, drv, err = Inspect(ctx, c.dialect, db)
			assert.NilError(t, err)
			after, err := Compare(c.dialect, drv, live, want)
			assert.NilError(t, err)
			assert.Equal(t, len(after.Closed())+len(after.Refused()), 0, "after the statements: %v", after.Differences)
		})
	}
}

// writeDir writes sql as the one migration file of dir, with its atlas.sum.
func writeDir(t *testing.T, dir, sql string) {
	t.Helper()
	name := "20260101000000_init.sql"
	assert.NilError(t, os.WriteFile(filepath.Join(dir, name), []byte(sql), 0o644))
	sum, err := migrate.NewHashFile([]migrate.File{migrate.NewLocalFile(name, []byte(sql))})
	assert.NilError(t, err)
	b, err := sum.MarshalText()
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(filepath.Join(dir, migrate.HashFileName), b, 0o644))
}
