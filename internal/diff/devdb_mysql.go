package diff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// openMySQLDev opens the dev database MySQL migrations are computed on: dev, the dev list's
// MySQL URL, when it names a database (it must be empty, and is emptied again on Close); else a
// temporary database created and dropped on Close on the server of dev when it names none
// (mysql://root@127.0.0.1:3306/), or else of targetURL, a MySQL URL.
//
// Temporary databases are named as on PostgreSQL (tempName), and a run drops those that runs
// killed before their clean-up left (stale): MySQL has no database owner, so every
// kernia_dev_ database the connected user can see and drop is a candidate, and the
// connections to it are counted in information_schema.PROCESSLIST (which lists the user's own
// connections, or all of them with the PROCESS privilege).
func openMySQLDev(ctx context.Context, dev *database.URL, targetURL string) (*DevDB, error) {
	if dev != nil && dev.Database() != "" {
		return openMySQLDevDatabase(ctx, dev)
	}
	u, where := dev, "the server of the MySQL dev URL"
	if u == nil {
		if d, err := kernia.DialectOf(targetURL); err != nil || d != kernia.MySQL {
			return nil, errors.New("diff: MySQL migrations are computed on a clean dev database: set KERNIA_DEV_URL=mysql://user:pass@localhost:3306/dev (an empty database) or mysql://user:pass@localhost:3306/ (a server where Kernia may create a temporary database), with a PostgreSQL one too when both are generated, separated by a space; or set KERNIA_DATABASE_URL to a MySQL server where Kernia may create a temporary database")
		}
		var err error
		if u, err = database.Parse(targetURL); err != nil {
			return nil, fmt.Errorf("diff: database URL: %w", err)
		}
		where = "no MySQL KERNIA_DEV_URL is set, and the server of the database URL"
	}
	server, err := database.Open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("diff: %s cannot host a temporary dev database: %w", where, err)
	}
	// Best effort: a database left now is dropped by a later run.
	_, _ = dropStaleMySQL(ctx, server, time.Now())
	name := tempName(time.Now())
	if _, err := server.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE "+database.MySQLCollation); err != nil {
		server.Close()
		return nil, fmt.Errorf("diff: create a temporary dev database on %s: %w (grant CREATE and DROP on `kernia\\_dev\\_%%`.*, or set KERNIA_DEV_URL to an empty database)", u.Host(), err)
	}
	var db *sql.DB
	drop := func() error {
		defer server.Close()
		if db != nil {
			db.Close()
		}
		_, err := server.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS `"+name+"`")
		return err
	}
	db, err = database.Open(ctx, u.WithDatabase(name))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("diff: temporary dev database: %w", err), drop())
	}
	return &DevDB{Dialect: kernia.MySQL, DB: db, cleanup: drop}, nil
}

// openMySQLDevDatabase opens the MySQL dev database u, which must hold no table. What a failed
// diff leaves in it is dropped on one connection with foreign-key checks off (so the order of
// the drops does not matter).
func openMySQLDevDatabase(ctx context.Context, u *database.URL) (*DevDB, error) {
	return openEmptyDevDatabase(ctx, u, mysqlTables, func(ctx context.Context, db *sql.DB) error {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		tables, err := mysqlTables(ctx, conn)
		if err != nil || len(tables) == 0 {
			return err
		}
		if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
			return err
		}
		_, err = conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+strings.Join(tables, ", "))
		return err
	})
}

// mysqlTables lists the tables and views of the connected database, quoted.
func mysqlTables(ctx context.Context, db queryer) ([]string, error) {
	return queryNames(ctx, db, "SELECT CONCAT('`', REPLACE(table_name, '`', '``'), '`') FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1")
}

// dropStaleMySQL drops the temporary dev databases that killed runs left on the server (see
// stale). Best effort: what it cannot drop is left for a later run; it returns what it dropped.
func dropStaleMySQL(ctx context.Context, server *sql.DB, now time.Time) ([]string, error) {
	return sweepStale(ctx, server, now, `SELECT s.schema_name,
			(SELECT count(*) FROM information_schema.processlist p WHERE p.db = s.schema_name AND p.id <> CONNECTION_ID())
		FROM information_schema.schemata s
		WHERE s.schema_name LIKE 'kernia\_dev\_%'
		ORDER BY 1`, func(name string) string { return "DROP DATABASE IF EXISTS `" + name + "`" })
}
