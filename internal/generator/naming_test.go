package generator_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/plugins/jwt"
	"github.com/kernia/kernia/plugins/passkey"
	"github.com/kernia/kernia/plugins/twofactor"
	"github.com/kernia/kernia/sqldb"
)

// TestGenerateGoldenBetterAuthNames: the first migration of core, two-factor, passkey and jwt
// under kernia.BetterAuthNames on both dialects (tables user, twoFactor, passkey, jwks; camelCase
// columns, every identifier quoted), and a second generate finds nothing to do.
func TestGenerateGoldenBetterAuthNames(t *testing.T) {
	newModule(t)
	a := kernia.New(kernia.Options{
		DevURL:   pgtest.NewDatabase(t),
		Dialects: []string{kernia.SQLite, kernia.Postgres},
		Naming:   kernia.BetterAuthNames,
		Plugins:  []kernia.Plugin{twofactor.New(), passkey.New(), jwt.New()},
	})
	res, err := generator.Run(context.Background(), a, generator.Options{Now: clock})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Migrations), 2)
	for _, m := range res.Migrations {
		golden.Assert(t, m.SQL, filepath.Join(testdata, "betterauth", m.Dialect+".sql.golden"))
		// Every name with an upper-case letter is quoted: PostgreSQL folds unquoted names to
		// lower case, and "emailVerified" unquoted would be emailverified.
		q := map[string]string{kernia.SQLite: "`", kernia.Postgres: `"`}[m.Dialect]
		var statements []string
		for _, line := range strings.Split(m.SQL, "\n") {
			if !strings.HasPrefix(line, "--") {
				statements = append(statements, line)
			}
		}
		for _, name := range []string{"emailVerified", "twoFactor", "userId", "credentialID", "createdAt"} {
			unquoted := regexp.MustCompile(`[^` + q + `A-Za-z_]` + name + `[^` + q + `A-Za-z_]`)
			assert.Check(t, !unquoted.MatchString(strings.Join(statements, "\n")), "%s: %s unquoted in\n%s", m.Dialect, name, m.SQL)
			assert.Check(t, strings.Contains(m.SQL, q+name+q), "%s: no %s%s%s in\n%s", m.Dialect, q, name, q, m.SQL)
		}
	}
	again, err := generator.Run(context.Background(), a, generator.Options{Now: clock})
	assert.NilError(t, err)
	assert.Assert(t, again.UpToDate(), "second run changed %v", again.Changed)
}

// namingAuth is core and two-factor under one naming mode, for one dialect.
func namingAuth(dialect, dev string, naming kernia.Naming) *kernia.Auth {
	return kernia.New(kernia.Options{
		DevURL:   dev,
		Dialects: []string{dialect},
		Naming:   naming,
		Plugins:  []kernia.Plugin{twofactor.New()},
	})
}

// namingNames are the tables and columns the switch test reads, under one naming mode.
type namingNames struct{ users, emailVerified, sessions, userID, twoFactors, twoFactorUser string }

var (
	snakeNames = namingNames{"users", "email_verified", "sessions", "user_id", "two_factors", "user_id"}
	baNames    = namingNames{"user", "emailVerified", "session", "userId", "twoFactor", "userId"}
)

// namingRows reads every row through the foreign keys, as text, under the names n.
func namingRows(t *testing.T, db *sql.DB, n namingNames) []string {
	t.Helper()
	q := fmt.Sprintf(`SELECT u.id, u.email, CAST(u.%q AS TEXT), s.token, f.secret FROM %q u JOIN %q s ON s.%q = u.id JOIN %q f ON f.%q = u.id ORDER BY u.id`,
		n.emailVerified, n.users, n.sessions, n.userID, n.twoFactors, n.twoFactorUser)
	rows, err := db.Query(q)
	assert.NilError(t, err, q)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, email, verified, token, secret string
		assert.NilError(t, rows.Scan(&id, &email, &verified, &token, &secret))
		out = append(out, strings.Join([]string{id, email, verified, token, secret}, "|"))
	}
	assert.NilError(t, rows.Err())
	return out
}

// TestNamingSwitchRenames: switching Options.Naming on a generated, migrated database is a
// migration of RENAMEs (tables and columns, core and plugin alike), never a drop and an add: on
// SQLite and PostgreSQL every row survives under the new names, the foreign keys hold, the next
// generate finds nothing to do, and switching back renames everything back.
func TestNamingSwitchRenames(t *testing.T) {
	for _, tg := range renameTargets {
		t.Run(tg.dialect, func(t *testing.T) {
			dir := newModule(t)
			dev, url := tg.dev(t), tg.url(t, dir)
			ctx := context.Background()
			migrations := filepath.Join(dir, "ent/migrate/migrations", tg.dialect)
			_, err := generator.Run(ctx, namingAuth(tg.dialect, dev, kernia.SnakeCase), generator.Options{Now: clock})
			assert.NilError(t, err)
			_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
			assert.NilError(t, err)
			db, _, err := sqldb.Open(ctx, url)
			assert.NilError(t, err)
			defer db.Close()
			insertRenameRows(t, db, renameTables{}.orDefaults())
			before := namingRows(t, db, snakeNames)
			assert.Equal(t, len(before), 3)

			for i, step := range []struct {
				naming kernia.Naming
				names  namingNames
				want   []string
			}{
				{kernia.BetterAuthNames, baNames, map[string][]string{
					kernia.SQLite: {"ALTER TABLE `users` RENAME TO `user`", "ALTER TABLE `user` RENAME COLUMN `email_verified` TO `emailVerified`",
						"ALTER TABLE `twoFactor` RENAME COLUMN `user_id` TO `userId`", "ALTER TABLE `user` RENAME COLUMN `two_factor_enabled` TO `twoFactorEnabled`"},
					kernia.Postgres: {`ALTER TABLE "users" RENAME TO "user"`, `ALTER TABLE "user" RENAME COLUMN "email_verified" TO "emailVerified"`,
						`ALTER TABLE "twoFactor" RENAME COLUMN "user_id" TO "userId"`, `ALTER TABLE "user" RENAME COLUMN "two_factor_enabled" TO "twoFactorEnabled"`},
				}[tg.dialect]},
				{kernia.SnakeCase, snakeNames, map[string][]string{
					kernia.SQLite:   {"ALTER TABLE `user` RENAME TO `users`", "ALTER TABLE `users` RENAME COLUMN `emailVerified` TO `email_verified`"},
					kernia.Postgres: {`ALTER TABLE "user" RENAME TO "users"`, `ALTER TABLE "users" RENAME COLUMN "emailVerified" TO "email_verified"`},
				}[tg.dialect]},
			} {
				a := namingAuth(tg.dialect, dev, step.naming)
				res, err := generator.Run(ctx, a, generator.Options{Now: clock, Name: fmt.Sprintf("naming_%d", i)})
				assert.NilError(t, err, "switching to %s", step.naming)
				var text strings.Builder
				for _, m := range res.Migrations {
					text.WriteString(m.SQL)
				}
				t.Logf("switch to %s:\n%s", step.naming, text.String())
				for _, w := range step.want {
					assert.Check(t, is.Contains(text.String(), w))
				}
				for _, bad := range []string{"DROP TABLE", "DROP COLUMN", "CREATE TABLE"} {
					// SQLite's rebuilds are not used for renames; no table is dropped or created.
					assert.Check(t, !strings.Contains(text.String(), bad), "switching to %s %s:\n%s", step.naming, bad, text.String())
				}
				_, err = migration.Apply(ctx, url, migrations, migration.ApplyOptions{})
				assert.NilError(t, err, text.String())
				assert.DeepEqual(t, namingRows(t, db, step.names), before)
				_, err = db.Exec(fmt.Sprintf(`INSERT INTO %q (id, %q, token, %q, %q, %q) VALUES ('s9', CURRENT_TIMESTAMP, 't9', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'nobody')`,
					step.names.sessions, map[bool]string{true: "expiresAt", false: "expires_at"}[step.naming == kernia.BetterAuthNames], map[bool]string{true: "createdAt", false: "created_at"}[step.naming == kernia.BetterAuthNames],
					map[bool]string{true: "updatedAt", false: "updated_at"}[step.naming == kernia.BetterAuthNames], step.names.userID))
				assert.Check(t, err != nil, "a session of no user was accepted after switching to %s", step.naming)
				again, err := generator.Run(ctx, a, generator.Options{Now: clock})
				assert.NilError(t, err)
				assert.Assert(t, again.UpToDate(), "the generate after switching to %s changed %v", step.naming, again.Changed)
			}
		})
	}
}
