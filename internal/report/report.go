// Package report builds the info report of an auth instance: versions, resolved settings, the
// adapter, secret status, plugins, schema contributors, the migration directories and the
// problems found, as text or JSON.
//
// Redaction is by value. Database URLs are printed without their passwords
// (internal/database.Redact: URL user info, password= parameters, keyword/value DSNs); the
// secret is described (set or missing, source, length, strength) and never printed; the other
// settings printed are known to be safe. As a last guard, Scrub removes every secret key and
// database password from the rendered output, with internal/redact: the same redaction by
// value the kernia command and the Mage targets apply to everything they print.
package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/dotenv"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/keyring"
)

// Report is the info report. Its JSON form is documented in the README.
type Report struct {
	Versions     Versions        `json:"versions"`
	App          App             `json:"app"`
	Adapter      Adapter         `json:"adapter"`
	Secret       Secret          `json:"secret"`
	Plugins      []Plugin        `json:"plugins"`
	Contributors []Table         `json:"contributors"`
	Schema       Schema          `json:"schema"`
	Migrations   []MigrationsDir `json:"migrations"`
	// Problems fail info --strict and check.
	Problems []string `json:"problems"`
	// Warnings are reported but do not fail --strict: an unreachable database, pending
	// migrations, a SQLite file not created yet, and DialectWarnings (a migration directory
	// of a dialect the configuration does not target, dialects only the environment chooses).
	Warnings []string `json:"warnings"`
}

// Versions are the versions of Kernia and its toolchain in the running binary.
type Versions struct {
	Kernia string `json:"kernia"`
	Go     string `json:"go"`
	Ent    string `json:"ent"`
	Atlas  string `json:"atlas"`
	// Driver is the database driver module of the adapter, with its version.
	Driver string `json:"driver"`
}

// App holds the resolved application settings.
type App struct {
	Name     string `json:"name"`
	BaseURL  string `json:"base_url"`
	BasePath string `json:"base_path"`
}

// Adapter describes the database.
type Adapter struct {
	Dialect string `json:"dialect"`
	Driver  string `json:"driver"`
	// DatabaseURL has its password removed.
	DatabaseURL string `json:"database_url"`
	// Source is "options", "environment", ".env" or "default".
	Source string `json:"source"`
	// Dialects are the dialects migrations are written for.
	Dialects []string `json:"dialects"`
	// DevURLs are the dev databases of Options.DevURL or KERNIA_DEV_URL, one per server
	// dialect, with their passwords removed (empty when none is set or the list is refused,
	// which is a problem).
	DevURLs []string `json:"dev_urls"`
	// DevSource is where the dev database list came from, as Source says it ("" when none is
	// set: JSON null).
	DevSource string `json:"dev_source"`
	// Reachable is whether the database answered; nil when it was not tried (a SQLite file
	// that does not exist yet).
	Reachable *bool  `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// Applied and Pending count migration files on the database, when reachable.
	Applied int `json:"applied"`
	Pending int `json:"pending"`
	// counted is set when Applied and Pending were read from the database (JSON: null
	// otherwise).
	counted bool
}

// Secret describes the secret without revealing it.
type Secret struct {
	// Status is "set", "missing" or "invalid".
	Status string `json:"status"`
	// Source is the variable read (KERNIA_SECRETS or KERNIA_SECRET) and where it came from.
	Source string `json:"source,omitempty"`
	// Keys is the number of keys in the ring.
	Keys int `json:"keys"`
	// Length is the signing key's length in characters.
	Length int `json:"length"`
	// Strength is the signing key's rating: "strong" or "weak" (keyring.Strength).
	Strength string `json:"strength,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Plugin is an enabled plugin.
type Plugin struct {
	ID       string   `json:"id"`
	Requires []string `json:"requires"`
	// Entities are the entities the plugin owns.
	Entities []string `json:"entities"`
	// Extends are the entities it adds columns or edges to.
	Extends []string `json:"extends"`
}

// Table is a table of the composed schema and who contributes each column.
type Table struct {
	Table   string   `json:"table"`
	Entity  string   `json:"entity"`
	Owner   string   `json:"owner"`
	Columns []Column `json:"columns"`
}

// Column is a column and its contributor: "core", a plugin id, or "options" for additional
// fields of kernia.Options.
type Column struct {
	// Name is the column name, after renames.
	Name string `json:"name"`
	// Field is the Ent field name when the column was renamed.
	Field       string `json:"field,omitempty"`
	Contributor string `json:"contributor"`
}

// Schema compares the composed schema files on disk with what generate writes.
type Schema struct {
	Dir      string `json:"dir"`
	UpToDate bool   `json:"up_to_date"`
	// Changed lists the files generate would write or remove.
	Changed []string `json:"changed"`
	// checked is set when the schema could be composed and compared (JSON: up_to_date null
	// otherwise).
	checked bool
}

// MigrationsDir is the state of one dialect's migration directory.
type MigrationsDir struct {
	Dialect    string `json:"dialect"`
	Dir        string `json:"dir"`
	Exists     bool   `json:"exists"`
	Files      int    `json:"files"`
	ChecksumOK bool   `json:"checksum_ok"`
	Error      string `json:"error,omitempty"`
}

// Options tune Build.
type Options struct {
	// ConnectTimeout bounds the database check (default 5s).
	ConnectTimeout time.Duration
}

// Build inspects auth in the module whose root is the working directory. It never fails:
// whatever cannot be determined is a problem or a warning of the report.
func Build(ctx context.Context, auth *kernia.Auth, opts Options) *Report {
	if opts.ConnectTimeout == 0 {
		opts.ConnectTimeout = 5 * time.Second
	}
	r := &Report{Plugins: []Plugin{}, Contributors: []Table{}, Migrations: []MigrationsDir{}, Problems: []string{}, Warnings: []string{}}
	if err := auth.Err(); err != nil {
		r.problem("options: %v", err)
	}
	r.App = App{Name: auth.AppName(), BaseURL: redactURL(auth.BaseURL()), BasePath: auth.BasePath()}
	env := dotenvValues()
	r.secret(env)
	for _, p := range auth.Plugins() {
		if p == nil {
			continue
		}
		pl := Plugin{ID: p.ID(), Requires: nonNil(p.Requires()), Entities: []string{}, Extends: []string{}}
		for _, e := range p.Entities() {
			pl.Entities = append(pl.Entities, e.Name)
		}
		for _, x := range p.Extensions() {
			pl.Extends = append(pl.Extends, x.Entity)
		}
		r.Plugins = append(r.Plugins, pl)
	}
	r.schema(auth)
	dbURL := auth.DatabaseURL()
	r.Adapter.DatabaseURL = database.Redact(dbURL)
	r.Adapter.Source = source(auth.Options().DatabaseURL, kernia.EnvDatabaseURL, env)
	dialects, err := auth.Dialects()
	if err != nil {
		r.problem("database: %v", err)
	}
	r.Adapter.Dialects = nonNil(dialects)
	r.devURLs(auth, env)
	for _, d := range dialects {
		r.migrationsDir(auth, d)
	}
	r.database(ctx, auth, dbURL, opts.ConnectTimeout)
	for _, w := range DialectWarnings(auth) {
		r.Warnings = append(r.Warnings, strings.TrimPrefix(w, warningPrefix))
	}
	r.Versions = versions(r.Adapter.Dialect)
	return r
}

// devURLs reports the dev database list, or the problem with it.
func (r *Report) devURLs(auth *kernia.Auth, env map[string]string) {
	r.Adapter.DevURLs = []string{}
	list := auth.DevURL()
	if strings.TrimSpace(list) == "" {
		return
	}
	r.Adapter.DevSource = source(auth.Options().DevURL, kernia.EnvDevURL, env)
	dev, err := database.ParseDevURLs(list)
	if err != nil {
		r.problem("dev database: %v", err)
		return
	}
	r.Adapter.DevURLs = dev.Redacted()
}

// warningPrefix starts a warning printed on stderr; the report's warnings go without it.
const warningPrefix = "kernia: warning: "

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func (r *Report) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

func (r *Report) secret(env map[string]string) {
	ring, name, err := keyring.FromEnv()
	switch {
	case errors.Is(err, keyring.ErrNoSecret):
		r.Secret = Secret{Status: "missing"}
		r.problem("secret: neither %s nor %s is set: run `kernia secret` and put its line in .env or the environment", keyring.EnvSecrets, keyring.EnvSecret)
		return
	case err != nil:
		r.Secret = Secret{Status: "invalid", Source: source("", name, env), Error: err.Error()}
		r.problem("secret: %v", err)
		return
	}
	first, _, _ := strings.Cut(os.Getenv(name), ",")
	first = strings.TrimSpace(first)
	r.Secret = Secret{Status: "set", Source: source("", name, env), Keys: ring.Len(), Length: len(first), Strength: keyring.Strength(first)}
	if r.Secret.Strength != "strong" {
		r.problem("secret: the signing key in %s is weak: about %d bits of entropy, want at least %d characters and %d bits (repeated characters or blocks, sequences such as abcd or 0123 and keyboard runs count for little): replace it with `kernia secret --rotate`", name, keyring.EntropyBits(first), keyring.MinKeyLen, keyring.StrongBits)
	}
}

// source says where a setting came from: Options, the environment, .env, or the default.
func source(option, envName string, dotenv map[string]string) string {
	v, set := os.LookupEnv(envName)
	switch {
	case option != "":
		return "options"
	case !set || v == "":
		return "default"
	case dotenv[envName] == v:
		return envName + " from .env"
	}
	return envName + " from the environment"
}

// dotenvValues reads the module's .env (without applying it) to tell where values came from.
func dotenvValues() map[string]string {
	out := map[string]string{}
	root, ok := dotenv.ModuleRoot(".")
	if !ok {
		return out
	}
	b, err := dotenv.ReadFile(filepath.Join(root, dotenv.FileName))
	if err != nil {
		return out
	}
	vars, err := dotenv.Parse(bytes.NewReader(b))
	if err != nil {
		return out
	}
	for _, v := range vars {
		out[v.Key] = v.Value
	}
	return out
}

func (r *Report) schema(auth *kernia.Auth) {
	r.Schema = Schema{Dir: kernia.DefaultSchemaDir, Changed: []string{}}
	plan, err := compose.Build(auth)
	if err != nil {
		r.problem("schema: %v", err)
		return
	}
	for _, e := range plan.Entities {
		t := Table{Table: e.Table, Entity: e.Name, Owner: e.Owner, Columns: []Column{}}
		for _, c := range e.Columns {
			col := Column{Name: c.Name, Contributor: c.Contributor}
			if c.Field != "" && c.Field != c.Name {
				col.Field = c.Field
			}
			t.Columns = append(t.Columns, col)
		}
		r.Contributors = append(r.Contributors, t)
	}
	files, err := compose.Render(plan)
	if err != nil {
		r.problem("schema: %v", err)
		return
	}
	want := map[string]bool{}
	for _, f := range files {
		want[f.Name] = true
		p := filepath.Join(r.Schema.Dir, f.Name)
		cur, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(cur, f.Content) {
			r.Schema.Changed = append(r.Schema.Changed, filepath.ToSlash(p))
		}
	}
	entries, _ := os.ReadDir(r.Schema.Dir)
	for _, e := range entries {
		p := filepath.Join(r.Schema.Dir, e.Name())
		if e.IsDir() || want[e.Name()] || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		if b, err := os.ReadFile(p); err == nil && compose.IsGenerated(b) {
			r.Schema.Changed = append(r.Schema.Changed, filepath.ToSlash(p)) // stale: generate removes it
		}
	}
	r.Schema.UpToDate = len(r.Schema.Changed) == 0
	r.Schema.checked = true
	if !r.Schema.UpToDate {
		verb := "differs"
		if len(r.Schema.Changed) > 1 {
			verb = "differ"
		}
		r.problem("schema drift: %s %s from what generate writes for this configuration: run generate and commit the result", strings.Join(r.Schema.Changed, ", "), verb)
	}
}

func (r *Report) migrationsDir(auth *kernia.Auth, dialect string) {
	path := filepath.Join(auth.MigrationsDir(), dialect)
	m := MigrationsDir{Dialect: dialect, Dir: filepath.ToSlash(path)}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		m.Error = "does not exist"
		r.Migrations = append(r.Migrations, m)
		r.problem("migrations: %s does not exist: run generate", m.Dir)
		return
	}
	m.Exists = true
	if sqls, err := filepath.Glob(filepath.Join(path, "*.sql")); err == nil {
		m.Files = len(sqls)
	}
	if _, err := migration.VerifyDir(path); err != nil {
		m.Error = err.Error()
		r.problem("migrations: %v", err)
	} else {
		m.ChecksumOK = true
	}
	r.Migrations = append(r.Migrations, m)
}

func (r *Report) database(ctx context.Context, auth *kernia.Auth, raw string, timeout time.Duration) {
	u, err := database.Parse(raw)
	if err != nil {
		r.problem("database: %v", err)
		return
	}
	r.Adapter.Dialect = u.Dialect
	r.Adapter.Driver = driverName(u.Dialect)
	if u.Dialect == kernia.SQLite && u.Path != ":memory:" {
		if _, err := os.Stat(u.Path); errors.Is(err, fs.ErrNotExist) {
			r.warn("database: the SQLite file %s does not exist yet: migrate creates it", u.Path)
			return
		}
	}
	dir := filepath.Join(auth.MigrationsDir(), u.Dialect)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := os.Stat(dir); err != nil {
		// No directory to compare with: only check the connection.
		db, err := database.Open(ctx, u)
		r.reachable(err)
		if db != nil {
			db.Close()
		}
		return
	}
	st, err := migration.Status(ctx, raw, dir)
	r.reachable(err)
	if err != nil {
		return
	}
	r.Adapter.Applied, r.Adapter.Pending, r.Adapter.counted = len(st.Applied), len(st.Pending), true
	if n := len(st.Pending); n > 0 {
		r.warn("database: %d migration file(s) pending: run migrate", n)
	}
	for _, p := range st.Problems {
		if !strings.Contains(strings.Join(r.Problems, "\n"), p) { // VerifyDir's are reported already
			r.problem("database: %s", p)
		}
	}
}

func (r *Report) reachable(err error) {
	ok := err == nil
	r.Adapter.Reachable = &ok
	if err != nil {
		r.Adapter.Error = strings.TrimPrefix(err.Error(), "migrate: ")
		r.warn("database unreachable: %s", r.Adapter.Error)
	}
}

func driverName(dialect string) string {
	switch dialect {
	case kernia.Postgres:
		return "pgx (database/sql)"
	case kernia.MySQL:
		return "github.com/go-sql-driver/mysql (database/sql)"
	}
	return "modernc.org/sqlite (pure Go)"
}

// versions reads the module versions of the running binary.
func versions(dialect string) Versions {
	v := Versions{Go: runtime.Version(), Kernia: "unknown", Ent: "unknown", Atlas: "unknown", Driver: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	driver := "modernc.org/sqlite"
	switch dialect {
	case kernia.Postgres:
		driver = "github.com/jackc/pgx/v5"
	case kernia.MySQL:
		driver = "github.com/go-sql-driver/mysql"
	}
	mods := append([]*debug.Module{&bi.Main}, bi.Deps...)
	for _, m := range mods {
		switch m.Path {
		case "github.com/kernia/kernia":
			v.Kernia = moduleVersion(m)
		case "entgo.io/ent":
			v.Ent = moduleVersion(m)
		case "ariga.io/atlas":
			v.Atlas = moduleVersion(m)
		case driver:
			v.Driver = driver + " " + moduleVersion(m)
		}
	}
	return v
}

func moduleVersion(m *debug.Module) string {
	if r := m.Replace; r != nil {
		if strings.HasPrefix(r.Path, ".") || strings.HasPrefix(r.Path, "/") || filepath.IsAbs(r.Path) {
			return m.Version + " (replaced by a local directory)"
		}
		return m.Version + " (replaced by " + r.Path + " " + r.Version + ")"
	}
	if m.Version == "" {
		return "(devel)"
	}
	return m.Version
}

// redactURL removes a password from a URL that is not a database URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return database.Redact(s)
	}
	if _, has := u.User.Password(); has {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
