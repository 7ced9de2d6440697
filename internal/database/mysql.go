package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MySQLCollation is the collation Kernia's MySQL connections use (SET NAMES utf8mb4 COLLATE
// utf8mb4_bin), and the one Ent gives the tables it creates: binary, so tokens, secrets and
// identifiers compare exactly as on PostgreSQL and SQLite. A case-insensitive collation
// (MySQL 8's default utf8mb4_0900_ai_ci, MariaDB's utf8mb4_general_ci) would make a lookup of
// token "abc" find "ABC" and a unique index refuse two tokens differing only in case or accent.
// Better Auth lowercases emails before it stores them, so email uniqueness is the same under
// either. utf8mb4_bin pads with spaces on comparison ('a' = 'a '), as every MySQL collation
// before 8.0's _0900_ ones does; it exists on MySQL 5.7, 8 and MariaDB alike.
const MySQLCollation = "utf8mb4_bin"

// mysqlForced are the URL parameters Kernia sets on every MySQL connection and refuses to have
// changed, with the value they must keep and why.
var mysqlForced = map[string]struct{ want, why string }{
	"parseTime":       {"true", "Ent and the migration history scan DATETIME columns into time.Time"},
	"loc":             {"UTC", "times are stored and read as UTC, as on the other dialects"},
	"multiStatements": {"false", "a statement is run and recorded one at a time, and a query holding several is refused"},
}

// parseMySQL parses mysql://user:pass@host:3306/db?param=value into the driver's
// configuration. The URL is checked as PostgreSQL URLs are (checkServerURL); its query
// parameters are the driver's (tls, readTimeout, a server variable such as sql_mode, …), with
// parseTime=true, loc=UTC and multiStatements=false enforced and, unless given,
// collation=utf8mb4_bin and timeout=DefaultConnectTimeout. Its errors never quote the
// password. A URL naming no database is refused unless server is set.
func parseMySQL(raw string, server bool) (*mysql.Config, error) {
	if err := checkServerURL("mysql", raw); err != nil {
		return nil, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mysql URL is malformed: %v", errors.Unwrap(err))
	}
	if u.Opaque != "" {
		return nil, errors.New("mysql URL is malformed: use mysql://user:pass@host:3306/db")
	}
	if u.Fragment != "" {
		return nil, errors.New("mysql URL has a fragment (#...): remove it, or percent-encode '#' as %23")
	}
	q, _ := url.ParseQuery(u.RawQuery) // checkServerURL parsed it strictly
	for k, f := range mysqlForced {
		if v, ok := q[k]; ok && (len(v) != 1 || !strings.EqualFold(v[0], f.want)) {
			return nil, fmt.Errorf("mysql URL sets %s=%s: Kernia needs %s=%s (%s): remove the parameter", k, strings.Join(v, ","), k, f.want, f.why)
		}
	}
	if _, ok := q["charset"]; ok {
		return nil, errors.New("mysql URL sets charset: Kernia's connections use utf8mb4, the only charset that stores every Unicode character: remove it (collation=... chooses a utf8mb4 collation)")
	}
	if _, ok := q["socket"]; ok {
		return nil, errors.New("mysql URL sets socket: Kernia connects over TCP: use mysql://user:pass@host:3306/db")
	}
	cfg := mysql.NewConfig()
	if len(q) > 0 {
		// The driver parses its own parameters (and takes unknown ones as server variables).
		c, err := mysql.ParseDSN("/?" + q.Encode())
		if err != nil {
			return nil, fmt.Errorf("mysql URL has an invalid parameter: %v", err)
		}
		cfg = c
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	if cfg.User == "" {
		return nil, errors.New("mysql URL has no user: use mysql://user:pass@host:3306/db")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "3306"
	}
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, port)
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" && !server || strings.Contains(db, "/") {
		return nil, errors.New("mysql URL names no database (or a path with several parts): use mysql://user:pass@host:3306/db")
	}
	cfg.DBName = db
	cfg.ParseTime, cfg.Loc, cfg.MultiStatements = true, time.UTC, false
	if _, ok := q["collation"]; !ok {
		cfg.Collation = MySQLCollation
	}
	if _, ok := q["timeout"]; !ok {
		cfg.Timeout = DefaultConnectTimeout
	}
	if _, ok := q["time_zone"]; !ok {
		// The session's time zone is what NOW() and DEFAULT CURRENT_TIMESTAMP use: UTC, as
		// the driver reads DATETIME values (loc=UTC).
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["time_zone"] = "'+00:00'"
	}
	// The driver prints some connection errors itself ("[mysql] packets.go: …"); Kernia
	// reports them from the returned error instead.
	cfg.Logger = &mysql.NopLogger{}
	return cfg, nil
}

// openMySQL opens a MySQL database and checks the connection.
func openMySQL(ctx context.Context, u *URL) (*sql.DB, error) {
	conn, err := mysql.NewConnector(u.my)
	if err != nil {
		return nil, fmt.Errorf("mysql %s: %s", u.Host(), mysqlErrorText(err))
	}
	db := sql.OpenDB(timeoutConnector{conn, u.my.Timeout})
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, u.mysqlConnectError(err)
	}
	return db, nil
}

// timeoutConnector bounds a whole connection set-up by the connect timeout: the driver's
// timeout covers only the TCP dial, so a server that accepts and never sends its handshake
// would hang the connection forever. The driver watches the context during the handshake.
type timeoutConnector struct {
	driver.Connector
	timeout time.Duration
}

// Connect connects within the timeout.
func (c timeoutConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	return c.Connector.Connect(ctx)
}

// quoteMySQLName quotes a MySQL identifier when it needs it (anything but letters, digits, '_'
// and '$', or a name of digits only).
func quoteMySQLName(name string) string {
	plain := name != "" && strings.Trim(name, "0123456789") != ""
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$') {
			plain = false
		}
	}
	if plain {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// mysqlConnectError explains a failed MySQL connection without the password.
func (u *URL) mysqlConnectError(err error) error {
	target := fmt.Sprintf("mysql %s (database %q, user %q)", u.Host(), u.my.DBName, u.my.User)
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &me) && (me.Number == 1045 || me.Number == 1698):
		// 1698: a user the server does not know, or one it authenticates otherwise (MariaDB's
		// unix_socket), asked for a password.
		return fmt.Errorf("%s: access denied: check the user and password in the database URL", target)
	case errors.As(err, &me) && me.Number == 1049:
		return fmt.Errorf("%s: %w: `kernia migrate` creates it (%s: the character set and collation of Kernia's tables), or fix the URL",
			target, ErrNoDatabase, u.createMySQLDatabase())
	case errors.As(err, &me) && me.Number == 1044:
		return fmt.Errorf("%s: the user may not use this database: GRANT it the database, or fix the URL", target)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("%s: no answer within %s: is the server up and the host and port right?", target, u.my.Timeout)
	}
	if nerr := networkError(target, err); nerr != nil {
		return nerr
	}
	return fmt.Errorf("%s: cannot connect: %s", target, firstLine(mysqlErrorText(err)))
}

// ErrNoDatabase is wrapped by the error of a MySQL connection refused because the URL's
// database does not exist on the server.
var ErrNoDatabase = errors.New("database does not exist")

// createMySQLDatabase is the statement that creates the URL's database as Kernia's tables need it.
func (u *URL) createMySQLDatabase() string {
	return fmt.Sprintf("CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE %s", quoteMySQLName(u.my.DBName), MySQLCollation)
}

// CreateMySQLDatabase creates the database of a MySQL URL on its server, with the character
// set and collation of Kernia's tables (connecting to the server without a database, as the
// URL's user). It reports whether this call created it: false when it exists already (another
// runner may have created it meanwhile). The error never holds the password.
func CreateMySQLDatabase(ctx context.Context, u *URL) (created bool, err error) {
	if u.my == nil || u.my.DBName == "" {
		return false, errors.New("CreateMySQLDatabase: not a MySQL URL with a database")
	}
	db, err := openMySQL(ctx, u.WithDatabase(""))
	if err != nil {
		return false, err
	}
	defer db.Close()
	target := fmt.Sprintf("mysql %s", u.Host())
	var me *mysql.MySQLError
	switch _, err := db.ExecContext(ctx, u.createMySQLDatabase()); {
	case err == nil:
		return true, nil
	case errors.As(err, &me) && me.Number == 1007:
		return false, nil
	case errors.As(err, &me) && (me.Number == 1044 || me.Number == 1227):
		return false, fmt.Errorf("%s: the database %q does not exist and the user %q may not create it: have an administrator run %s (or GRANT CREATE), or fix the URL",
			target, u.my.DBName, u.my.User, u.createMySQLDatabase())
	default:
		return false, fmt.Errorf("%s: create the database %q: %s", target, u.my.DBName, firstLine(mysqlErrorText(err)))
	}
}

// mysqlErrorText is a driver error's text, with any password-bearing DSN redacted. A server's
// error is its own text as it is: the server never sends the password back, and the DSN
// redaction would take "…: Access denied for user 'u'@'host'" for user info and cut it.
func mysqlErrorText(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Error()
	}
	return Redact(err.Error())
}

// MySQLErrorNumber returns the server's error number of err (1062 for a duplicate key…), 0
// when err is not a MySQL server error.
func MySQLErrorNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}
