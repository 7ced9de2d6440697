package database

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"time"

	"modernc.org/sqlite"
)

// SQLite storage: the text every SQLite connection Kernia opens writes and binds, the same as
// Better Auth's (its Kysely adapter on better-sqlite3 stores a Date as toISOString() and JSON
// as JSON.stringify), so that one database can be shared and SQLite's text comparisons
// (`expires_at > ?`, ORDER BY created_at) order every row by time whoever wrote it.
//
//   - A time.Time argument is bound as ISO-8601 UTC text with milliseconds (TimeFormat):
//     2026-12-01T12:00:00.000Z. Fixed width, so text order is time order. Sub-millisecond
//     digits are dropped, as JavaScript's Date has none.
//   - A json.RawMessage argument (Ent's JSON and list fields) is bound as TEXT, not as a BLOB:
//     json_extract, typeof and Better Auth's reads see text.
//   - Reads are modernc's: a column declared DATE, DATETIME or TIMESTAMP is parsed from either
//     text form (ISO with Z, or the `2006-01-02 15:04:05.999999999-07:00` form Kernia wrote
//     before), and TEXT scans into []byte.
//
// Rows an older Kernia wrote are rewritten once by the storage migration that generate adds to
// a SQLite migration directory that predates this format (internal/diff, storage.go).

// TimeFormat is the layout of times on SQLite: JavaScript's Date.prototype.toISOString, in UTC.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime returns t as Kernia and Better Auth store it on SQLite (TimeFormat, in UTC).
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// sqliteConnector opens modernc connections that bind arguments in Kernia's storage format.
type sqliteConnector struct{ driver.Connector }

func newSQLiteConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sqliteConnector{c}, nil
}

// Connect implements driver.Connector.
func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &sqliteConn{conn}, nil
}

// sqliteConn is a modernc connection whose arguments CheckNamedValue converts. It forwards the
// optional interfaces every modernc connection implements (see sqlite.NewConnector), and
// Unwrap gives modernc's helpers (sqlite.Limit) the connection itself.
type sqliteConn struct{ driver.Conn }

var (
	_ driver.ConnBeginTx        = (*sqliteConn)(nil)
	_ driver.ConnPrepareContext = (*sqliteConn)(nil)
	_ driver.ExecerContext      = (*sqliteConn)(nil)
	_ driver.QueryerContext     = (*sqliteConn)(nil)
	_ driver.Pinger             = (*sqliteConn)(nil)
	_ driver.SessionResetter    = (*sqliteConn)(nil)
	_ driver.Validator          = (*sqliteConn)(nil)
	_ driver.NamedValueChecker  = (*sqliteConn)(nil)
)

// errNotImplemented is returned when modernc's connection lacks an interface it always had.
var errNotImplemented = errors.New("sqlite: the driver connection does not implement this interface")

// Unwrap returns modernc's connection.
func (c *sqliteConn) Unwrap() driver.Conn { return c.Conn }

// CheckNamedValue converts an argument to what Kernia stores on SQLite: a time (or a Valuer
// returning one) to TimeFormat text, a json.RawMessage to text. Everything else gets
// database/sql's default conversion. A prepared statement's arguments come here too: modernc's
// statements have no checker of their own.
func (c *sqliteConn) CheckNamedValue(nv *driver.NamedValue) error {
	if raw, ok := nv.Value.(json.RawMessage); ok {
		if raw == nil {
			nv.Value = nil
		} else {
			nv.Value = string(raw)
		}
		return nil
	}
	v, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
	if err != nil {
		return err
	}
	if t, ok := v.(time.Time); ok {
		v = FormatTime(t)
	}
	nv.Value = v
	return nil
}

// BeginTx implements driver.ConnBeginTx.
func (c *sqliteConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errNotImplemented
}

// PrepareContext implements driver.ConnPrepareContext.
func (c *sqliteConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

// ExecContext implements driver.ExecerContext.
func (c *sqliteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

// QueryContext implements driver.QueryerContext.
func (c *sqliteConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

// Ping implements driver.Pinger.
func (c *sqliteConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// ResetSession implements driver.SessionResetter.
func (c *sqliteConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

// IsValid implements driver.Validator.
func (c *sqliteConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}
