package generator_test

import (
	"context"
	"path"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/plugins/twofactor"
)

// TestReviewable4_DialectsShareTheVersion: one generate run versions every dialect's file alike,
// past the newest file of every dialect's directory, even when one directory is ahead of the
// clock and the other is empty; and each file starts with the header naming the plugin enabled.
func TestReviewable4_DialectsShareTheVersion(t *testing.T) {
	newModule(t)
	dev := pgtest.NewDatabase(t)
	ahead := func() time.Time { return clock().Add(10 * time.Second) }
	sqliteOnly := kernia.New(kernia.Options{DevURL: dev, Dialects: []string{kernia.SQLite}})
	first, err := generator.Run(context.Background(), sqliteOnly, generator.Options{Now: ahead})
	assert.NilError(t, err)
	assert.Equal(t, len(first.Migrations), 1)
	assert.Equal(t, path.Base(first.Migrations[0].Path), "20260102030415_kernia.sql")

	both := kernia.New(kernia.Options{DevURL: dev, Dialects: []string{kernia.SQLite, kernia.Postgres}, Plugins: []kernia.Plugin{twofactor.New()}})
	res, err := generator.Run(context.Background(), both, generator.Options{Now: clock})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Migrations), 2)
	for _, m := range res.Migrations {
		assert.Equal(t, path.Base(m.Path), "20260102030416_kernia.sql", "%s", m.Dialect)
		assert.Assert(t, strings.HasPrefix(m.SQL, diff.HeaderPrefix), "%s", m.SQL)
		assert.Assert(t, strings.Contains(m.SQL, "\n-- plugins: two-factor\n-- enables plugin two-factor\n"), "%s", m.SQL)
	}
}
