// Package kernia configures an auth instance: its core data model (users, sessions, accounts,
// verifications), the plugins that extend it, and where its database lives.
//
// A backend builds one instance with New and hands it to the Kernia commands (the mage targets
// or the kernia CLI), which compose the Ent schema, generate the Ent client and the versioned SQL
// migrations, and apply them:
//
//	var Auth = kernia.New(kernia.Options{
//		BaseURL: "https://example.com",
//		Plugins: []kernia.Plugin{twofactor.New()},
//	})
//
// Problems in the options never panic: they are reported by Err and by every command.
package kernia

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kernia/kernia/internal/authx"
	"github.com/kernia/kernia/internal/dotenv"
	"github.com/kernia/kernia/internal/formatname"
	"github.com/kernia/kernia/internal/workdir"
)

// Defaults used when neither Options nor the environment set a value.
const (
	DefaultBaseURL       = "http://localhost:3000"
	DefaultBasePath      = "/api/auth"
	DefaultDatabaseURL   = "sqlite://kernia.db"
	DefaultMigrationsDir = "ent/migrate/migrations"
	DefaultSchemaDir     = "ent/schema"
	DefaultTargetDir     = "ent"
)

// Environment variables read when the matching option is empty.
const (
	EnvSecret      = "KERNIA_SECRET"
	EnvSecrets     = "KERNIA_SECRETS"
	EnvURL         = "KERNIA_URL"
	EnvDatabaseURL = "KERNIA_DATABASE_URL"
	EnvDevURL      = "KERNIA_DEV_URL"
	EnvApp         = "KERNIA_APP"
)

// Dialects Kernia writes migrations for.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	// MySQL is MySQL 8 and MariaDB 10.5 or later (InnoDB), through mysql:// URLs.
	MySQL = "mysql"
)

// Options configure an auth instance. The zero value is valid: core tables only, SQLite in
// kernia.db, migrations for the database's own dialect.
type Options struct {
	// AppName names the application in diagnostics.
	AppName string
	// BaseURL is the public URL of the application (default $KERNIA_URL, else
	// http://localhost:3000).
	BaseURL string
	// BasePath is where the auth routes are mounted (default /api/auth).
	BasePath string
	// DatabaseURL is the database migrations are applied to, in Atlas's URL forms
	// (sqlite://file.db, postgres://user:pass@host:5432/db?sslmode=disable,
	// mysql://user:pass@host:3306/db). Default
	// $KERNIA_DATABASE_URL, else sqlite://kernia.db.
	DatabaseURL string
	// DevURL lists the clean databases PostgreSQL and MySQL migrations are computed on
	// (default $KERNIA_DEV_URL): one URL per server dialect, separated by whitespace
	// ("postgres://u:p@localhost:5432/dev mysql://u:p@localhost:3306/"), each dialect taking
	// the URL of its scheme; a single URL is a list of one. A URL names an empty database; a
	// MySQL URL naming none (mysql://u:p@host:3306/) names a server where Kernia creates and
	// drops a temporary database. For a dialect the list has no URL of, Kernia creates and
	// drops a temporary database on the server of DatabaseURL. SQLite migrations are computed
	// in memory and need none: a sqlite:// URL, two URLs of one dialect, or a word that is no
	// URL are refused by every command that reads the list.
	DevURL string
	// Dialects lists the dialects to write migrations for, each in its own directory under
	// MigrationsDir. Set it (kernia init writes it): the dialects are committed configuration.
	// Default: the dialect of DatabaseURL, else of $KERNIA_DATABASE_URL from the process
	// environment (never from .env alone; see Auth.Dialects), else SQLite.
	Dialects []string
	// Module is the Go import path of the directory holding the generated ent/ tree, for
	// example "example.com/app". Default: read from go.mod in the working directory.
	Module string
	// MigrationsDir is the parent of the per-dialect migration directories (default
	// ent/migrate/migrations): <MigrationsDir>/<dialect> holds the files of one dialect, and
	// may be the application's own migration directory, shared with its files (see the
	// README's "A shared migration directory"). A path relative to the module root that stays
	// inside the module (CheckMigrationsDir).
	MigrationsDir string
	// MigrationFormat is the format generate writes migrations in: "atlas" (<version>_<name>.sql),
	// "golang-migrate" (<version>_<name>.up.sql and .down.sql), "goose" (<version>_<name>.sql
	// with -- +goose Up and Down sections) or "flyway" (V<version>__<name>.sql and U… undo
	// files). Default: the format of the files already in the directories, else "atlas". A
	// directory keeps its format: generate refuses to write another one into it.
	MigrationFormat string
	// Plugins are the enabled plugins, in the order their mixins apply.
	Plugins []Plugin
	// Schema renames tables and columns and adds fields, per entity name ("User",
	// "TwoFactor"): Better Auth's modelName, fields and additionalFields.
	Schema map[string]EntitySchema
	// Naming chooses the base names of every table and column, core and plugins alike:
	// SnakeCase (the default: users, email_verified) or BetterAuthNames (Better Auth 1.7's
	// default names: user, emailVerified), so a Better Auth server shares the database with
	// no modelName or fields mapping. Schema's Table and Columns rename on top of these base
	// names. Switching it on a generated schema renames every table and column in the next
	// migration (its rows kept), never a drop and an add. The generated client's Go names
	// (ent.User, SetEmailVerified) are the same in both.
	Naming Naming
	// DatabaseRateLimit adds the core RateLimit entity (table rate_limits: key unique, count,
	// last_request in Unix milliseconds), where the rate limiter keeps its counters: Better
	// Auth's rateLimit with storage "database". Off by default (Better Auth's default storage
	// is memory, which needs no table); turning it off again drops the table, which generate
	// refuses without --allow-destructive. Options.Schema["RateLimit"] renames it.
	DatabaseRateLimit bool

	// carried is set only by Kernia itself (internal/authx): the configuration a loader
	// program resolved, for the kernia tool.
	carried authx.Carried
}

func init() {
	authx.Attach = func(opts any, c authx.Carried) any {
		o := opts.(Options)
		o.carried = c
		return o
	}
	authx.Get = func(a any) authx.Carried {
		if a, ok := a.(*Auth); ok && a != nil {
			return a.opts.carried
		}
		return nil
	}
}

// Naming is how an instance names its tables and columns (Options.Naming).
type Naming int

const (
	// SnakeCase names tables by the plural snake_case of the entity (users, two_factors) and
	// columns by the snake_case field name (email_verified, user_id). The default.
	SnakeCase Naming = iota
	// BetterAuthNames names tables and columns exactly as Better Auth 1.7 does by default: a
	// table is the entity's Better Auth model name (user, session, twoFactor, apikey, jwks;
	// Entity.Model), a column the lowerCamelCase of its field name (emailVerified, userId) or
	// the name its field's core.ModelField annotation gives (passkey's credentialID).
	BetterAuthNames
)

// String returns the Go spelling of the naming mode ("kernia.SnakeCase").
func (n Naming) String() string {
	switch n {
	case SnakeCase:
		return "kernia.SnakeCase"
	case BetterAuthNames:
		return "kernia.BetterAuthNames"
	}
	return fmt.Sprintf("kernia.Naming(%d)", int(n))
}

// Auth is a configured auth instance. Build it with New.
type Auth struct {
	opts Options
	err  error
}

// New returns the auth instance for opts. It never panics: invalid options are kept and
// reported by Err and by every command that uses the instance.
func New(opts Options) (a *Auth) {
	a = &Auth{opts: opts}
	if opts.carried != nil {
		// Checked in the loader program, against the plugins' own code.
		a.err = opts.carried.AuthErr()
		return a
	}
	defer func() {
		// A plugin whose ID or Requires panics: an error like any other, printed through
		// the commands' redaction, never a crash in the application's package init.
		if v := recover(); v != nil {
			a.err = fmt.Errorf("kernia: a plugin panicked while the options were checked (a bug in the plugin): %v", v)
		}
	}()
	a.err = validate(opts)
	return a
}

// Err reports what is wrong with the options, or nil.
func (a *Auth) Err() error {
	if a == nil {
		return errors.New("kernia: nil *kernia.Auth: build it with kernia.New(kernia.Options{...})")
	}
	return a.err
}

// Options returns a copy of the options the instance was built with, Plugins included.
func (a *Auth) Options() Options {
	o := a.opts
	o.Plugins = slices.Clone(a.opts.Plugins)
	o.Dialects = slices.Clone(a.opts.Dialects)
	o.Schema = maps.Clone(a.opts.Schema)
	return o
}

// Plugins returns the enabled plugins in configuration order.
func (a *Auth) Plugins() []Plugin { return slices.Clone(a.opts.Plugins) }

// AppName returns the configured application name (default "kernia").
func (a *Auth) AppName() string { return cmp.Or(a.opts.AppName, "kernia") }

// BaseURL returns the resolved base URL: Options, then $KERNIA_URL, then the default.
func (a *Auth) BaseURL() string {
	return cmp.Or(a.opts.BaseURL, os.Getenv(EnvURL), DefaultBaseURL)
}

// BasePath returns the resolved base path.
func (a *Auth) BasePath() string { return cmp.Or(a.opts.BasePath, DefaultBasePath) }

// DatabaseURL returns the resolved database URL: Options, then $KERNIA_DATABASE_URL, then the
// default.
func (a *Auth) DatabaseURL() string {
	return cmp.Or(a.opts.DatabaseURL, os.Getenv(EnvDatabaseURL), DefaultDatabaseURL)
}

// DevURL returns the resolved dev database list (Options.DevURL, else $KERNIA_DEV_URL), or ""
// when none is configured.
func (a *Auth) DevURL() string { return cmp.Or(a.opts.DevURL, os.Getenv(EnvDevURL)) }

// MigrationsDir returns the parent directory of the per-dialect migration directories.
func (a *Auth) MigrationsDir() string {
	return cmp.Or(a.opts.MigrationsDir, DefaultMigrationsDir)
}

// Dialects returns the dialects migrations are written for. They are committed
// configuration: Options.Dialects, else the dialect of Options.DatabaseURL, else the dialect
// of $KERNIA_DATABASE_URL when the process environment sets it (a CI job or a deployment
// configures it in its own committed definition; the commands warn that Options.Dialects
// should say it), else SQLite, the dialect of the default database.
//
// The module's .env is git-ignored, this machine's alone: a $KERNIA_DATABASE_URL that holds
// .env's value never chooses the dialects (a clone without that .env would generate for
// another dialect). When it names a dialect other than SQLite, Dialects returns an error
// saying to commit Options.Dialects; a SQLite URL from .env gives SQLite, as a clone gets.
func (a *Auth) Dialects() ([]string, error) {
	if len(a.opts.Dialects) > 0 {
		return slices.Clone(a.opts.Dialects), nil
	}
	url := a.opts.DatabaseURL
	if url == "" {
		url = os.Getenv(EnvDatabaseURL)
	}
	if url == "" {
		return []string{SQLite}, nil
	}
	d, err := DialectOf(url)
	if err != nil {
		return nil, err
	}
	if a.opts.DatabaseURL == "" && d != SQLite && dotenvHolds(EnvDatabaseURL, url) {
		return nil, fmt.Errorf("kernia: the dialects are not configured: $%s comes from .env and is a %s database, but .env is git-ignored and never chooses the dialects (a clone or CI job without it would generate for %s): set Dialects: []string{%s} in kernia.Options (auth/auth.go) and commit it",
			EnvDatabaseURL, d, SQLite, dialectConst(d))
	}
	return []string{d}, nil
}

// dialectConst spells a dialect as its constant in Go source (kernia.Postgres).
func dialectConst(d string) string {
	switch d {
	case Postgres:
		return "kernia.Postgres"
	case SQLite:
		return "kernia.SQLite"
	case MySQL:
		return "kernia.MySQL"
	}
	return strconv.Quote(d)
}

// dotenvHolds reports whether the .env file at the root of the module containing the working
// directory assigns value to key (its last assignment, as the commands apply it).
func dotenvHolds(key, value string) bool {
	root, ok := workdir.ModuleRoot(".")
	if !ok {
		return false
	}
	b, err := dotenv.ReadFile(filepath.Join(root, dotenv.FileName))
	if err != nil {
		return false
	}
	vars, err := dotenv.Parse(bytes.NewReader(b))
	if err != nil {
		return false
	}
	got, found := "", false
	for _, v := range vars {
		if v.Key == key {
			got, found = v.Value, true
		}
	}
	return found && got == value
}

// DialectOf returns the Kernia dialect of a database URL from its scheme.
func DialectOf(url string) (string, error) {
	scheme, _, ok := strings.Cut(url, "://")
	if !ok {
		return "", errors.New("database URL has no scheme: use sqlite://file.db, postgres://user:pass@host:5432/db or mysql://user:pass@host:3306/db")
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		return SQLite, nil
	case "postgres", "postgresql":
		return Postgres, nil
	case "mysql", "mariadb":
		return MySQL, nil
	}
	if !validScheme(scheme) {
		// Not a scheme (a password holding "://"?): never quote it.
		return "", errors.New("database URL does not start with a valid scheme: use sqlite://file.db, postgres://user:pass@host:5432/db or mysql://user:pass@host:3306/db")
	}
	return "", fmt.Errorf("database URL has unsupported scheme %q: use sqlite://file.db, postgres://user:pass@host:5432/db or mysql://user:pass@host:3306/db", scheme)
}

// validScheme reports whether s is a URL scheme by RFC 3986 (a letter, then letters, digits,
// '+', '-' or '.'), short enough to be one.
func validScheme(s string) bool {
	if s == "" || len(s) > 32 || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// CheckMigrationsDir is the one check of the migrations directory setting, Options.MigrationsDir
// (and generate --output, which sets it): a relative path, resolved against the module root
// where every command runs, that stays inside the module: not absolute, not empty, no ".."
// leaving it, no control characters. generate also refuses a path that leaves the module
// through a symbolic link before it writes anything.
func CheckMigrationsDir(dir string) error {
	if strings.ContainsFunc(dir, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("the path holds a control character: give a directory of the module, relative to its root, like \"db/migrations\"")
	}
	if !filepath.IsLocal(dir) {
		return fmt.Errorf("%q is not a directory inside the module: give a path relative to the module root that stays inside it (no leading / and no \"..\"), like \"db/migrations\"; Kernia writes <dir>/<dialect>/", dir)
	}
	return nil
}

func validate(o Options) error {
	var errs []error
	if _, err := formatname.Parse(o.MigrationFormat); err != nil {
		errs = append(errs, fmt.Errorf("kernia: Options.MigrationFormat: %w", err))
	}
	if o.MigrationsDir != "" {
		if err := CheckMigrationsDir(o.MigrationsDir); err != nil {
			errs = append(errs, fmt.Errorf("kernia: Options.MigrationsDir: %w", err))
		}
	}
	for _, d := range o.Dialects {
		if d != SQLite && d != Postgres && d != MySQL {
			errs = append(errs, fmt.Errorf("kernia: Options.Dialects: unknown dialect %q (want %q, %q or %q)", d, SQLite, Postgres, MySQL))
		}
	}
	if o.Naming != SnakeCase && o.Naming != BetterAuthNames {
		errs = append(errs, fmt.Errorf("kernia: Options.Naming: unknown naming mode %d (want kernia.SnakeCase or kernia.BetterAuthNames)", int(o.Naming)))
	}
	for _, entity := range slices.Sorted(maps.Keys(o.Schema)) {
		errs = append(errs, o.Schema[entity].validate(entity)...)
	}
	seen := map[string]int{}
	for i, p := range o.Plugins {
		if p == nil {
			errs = append(errs, fmt.Errorf("kernia: Options.Plugins[%d] is nil", i))
			continue
		}
		id := p.ID()
		if !validPluginID(id) {
			errs = append(errs, fmt.Errorf("kernia: Options.Plugins[%d]: plugin id %q is not kebab-case", i, id))
		}
		if j, dup := seen[id]; dup {
			errs = append(errs, fmt.Errorf("kernia: plugin %q is enabled twice (Options.Plugins[%d] and [%d])", id, j, i))
		}
		seen[id] = i
	}
	for _, p := range o.Plugins {
		if p == nil {
			continue
		}
		for _, req := range p.Requires() {
			if _, ok := seen[req]; !ok {
				errs = append(errs, fmt.Errorf("kernia: plugin %q requires plugin %q: add it to Options.Plugins", p.ID(), req))
			}
		}
	}
	return errors.Join(errs...)
}

func validPluginID(id string) bool {
	if id == "" || id[0] == '-' || id[len(id)-1] == '-' || strings.Contains(id, "--") {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}
