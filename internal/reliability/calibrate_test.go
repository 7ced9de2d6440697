package reliability_test

import (
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// rowsPerSecond is how many rows of a recursive CTE SQLite counts per second on this machine,
// measured by TestMain before any test runs (so with no load of ours), to make a SQLite
// statement run for a given time.
var rowsPerSecond int64

func calibrate() error {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return err
	}
	defer db.Close()
	const n = 2_000_000
	best := time.Duration(0)
	for range 3 {
		begun := time.Now()
		if _, err := db.Exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " + itoa(n) + ") SELECT count(*) FROM c"); err != nil {
			return err
		}
		if d := time.Since(begun); best == 0 || d < best {
			best = d
		}
	}
	rowsPerSecond = int64(float64(n) / best.Seconds())
	fmt.Printf("reliability: SQLite counts %d recursive CTE rows per second\n", rowsPerSecond)
	return nil
}

// sqliteRowsPerSecond returns the calibration.
func sqliteRowsPerSecond(t *testing.T) int64 {
	t.Helper()
	if rowsPerSecond == 0 {
		t.Fatal("SQLite was not calibrated")
	}
	return rowsPerSecond
}

func itoa(n int64) string   { return strconv.FormatInt(n, 10) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
