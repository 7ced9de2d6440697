package diff

import (
	"fmt"
	"strings"

	"ariga.io/atlas/sql/migrate"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
)

// SQLite storage format. Kernia's SQLite connections write times as ISO-8601 UTC text with
// milliseconds and JSON as TEXT, as Better Auth does (internal/database, sqlite.go). An older
// Kernia wrote `2026-12-01 12:00:00+00:00` and JSON BLOBs, and SQLite compares the texts: a
// column holding both forms orders and compares its rows wrongly. So a SQLite migration
// directory that predates the format gets, once, a data migration (StorageName) that rewrites
// the rows an older Kernia wrote, in one transaction, like every file migrate applies:
//
//   - each time column's TEXT that is not already in the format becomes
//     strftime('%Y-%m-%dT%H:%M:%fZ', value), the same instant in UTC; text SQLite cannot read
//     as a time, integers and NULLs are left as they are;
//   - each JSON column's BLOB becomes the same bytes as TEXT.
//
// The record that a directory is in the format is StorageMarker, a header line: the storage
// migration carries it, and so does the first file written into an empty directory (no older
// Kernia wrote rows for it). A directory with a file carrying it never gets the migration
// again.

// StorageMarker is the header line that records a SQLite directory in Kernia's storage format.
const StorageMarker = "-- sqlite storage: times as ISO-8601 UTC text (2026-12-01T12:00:00.000Z), JSON as text, as Better Auth stores them"

// StorageName names the storage migration (<version>_<StorageName>.sql).
const StorageName = "sqlite_storage"

// isoTime is SQLite's strftime format of the storage format's times.
const isoTime = "'%Y-%m-%dT%H:%M:%fZ'"

// inStorageFormat reports whether a file of the directory carries StorageMarker in its
// header (the leading comment lines).
func inStorageFormat(files []migrate.File) bool {
	for _, f := range files {
		for _, l := range strings.Split(string(f.Bytes()), "\n") {
			if !strings.HasPrefix(l, "--") {
				break
			}
			if l == StorageMarker {
				return true
			}
		}
	}
	return false
}

// storageStatements returns the statements of the storage migration for tables: one UPDATE per
// time column and per JSON column, each touching only the rows an older Kernia wrote.
func storageStatements(tables []*entschema.Table) []string {
	var out []string
	for _, t := range tables {
		for _, c := range t.Columns {
			tbl, col := sqliteIdent(t.Name), sqliteIdent(c.Name)
			switch c.Type {
			case field.TypeTime:
				iso := "strftime(" + isoTime + ", " + col + ")"
				out = append(out, fmt.Sprintf("-- Rewrite %s.%s as ISO-8601 UTC text\nUPDATE %s SET %s = %s WHERE typeof(%s) = 'text' AND %s <> %s;",
					t.Name, c.Name, tbl, col, iso, col, col, iso))
			case field.TypeJSON:
				out = append(out, fmt.Sprintf("-- Store %s.%s as JSON text\nUPDATE %s SET %s = CAST(%s AS TEXT) WHERE typeof(%s) = 'blob';",
					t.Name, c.Name, tbl, col, col, col))
			}
		}
	}
	return out
}

// storageFile renders the storage migration: a header (StorageMarker included) and the
// statements, or nil when the tables have no time or JSON column.
func storageFile(opts Options, files []migrate.File, version string) *File {
	stmts := storageStatements(opts.Tables)
	if len(stmts) == 0 {
		return nil
	}
	h := header(opts, nil, files, nil)
	h.Storage = true
	h.Changes = []string{"rewrites the rows an older Kernia wrote: times as ISO-8601 UTC text, JSON BLOBs as text (each statement only touches rows not in that form)"}
	content := strings.Join(h.Lines(), "\n") + "\n\n" + strings.Join(stmts, "\n") + "\n"
	return &File{Name: version + "_" + StorageName + ".sql", SQL: []byte(content)}
}

// sqliteIdent quotes a SQLite identifier as Atlas's SQLite planner does.
func sqliteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
