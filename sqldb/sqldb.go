// Package sqldb opens an application's database from a Kernia database URL with the settings
// Kernia's own commands use: pgx for PostgreSQL (10 s connect timeout), modernc.org/sqlite for
// SQLite with foreign keys on in every pooled connection, a busy timeout, WAL and SQLite time
// formatting. Hand the result to the generated Ent client:
//
//	db, dialect, err := sqldb.Open(ctx, os.Getenv("KERNIA_DATABASE_URL"))
//	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect, db)))
package sqldb

import (
	"context"
	"database/sql"

	"entgo.io/ent/dialect"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// Open opens and pings the database at rawURL and returns it with its Ent dialect name
// (dialect.SQLite or dialect.Postgres). Errors never contain the URL's password.
func Open(ctx context.Context, rawURL string) (*sql.DB, string, error) {
	u, err := database.Parse(rawURL)
	if err != nil {
		return nil, "", err
	}
	db, err := database.Open(ctx, u)
	if err != nil {
		return nil, "", err
	}
	if u.Dialect == kernia.Postgres {
		return db, dialect.Postgres, nil
	}
	return db, dialect.SQLite, nil
}
