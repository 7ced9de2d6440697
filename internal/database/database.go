// Package database parses Kernia database URLs (Atlas's forms) and opens them with the drivers
// Kernia uses: pgx through database/sql for PostgreSQL, modernc.org/sqlite for SQLite,
// github.com/go-sql-driver/mysql for MySQL and MariaDB (mysql.go).
//
// Passwords never reach an error or a printed URL: errors are built from parsed parts, and
// Redact removes passwords from every URL form.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kernia/kernia"
)

// DefaultConnectTimeout bounds how long connecting to a server may take.
const DefaultConnectTimeout = 10 * time.Second

// cancelGrace is how long a PostgreSQL statement whose context was cancelled may take to stop
// after the cancel request before its connection is closed.
const cancelGrace = 5 * time.Second

// URL is a parsed database URL.
type URL struct {
	// Dialect is kernia.SQLite, kernia.Postgres or kernia.MySQL.
	Dialect string
	// Path is the SQLite file path ("" for a server; ":memory:" for an in-memory database).
	Path string
	// Query holds the URL's query parameters (SQLite only).
	Query url.Values
	// pg is the parsed PostgreSQL configuration.
	pg *pgx.ConnConfig
	// my is the parsed MySQL configuration.
	my  *mysql.Config
	raw string
}

// Parse parses a database URL. Its errors never contain the URL's password. A URL holding a
// control character (a newline, a tab, a NUL…) is refused for every dialect: no database URL
// needs one, and a newline would let a URL written to .env by init add lines of its own.
func Parse(raw string) (*URL, error) { return parse(raw, false) }

// parse is Parse; with mysqlServer, a MySQL URL may name no database (a server, where the dev
// database list asks for a temporary database: ParseDevURLs).
func parse(raw string, mysqlServer bool) (*URL, error) {
	if i := strings.IndexFunc(raw, unicode.IsControl); i >= 0 {
		return nil, fmt.Errorf("database URL holds a control character (%U at byte %d): remove it, or percent-encode it if it is part of the password", []rune(raw[i:])[0], i)
	}
	dialect, err := kernia.DialectOf(raw)
	if err != nil {
		return nil, err
	}
	u := &URL{Dialect: dialect, raw: raw}
	switch dialect {
	case kernia.SQLite:
		rest := raw[strings.Index(raw, "://")+3:]
		path, query, _ := strings.Cut(rest, "?")
		q, err := url.ParseQuery(query)
		if err != nil {
			return nil, fmt.Errorf("sqlite URL: malformed query: %v", errors.Unwrap(err))
		}
		if path == "" {
			return nil, errors.New("sqlite URL has no file path: use sqlite://file.db or sqlite:///abs/path.db")
		}
		if q.Get("mode") == "memory" {
			path = ":memory:"
		}
		u.Path, u.Query = path, q
	case kernia.MySQL:
		cfg, err := parseMySQL(raw, mysqlServer)
		if err != nil {
			return nil, err
		}
		u.my = cfg
	case kernia.Postgres:
		if err := checkServerURL("postgres", raw); err != nil {
			return nil, err
		}
		cfg, err := pgx.ParseConfig(raw)
		if err != nil {
			return nil, fmt.Errorf("postgres URL is invalid: %s", pgErrorText(err))
		}
		if _, ok := cfg.RuntimeParams["connect_timeout"]; !ok && !strings.Contains(raw, "connect_timeout") {
			cfg.ConnectTimeout = DefaultConnectTimeout
		}
		// A cancelled context (Ctrl-C) cancels the running statement on the server and keeps the
		// connection, so the caller can still roll back and unlock on it; pgx's default closes
		// the connection instead. A server that does not answer the cancel within
		// cancelGrace gets the connection closed.
		cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}
		}
		u.pg, u.Query = cfg, nil
	}
	return u, nil
}

// WithConnectTimeout returns a copy of the URL whose server connections give up after d
// (d > 0; the URL's connect_timeout or timeout, else DefaultConnectTimeout, otherwise).
// SQLite ignores it.
func (u *URL) WithConnectTimeout(d time.Duration) *URL {
	if u.pg == nil && u.my == nil || d <= 0 {
		return u
	}
	c := *u
	if u.my != nil {
		c.my = u.my.Clone()
		c.my.Timeout = d
		return &c
	}
	c.pg = u.pg.Copy()
	c.pg.ConnectTimeout = d
	return &c
}

// checkServerURL refuses a PostgreSQL or MySQL URL (kind names it in errors) whose user info
// is not exactly what RFC 3986 allows there: unreserved characters, sub-delims (! $ & ' ( ) * + , ; =), ':' and %XX escapes.
// A raw '/', '?' or '#' ends the authority early, so parsers would read part of the password as
// the host, port or database name and print it; a raw '@', '[', ']', space or stray '%' makes
// parsers disagree on where the password ends. An '@' after the authority (in the path, query
// or fragment) is refused for the same reason: it is how such a password looks. The URL is
// then parsed by net/url, and the query strictly.
//
// Its errors never quote the URL or any part of its user info: a parser's message about a URL
// with user info can hold part of the password (`invalid port ":<start of password>"`).
func checkServerURL(kind, raw string) error {
	const fix = "percent-encode reserved characters in the user and password (@ as %40, : in the user as %3A, / as %2F, ? as %3F, # as %23, [ as %5B, ] as %5D, space as %20, % as %25)"
	rest := raw[strings.Index(raw, "://")+3:]
	authEnd := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authEnd = i
	}
	if strings.LastIndex(rest, "@") > authEnd {
		return fmt.Errorf(kind+" URL is malformed: it holds an '@' after the host, or a raw '/', '?' or '#' before the '@' that ends the user info: %s (an '@' in the path or query also needs %%40)", fix)
	}
	at := strings.LastIndex(rest[:authEnd], "@")
	if at >= 0 {
		userinfo := rest[:at]
		if strings.Contains(userinfo, "@") {
			return fmt.Errorf(kind+" URL is malformed: its user info holds more than one '@': %s", fix)
		}
		if what := badUserinfo(userinfo); what != "" {
			return fmt.Errorf(kind+" URL is malformed: its user info holds %s: %s", what, fix)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && at < 0 {
			return fmt.Errorf("%s URL is malformed (%v)", kind, ue.Err)
		}
		return fmt.Errorf(kind+" URL is malformed: %s", fix)
	}
	if _, err := url.ParseQuery(u.RawQuery); err != nil {
		return errors.New(kind + " URL has a malformed query: percent-encode reserved characters in parameter values (& as %26, = as %3D, % as %25, space as %20) and separate parameters with '&'")
	}
	return nil
}

// badUserinfo describes the first character of a URL's user info that RFC 3986 does not allow
// there raw, without quoting the user info; "" when every character is allowed.
func badUserinfo(userinfo string) string {
	for i := 0; i < len(userinfo); i++ {
		c := userinfo[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:", c) >= 0:
		case c == '%':
			if i+2 >= len(userinfo) || !isHex(userinfo[i+1]) || !isHex(userinfo[i+2]) {
				return "a '%' that does not start a %XX escape"
			}
			i += 2
		case c == ' ':
			return "a raw space"
		case c < ' ' || c == 0x7f:
			return "a control character"
		case c >= 0x80:
			return "a non-ASCII character"
		default:
			return fmt.Sprintf("a raw %q", string(c))
		}
	}
	return ""
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Redacted returns the URL with its password removed.
func (u *URL) Redacted() string { return Redact(u.raw) }

// Host returns "host:port" for a server and the file path for SQLite.
func (u *URL) Host() string {
	if u.my != nil {
		return u.my.Addr
	}
	if u.pg != nil {
		return net.JoinHostPort(u.pg.Host, fmt.Sprint(u.pg.Port))
	}
	return u.Path
}

// Database returns the server's database name ("" for SQLite).
func (u *URL) Database() string {
	if u.my != nil {
		return u.my.DBName
	}
	if u.pg != nil {
		return u.pg.Database
	}
	return ""
}

// WithDatabase returns a copy of a PostgreSQL or MySQL URL pointing at another database on
// the same server.
func (u *URL) WithDatabase(name string) *URL {
	c := *u
	if u.my != nil {
		c.my = u.my.Clone()
		c.my.DBName = name
		c.raw = ""
		return &c
	}
	c.pg = u.pg.Copy()
	c.pg.Database = name
	c.raw = ""
	return &c
}

// WithSearchPath returns a copy of a PostgreSQL URL whose connections use the given schema.
func (u *URL) WithSearchPath(schema string) *URL {
	c := *u
	c.pg = u.pg.Copy()
	c.pg.RuntimeParams["search_path"] = schema
	return &c
}

// Open opens the database and checks the connection. SQLite connections have foreign keys on,
// a busy timeout, and Better Auth's storage of times and JSON (ISO-8601 UTC text, JSON text:
// sqlite.go); the SQLite file's directory must exist. MySQL connections parse DATETIME into
// time.Time in UTC, use utf8mb4 with MySQLCollation, and run one statement per query.
func Open(ctx context.Context, u *URL) (*sql.DB, error) {
	switch u.Dialect {
	case kernia.SQLite:
		return openSQLite(ctx, u)
	case kernia.MySQL:
		return openMySQL(ctx, u)
	default:
		db := stdlib.OpenDB(*u.pg)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, u.connectError(err)
		}
		return db, nil
	}
}

func openSQLite(ctx context.Context, u *URL) (*sql.DB, error) {
	if u.Path != ":memory:" {
		if err := checkSQLitePath(u.Path); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	for k, vs := range u.Query {
		if k != "mode" {
			q[k] = vs
		}
	}
	// journal_mode is not a per-connection pragma: it is switched once below, best effort.
	// Switching needs an exclusive lock that SQLite does not wait for, so in the DSN it would
	// make every new connection fail while another process writes to a rollback-journal file.
	pragmas := []string{"foreign_keys(1)", "busy_timeout(10000)", "synchronous(NORMAL)"}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	// Times are bound as ISO-8601 text by the connector (sqlite.go); modernc's own format
	// applies only to a time.Time that reaches it some other way.
	q.Set("_time_format", "sqlite")
	q.Set("_txlock", "immediate")
	dsn := "file:" + u.Path + "?" + q.Encode()
	if u.Path == ":memory:" {
		dsn = "file::memory:?" + q.Encode()
	}
	connector, err := newSQLiteConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", u.Path, err)
	}
	db := sql.OpenDB(connector)
	if u.Path == ":memory:" {
		// Every connection to :memory: is a new database: keep one.
		db.SetMaxOpenConns(1)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, sqliteOpenError(u.Path, err)
	}
	if u.Path != ":memory:" {
		// WAL lets readers go on while a migration or the application writes. Best effort:
		// a busy or read-only file keeps its journal mode, and a later open switches it.
		_, _ = db.ExecContext(ctx, "PRAGMA journal_mode = WAL")
	}
	return db, nil
}

// sqliteOpenError explains a failed SQLite open.
func sqliteOpenError(path string, err error) error {
	s := err.Error()
	switch {
	case strings.Contains(s, "SQLITE_READONLY") || strings.Contains(s, "readonly database"):
		return fmt.Errorf("sqlite %s: the database file or its directory is read-only: give the user running kernia write access to both (SQLite writes a -wal and a -shm file beside it)", path)
	case strings.Contains(s, "SQLITE_CANTOPEN") || strings.Contains(s, "unable to open database file"):
		return fmt.Errorf("sqlite %s: cannot open or create the database file (%s): check that the path is a file and that its directory is writable", path, s)
	case strings.Contains(s, "SQLITE_NOTADB") || strings.Contains(s, "not a database"):
		return fmt.Errorf("sqlite %s: the file is not a SQLite database: fix the path in the database URL", path)
	}
	return fmt.Errorf("sqlite %s: %w", path, err)
}

func checkSQLitePath(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("sqlite %s: directory %s does not exist: create it or fix the path in the database URL", path, dir)
	case !st.IsDir():
		return fmt.Errorf("sqlite %s: %s is not a directory", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("sqlite %s: the path is a directory, not a database file", path)
	}
	return nil
}

// connectError explains a failed PostgreSQL connection without the password.
func (u *URL) connectError(err error) error {
	target := fmt.Sprintf("postgres %s (database %q, user %q)", u.Host(), u.pg.Database, u.pg.User)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "28P01":
		return fmt.Errorf("%s: password authentication failed: check the user and password in the database URL", target)
	case errors.As(err, &pgErr) && pgErr.Code == "3D000":
		return fmt.Errorf("%s: database does not exist: create it (createdb %s) or fix the URL", target, u.pg.Database)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("%s: no answer within %s: is the server up and the host and port right?", target, u.pg.ConnectTimeout)
	}
	if nerr := networkError(target, err); nerr != nil {
		return nerr
	}
	return fmt.Errorf("%s: cannot connect: %s", target, firstLine(pgErrorText(err)))
}

// networkError explains a connection that failed before any server answered (refused, no
// route, unknown host), for both servers' dialects; nil when err is not one.
func networkError(target string, err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return fmt.Errorf("%s: cannot connect: %v: is the server running and accepting TCP connections there?", target, opErr.Err)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("%s: cannot resolve host %q: fix the host in the database URL", target, dnsErr.Name)
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || strings.Contains(err.Error(), "timeout")
}

// pgErrorText returns err's text with any password-bearing connection string removed.
func pgErrorText(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Severity + ": " + pgErr.Message + " (SQLSTATE " + pgErr.Code + ")"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		if u := errors.Unwrap(ce); u != nil {
			return u.Error()
		}
	}
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		if u := errors.Unwrap(pe); u != nil {
			return u.Error()
		}
		return "cannot parse the connection string"
	}
	return err.Error()
}

// Redact removes passwords from a database URL or DSN: the user-info password of a URL,
// password= query parameters, and password=... pairs of keyword/value DSNs. Other text is kept.
func Redact(s string) string {
	scheme, rest, ok := "", s, strings.Contains(s, "@") && !strings.Contains(strings.ToLower(s), "password=")
	if i := strings.Index(s, "://"); i >= 0 && validScheme(s[:i]) {
		scheme, rest, ok = s[:i+3], s[i+3:], true
	}
	// A URL without a (valid) scheme is redacted as user info up to its last '@'.
	if ok {
		// The authority ends at the first '/', '?' or '#' after the last '@'.
		if at := strings.LastIndex(authority(rest), "@"); at >= 0 {
			userinfo := rest[:at]
			if user, _, ok := strings.Cut(userinfo, ":"); ok {
				rest = user + rest[at:]
			}
		}
		s = scheme + rest
	}
	return redactParams(s)
}

// validScheme reports whether s is a URL scheme by RFC 3986.
func validScheme(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	return strings.Trim(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz0123456789+-.") == ""
}

// authority returns the part of rest before the path, query or fragment, allowing '/', '?' and
// '#' in an unescaped password (everything up to the last '@' belongs to the user info).
func authority(rest string) string {
	at := strings.LastIndex(rest, "@")
	end := len(rest)
	if i := strings.IndexAny(rest[max(at, 0):], "/?#"); i >= 0 {
		end = max(at, 0) + i
	}
	return rest[:end]
}

func redactParams(s string) string {
	lower := strings.ToLower(s)
	var b strings.Builder
	for {
		i := strings.Index(lower, "password=")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		if i > 0 && !strings.ContainsRune("?& \t", rune(lower[i-1])) {
			b.WriteString(s[:i+9])
			s, lower = s[i+9:], lower[i+9:]
			continue
		}
		b.WriteString(s[:i+9])
		b.WriteString("xxxxx")
		s, lower = s[i+9:], lower[i+9:]
		end := strings.IndexAny(s, "& \t")
		if strings.HasPrefix(s, "'") {
			if j := strings.Index(s[1:], "'"); j >= 0 {
				end = j + 2
			}
		}
		if end < 0 {
			return b.String()
		}
		s, lower = s[end:], lower[end:]
	}
}
