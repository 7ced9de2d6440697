package diff

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/mysqltest"
)

// TestDropStaleMySQL applies the stale rule to kernia_dev_ databases on the MariaDB server:
// one a killed process of this machine left and an old unused one go; a live process's, a
// connected one, a young one and a user's database stay.
func TestDropStaleMySQL(t *testing.T) {
	server := mysqltest.Server(t)
	ctx := context.Background()
	now := time.Now()
	dead := exec.Command("true")
	assert.NilError(t, dead.Run())
	deadPID := dead.Process.Pid
	suffix := randomSuffix()
	names := map[string]string{
		"killed here":         fmt.Sprintf("kernia_dev_%d_%s_%d_%s", now.Unix(), hostTag(), deadPID, suffix),
		"live here":           fmt.Sprintf("kernia_dev_%d_%s_%d_%s", now.Unix(), hostTag(), os.Getpid(), suffix),
		"old elsewhere":       fmt.Sprintf("kernia_dev_%d_0badc0de_1_%s", now.Add(-2*time.Hour).Unix(), suffix),
		"old elsewhere, used": fmt.Sprintf("kernia_dev_%d_0badc0de_2_%s", now.Add(-2*time.Hour).Unix(), suffix),
		"young elsewhere":     fmt.Sprintf("kernia_dev_%d_0badc0de_3_%s", now.Unix(), suffix),
		"user's":              "kernia_dev_notes_" + suffix,
	}
	for _, n := range names {
		_, err := server.Exec("CREATE DATABASE `" + n + "`")
		assert.NilError(t, err)
		t.Cleanup(func() { _, _ = server.Exec("DROP DATABASE IF EXISTS `" + n + "`") })
	}
	inUse := mysqltest.Open(t, mysqltest.URLFor(names["old elsewhere, used"]))
	assert.NilError(t, inUse.Ping())

	dropped, err := dropStaleMySQL(ctx, server, now)
	assert.NilError(t, err)
	for what, n := range names {
		want := what == "killed here" || what == "old elsewhere"
		assert.Equal(t, slices.Contains(dropped, n), want, "%s (%s): dropped %v", what, n, dropped)
		var count int
		assert.NilError(t, server.QueryRow("SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", n).Scan(&count))
		assert.Equal(t, count == 1, !want, "%s (%s)", what, n)
	}
}

// TestOpenDevMySQL: without a MySQL KERNIA_DEV_URL (a PostgreSQL one is passed over) the dev
// database is a temporary one on the target's server, gone after Close; so it is, with a
// target of another dialect, on the server of a MySQL dev URL naming no database (the list of
// a configuration generating both server dialects); a MySQL dev URL naming a database must
// name an empty one, which Close empties again.
func TestOpenDevMySQL(t *testing.T) {
	ctx := context.Background()
	target := mysqltest.NewDatabase(t)
	server := mysqltest.Server(t)
	dev, err := OpenDev(ctx, kernia.MySQL, "postgres://postgres@127.0.0.1:5432/postgres", target)
	assert.NilError(t, err)
	var name string
	assert.NilError(t, dev.DB.QueryRow("SELECT DATABASE()").Scan(&name))
	assert.Assert(t, tempNameRE.MatchString(name), name)
	assert.NilError(t, dev.Close())
	var n int
	assert.NilError(t, server.QueryRow("SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&n))
	assert.Equal(t, n, 0)

	_, err = OpenDev(ctx, kernia.MySQL, "", "sqlite://kernia.db")
	assert.ErrorContains(t, err, "set KERNIA_DEV_URL=mysql://")

	serverOnly := mysqltest.URLFor("")
	dev, err = OpenDev(ctx, kernia.MySQL, "postgres://postgres@127.0.0.1:5432/postgres\n\t"+serverOnly, "sqlite://kernia.db")
	assert.NilError(t, err)
	assert.NilError(t, dev.DB.QueryRow("SELECT DATABASE()").Scan(&name))
	assert.Assert(t, tempNameRE.MatchString(name), name)
	assert.NilError(t, dev.Close())
	assert.NilError(t, server.QueryRow("SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&n))
	assert.Equal(t, n, 0)

	devURL := mysqltest.NewDatabase(t)
	dev, err = OpenDev(ctx, kernia.MySQL, devURL, target)
	assert.NilError(t, err)
	_, err = dev.DB.Exec("CREATE TABLE a (id int PRIMARY KEY)")
	assert.NilError(t, err)
	_, err = dev.DB.Exec("CREATE TABLE b (a_id int, FOREIGN KEY (a_id) REFERENCES a (id))")
	assert.NilError(t, err)
	_, err = OpenDev(ctx, kernia.MySQL, devURL, target)
	assert.ErrorContains(t, err, "is not empty (found table `a`)")
	assert.NilError(t, dev.Close())
	dev, err = OpenDev(ctx, kernia.MySQL, devURL, target)
	assert.NilError(t, err, "Close emptied the dev database")
	assert.NilError(t, dev.Close())
}
