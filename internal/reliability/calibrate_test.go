package reliability_test

import (
	"database/sql"
	"strconv"
	"sync"
	"testing"
	"time"
)

var (
	calibrateOnce sync.Once
	rowsPerSecond int64
)

// sqliteRowsPerSecond measures how many rows of a recursive CTE SQLite counts per second on
// this machine, so a SQLite statement can be made to run for a given time.
func sqliteRowsPerSecond(t *testing.T) int64 {
	t.Helper()
	calibrateOnce.Do(func() {
		db, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		const n = 2_000_000
		begun := time.Now()
		if _, err := db.Exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " + itoa(n) + ") SELECT count(*) FROM c"); err != nil {
			t.Fatal(err)
		}
		rowsPerSecond = int64(float64(n) / time.Since(begun).Seconds())
		t.Logf("calibration: SQLite counts %d recursive CTE rows per second", rowsPerSecond)
	})
	if rowsPerSecond == 0 {
		t.Fatal("calibration of SQLite failed")
	}
	return rowsPerSecond
}

func itoa(n int64) string   { return strconv.FormatInt(n, 10) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
func TestCalibration(t *testing.T) {
	t.Logf("SQLite counts %d CTE rows per second", sqliteRowsPerSecond(t))
}
