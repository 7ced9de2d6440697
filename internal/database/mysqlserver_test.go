package database_test

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/mysqltest"
)

// TestMySQLServerFeatures is the decision per server version: what VERSION() and
// @@version_comment say, and which of the features Kernia's migrations use each server runs.
// Only MariaDB 10.11 runs on these machines; the other rows are the documented versions.
func TestMySQLServerFeatures(t *testing.T) {
	features := []database.MySQLFeature{database.MySQLRenameColumn, database.MySQLExpressionDefault, database.MySQLJSON, database.MySQLCheck}
	for _, tc := range []struct {
		version, comment string
		name             string
		// rename, expression default, json, check
		supports [4]bool
	}{
		{"5.7.44-log", "MySQL Community Server (GPL)", "MySQL 5.7.44", [4]bool{false, false, true, false}},
		{"5.7.7", "MySQL Community Server (GPL)", "MySQL 5.7.7", [4]bool{false, false, false, false}},
		{"8.0.12", "MySQL Community Server - GPL", "MySQL 8.0.12", [4]bool{true, false, true, false}},
		{"8.0.13", "MySQL Community Server - GPL", "MySQL 8.0.13", [4]bool{true, true, true, false}},
		{"8.0.16", "MySQL Community Server - GPL", "MySQL 8.0.16", [4]bool{true, true, true, true}},
		{"8.4.3", "MySQL Community Server - GPL", "MySQL 8.4.3", [4]bool{true, true, true, true}},
		{"10.1.48-MariaDB", "MariaDB Server", "MariaDB 10.1.48", [4]bool{false, false, false, false}},
		{"10.2.7-MariaDB", "mariadb.org binary distribution", "MariaDB 10.2.7", [4]bool{false, true, true, true}},
		{"10.4.34-MariaDB-1:10.4.34+maria~ubu2004", "mariadb.org binary distribution", "MariaDB 10.4.34", [4]bool{false, true, true, true}},
		{"10.5.1-MariaDB", "MariaDB Server", "MariaDB 10.5.1", [4]bool{false, true, true, true}},
		{"10.5.2-MariaDB", "MariaDB Server", "MariaDB 10.5.2", [4]bool{true, true, true, true}},
		{"10.11.19-MariaDB-0+deb12u1", "Debian 12", "MariaDB 10.11.19", [4]bool{true, true, true, true}},
		{"5.5.5-10.4.3-MariaDB", "", "MariaDB 10.4.3", [4]bool{false, true, true, true}},
		// A MariaDB whose VERSION() does not say so (a distribution's build): the comment does.
		{"11.4.2", "MariaDB Server", "MariaDB 11.4.2", [4]bool{true, true, true, true}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			s, err := database.ParseMySQLServer(tc.version, tc.comment)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(s.String(), tc.name))
			for i, f := range features {
				assert.Check(t, is.Equal(s.Supports(f), tc.supports[i]), "%s: %s", tc.name, f.Name)
			}
		})
	}
	_, err := database.ParseMySQLServer("unknown", "")
	assert.ErrorContains(t, err, `reports version "unknown"`)
}

// TestMySQLFeaturesOfStatements: the features each statement form uses, as Atlas and Kernia
// write them.
func TestMySQLFeaturesOfStatements(t *testing.T) {
	for _, tc := range []struct {
		stmt string
		want []string
	}{
		{"ALTER TABLE `users` RENAME COLUMN `name` TO `full_name`", []string{database.MySQLRenameColumn.Name}},
		{"ALTER TABLE `users` ADD COLUMN `role` text NULL, RENAME COLUMN `a` TO `b`", []string{database.MySQLRenameColumn.Name}},
		{"CREATE TABLE `users` (`id` varchar(255) NOT NULL, `created_at` datetime(3) NOT NULL DEFAULT (current_timestamp(3)), PRIMARY KEY (`id`))", []string{database.MySQLExpressionDefault.Name}},
		{"CREATE TABLE `t` (`at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))", nil},
		{"ALTER TABLE `oauth` ADD COLUMN `scopes` json NOT NULL", []string{database.MySQLJSON.Name}},
		{"CREATE TABLE `t` (`n` int, CONSTRAINT `n_positive` CHECK (`n` > 0))", []string{database.MySQLCheck.Name}},
		{"ALTER TABLE `t` RENAME TO `u`", nil},
		{"CREATE TABLE `jsonish` (`json_data` text)", nil},
	} {
		var got []string
		for _, f := range database.MySQLFeatures(tc.stmt) {
			got = append(got, f.Name)
		}
		assert.Check(t, is.DeepEqual(got, tc.want), tc.stmt)
	}
}

// TestReadMySQLServer reads the test server: MariaDB 10.11 here.
func TestReadMySQLServer(t *testing.T) {
	db := mysqltest.Server(t)
	conn, err := db.Conn(t.Context())
	assert.NilError(t, err)
	defer conn.Close()
	s, err := database.ReadMySQLServer(t.Context(), conn)
	assert.NilError(t, err)
	t.Logf("the test server is %s (%s)", s, s.Version)
	assert.Check(t, s.Major > 0)
	assert.Check(t, s.Supports(database.MySQLExpressionDefault), "Kernia's generated files need %s", database.MySQLExpressionDefault.Minimum())
}
