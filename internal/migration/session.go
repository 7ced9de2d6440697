package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Every file starts from the same session state.
//
// PostgreSQL: the files run one after the other on one work connection that nothing else uses
// (see applyPostgres). Before a file's transaction commits its session is reset
// (recordInTx), so its revision is written as the run's user in the run's schema, and after
// the file DISCARD ALL ends whatever else it left in the session (temporary tables, prepared
// statements, advisory locks, LISTEN), so the next file starts from a fresh session (for a file
// in a transaction, DISCARD ALL goes in one pipeline with its COMMIT: commitAndDiscard). Each
// file then asks the server to watch the client again (watchSQL, watchClientSQL), in the round
// trip that opens its transaction (beginSQL) or prepares its session (onlineSessionSQL).
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

// recordInTx ends a PostgreSQL file's transaction's work: it resets the session
// (resetSessionSQL) and writes the file's revision (writeRevision), in one simple-protocol
// round trip. (RESET ALL ends the client check too, for the record and the commit; the next
// file asks for it again.)
// PostgreSQL analyses each statement of such a query only when the ones before it have run, so
// the revision's table is looked up, and written, as the run's user in the run's schema.
// fresh is upsertRevision's.
func recordInTx(ctx context.Context, conn *sql.Conn, t revTable, r *migrate.Revision, fresh bool) (written bool, err error) {
	return upsertRevision(ctx, conn, t, r, resetSessionSQL+"; ", "reset the session after the file ("+resetSessionSQL+") and ", fresh)
}

// commitAndDiscard commits the transaction open on the PostgreSQL connection conn and ends its
// session state with DISCARD ALL, in one round trip: both go in one pipeline, each followed by
// a Sync (DISCARD ALL cannot share a simple-protocol query with another statement: it may not
// run in a transaction block, and such a query is one). err is the commit's failure;
// discardErr is DISCARD ALL's, once the commit succeeded.
func commitAndDiscard(ctx context.Context, conn *sql.Conn) (discardErr, err error) {
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		p := c.Conn().PgConn().StartPipeline(ctx)
		p.SendQueryParams("COMMIT", nil, nil, nil, nil)
		p.SendPipelineSync()
		p.SendQueryParams("DISCARD ALL", nil, nil, nil, nil)
		p.SendPipelineSync()
		if err := p.Flush(); err != nil {
			_ = p.Close()
			return err
		}
		commit, commitErr := pipelineResult(p)
		if commitErr == nil && commit.String() != "COMMIT" {
			// PostgreSQL answers COMMIT in a failed transaction with ROLLBACK.
			commitErr = fmt.Errorf("the server answered %s", commit)
		}
		_, discardErr = pipelineResult(p)
		if cerr := p.Close(); cerr != nil && commitErr == nil && discardErr == nil {
			discardErr = cerr
		}
		return commitErr
	})
	if err != nil {
		return nil, err
	}
	return discardErr, nil
}

// pipelineResult reads the result of a pipeline's next statement, then the Sync after it
// (also after the statement failed: the server skips to the Sync).
func pipelineResult(p *pgconn.Pipeline) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	res, err := p.GetResults()
	if err == nil {
		if rr, ok := res.(*pgconn.ResultReader); ok {
			tag, err = rr.Close()
		} else {
			err = fmt.Errorf("unexpected pipeline result %T", res)
		}
	}
	var pe *pgconn.PgError
	if err != nil && !errors.As(err, &pe) {
		return tag, err // the connection failed: nothing more comes
	}
	res, serr := p.GetResults()
	if _, ok := res.(*pgconn.PipelineSync); serr == nil && !ok {
		serr = fmt.Errorf("unexpected pipeline result %T", res)
	}
	if err == nil {
		err = serr
	}
	return tag, err
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
