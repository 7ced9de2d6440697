package migration

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
)

// A failed or interrupted CREATE INDEX CONCURRENTLY does not roll back: PostgreSQL keeps the
// index it started, marked INVALID (never used by queries, yet maintained on every write), and
// running the statement again fails with "already exists" (or, with IF NOT EXISTS, silently
// keeps the invalid index). Kernia reports such an index in the failure and in status, and the
// next run, resuming the file at that very statement, drops it before running the statement
// again. It drops only an index that the statement names, that is INVALID, and that no build
// is still working on.

// identPattern matches one PostgreSQL identifier, quoted or not.
const identPattern = `(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`

// reConcurrentIndex matches CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY]
// [schema.]table.
var reConcurrentIndex = regexp.MustCompile(`(?is)^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(` +
	identPattern + `)\s+ON\s+(?:ONLY\s+)?(` + identPattern + `(?:\s*\.\s*` + identPattern + `)?)`)

// concurrentIndex returns the index name and the table of a CREATE INDEX CONCURRENTLY
// statement that names its index (as SQL identifiers, ready to be put back into SQL), or ok
// false.
func concurrentIndex(stmt string) (index, table string, ok bool) {
	m := reConcurrentIndex.FindStringSubmatch(skipSpaceAndComments(stmt))
	if m == nil || strings.EqualFold(m[1], "ON") {
		return "", "", false
	}
	return m[1], m[2], true
}

// identName returns the name an identifier denotes: unquoted and unescaped, or lower-cased.
func identName(id string) string {
	if strings.HasPrefix(id, `"`) {
		return strings.ReplaceAll(id[1:len(id)-1], `""`, `"`)
	}
	return strings.ToLower(id)
}

// invalidIndexQuery finds an INVALID index of a name on a table that no CREATE INDEX is still
// building, and returns it schema-qualified.
const invalidIndexQuery = `SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid ` +
	`WHERE c.relname = $1 AND i.indrelid = to_regclass($2) AND NOT i.indisvalid ` +
	`AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)`

// invalidIndex returns the INVALID index stmt (a CREATE INDEX CONCURRENTLY) left behind, "" when
// there is none or stmt is no such statement.
func invalidIndex(ctx context.Context, q querier, stmt string) (string, error) {
	index, table, ok := concurrentIndex(stmt)
	if !ok {
		return "", nil
	}
	var name string
	err := q.QueryRowContext(ctx, invalidIndexQuery, simple, identName(index), table).Scan(&name)
	switch {
	case err == sql.ErrNoRows:
		return "", nil
	case err != nil:
		return "", fmt.Errorf("look for an INVALID index %s: %w", index, err)
	}
	return name, nil
}

// dropIndexSQL is the statement that drops an INVALID index.
func dropIndexSQL(index string) string {
	return "DROP INDEX CONCURRENTLY IF EXISTS " + index
}

// leftoverNote explains an INVALID index a failed statement left.
func leftoverNote(index string) string {
	return fmt.Sprintf("the failed CREATE INDEX CONCURRENTLY left the INVALID index %s behind (PostgreSQL keeps a failed concurrent build; it is not used by queries but slows every write); the next migrate drops it before running the statement again, or drop it yourself with: %s;",
		index, dropIndexSQL(index))
}
