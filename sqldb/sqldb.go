// Package sqldb opens an application's database with the settings Kernia's own commands use,
// and tells the application whether that database has every migration applied.
//
// Settings: pgx for PostgreSQL (10 s connect timeout), modernc.org/sqlite for SQLite with
// foreign keys on in every pooled connection, a busy timeout, WAL, and Better Auth's storage
// (times written and bound as ISO-8601 UTC text with milliseconds, Ent's JSON as TEXT),
// github.com/go-sql-driver/mysql for MySQL and MariaDB with parseTime, UTC (loc=UTC and the
// session's time_zone), utf8mb4 with the utf8mb4_bin collation, a 10 s connect timeout and one
// statement per query.
//
// # At start-up
//
// FromEnv finds the database the way every kernia command does: it reads the module's .env
// (without overriding the environment), takes KERNIA_DATABASE_URL (else sqlite://kernia.db),
// resolves a relative SQLite path against the module root, and refuses a SQLite file that does
// not exist instead of creating an empty one. Ready then checks the database against the
// migration directories the binary embeds, reading only:
//
//	//go:embed ent/migrate/migrations
//	var migrationFiles embed.FS
//
//	db, dialect, err := sqldb.FromEnv(ctx)
//	if err != nil {
//		log.Fatal(err)
//	}
//	migrations, _ := fs.Sub(migrationFiles, "ent/migrate/migrations")
//	if err := sqldb.Ready(ctx, db, dialect, migrations); err != nil {
//		log.Fatal(err) // database is missing 1 migration: 20261201112330_kernia.sql; run `go tool kernia migrate`
//	}
//	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect, db)))
//
// A health endpoint can call Ready on every request and render the lists of a *NotReadyError.
//
// Open is the lower-level door: it opens exactly the URL it is given, and creates a missing
// SQLite file.
package sqldb

import (
	"context"
	"database/sql"

	"entgo.io/ent/dialect"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// Open opens and pings the database at rawURL and returns it with its Ent dialect name
// (dialect.SQLite, dialect.Postgres or dialect.MySQL). A relative SQLite path is taken from the working
// directory and a missing SQLite file is created; FromEnv does neither. Errors never contain
// the URL's password.
func Open(ctx context.Context, rawURL string) (*sql.DB, string, error) {
	u, err := database.Parse(rawURL)
	if err != nil {
		return nil, "", err
	}
	return open(ctx, u)
}

// open opens a parsed URL and names its Ent dialect.
func open(ctx context.Context, u *database.URL) (*sql.DB, string, error) {
	db, err := database.Open(ctx, u)
	if err != nil {
		return nil, "", err
	}
	switch u.Dialect {
	case kernia.Postgres:
		return db, dialect.Postgres, nil
	case kernia.MySQL:
		return db, dialect.MySQL, nil
	}
	return db, dialect.SQLite, nil
}
