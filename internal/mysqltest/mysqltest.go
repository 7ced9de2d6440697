// Package mysqltest gives tests a fresh MySQL or MariaDB database on the local server.
//
// The server is $KERNIA_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306/mysql. When it
// cannot be reached the test is skipped, except under CI=true, where it fails: CI must never
// count a MySQL test as passed without running it.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/kernia/kernia/internal/database"
)

// DefaultServerURL is the server tests use when $KERNIA_TEST_MYSQL_URL is unset.
const DefaultServerURL = "mysql://root@127.0.0.1:3306/mysql"

// ServerURL returns the URL of the test server's mysql database.
func ServerURL() string {
	if u := os.Getenv("KERNIA_TEST_MYSQL_URL"); u != "" {
		return u
	}
	return DefaultServerURL
}

// Server returns a connection to the test server (opened as Kernia opens MySQL), skipping
// (or, under CI=true, failing) the test when the server cannot be reached.
func Server(t testing.TB) *sql.DB {
	t.Helper()
	u, err := database.Parse(ServerURL())
	if err != nil {
		t.Fatalf("mysqltest: KERNIA_TEST_MYSQL_URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := database.Open(ctx, u.WithConnectTimeout(5*time.Second))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MySQL test server unreachable under CI=true: %v", err)
		}
		t.Skipf("MySQL test server unreachable (set KERNIA_TEST_MYSQL_URL): %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewDatabase creates an empty database on the test server, drops it when the test ends, and
// returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := Server(t)
	name := "kernia_test_" + randomSuffix()
	if _, err := server.Exec("CREATE DATABASE `" + name + "`"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = server.Exec("DROP DATABASE IF EXISTS `" + name + "`")
	})
	return URLFor(name)
}

// URLFor returns the URL of database name on the test server.
func URLFor(name string) string {
	u, err := url.Parse(ServerURL())
	if err != nil {
		panic(fmt.Sprintf("mysqltest: KERNIA_TEST_MYSQL_URL is not a URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

// Open connects to the database at rawURL as Kernia does; the connection closes when the test
// ends.
func Open(t testing.TB, rawURL string) *sql.DB {
	t.Helper()
	u, err := database.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
