package database_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/database"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://alice:s3cret@db:5432/app?sslmode=disable", "postgres://alice@db:5432/app?sslmode=disable"},
		{"postgres://alice:p@ss/w#rd@db/app", "postgres://alice@db/app"},
		{"postgres://alice@db/app", "postgres://alice@db/app"},
		{"postgres://db/app?user=alice&password=s3cret&sslmode=disable", "postgres://db/app?user=alice&password=xxxxx&sslmode=disable"},
		{"host=db user=alice password=s3cret dbname=app", "host=db user=alice password=xxxxx dbname=app"},
		{"host=db password='s3 cret' dbname=app", "host=db password=xxxxx dbname=app"},
		{"sqlite://kernia.db", "sqlite://kernia.db"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, database.Redact(tc.in), tc.want)
		})
	}
}

func TestParseErrorsNeverShowThePassword(t *testing.T) {
	tests := []struct{ url, want string }{
		{"oracle://root:s3cret@db/app", `unsupported scheme "oracle"`},
		{"root:s3cret@db/app", "has no scheme"},
		{"root:s3cret@db://app", "does not start with a valid scheme"},
		{"postgres://alice:s3cret@db/app?application_name=s3cret@x", "an '@' after the host"},
		{"postgres://alice:s3cret@db/app?a=1;b=s3cret", "malformed query"},
		{"postgres://alice:s3cr%t@db/app", "percent-encode"},
		{"postgres://alice:s3cret@db:notaport/app", "postgres URL"},
		{"sqlite://", "has no file path"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			_, err := database.Parse(tc.url)
			assert.ErrorContains(t, err, tc.want)
			assert.Assert(t, !strings.Contains(err.Error(), "s3cr"), err.Error())
		})
	}
}

func TestOpenPostgresFailures(t *testing.T) {
	ctx := context.Background()
	// A closed port on loopback.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	closedAddr := closed.Addr().String()
	closed.Close()

	// A listener that accepts and never answers.
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
		{"closed port", "postgres://alice:s3cret@" + closedAddr + "/app?sslmode=disable", closedAddr},
		{"silent listener", "postgres://alice:s3cret@" + silent.Addr().String() + "/app?sslmode=disable&connect_timeout=1", "no answer within"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := database.Parse(tc.url)
			assert.NilError(t, err)
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_, err = database.Open(ctx, u)
			assert.ErrorContains(t, err, tc.want)
			assert.Assert(t, !strings.Contains(err.Error(), "s3cret"), err.Error())
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Run("foreign keys on in every pooled connection", func(t *testing.T) {
		u, err := database.Parse("sqlite://" + filepath.Join(dir, "app.db"))
		assert.NilError(t, err)
		db, err := database.Open(ctx, u)
		assert.NilError(t, err)
		defer db.Close()
		db.SetMaxOpenConns(4)
		conns := make([]interface{ Close() error }, 0, 4)
		for range 4 {
			c, err := db.Conn(ctx)
			assert.NilError(t, err)
			var fk int
			assert.NilError(t, c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
			assert.Equal(t, fk, 1)
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
	})
	tests := []struct{ name, path, want string }{
		{"missing parent directory", filepath.Join(dir, "missing", "app.db"), "does not exist"},
		{"path is a directory", dir, "is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := database.Parse("sqlite://" + tc.path)
			assert.NilError(t, err)
			_, err = database.Open(ctx, u)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
