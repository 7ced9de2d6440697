package database_test

import (
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

func TestParseDevURLs(t *testing.T) {
	const pg = "postgres://dev:s3cret@127.0.0.1:5432/dev?sslmode=disable"
	const my = "mysql://root:s3cret@127.0.0.1:3306/"
	tests := []struct {
		name, list      string
		postgres, mysql string // redacted URL of each dialect, "" for none
		redacted        []string
	}{
		{"empty", "", "", "", []string{}},
		{"blank", " \t\n", "", "", []string{}},
		{"one PostgreSQL URL, as before lists", pg, "postgres://dev@127.0.0.1:5432/dev?sslmode=disable", "", []string{"postgres://dev@127.0.0.1:5432/dev?sslmode=disable"}},
		{"one MySQL URL", my, "", "mysql://root@127.0.0.1:3306/", []string{"mysql://root@127.0.0.1:3306/"}},
		{"both, any whitespace, any order", "  " + my + "\n\t" + pg + " ", "postgres://dev@127.0.0.1:5432/dev?sslmode=disable", "mysql://root@127.0.0.1:3306/", []string{"mysql://root@127.0.0.1:3306/", "postgres://dev@127.0.0.1:5432/dev?sslmode=disable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := database.ParseDevURLs(tc.list)
			assert.NilError(t, err)
			for dialect, want := range map[string]string{kernia.Postgres: tc.postgres, kernia.MySQL: tc.mysql} {
				u := d.For(dialect)
				if want == "" {
					assert.Assert(t, u == nil, "%s: %v", dialect, u)
					continue
				}
				assert.Assert(t, u != nil, dialect)
				assert.Equal(t, u.Redacted(), want)
			}
			assert.Assert(t, d.For(kernia.SQLite) == nil)
			assert.DeepEqual(t, d.Redacted(), tc.redacted)
		})
	}
}

func TestParseDevURLsRefuses(t *testing.T) {
	tests := []struct{ name, list, want string }{
		{"garbage", "not-a-url", "the dev database URL: database URL has no scheme"},
		{"garbage after a good one", "postgres://dev:s3cret@db/dev oracle://x:s3cret@db/x", `dev database URL 2 of 2: database URL has unsupported scheme "oracle"`},
		{"SQLite", "sqlite://dev.db", "the dev database URL is a SQLite URL (sqlite://dev.db): SQLite migrations are computed in an in-memory database"},
		{"two PostgreSQL", "postgres://a:s3cret@db/a postgresql://b:s3cret@db/b", "dev database URL 2 of 2 is a second postgres URL (postgresql://b@db/b, after postgres://a@db/a): keep one"},
		{"two MySQL", "mysql://a:s3cret@db/a mariadb://b:s3cret@db/", "is a second mysql URL"},
		{"a password with a raw space splits the URL", "postgres://dev:s3c ret@db/dev", "dev database URL 2 of 2 is no database URL: a URL never holds raw whitespace"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := database.ParseDevURLs(tc.list)
			assert.ErrorContains(t, err, tc.want)
			assert.ErrorContains(t, err, "one dev database URL per server dialect, separated by spaces")
			assert.Assert(t, !strings.Contains(err.Error(), "s3c"), err.Error())
		})
	}
}
