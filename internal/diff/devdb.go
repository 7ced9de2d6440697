package diff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// DevDB is a clean database that migrations are replayed and diffed on. It is never the
// target database: Close drops whatever was created for it.
type DevDB struct {
	// Dialect is kernia.SQLite, kernia.Postgres or kernia.MySQL.
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
// SQLite: an in-memory database. PostgreSQL and MySQL: the URL of that dialect in devList
// (Options.DevURL or KERNIA_DEV_URL, parsed by database.ParseDevURLs: one URL per dialect,
// separated by spaces; a list it refuses is an error for every dialect) when it has one, which must point at an empty database, emptied again on Close (a MySQL URL naming
// no database names a server, where a temporary database is created instead); otherwise, when
// targetURL is of the dialect, a temporary database created on its server (the target database
// itself is never changed). Temporary databases are dropped by Close; see devdb_mysql.go for
// MySQL's.
func OpenDev(ctx context.Context, dialect, devList, targetURL string) (*DevDB, error) {
	dev, err := database.ParseDevURLs(devList)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	switch dialect {
	case kernia.SQLite:
		u, _ := database.Parse("sqlite://dev?mode=memory")
		db, err := database.Open(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("diff: open in-memory SQLite: %w", err)
		}
		return &DevDB{Dialect: dialect, DB: db}, nil
	case kernia.Postgres:
		if u := dev.For(kernia.Postgres); u != nil {
			return openDevDatabase(ctx, u)
		}
		if d, err := kernia.DialectOf(targetURL); err == nil && d == kernia.Postgres {
			return openTempDatabase(ctx, targetURL)
		}
		return nil, errors.New("diff: PostgreSQL migrations are computed on a clean dev database: set KERNIA_DEV_URL=postgres://user:pass@localhost:5432/dev (an empty database; with a MySQL one too, both separated by a space), or set KERNIA_DATABASE_URL to a PostgreSQL server where Kernia may create a temporary database")
	case kernia.MySQL:
		return openMySQLDev(ctx, dev.For(kernia.MySQL), targetURL)
	}
	return nil, fmt.Errorf("diff: unsupported dialect %q", dialect)
}

// openEmptyDevDatabase opens the dev database u, which must hold no table (tables lists them,
// quoted). As it was empty, whatever a failed diff leaves in it is Kernia's: the DevDB's
// cleanup removes it with dropTables.
func openEmptyDevDatabase(ctx context.Context, u *database.URL, tables func(context.Context, queryer) ([]string, error), dropTables func(context.Context, *sql.DB) error) (*DevDB, error) {
	db, err := database.Open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("diff: dev database: %w", err)
	}
	found, err := tables(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("diff: inspect dev database: %w", err)
	}
	if len(found) > 0 {
		db.Close()
		return nil, fmt.Errorf("diff: the dev database %s is not empty (found table %s): point KERNIA_DEV_URL at an empty database used only for diffing, never at a real one", u.Redacted(), found[0])
	}
	clean := func() error { return dropTables(context.WithoutCancel(ctx), db) }
	return &DevDB{Dialect: u.Dialect, DB: db, cleanup: clean}, nil
}

// openDevDatabase opens the PostgreSQL dev database u, which must hold no table.
func openDevDatabase(ctx context.Context, u *database.URL) (*DevDB, error) {
	return openEmptyDevDatabase(ctx, u, userTables, func(ctx context.Context, db *sql.DB) error {
		tables, err := userTables(ctx, db)
		for _, t := range tables {
			if _, derr := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t+" CASCADE"); derr != nil {
				err = errors.Join(err, derr)
			}
		}
		return err
	})
}

// queryer runs queries: a *sql.DB or a *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryNames runs a query of one text column and returns its values.
func queryNames(ctx context.Context, db queryer, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// userTables lists the tables outside PostgreSQL's own schemas, quoted and schema-qualified.
func userTables(ctx context.Context, db queryer) ([]string, error) {
	return queryNames(ctx, db, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)
		FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'
		ORDER BY 1`)
}

// Temporary dev databases are named kernia_dev_<unix seconds of creation>_<host>_<pid>_<random>:
// <host> is the first 8 hex digits of the SHA-256 of the creating machine's host name and <pid>
// the creating process, so a later run can tell that one was left by a killed run.
const tempPrefix = "kernia_dev_"

// StaleAfter is the age after which a temporary dev database nobody is connected to is
// dropped, whoever created it: a diff needs it for seconds.
const StaleAfter = time.Hour

var tempNameRE = regexp.MustCompile(`^kernia_dev_([0-9]{1,19})_([0-9a-f]{8})_([0-9]{1,10})_[0-9a-f]{6,}$`)

// legacyNameRE matches the temporary databases of Kernia versions that named them
// kernia_dev_<random>: they carry no creation time, and are dropped when nobody uses them.
var legacyNameRE = regexp.MustCompile(`^kernia_dev_[0-9a-f]{12}$`)

// tempName names a temporary dev database created now by this process.
func tempName(now time.Time) string {
	return fmt.Sprintf("%s%d_%s_%d_%s", tempPrefix, now.Unix(), hostTag(), os.Getpid(), randomSuffix())
}

// hostTag identifies this machine in temporary database names.
func hostTag() string {
	h, _ := os.Hostname()
	sum := sha256.Sum256([]byte(h))
	return hex.EncodeToString(sum[:4])
}

// stale reports whether the temporary dev database name, with connected sessions, was left
// behind and may be dropped. It never is while a live run may use it: one created on this
// machine is dropped once its process is gone; any other only after StaleAfter with nobody
// connected (a diff holds its connection for the whole diff).
func stale(name string, connected int, now time.Time, alive func(pid int) bool) bool {
	if legacyNameRE.MatchString(name) {
		return connected == 0
	}
	m := tempNameRE.FindStringSubmatch(name)
	if m == nil {
		return false
	}
	created, err1 := strconv.ParseInt(m[1], 10, 64)
	pid, err2 := strconv.Atoi(m[3])
	if err1 != nil || err2 != nil {
		return false
	}
	if m[2] == hostTag() && pid > 0 && !alive(pid) {
		return true
	}
	return connected == 0 && now.Sub(time.Unix(created, 0)) > StaleAfter
}

// dropStale drops the temporary dev databases that runs killed before their clean-up left on
// the server, among those the connected role owns. It is best effort: a database it cannot
// drop is left for a later run, and what it dropped is returned.
func dropStale(ctx context.Context, server *sql.DB, now time.Time) ([]string, error) {
	return sweepStale(ctx, server, now, `SELECT d.datname,
			(SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname AND a.pid <> pg_backend_pid())
		FROM pg_database d
		WHERE d.datname LIKE 'kernia\_dev\_%' AND d.datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)
		ORDER BY 1`, func(name string) string { return `DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)` })
}

// sweepStale is the sweep of both servers' dialects: list reads each temporary dev database's
// name and its count of other connections, and the ones stale judges abandoned are dropped
// with the statement drop builds. Best effort: what cannot be dropped is left for a later run;
// what was dropped is returned, with every failure joined.
func sweepStale(ctx context.Context, server *sql.DB, now time.Time, list string, drop func(name string) string) ([]string, error) {
	rows, err := server.QueryContext(ctx, list)
	if err != nil {
		return nil, err
	}
	type candidate struct {
		name      string
		connected int
	}
	var found []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.name, &c.connected); err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var dropped []string
	var errs []error
	for _, c := range found {
		if !stale(c.name, c.connected, now, processAlive) {
			continue
		}
		if _, err := server.ExecContext(ctx, drop(c.name)); err != nil {
			errs = append(errs, fmt.Errorf("drop %s: %w", c.name, err))
			continue
		}
		dropped = append(dropped, c.name)
	}
	return dropped, errors.Join(errs...)
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
	// Best effort: a database left now is dropped by a later run.
	_, _ = dropStale(ctx, server, time.Now())
	name := tempName(time.Now())
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
	host, _ := os.Hostname()
	comment := fmt.Sprintf("temporary dev database of kernia generate (pid %d on %s, created %s); a later generate drops it if it is left behind", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if _, err := server.ExecContext(ctx, `COMMENT ON DATABASE "`+name+`" IS `+quoteLiteral(comment)); err != nil {
		return nil, errors.Join(fmt.Errorf("diff: temporary dev database: %w", err), drop())
	}
	db, err = database.Open(ctx, u.WithDatabase(name))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("diff: temporary dev database: %w", err), drop())
	}
	return &DevDB{Dialect: kernia.Postgres, DB: db, cleanup: drop}, nil
}

// quoteLiteral quotes s as a PostgreSQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
