package migration

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Every file starts from the same session state.
//
// PostgreSQL: the files run one after the other on one work connection that nothing else uses
// (see applyPostgres). Before a file's transaction commits its session is reset
// (resetSession), so its revision is written as the run's user in the run's schema, and after
// the file DISCARD ALL ends whatever else it left in the session (temporary tables, prepared
// statements, advisory locks, LISTEN), so the next file starts from a fresh session.
//
// SQLite: the whole run is one transaction on one connection, so a file's settings would reach
// the next file. After each file the run restores the per-connection settings a file can change
// inside a transaction (sqlitePragmas) to their values at the start of the run, turns
// case_sensitive_like off (it cannot be read; the connection never turns it on), and drops the
// file's temporary triggers, views and tables. Settings SQLite refuses to change inside a
// transaction (journal_mode, synchronous, foreign_keys, page_size, auto_vacuum) cannot be changed
// by a file at all.

// resetSessionSQL returns a PostgreSQL session to the defaults it had when it connected: the
// role, every setting changed with SET or SET LOCAL (search_path, statement_timeout,
// lock_timeout…). Run inside a file's transaction, before its revision is written, so the
// revision lands in the run's schema as the run's user, and nothing leaks past the commit. One
// simple-protocol query, one round trip.
const resetSessionSQL = "SET SESSION AUTHORIZATION DEFAULT; RESET ALL"

// resetSession resets a PostgreSQL session with resetSessionSQL on q.
func resetSession(ctx context.Context, q querier) error {
	if _, err := q.ExecContext(ctx, resetSessionSQL); err != nil {
		return fmt.Errorf("reset the session after the file (%s): %w", resetSessionSQL, err)
	}
	return nil
}

// sqlitePragmas are the per-connection SQLite settings a file can change inside the run's
// transaction and that change how later statements behave.
var sqlitePragmas = []string{
	"automatic_index", "busy_timeout", "cache_size", "cell_size_check", "defer_foreign_keys",
	"ignore_check_constraints", "legacy_alter_table", "query_only", "recursive_triggers",
	"reverse_unordered_selects", "secure_delete", "trusted_schema",
}

// pragma is a setting and its value at the start of the run.
type pragma struct {
	name, value string
}

// readPragmas reads sqlitePragmas on conn.
func readPragmas(ctx context.Context, conn *sql.Conn) ([]pragma, error) {
	out := make([]pragma, 0, len(sqlitePragmas))
	for _, name := range sqlitePragmas {
		var v sql.NullString
		if err := conn.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			if err == sql.ErrNoRows {
				continue // not in this SQLite build
			}
			return nil, fmt.Errorf("migrate: sqlite: read PRAGMA %s: %w", name, err)
		}
		out = append(out, pragma{name, v.String})
	}
	return out, nil
}

// restoreSQLiteSession undoes what a file changed in the SQLite connection's session: the
// settings of readPragmas, case_sensitive_like, and temporary objects.
func restoreSQLiteSession(ctx context.Context, conn *sql.Conn, saved []pragma) error {
	for _, p := range saved {
		var now sql.NullString
		if err := conn.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&now); err != nil {
			return fmt.Errorf("read PRAGMA %s: %w", p.name, err)
		}
		if now.String == p.value {
			continue
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA %s = %s", p.name, p.value)); err != nil {
			return fmt.Errorf("restore PRAGMA %s = %s: %w", p.name, p.value, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA case_sensitive_like = off"); err != nil {
		return fmt.Errorf("restore PRAGMA case_sensitive_like = off: %w", err)
	}
	rows, err := conn.QueryContext(ctx, "SELECT type, name FROM temp.sqlite_master WHERE type IN ('trigger', 'view', 'table') "+
		"ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1 ELSE 2 END, name")
	if err != nil {
		return fmt.Errorf("list temporary objects: %w", err)
	}
	var drops []string
	for rows.Next() {
		var typ, name string
		if err := rows.Scan(&typ, &name); err != nil {
			rows.Close()
			return fmt.Errorf("list temporary objects: %w", err)
		}
		drops = append(drops, fmt.Sprintf("DROP %s IF EXISTS temp.%s", strings.ToUpper(typ), quoteSQLite(name)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list temporary objects: %w", err)
	}
	for _, d := range drops {
		if _, err := conn.ExecContext(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	return nil
}

// quoteSQLite quotes an identifier for SQLite.
func quoteSQLite(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
