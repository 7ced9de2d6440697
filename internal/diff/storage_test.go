package diff

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
	"gotest.tools/v3/assert"
	_ "modernc.org/sqlite" // the plain driver, as an older Kernia opened it

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/migration"
)

// storageTables is a table with the columns the storage migration rewrites: times (required
// and optional) and JSON, beside columns it leaves alone.
func storageTables() []*entschema.Table {
	return []*entschema.Table{entschema.NewTable("sessions").
		AddPrimary(&entschema.Column{Name: "id", Type: field.TypeString}).
		AddColumn(&entschema.Column{Name: "expires_at", Type: field.TypeTime}).
		AddColumn(&entschema.Column{Name: "revoked_at", Type: field.TypeTime, Nullable: true}).
		AddColumn(&entschema.Column{Name: "metadata", Type: field.TypeJSON, Nullable: true}).
		AddColumn(&entschema.Column{Name: "note", Type: field.TypeString, Nullable: true})}
}

// writeStorageDir writes files and their atlas.sum into dir.
func writeStorageDir(t *testing.T, dir string, files []File) {
	t.Helper()
	assert.NilError(t, os.MkdirAll(dir, 0o755))
	for _, f := range files {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, f.Name), f.SQL, 0o644))
	}
	ld, err := migrate.NewLocalDir(dir)
	assert.NilError(t, err)
	all, err := ld.Files()
	assert.NilError(t, err)
	sum, err := migrate.NewHashFile(all)
	assert.NilError(t, err)
	assert.NilError(t, migrate.WriteSumFile(ld, sum))
}

// storageRow is one row of the sessions table, as stored: typeof and text of each column.
type storageRow struct{ ID, Expires, Revoked, Metadata string }

func readStorage(t *testing.T, path string) []storageRow {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	assert.NilError(t, err)
	defer db.Close()
	rows, err := db.Query("SELECT `id`, typeof(`expires_at`) || ' ' || `expires_at`, typeof(`revoked_at`) || ' ' || coalesce(`revoked_at`, ''), " +
		"typeof(`metadata`) || ' ' || coalesce(CAST(`metadata` AS TEXT), '') FROM `sessions` ORDER BY `id`")
	assert.NilError(t, err)
	defer rows.Close()
	var out []storageRow
	for rows.Next() {
		var r storageRow
		assert.NilError(t, rows.Scan(&r.ID, &r.Expires, &r.Revoked, &r.Metadata))
		out = append(out, r)
	}
	assert.NilError(t, rows.Err())
	return out
}

// TestStorage_PredatingDirectoryGetsTheMigrationOnce: a SQLite directory an older Kernia wrote
// (no storage marker) holding rows in the old forms gets the storage migration once, after the
// run's schema change; it rewrites old times as ISO-8601 UTC text of the same instant and JSON
// BLOBs as text, leaves rows already in the format, NULLs and text that is no time alone, all in
// one transaction (a failure on the last statement leaves every row as it was); the next diff
// plans nothing. A directory that starts empty records the format in its first file instead.
func TestStorage_PredatingDirectoryGetsTheMigrationOnce(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "sqlite")
	path := filepath.Join(t.TempDir(), "app.db")
	target := "sqlite://" + path
	opts := Options{Dir: dir, Tables: storageTables(), Name: "kernia", Version: "20260102030405", Kernia: "Kernia v1.2.3"}

	// The older Kernia's first file: the same statements, without the marker it did not write.
	first := diffOnDev(t, kernia.SQLite, "", opts).Files
	assert.Equal(t, len(first), 1)
	assert.Assert(t, strings.Contains(string(first[0].SQL), "\n"+StorageMarker+"\n"), "a first file records the format:\n%s", first[0].SQL)
	first[0].SQL = []byte(strings.Replace(string(first[0].SQL), StorageMarker+"\n", "", 1))
	writeStorageDir(t, dir, first)
	_, err := migration.Apply(ctx, target, dir, migration.ApplyOptions{})
	assert.NilError(t, err)

	// Rows as the older Kernia wrote them (modernc's "sqlite" time format, JSON as a BLOB,
	// written on a machine in CET), one as Better Auth writes it, and values left alone.
	old, err := sql.Open("sqlite", "file:"+path+"?_time_format=sqlite")
	assert.NilError(t, err)
	cet := time.FixedZone("CET", 3600)
	for _, args := range [][]any{
		{"a-old", time.Date(2026, 12, 1, 13, 0, 0, 123456789, cet), time.Date(2026, 11, 30, 1, 2, 3, 0, cet), []byte(`{"tier":"gold"}`), "old"},
		{"b-peer", "2026-12-01T11:00:00.000Z", nil, `{"tier":"silver"}`, "Better Auth"},
		{"c-not-a-time", "whenever", "2026-12-01 12:00:00+00:00", nil, "unreadable text is kept"},
	} {
		_, err := old.Exec("INSERT INTO `sessions` (`id`, `expires_at`, `revoked_at`, `metadata`, `note`) VALUES (?, ?, ?, ?, ?)", args...)
		assert.NilError(t, err)
	}
	assert.NilError(t, old.Close())
	before := readStorage(t, path)
	assert.DeepEqual(t, before, []storageRow{
		{"a-old", "text 2026-12-01 13:00:00.123456789+01:00", "text 2026-11-30 01:02:03+01:00", `blob {"tier":"gold"}`},
		{"b-peer", "text 2026-12-01T11:00:00.000Z", "null ", `text {"tier":"silver"}`},
		{"c-not-a-time", "text whenever", "text 2026-12-01 12:00:00+00:00", "null "},
	})

	// A schema change in the same run: its file first, then the storage migration.
	opts.Version = "20260102040506"
	opts.Tables = storageTables()
	opts.Tables[0].AddColumn(&entschema.Column{Name: "ip_address", Type: field.TypeString, Nullable: true})
	res := diffOnDev(t, kernia.SQLite, "", opts)
	assert.Equal(t, len(res.Files), 2)
	assert.Equal(t, res.Files[0].Name, "20260102040506_kernia.sql")
	assert.Equal(t, res.Files[1].Name, "20260102040507_"+StorageName+".sql")
	assert.Assert(t, !strings.Contains(string(res.Files[0].SQL), StorageMarker))
	storage := string(res.Files[1].SQL)
	assert.Assert(t, strings.HasPrefix(storage, HeaderPrefix+"Kernia v1.2.3 "), storage)
	assert.Assert(t, strings.Contains(storage, "\n"+StorageMarker+"\n"), storage)
	for _, want := range []string{
		"UPDATE `sessions` SET `expires_at` = strftime('%Y-%m-%dT%H:%M:%fZ', `expires_at`) WHERE typeof(`expires_at`) = 'text' AND `expires_at` <> strftime('%Y-%m-%dT%H:%M:%fZ', `expires_at`);",
		"UPDATE `sessions` SET `revoked_at` = strftime('%Y-%m-%dT%H:%M:%fZ', `revoked_at`) WHERE typeof(`revoked_at`) = 'text' AND `revoked_at` <> strftime('%Y-%m-%dT%H:%M:%fZ', `revoked_at`);",
		"UPDATE `sessions` SET `metadata` = CAST(`metadata` AS TEXT) WHERE typeof(`metadata`) = 'blob';",
	} {
		assert.Assert(t, strings.Contains(storage, "\n"+want+"\n"), "no %s in\n%s", want, storage)
	}
	assert.Equal(t, strings.Count(storage, "UPDATE "), 3, storage)
	writeStorageDir(t, dir, res.Files)
	checkReadsAsAtlasDoes(t, dir, res)

	// All or nothing: a failure at the last statement leaves every row as it was.
	db, err := sql.Open("sqlite", "file:"+path)
	assert.NilError(t, err)
	_, err = db.Exec("CREATE TRIGGER `refuse_metadata` BEFORE UPDATE OF `metadata` ON `sessions` BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
	assert.NilError(t, err)
	_, err = migration.Apply(ctx, target, dir, migration.ApplyOptions{})
	assert.ErrorContains(t, err, "refused by the test")
	got := readStorage(t, path)
	assert.DeepEqual(t, got, before)
	_, err = db.Exec("DROP TRIGGER `refuse_metadata`")
	assert.NilError(t, err)
	assert.NilError(t, db.Close())

	_, err = migration.Apply(ctx, target, dir, migration.ApplyOptions{})
	assert.NilError(t, err)
	assert.DeepEqual(t, readStorage(t, path), []storageRow{
		{"a-old", "text 2026-12-01T12:00:00.123Z", "text 2026-11-30T00:02:03.000Z", `text {"tier":"gold"}`},
		{"b-peer", "text 2026-12-01T11:00:00.000Z", "null ", `text {"tier":"silver"}`},
		{"c-not-a-time", "text whenever", "text 2026-12-01T12:00:00.000Z", "null "},
	})

	// Never twice: the directory now records the format.
	again := diffOnDev(t, kernia.SQLite, "", Options{Dir: dir, Tables: opts.Tables, Name: "kernia", Version: "20260102050607", Kernia: "Kernia v1.2.3"})
	assert.Equal(t, len(again.Files), 0, "%v", again.Files)
}
