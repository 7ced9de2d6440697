// Package pgtest gives tests a fresh PostgreSQL database on the local server.
//
// The server is $KERNIA_TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/postgres.
// When it cannot be reached the test is skipped, except under CI=true, where it fails: CI must
// never count a PostgreSQL test as passed without running it.
package pgtest

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

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DefaultServerURL is the server tests use when $KERNIA_TEST_POSTGRES_URL is unset.
const DefaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the URL of the test server's maintenance database.
func ServerURL() string {
	if u := os.Getenv("KERNIA_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultServerURL
}

// Server returns a connection to the test server, skipping (or, under CI=true, failing) the
// test when the server cannot be reached.
func Server(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", ServerURL())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL test server unreachable under CI=true: %v", err)
		}
		t.Skipf("PostgreSQL test server unreachable (set KERNIA_TEST_POSTGRES_URL): %v", err)
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
	if _, err := server.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = server.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return URLFor(name)
}

// URLFor returns the URL of database name on the test server.
func URLFor(name string) string {
	u, err := url.Parse(ServerURL())
	if err != nil {
		panic(fmt.Sprintf("pgtest: KERNIA_TEST_POSTGRES_URL is not a URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Open connects to database name on the test server; the connection closes when the test ends.
func Open(t testing.TB, name string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", URLFor(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
