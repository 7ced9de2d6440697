package diff

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/pgtest"
)

func TestTempNameIsRecognised(t *testing.T) {
	now := time.Unix(1767225600, 0)
	name := tempName(now)
	assert.Assert(t, tempNameRE.MatchString(name), name)
	assert.Assert(t, len(name) <= 63, "%s is longer than PostgreSQL's 63-byte identifiers", name)
	assert.Equal(t, name[:len(tempPrefix)+10], fmt.Sprintf("%s%d", tempPrefix, now.Unix()))
}

// TestStaleRule: a temporary dev database is stale when this machine's process that created
// it is gone, or when it is older than StaleAfter and nobody is connected; never otherwise.
func TestStaleRule(t *testing.T) {
	now := time.Unix(1767225600, 0)
	here := hostTag()
	name := func(age time.Duration, host string, pid int) string {
		return fmt.Sprintf("kernia_dev_%d_%s_%d_0123456789ab", now.Add(-age).Unix(), host, pid)
	}
	alive := func(pid int) bool { return pid == 100 }
	for _, c := range []struct {
		name      string
		db        string
		connected int
		want      bool
	}{
		{"this machine, creator gone", name(time.Second, here, 200), 0, true},
		{"this machine, creator gone, its session not yet closed", name(time.Second, here, 200), 1, true},
		{"this machine, creator alive", name(time.Second, here, 100), 0, false},
		{"this machine, creator alive, old", name(2*time.Hour, here, 100), 0, true},
		{"this machine, creator alive, old, in use", name(2*time.Hour, here, 100), 1, false},
		{"another machine, young", name(time.Minute, "0badc0de", 200), 0, false},
		{"another machine, old, nobody connected", name(2*time.Hour, "0badc0de", 200), 0, true},
		{"another machine, old, in use", name(2*time.Hour, "0badc0de", 200), 2, false},
		{"legacy name, unused", "kernia_dev_0123456789ab", 0, true},
		{"legacy name, in use", "kernia_dev_0123456789ab", 1, false},
		{"user database with a similar name", "kernia_dev_notes", 0, false},
		{"user database with a similar name and digits", "kernia_dev_1_2_3", 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, stale(c.db, c.connected, now, alive), c.want, c.db)
		})
	}
}

// TestDropStaleOnARealServer creates databases of every kind on the test server and checks
// that dropStale drops exactly the stale ones, keeping one a live process created, one in use,
// a young one of another machine and the user's own.
func TestDropStaleOnARealServer(t *testing.T) {
	server := pgtest.Server(t)
	ctx := context.Background()
	now := time.Now()
	dead := exec.Command("true")
	assert.NilError(t, dead.Run())
	deadPID := dead.Process.Pid
	assert.Assert(t, !processAlive(deadPID))
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
		_, err := server.Exec(`CREATE DATABASE "` + n + `"`)
		assert.NilError(t, err)
		t.Cleanup(func() { _, _ = server.Exec(`DROP DATABASE IF EXISTS "` + n + `" WITH (FORCE)`) })
	}
	inUse, err := sql.Open("pgx", pgtest.URLFor(names["old elsewhere, used"]))
	assert.NilError(t, err)
	defer inUse.Close()
	assert.NilError(t, inUse.Ping())

	dropped, err := dropStale(ctx, server, now)
	assert.NilError(t, err)
	for what, n := range names {
		want := what == "killed here" || what == "old elsewhere"
		assert.Equal(t, slices.Contains(dropped, n), want, "%s (%s): dropped %v", what, n, dropped)
		var exists bool
		assert.NilError(t, server.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, n).Scan(&exists))
		assert.Equal(t, exists, !want, "%s (%s)", what, n)
	}
}
