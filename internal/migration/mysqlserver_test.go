package migration

import (
	"bytes"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/database"
)

// TestCheckMySQLServer is migrate's decision per server version: pending statements a server
// cannot run are refused before anything runs, each named with the versions that run it; a
// CHECK an older MySQL accepts and ignores is a warning. Only MariaDB 10.11 runs here; the other
// servers are given by their VERSION().
func TestCheckMySQLServer(t *testing.T) {
	rename := "ALTER TABLE `users` RENAME COLUMN `name` TO `full_name`;"
	core := "CREATE TABLE `users` (`id` varchar(255) NOT NULL, `created_at` datetime(3) NOT NULL DEFAULT (current_timestamp(3)), PRIMARY KEY (`id`));"
	check := "ALTER TABLE `users` ADD CONSTRAINT `age` CHECK (`age` >= 0);"
	for _, tc := range []struct {
		version, stmt   string
		refused, warned string
	}{
		{"10.11.19-MariaDB-0+deb12u1", rename, "", ""},
		{"10.4.34-MariaDB", rename, "20250101000002_b.sql statement 1 (" + rename + ") uses ALTER TABLE … RENAME COLUMN, which needs MySQL 8.0.0 or MariaDB 10.5.2: write ALTER TABLE … CHANGE COLUMN old new <the column's full definition>", ""},
		{"8.0.36", rename, "", ""},
		{"5.7.44", rename, "needs MySQL 8.0.0 or MariaDB 10.5.2", ""},
		{"5.7.44", core, "uses a default expression in parentheses (DEFAULT (…)), which needs MySQL 8.0.13 or MariaDB 10.2.1", ""},
		{"8.0.13", core, "", ""},
		{"8.0.15", check, "", "uses a CHECK constraint, which MySQL 8.0.15 accepts but does not enforce (MySQL 8.0.16 or MariaDB 10.2.1 does)"},
		{"10.11.19-MariaDB-0+deb12u1", check, "", ""},
	} {
		t.Run(tc.version+" "+tc.stmt, func(t *testing.T) {
			server, err := database.ParseMySQLServer(tc.version, "")
			assert.NilError(t, err)
			var out bytes.Buffer
			files := []migrate.File{
				migrate.NewLocalFile("20250101000001_a.sql", []byte("CREATE TABLE `a` (`id` int);\n")),
				migrate.NewLocalFile("20250101000002_b.sql", []byte(tc.stmt+"\n")),
			}
			r := &runner{where: "mysql://root@127.0.0.1:3306/shop", server: server, out: &out,
				stmts: map[string][]string{files[0].Name(): {"CREATE TABLE `a` (`id` int);"}, files[1].Name(): {tc.stmt}}}
			err = r.checkMySQLServer(files)
			if tc.refused == "" {
				assert.NilError(t, err)
			} else {
				assert.ErrorContains(t, err, "migrate: mysql://root@127.0.0.1:3306/shop is "+server.String()+", which cannot run every pending statement, so nothing was applied")
				assert.ErrorContains(t, err, tc.refused)
			}
			if tc.warned == "" {
				assert.Check(t, is.Equal(out.String(), ""))
			} else {
				assert.Check(t, is.Contains(out.String(), tc.warned))
			}
		})
	}
}
