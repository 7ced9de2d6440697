package database_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/database"
)

// openSQLite opens a new SQLite file through Kernia's opener with a table shaped like Kernia's
// (datetime, json and bool columns, as Ent declares them).
func openSQLite(t *testing.T) *sql.DB {
	t.Helper()
	ctx := context.Background()
	u, err := database.Parse("sqlite://" + filepath.Join(t.TempDir(), "storage.db"))
	assert.NilError(t, err)
	db, err := database.Open(ctx, u)
	assert.NilError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.ExecContext(ctx, "CREATE TABLE `sessions` (`id` text PRIMARY KEY, `expires_at` datetime NOT NULL, `created_at` datetime NULL, `metadata` json NULL, `revoked` bool NOT NULL DEFAULT false)")
	assert.NilError(t, err)
	return db
}

// TestSQLiteStorage: what Kernia's SQLite connections store for a time, a JSON value and a
// boolean is what Better Auth stores (ISO-8601 UTC text with milliseconds, TEXT, an integer
// 0/1), through a plain statement and a prepared one, and reads come back as Go values.
func TestSQLiteStorage(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	berlin := time.FixedZone("CET", 3600)
	at := time.Date(2026, 12, 1, 13, 4, 5, 123456789, berlin) // 12:04:05.123456789 UTC
	stmt, err := db.PrepareContext(ctx, "INSERT INTO `sessions` (`id`, `expires_at`, `created_at`, `metadata`, `revoked`) VALUES (?, ?, ?, ?, ?)")
	assert.NilError(t, err)
	defer stmt.Close()
	for _, tc := range []struct {
		name string
		exec func(args ...any) (sql.Result, error)
	}{
		{"exec", func(args ...any) (sql.Result, error) {
			return db.ExecContext(ctx, "INSERT INTO `sessions` (`id`, `expires_at`, `created_at`, `metadata`, `revoked`) VALUES (?, ?, ?, ?, ?)", args...)
		}},
		{"prepared", func(args ...any) (sql.Result, error) { return stmt.ExecContext(ctx, args...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.exec(tc.name, at, sql.NullTime{Time: at, Valid: true}, json.RawMessage(`{"tier":"gold"}`), true)
			assert.NilError(t, err)
			var (
				expiresType, expires, createdType, created, metaType, meta, revokedType string
				revoked                                                                 int64
			)
			assert.NilError(t, db.QueryRowContext(ctx, "SELECT typeof(`expires_at`), CAST(`expires_at` AS TEXT), typeof(`created_at`), CAST(`created_at` AS TEXT), "+
				"typeof(`metadata`), CAST(`metadata` AS TEXT), typeof(`revoked`), `revoked` FROM `sessions` WHERE `id` = ?", tc.name).
				Scan(&expiresType, &expires, &createdType, &created, &metaType, &meta, &revokedType, &revoked))
			assert.Equal(t, expiresType+" "+expires, "text 2026-12-01T12:04:05.123Z")
			assert.Equal(t, createdType+" "+created, "text 2026-12-01T12:04:05.123Z", "a driver.Valuer returning a time")
			assert.Equal(t, metaType+" "+meta, `text {"tier":"gold"}`)
			assert.Equal(t, revokedType, "integer")
			assert.Equal(t, revoked, int64(1))

			var (
				gotExpires time.Time
				gotMeta    []byte
				gotRevoked bool
			)
			assert.NilError(t, db.QueryRowContext(ctx, "SELECT `expires_at`, `metadata`, `revoked` FROM `sessions` WHERE `id` = ?", tc.name).Scan(&gotExpires, &gotMeta, &gotRevoked))
			assert.Assert(t, gotExpires.Equal(at.Truncate(time.Millisecond)), "read %s", gotExpires)
			assert.Equal(t, string(gotMeta), `{"tier":"gold"}`)
			assert.Equal(t, gotRevoked, true)
		})
	}
}

// TestSQLiteReadsEveryWritersTimes: a datetime column read through Kernia's connection parses
// Better Auth's ISO text, Kernia's own, and the text Kernia wrote before it wrote ISO.
func TestSQLiteReadsEveryWritersTimes(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	want := time.Date(2026, 12, 1, 11, 0, 0, 250_000_000, time.UTC)
	for _, text := range []string{
		"2026-12-01T11:00:00.250Z",         // Better Auth (Date.toISOString), Kernia now
		"2026-12-01 11:00:00.25+00:00",     // Kernia before: modernc's "sqlite" format
		"2026-12-01 12:00:00.25+01:00",     // the same, written on a machine in CET
		"2026-12-01T11:00:00.250000+00:00", // ISO with an offset
	} {
		t.Run(text, func(t *testing.T) {
			_, err := db.ExecContext(ctx, "INSERT INTO `sessions` (`id`, `expires_at`) VALUES (?, ?)", text, text)
			assert.NilError(t, err)
			var got time.Time
			assert.NilError(t, db.QueryRowContext(ctx, "SELECT `expires_at` FROM `sessions` WHERE `id` = ?", text).Scan(&got))
			assert.Assert(t, got.Equal(want), "%q read as %s, want %s", text, got, want)
		})
	}
}

// TestSQLiteTimeComparison: `expires_at > ?` with a Go time judges rows Better Auth wrote (ISO
// text) by time. Kernia's SQLite connections bound times as `2026-12-01 12:00:00+00:00` before,
// and SQLite compares the texts: a session Better Auth wrote that expired earlier the same UTC
// day compared as live ('T' sorts after ' '), one expiring later that day was seen by Better
// Auth's `expiresAt > now` as expired when Kernia wrote it, and ORDER BY mixed the writers.
func TestSQLiteTimeComparison(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	rows := []struct {
		id      string
		expires time.Time
		byPeer  bool // written as Better Auth writes it (ISO text), else through Kernia's binding
	}{
		{"peer-expired-this-morning", now.Add(-time.Hour), true},
		{"peer-expired-just-now", now.Add(-time.Millisecond), true},
		{"peer-live-tonight", now.Add(time.Hour), true},
		{"kernia-expired-this-morning", now.Add(-time.Hour), false},
		{"kernia-live-tonight", now.Add(time.Hour), false},
		{"kernia-live-in-a-millisecond", now.Add(time.Millisecond), false},
	}
	for _, r := range rows {
		var v any = r.expires
		if r.byPeer {
			v = r.expires.UTC().Format("2006-01-02T15:04:05.000Z") // Date.prototype.toISOString
		}
		_, err := db.ExecContext(ctx, "INSERT INTO `sessions` (`id`, `expires_at`) VALUES (?, ?)", r.id, v)
		assert.NilError(t, err)
	}
	live := func(query string, arg any) []string {
		t.Helper()
		rs, err := db.QueryContext(ctx, query, arg)
		assert.NilError(t, err)
		defer rs.Close()
		var ids []string
		for rs.Next() {
			var id string
			assert.NilError(t, rs.Scan(&id))
			ids = append(ids, id)
		}
		assert.NilError(t, rs.Err())
		return ids
	}
	wantLive := []string{"kernia-live-in-a-millisecond", "kernia-live-tonight", "peer-live-tonight"}
	for _, tc := range []struct {
		name string
		arg  any
	}{
		{"Kernia binds a Go time", now},
		{"Better Auth binds toISOString", now.Format("2006-01-02T15:04:05.000Z")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := live("SELECT `id` FROM `sessions` WHERE `expires_at` > ? ORDER BY `id`", tc.arg)
			assert.DeepEqual(t, got, wantLive)
		})
	}
	ordered := live("SELECT `id` FROM `sessions` WHERE `id` <> ? ORDER BY `expires_at`, `id`", "")
	assert.DeepEqual(t, ordered, []string{"kernia-expired-this-morning", "peer-expired-this-morning", "peer-expired-just-now",
		"kernia-live-in-a-millisecond", "kernia-live-tonight", "peer-live-tonight"})
}
