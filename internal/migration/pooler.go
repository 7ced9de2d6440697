package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// probeRounds is how many times checkPooler compares the server processes of two connections.
const probeRounds = 2

// checkPooler refuses to migrate through a connection pooler that does not keep each client
// connection on one server session (PgBouncer with pool_mode = transaction or statement, and
// proxies like it): there, a file's session settings would reach other clients, consecutive
// statements of a `-- atlas:txmode none` file would run in different sessions, and a
// session-level lock could stay behind on a pooled server connection. Directly and through a
// session pooler, a connection keeps one server process for its whole life, and two open
// connections never share one; checkPooler asks ctl and a second connection for their server
// process a few times, each statement on its own, and refuses when a connection's process
// changes or the two share one (a pooler in transaction mode hands an idle server connection
// to the next client that asks: most recently used first, so the second connection gets the
// first one's). It then checks in pg_locks that the lock is held by the lock connection's own
// process.
func checkPooler(ctx context.Context, ctl, probe *sql.Conn, lk *pgLock) error {
	last := map[*sql.Conn]int{}
	for range probeRounds {
		for _, c := range []*sql.Conn{ctl, probe} {
			pid, err := backendPID(ctx, c)
			if err != nil {
				return fmt.Errorf("migrate: %s: ask the server for its process id: %w%s", lk.where, err, poolerHint(err))
			}
			if prev, ok := last[c]; ok && prev != pid {
				return poolerError(lk.where, fmt.Sprintf("two consecutive statements of one connection ran in different server sessions (processes %d and %d)", prev, pid))
			}
			if pid == lk.pid {
				return poolerError(lk.where, fmt.Sprintf("a second connection ran in the migration lock's server session (process %d)", pid))
			}
			last[c] = pid
		}
		if last[ctl] == last[probe] {
			return poolerError(lk.where, fmt.Sprintf("two open connections ran in the same server session (process %d)", last[ctl]))
		}
	}
	var pid, n int
	if err := lk.conn.QueryRowContext(ctx, heldLockQuery, simple).Scan(&pid, &n); err != nil {
		return fmt.Errorf("migrate: %s: check the migration lock: %w; nothing was applied%s", lk.where, err, poolerHint(err))
	}
	if pid != lk.pid || n == 0 {
		return poolerError(lk.where, fmt.Sprintf("the migration lock's connection moved from server process %d to %d (holding %d locks)", lk.pid, pid, n))
	}
	return nil
}

// backendPID returns the server process of the connection's next statement. It uses the simple
// protocol: a prepared statement would itself fail behind a transaction pooler.
func backendPID(ctx context.Context, c *sql.Conn) (int, error) {
	var pid int
	err := c.QueryRowContext(ctx, "SELECT pg_backend_pid()", pgx.QueryExecModeSimpleProtocol).Scan(&pid)
	return pid, err
}

// poolerError refuses a transaction pooler.
func poolerError(where, evidence string) error {
	return fmt.Errorf("migrate: %s is reached through a connection pooler in transaction pooling mode (such as PgBouncer with pool_mode = transaction): %s, so neither the migration lock nor a file's session can be kept on one server session; nothing was applied: give migrate a direct database URL (the PostgreSQL server's own host and port, or a PgBouncer pool with pool_mode = session) with --url or KERNIA_DATABASE_URL; the application can keep using the pooler",
		where, evidence)
}

// poolerHint adds advice to an error that a pooler in transaction or statement pooling mode
// causes: PgBouncer refusing transactions, or a prepared statement missing on the server
// connection a later message landed on.
func poolerHint(err error) string {
	var pe *pgconn.PgError
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "pooling mode") || strings.Contains(s, "pgbouncer") ||
		errors.As(err, &pe) && pe.Code == "26000" && strings.Contains(s, "prepared statement") {
		return "; this looks like a connection pooler in transaction or statement pooling mode: give migrate a direct database URL (the PostgreSQL server's own host and port)"
	}
	return ""
}
