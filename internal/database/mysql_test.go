package database_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/mysqltest"
)

func TestParseMySQL(t *testing.T) {
	tests := []struct{ url, host, db, redacted string }{
		{"mysql://shop:s3cret@db.internal:3307/shop", "db.internal:3307", "shop", "mysql://shop@db.internal:3307/shop"},
		{"mysql://root@127.0.0.1/app", "127.0.0.1:3306", "app", "mysql://root@127.0.0.1/app"},
		{"mariadb://root:p%40ss@[::1]:3306/app?tls=false", "[::1]:3306", "app", "mariadb://root@[::1]:3306/app?tls=false"},
		{"MYSQL://root@localhost/app?parseTime=true&loc=UTC", "localhost:3306", "app", "MYSQL://root@localhost/app?parseTime=true&loc=UTC"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			u, err := database.Parse(tc.url)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(u.Dialect, kernia.MySQL))
			assert.Check(t, is.Equal(u.Host(), tc.host))
			assert.Check(t, is.Equal(u.Database(), tc.db))
			assert.Check(t, is.Equal(u.Redacted(), tc.redacted))
			assert.Check(t, is.Equal(u.WithDatabase("other").Database(), "other"))
		})
	}
}

func TestParseMySQLRefuses(t *testing.T) {
	tests := []struct{ url, want string }{
		{"mysql://root:s3cret@db/app?multiStatements=true", "multiStatements=false"},
		{"mysql://root:s3cret@db/app?parseTime=false", "parseTime=true"},
		{"mysql://root:s3cret@db/app?loc=Local", "loc=UTC"},
		{"mysql://root:s3cret@db/app?charset=latin1", "utf8mb4"},
		{"mysql://root:s3cret@db/app?socket=/run/mysqld.sock", "over TCP"},
		{"mysql://root:s3cret@db/", "names no database"},
		{"mysql://root:s3cret@db", "names no database"},
		{"mysql://:s3cret@db/app", "has no user"},
		{"mysql://root:s3cret@db/app?tls=maybe", "invalid parameter"},
		{"mysql://root:s3c/ret@db/app", "percent-encode"},
		{"mysql://root:s3cret@db:port/app", "mysql URL is malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			_, err := database.Parse(tc.url)
			assert.ErrorContains(t, err, tc.want)
			assert.Assert(t, !strings.Contains(err.Error(), "s3c"), err.Error())
		})
	}
}

// TestOpenMySQL checks the session settings Kernia's MySQL connections have on the real
// server: utf8mb4 with the binary collation, UTC, a DATETIME read as a time.Time, and one
// statement per query.
func TestOpenMySQL(t *testing.T) {
	url := mysqltest.NewDatabase(t)
	db := mysqltest.Open(t, url)
	var charset, collation, tz string
	assert.NilError(t, db.QueryRow("SELECT @@character_set_connection, @@collation_connection, @@session.time_zone").Scan(&charset, &collation, &tz))
	assert.Check(t, is.Equal(charset, "utf8mb4"))
	assert.Check(t, is.Equal(collation, database.MySQLCollation))
	assert.Check(t, is.Equal(tz, "+00:00"))
	var now time.Time
	assert.NilError(t, db.QueryRow("SELECT CAST(NOW(3) AS DATETIME(3))").Scan(&now))
	assert.Check(t, is.Equal(now.Location(), time.UTC))
	assert.Check(t, time.Since(now).Abs() < time.Minute, "NOW() in UTC is %s, now is %s", now, time.Now().UTC())
	_, err := db.Exec("SELECT 1; SELECT 2")
	assert.ErrorContains(t, err, "SQL syntax")
	var same int
	assert.NilError(t, db.QueryRow("SELECT 'Token' = 'token'").Scan(&same))
	assert.Check(t, is.Equal(same, 0), "comparisons are case-sensitive")
}

func TestOpenMySQLFailures(t *testing.T) {
	ctx := context.Background()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	closedAddr := closed.Addr().String()
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	tests := []struct{ name, url, want string }{
		{"closed port", "mysql://alice:s3cret@" + closedAddr + "/app", "is the server running"},
		{"silent listener", "mysql://alice:s3cret@" + silent.Addr().String() + "/app?timeout=1s", "no answer within 1s"},
	}
	if testing.Short() {
		tests = tests[:1]
	}
	mysqltest.Server(t) // the cases below need the server
	tests = append(tests,
		struct{ name, url, want string }{"wrong password", strings.Replace(mysqltest.URLFor("mysql"), "root@", "kernia_nobody:s3cret@", 1), "access denied: check the user and password"},
		struct{ name, url, want string }{"missing database", mysqltest.URLFor("kernia_missing_db"), "database does not exist: `kernia migrate` creates it (CREATE DATABASE kernia_missing_db CHARACTER SET utf8mb4 COLLATE utf8mb4_bin: the character set"},
		struct{ name, url, want string }{"missing database, a name to quote", mysqltest.URLFor("kernia-missing`db"), "creates it (CREATE DATABASE `kernia-missing``db` CHARACTER SET utf8mb4"},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := database.Parse(tc.url)
			assert.NilError(t, err)
			_, err = database.Open(ctx, u)
			assert.ErrorContains(t, err, tc.want)
			assert.Assert(t, !strings.Contains(err.Error(), "s3cret"), err.Error())
		})
	}
}

// TestCreateMySQLDatabase: a database that does not exist is created with utf8mb4 and Kernia's
// collation, even under a name that needs quoting; creating it again reports that it existed;
// a user who may not create databases gets the statement to hand an administrator, and no
// password.
func TestCreateMySQLDatabase(t *testing.T) {
	ctx := context.Background()
	server := mysqltest.Server(t)
	var suffix string
	assert.NilError(t, server.QueryRow("SELECT lower(hex(random_bytes(4)))").Scan(&suffix))
	name := "kernia-create`" + suffix
	t.Cleanup(func() { _, _ = server.Exec("DROP DATABASE IF EXISTS `" + strings.ReplaceAll(name, "`", "``") + "`") })
	u, err := database.Parse(mysqltest.URLFor(name))
	assert.NilError(t, err)
	_, err = database.Open(ctx, u)
	assert.Assert(t, errors.Is(err, database.ErrNoDatabase), "%v", err)

	created, err := database.CreateMySQLDatabase(ctx, u)
	assert.NilError(t, err)
	assert.Check(t, created)
	var charset, collation string
	assert.NilError(t, server.QueryRow("SELECT default_character_set_name, default_collation_name FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&charset, &collation))
	assert.Check(t, is.Equal(charset, "utf8mb4"))
	assert.Check(t, is.Equal(collation, database.MySQLCollation))
	db, err := database.Open(ctx, u)
	assert.NilError(t, err)
	db.Close()
	created, err = database.CreateMySQLDatabase(ctx, u)
	assert.NilError(t, err)
	assert.Check(t, !created, "the second call created it again")

	user := "kernia_nocreate_" + suffix
	_, err = server.Exec("CREATE USER '" + user + "'@'127.0.0.1' IDENTIFIED BY 's3cret'")
	assert.NilError(t, err)
	t.Cleanup(func() { _, _ = server.Exec("DROP USER IF EXISTS '" + user + "'@'127.0.0.1'") })
	nu, err := database.Parse(strings.Replace(mysqltest.URLFor("kernia_none_"+suffix), "root@", user+":s3cret@", 1))
	assert.NilError(t, err)
	_, err = database.CreateMySQLDatabase(ctx, nu)
	assert.ErrorContains(t, err, "may not create it: have an administrator run CREATE DATABASE kernia_none_"+suffix+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	assert.Check(t, !strings.Contains(err.Error(), "s3cret"), err.Error())
}
