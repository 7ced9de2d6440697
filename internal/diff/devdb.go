package diff

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// DevDB is a clean database that migrations are replayed and diffed on. It is never the
// target database: Close drops whatever was created for it.
type DevDB struct {
	// Dialect is kernia.SQLite or kernia.Postgres.
	Dialect string
	// DB is the connection to the clean database.
	DB      *sql.DB
	cleanup func() error
}

// Close drops what Kernia created for the diff and closes the connection.
func (d *DevDB) Close() error {
	var err error
	if d.cleanup != nil {
		err = d.cleanup()
	}
	return errors.Join(err, d.DB.Close())
}

// OpenDev opens a clean dev database for dialect.
//
// SQLite: an in-memory database. PostgreSQL: when devURL is set, it must point at an empty
// database, which Kernia empties again on Close; otherwise, when targetURL is a
// PostgreSQL URL, Kernia creates a temporary database on its server (the target database itself
// is never changed). Both are dropped by Close.
func OpenDev(ctx context.Context, dialect, devURL, targetURL string) (*DevDB, error) {
	switch dialect {
	case kernia.SQLite:
		u, _ := database.Parse("sqlite://dev?mode=memory")
		db, err := database.Open(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("diff: open in-memory SQLite: %w", err)
		}
		return &DevDB{Dialect: dialect, DB: db}, nil
	case kernia.Postgres:
		if devURL != "" {
			return openDevDatabase(ctx, devURL)
		}
		if d, err := kernia.DialectOf(targetURL); err == nil && d == kernia.Postgres {
			return openTempDatabase(ctx, targetURL)
		}
		return nil, errors.New("diff: PostgreSQL migrations are computed on a clean dev database: set KERNIA_DEV_URL=postgres://user:pass@localhost:5432/dev (an empty database), or set KERNIA_DATABASE_URL to a PostgreSQL server where Kernia may create a temporary database")
	}
	return nil, fmt.Errorf("diff: unsupported dialect %q", dialect)
}

func openDevDatabase(ctx context.Context, devURL string) (*DevDB, error) {
	u, err := database.Parse(devURL)
	if err != nil {
		return nil, fmt.Errorf("diff: KERNIA_DEV_URL: %w", err)
	}
	if u.Dialect != kernia.Postgres {
		return nil, fmt.Errorf("diff: KERNIA_DEV_URL must be a PostgreSQL URL to compute PostgreSQL migrations, got %s", u.Redacted())
	}
	db, err := database.Open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("diff: dev database: %w", err)
	}
	tables, err := userTables(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("diff: inspect dev database: %w", err)
	}
	if len(tables) > 0 {
		db.Close()
		return nil, fmt.Errorf("diff: the dev database %s is not empty (found table %s): point KERNIA_DEV_URL at an empty database used only for diffing, never at a real one", u.Redacted(), tables[0])
	}
	// The database was empty: whatever a failed diff leaves in it is Kernia's to drop.
	clean := func() error {
		ctx := context.WithoutCancel(ctx)
		tables, err := userTables(ctx, db)
		for _, t := range tables {
			if _, derr := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t+" CASCADE"); derr != nil {
				err = errors.Join(err, derr)
			}
		}
		return err
	}
	return &DevDB{Dialect: kernia.Postgres, DB: db, cleanup: clean}, nil
}

// userTables lists the tables outside PostgreSQL's own schemas, quoted and schema-qualified.
func userTables(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)
		FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func openTempDatabase(ctx context.Context, targetURL string) (*DevDB, error) {
	u, err := database.Parse(targetURL)
	if err != nil {
		return nil, fmt.Errorf("diff: database URL: %w", err)
	}
	server, err := database.Open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("diff: no KERNIA_DEV_URL is set, and the server of the database URL cannot host a temporary dev database: %w", err)
	}
	name := "kernia_dev_" + randomSuffix()
	if _, err := server.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		server.Close()
		return nil, fmt.Errorf("diff: create a temporary dev database on %s: %w (grant CREATEDB, or set KERNIA_DEV_URL to an empty database)", u.Host(), err)
	}
	var db *sql.DB
	drop := func() error {
		defer server.Close()
		if db != nil {
			db.Close()
		}
		_, err := server.ExecContext(context.WithoutCancel(ctx), `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
		return err
	}
	db, err = database.Open(ctx, u.WithDatabase(name))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("diff: temporary dev database: %w", err), drop())
	}
	return &DevDB{Dialect: kernia.Postgres, DB: db, cleanup: drop}, nil
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
