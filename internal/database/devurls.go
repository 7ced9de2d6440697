package database

import (
	"fmt"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/devurl"
)

// DevURLRule is the rule of a dev database list (Options.DevURL, KERNIA_DEV_URL), quoted by
// every error about one.
const DevURLRule = "KERNIA_DEV_URL (Options.DevURL) holds one dev database URL per server dialect, separated by spaces: " +
	"postgres://user:pass@host:5432/dev for PostgreSQL migrations, mysql://user:pass@host:3306/dev for MySQL ones " +
	"(an empty database, or mysql://user:pass@host:3306/ with no database for a temporary one Kernia creates and drops on that server); " +
	"SQLite migrations need none"

// DevURLs is a parsed dev database list: at most one URL for each server dialect. The zero
// value is the empty list.
type DevURLs struct {
	byDialect map[string]*URL
	order     []string
}

// ParseDevURLs parses a dev database list (its words are devurl.Split's): each URL is parsed by Parse (a MySQL
// URL may name no database: a server for a temporary database), and the list is refused, with
// an error quoting DevURLRule and never a password, when a URL does not parse, is a SQLite URL
// or is the second of its dialect, or when a word of it is no URL (a raw space in a password
// splits its URL in two). A list of one URL is that URL.
func ParseDevURLs(list string) (DevURLs, error) {
	d := DevURLs{byDialect: map[string]*URL{}}
	fields := devurl.Split(list)
	which := func(i int) string {
		if len(fields) == 1 {
			return "the dev database URL"
		}
		return fmt.Sprintf("dev database URL %d of %d", i+1, len(fields))
	}
	// Every word must start a URL before any is parsed: a word that does not is the rest of a
	// URL split at a raw space, whose first part may read as a host and port and be quoted.
	if i := devurl.Continued(fields); i >= 0 {
		return DevURLs{}, fmt.Errorf("%s is no database URL: a URL never holds raw whitespace (percent-encode a space in a password as %%20) (%s)", which(i), DevURLRule)
	}
	for i, raw := range fields {
		u, err := parse(raw, true)
		if err != nil {
			return DevURLs{}, fmt.Errorf("%s: %w (%s)", which(i), err, DevURLRule)
		}
		if u.Dialect == kernia.SQLite {
			return DevURLs{}, fmt.Errorf("%s is a SQLite URL (%s): SQLite migrations are computed in an in-memory database; remove it (%s)", which(i), u.Redacted(), DevURLRule)
		}
		if prev, ok := d.byDialect[u.Dialect]; ok {
			return DevURLs{}, fmt.Errorf("%s is a second %s URL (%s, after %s): keep one (%s)", which(i), u.Dialect, u.Redacted(), prev.Redacted(), DevURLRule)
		}
		d.byDialect[u.Dialect] = u
		d.order = append(d.order, u.Dialect)
	}
	return d, nil
}

// For returns the dev database URL of dialect, or nil when the list has none.
func (d DevURLs) For(dialect string) *URL { return d.byDialect[dialect] }

// Redacted returns the list's URLs without their passwords, in the order they were written.
func (d DevURLs) Redacted() []string {
	out := make([]string, 0, len(d.order))
	for _, dialect := range d.order {
		out = append(out, d.byDialect[dialect].Redacted())
	}
	return out
}
