package reliability_test

import (
	"database/sql"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/mysqltest"
	"github.com/kernia/kernia/internal/pgtest"
)

// validDir is a migration directory that passes verification, so commands get as far as
// connecting.
func validDir(t *testing.T) string {
	return migrations(t, map[string]string{"20260101000001_a.sql": goodFile})
}

// closedPort returns 127.0.0.1:<a port nothing listens on>.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := ln.Addr().String()
	assert.NilError(t, ln.Close())
	return addr
}

// Check 19: a closed port on 127.0.0.1, and a listener on 127.0.0.1 that accepts connections but
// never answers: migrate and status exit non-zero within the connect timeout (--connect-timeout,
// default 10 s), naming host and port and the cause. Only loopback is contacted. The same for
// mysql:// URLs.
func TestConnections19_UnreachableServerFailsWithinTheConnectTimeout(t *testing.T) {
	t.Parallel()
	dir := validDir(t)
	closed := closedPort(t)
	silent := listen(t)
	cases := []struct {
		name   string
		scheme string // default postgres
		addr   string
		query  string
		args   []string
		want   []string
		bound  time.Duration
	}{
		{"closed port", "", closed, "?sslmode=disable", nil, []string{closed, "connection refused"}, time.Minute},
		{"silent listener, --connect-timeout 2s", "", silent.addr, "?sslmode=disable", []string{"--connect-timeout", "2s"}, []string{silent.addr, "no answer within 2s"}, time.Minute},
		{"silent listener, TLS preferred, --connect-timeout 1s", "", silent.addr, "", []string{"--connect-timeout", "1s"}, []string{silent.addr, "no answer within 1s"}, time.Minute},
		{"silent listener, connect_timeout in the URL", "", silent.addr, "?sslmode=disable&connect_timeout=1", nil, []string{silent.addr, "no answer within 1s"}, time.Minute},
		{"silent listener, default 10s", "", silent.addr, "?sslmode=disable", nil, []string{silent.addr, "no answer within 10s"}, 90 * time.Second},
		{"mysql, closed port", "mysql", closed, "", nil, []string{closed, "connection refused"}, time.Minute},
		{"mysql, silent listener, --connect-timeout 2s", "mysql", silent.addr, "", []string{"--connect-timeout", "2s"}, []string{silent.addr, "no answer within 2s"}, time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scheme := tc.scheme
			if scheme == "" {
				scheme = "postgres"
			}
			u := scheme + "://alice:s3cretPW@" + tc.addr + "/app" + tc.query
			for _, cmd := range []string{"migrate", "status"} {
				r := kernia(t, append([]string{cmd, "--url", u, "--dir", dir}, tc.args...)...)
				expect(t, r, 1, tc.want...)
				assert.Check(t, r.elapsed < tc.bound, "%s took %s", cmd, r.elapsed)
			}
		})
	}
}

// rolePassword is the password of kernia_password_test, with every character a URL needs
// encoded; its parts are in neverPrinted.
const rolePassword = "Left9x%#@/Right7y"

// passwordRole creates (or resets) the role scripts/ensure-postgres.sh makes the server check
// passwords for, owning a fresh database, and returns that database's URL without user info.
// It skips (fails under CI=true) when the server lets the role in with a wrong password.
func passwordRole(t *testing.T, password string) *url.URL {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	server := pgtest.Server(t)
	u, err := url.Parse(dbURL)
	assert.NilError(t, err)
	name := strings.TrimPrefix(u.Path, "/")
	if _, err := server.Exec(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kernia_password_test') THEN CREATE ROLE kernia_password_test LOGIN; END IF; END $$`); err != nil {
		t.Fatalf("create role: %v", err)
	}
	_, err = server.Exec(`ALTER ROLE kernia_password_test LOGIN PASSWORD '` + strings.ReplaceAll(password, "'", "''") + `'`)
	assert.NilError(t, err)
	_, err = server.Exec(`ALTER DATABASE ` + name + ` OWNER TO kernia_password_test`)
	assert.NilError(t, err)
	// Does the server check this role's password from loopback?
	probe := *u
	probe.User = url.UserPassword("kernia_password_test", "not-the-password")
	db, err := sql.Open("pgx", probe.String())
	assert.NilError(t, err)
	defer db.Close()
	if db.Ping() == nil {
		msg := "the server lets kernia_password_test in without checking its password from 127.0.0.1: run scripts/ensure-postgres.sh (as root) to add its pg_hba.conf rule"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u
}

// mysqlPasswordUser creates a MySQL user with password on the test server, allowed into a
// fresh database, and returns that database's URL without user info, and the user's name. The
// name is the test's own, so parallel tests do not share it; it is dropped when the test ends.
func mysqlPasswordUser(t *testing.T, password string) (*url.URL, string) {
	t.Helper()
	u, err := url.Parse(mysqltest.NewDatabase(t))
	assert.NilError(t, err)
	server := mysqltest.Server(t)
	var suffix string
	assert.NilError(t, server.QueryRow("SELECT lower(hex(random_bytes(4)))").Scan(&suffix))
	user := "kernia_pw_" + suffix
	_, err = server.Exec("CREATE USER '" + user + "'@'127.0.0.1' IDENTIFIED BY '" + strings.ReplaceAll(password, "'", "''") + "'")
	assert.NilError(t, err)
	t.Cleanup(func() { _, _ = server.Exec("DROP USER IF EXISTS '" + user + "'@'127.0.0.1'") })
	_, err = server.Exec("GRANT ALL ON `" + strings.TrimPrefix(u.Path, "/") + "`.* TO '" + user + "'@'127.0.0.1'")
	assert.NilError(t, err)
	u.User = nil
	return u, user
}

// Check 20: a wrong password, malformed URLs (passwords with raw %, #, @ and /) and a URL with no
// scheme: clear errors without any part of the password. The same password percent-encoded
// works. On PostgreSQL (a role the server checks passwords for) and MySQL (a user with a
// password).
func TestConnections20_WrongPasswordAndMalformedURLsNeverShowThePassword(t *testing.T) {
	t.Parallel()
	password := rolePassword
	dir := validDir(t)
	for _, server := range []struct {
		scheme string
		query  string
		open   func(t *testing.T) (*url.URL, string)
		wrong  func(user string) []string
	}{
		{"postgres", "?sslmode=disable", func(t *testing.T) (*url.URL, string) { return passwordRole(t, password), "kernia_password_test" },
			func(user string) []string { return []string{`user "` + user + `"`, "password authentication failed"} }},
		{"mysql", "", func(t *testing.T) (*url.URL, string) { return mysqlPasswordUser(t, password) },
			func(user string) []string {
				return []string{`user "` + user + `"`, "access denied: check the user and password in the database URL"}
			}},
	} {
		t.Run(server.scheme, func(t *testing.T) {
			t.Parallel()
			u, user := server.open(t)
			host := u.Host
			withUser := func(userinfo string) string {
				return server.scheme + "://" + userinfo + "@" + host + u.Path + server.query
			}
			malformed := server.scheme + " URL is malformed"
			cases := []struct {
				name string
				url  string
				want []string
			}{
				{"wrong password", withUser(user + ":WrongPW8"), append([]string{host}, server.wrong(user)...)},
				{"raw %", server.scheme + "://" + user + ":Left9x%Right7y@" + host + "/db", []string{malformed, "percent-encode"}},
				{"raw #", server.scheme + "://" + user + ":Left9x#Right7y@" + host + "/db", []string{malformed, "percent-encode"}},
				{"raw @", server.scheme + "://" + user + ":Left9x@Right7y@" + host + u.Path + server.query, []string{malformed + ": its user info holds more than one '@'", "percent-encode"}},
				{"raw /", server.scheme + "://" + user + ":Left9x/Right7y@" + host + "/db", []string{malformed, "percent-encode"}},
				{"all of them raw", server.scheme + "://" + user + ":" + password + "@" + host + "/db", []string{malformed, "percent-encode"}},
				{"no scheme", user + ":Left9x@" + host + "/db", []string{"has no scheme"}},
				{"no scheme, with slashes", "//" + user + ":Left9x@" + host + "/db", []string{"has no scheme"}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					for _, cmd := range []string{"migrate", "status"} {
						r := kernia(t, cmd, "--url", tc.url, "--dir", dir, "--connect-timeout", "5s")
						expect(t, r, 1, tc.want...)
						for _, part := range []string{"Left9x", "Right7y", "%Ri", "WrongPW8"} {
							assert.Check(t, !strings.Contains(r.combined(), part), "%s: the output shows %q of the password:\n%s", cmd, part, r.combined())
						}
					}
				})
			}
			t.Run("percent-encoded password works", func(t *testing.T) {
				ok := withUser(user + ":" + url.QueryEscape(password))
				r := kernia(t, "migrate", "--url", ok, "--dir", dir)
				expect(t, r, 0, "applied 20260101000001_a.sql")
				r = kernia(t, "status", "--url", ok, "--dir", dir, "--json")
				expect(t, r, 0)
				assert.Check(t, strings.Contains(r.stdout, `"database": "`+server.scheme+`://`+user+`@`), r.stdout)
			})
		})
	}
}
