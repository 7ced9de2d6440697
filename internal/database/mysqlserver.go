package database

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MySQLServer is the flavour and version of a MySQL-compatible server, as VERSION() and
// @@version_comment report them: MySQL 8 and MariaDB differ in SQL Kernia's migrations use
// (MySQLFeature), and a statement one of them lacks must be refused before a file starts, since
// MySQL cannot roll back the statements before it.
type MySQLServer struct {
	// MariaDB is set for MariaDB ("10.11.19-MariaDB-0+deb12u1"); otherwise the server is MySQL
	// or a server that reports a MySQL version.
	MariaDB bool
	// Major, Minor and Patch are the version's numbers.
	Major, Minor, Patch int
	// Version is VERSION() as the server returned it.
	Version string
}

// mysqlVersionRE reads the numbers of VERSION(); MariaDB once prefixed its version with
// "5.5.5-" for old clients, which is skipped.
var mysqlVersionRE = regexp.MustCompile(`^(?:5\.5\.5-)?(\d+)\.(\d+)\.(\d+)`)

// ParseMySQLServer reads a server's VERSION() and @@version_comment.
func ParseMySQLServer(version, comment string) (MySQLServer, error) {
	m := mysqlVersionRE.FindStringSubmatch(version)
	if m == nil {
		return MySQLServer{}, fmt.Errorf("the MySQL server reports version %q, which does not start with a version number", version)
	}
	s := MySQLServer{Version: version,
		MariaDB: strings.Contains(strings.ToLower(version), "mariadb") || strings.Contains(strings.ToLower(comment), "mariadb")}
	s.Major, _ = strconv.Atoi(m[1])
	s.Minor, _ = strconv.Atoi(m[2])
	s.Patch, _ = strconv.Atoi(m[3])
	return s, nil
}

// ReadMySQLServer asks the server on conn for its flavour and version.
func ReadMySQLServer(ctx context.Context, conn interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (MySQLServer, error) {
	var version, comment string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION(), @@version_comment").Scan(&version, &comment); err != nil {
		return MySQLServer{}, fmt.Errorf("read the server's version: %s", Redact(err.Error()))
	}
	return ParseMySQLServer(version, comment)
}

// String names the server: "MariaDB 10.11.19", "MySQL 8.0.36".
func (s MySQLServer) String() string {
	name := "MySQL"
	if s.MariaDB {
		name = "MariaDB"
	}
	return fmt.Sprintf("%s %d.%d.%d", name, s.Major, s.Minor, s.Patch)
}

// atLeast reports whether the server's version is v or later.
func (s MySQLServer) atLeast(v [3]int) bool {
	for i, n := range [3]int{s.Major, s.Minor, s.Patch} {
		if n != v[i] {
			return n > v[i]
		}
	}
	return true
}

// MySQLFeature is SQL that MySQL and MariaDB gained in different versions, and that migrations
// Kernia (and Atlas) write use.
type MySQLFeature struct {
	// Name says what the statement uses: "ALTER TABLE … RENAME COLUMN".
	Name string
	// MySQL and MariaDB are the first versions that run it.
	MySQL, MariaDB [3]int
	// Instead says how to write it for an older server.
	Instead string
	// Ignored is set when an older server accepts the statement but ignores the feature (MySQL
	// before 8.0.16 parses CHECK and enforces nothing): a warning, not a refusal.
	Ignored bool
}

// The features a migration statement can need, in the order they are checked.
var (
	// MySQLRenameColumn: ALTER TABLE … RENAME COLUMN (MySQL 8.0, MariaDB 10.5.2).
	MySQLRenameColumn = MySQLFeature{Name: "ALTER TABLE … RENAME COLUMN", MySQL: [3]int{8, 0, 0}, MariaDB: [3]int{10, 5, 2},
		Instead: "write ALTER TABLE … CHANGE COLUMN old new <the column's full definition>"}
	// MySQLExpressionDefault: a default in parentheses, DEFAULT (CURRENT_TIMESTAMP(3)), as
	// Atlas writes Kernia's time defaults (MySQL 8.0.13, MariaDB 10.2.1).
	MySQLExpressionDefault = MySQLFeature{Name: "a default expression in parentheses (DEFAULT (…))", MySQL: [3]int{8, 0, 13}, MariaDB: [3]int{10, 2, 1},
		Instead: "write the default without parentheses (DEFAULT CURRENT_TIMESTAMP(3) works from MySQL 5.6.5), or upgrade the server"}
	// MySQLJSON: the json column type (MySQL 5.7.8; MariaDB 10.2.7, where it is LONGTEXT with a
	// JSON_VALID check, added by the server itself from 10.4.3).
	MySQLJSON = MySQLFeature{Name: "the json column type", MySQL: [3]int{5, 7, 8}, MariaDB: [3]int{10, 2, 7},
		Instead: "use longtext, or upgrade the server"}
	// MySQLCheck: CHECK constraints, enforced from MySQL 8.0.16 and MariaDB 10.2.1; older
	// servers accept and ignore them.
	MySQLCheck = MySQLFeature{Name: "a CHECK constraint", MySQL: [3]int{8, 0, 16}, MariaDB: [3]int{10, 2, 1}, Ignored: true,
		Instead: "the constraint is accepted but not enforced: check the values in the application, or upgrade the server"}
)

// Supports reports whether the server runs f.
func (s MySQLServer) Supports(f MySQLFeature) bool {
	if s.MariaDB {
		return s.atLeast(f.MariaDB)
	}
	return s.atLeast(f.MySQL)
}

// Statements that use each feature (see MySQLFeatures). A string literal holding the words is
// taken for a use too, which errs on the side of a refusal with its reason.
var mysqlFeatureREs = []struct {
	re *regexp.Regexp
	f  MySQLFeature
}{
	{regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\b.*\bRENAME\s+COLUMN\b`), MySQLRenameColumn},
	{regexp.MustCompile(`(?i)\bDEFAULT\s*\(`), MySQLExpressionDefault},
	{regexp.MustCompile("(?i)`[^`]+`\\s+json\\b"), MySQLJSON},
	{regexp.MustCompile(`(?i)\bCHECK\s*\(`), MySQLCheck},
}

// MySQLFeatures lists the features of MySQLFeature that stmt uses.
func MySQLFeatures(stmt string) []MySQLFeature {
	var out []MySQLFeature
	for _, x := range mysqlFeatureREs {
		if x.re.MatchString(stmt) {
			out = append(out, x.f)
		}
	}
	return out
}

// Minimum says which versions run f: "MySQL 8.0.13 or MariaDB 10.2.1".
func (f MySQLFeature) Minimum() string {
	v := func(x [3]int) string { return fmt.Sprintf("%d.%d.%d", x[0], x[1], x[2]) }
	return "MySQL " + v(f.MySQL) + " or MariaDB " + v(f.MariaDB)
}
