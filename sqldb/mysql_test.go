package sqldb_test

import (
	"context"
	"errors"
	"testing"

	"entgo.io/ent/dialect"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/mysqltest"
	"github.com/kernia/kernia/sqldb"
)

// TestReadyMySQL: Open names Ent's MySQL dialect, and Ready reports pending files on MariaDB
// and nil once migrate applied them.
func TestReadyMySQL(t *testing.T) {
	ctx := context.Background()
	url := mysqltest.NewDatabase(t)
	db, d, err := sqldb.Open(ctx, url)
	assert.NilError(t, err)
	defer db.Close()
	assert.Equal(t, d, dialect.MySQL)
	m := newMigrations(t, "mysql", file1, file2)
	var nr *sqldb.NotReadyError
	err = sqldb.Ready(ctx, db, d, m.fsys())
	assert.Assert(t, errors.As(err, &nr), "%v", err)
	assert.Check(t, is.DeepEqual(nr.Pending, []string{file1, file2}))
	assert.NilError(t, m.apply(url, migration.ApplyOptions{}))
	assert.NilError(t, sqldb.Ready(ctx, db, d, m.fsys()))
	m.write(file3, contents[file3])
	m.rehash()
	err = sqldb.Ready(ctx, db, d, m.fsys())
	assert.Assert(t, errors.As(err, &nr), "%v", err)
	assert.Check(t, is.DeepEqual(nr.Pending, []string{file3}))
}
