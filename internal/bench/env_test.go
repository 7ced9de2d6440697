package bench

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/pgtest"
)

// TestDurabilityWarning: a server session whose commits are not durable (synchronous_commit
// off, set for the connection as CI's servers have it for the whole server) gets the warning,
// naming the setting and the way back; with synchronous_commit on, the warning does not name it.
func TestDurabilityWarning(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, tc := range []struct {
		value string
		named bool
	}{{"off", true}, {"on", false}} {
		db, err := sql.Open("pgx", url+sep+"options=-c%20synchronous_commit%3D"+tc.value)
		assert.NilError(t, err)
		db.SetMaxOpenConns(1)
		warning, err := durabilityWarning(ctx, db)
		db.Close()
		assert.NilError(t, err)
		assert.Check(t, is.Equal(strings.Contains(warning, "synchronous_commit"), tc.named), "synchronous_commit=%s: %q", tc.value, warning)
		if tc.named {
			assert.Check(t, is.Contains(warning, "ALTER SYSTEM RESET"))
		}
	}
}
